"""Where personal data lives in our tables, and how it is erased: one declaration for both
"borra mis datos" (``delete_citizen_data``: one conversation, also ``python -m bot forget``) and
retention (``delete_older_than``: everything older than ``RETENTION_DAYS``, ``python -m bot retention``).

Every table of our metadata has a ``TablePolicy`` in ``POLICIES`` that sorts each of its columns
into ``personal`` (can hold personal data: a citizen's or a staffer's identity, or free text) or
``other``, and says which statements erase the personal ones. ``tests/test_personal_data.py``
fails when a table or a column is added without being classified here.

Rules run in the order of ``POLICIES`` (dependent rows first: reviews before their handoffs,
the history of a request before the request loses its sender id). Requests are not deleted:
they keep folio, procedure, status and dates, with their personal data erased. Rasa's
conversation events live in the tracker database and are deleted by the ``TranscriptReader``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Optional, Tuple, Type, Union

from sqlalchemy import delete, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from bot.staff.sessions import expire_sessions
from bot.storage.db import Database
from bot.storage.requests import FINAL_STATUSES
from bot.storage.tables import (
    ApiTokenRow,
    AuditRow,
    CannedResponseRow,
    CatalogueVersionRow,
    ChannelButtonsRow,
    CommuneRow,
    ConversationActivityRow,
    HandoffLabelRow,
    HandoffNoteRow,
    HandoffRow,
    InboundMessageRow,
    LabelRow,
    LoginFailureRow,
    LookupFailureRow,
    MunicipalityRow,
    NationalHolidayRow,
    NonMunicipalRow,
    NotificationRow,
    ProcedureRow,
    RequestRow,
    RequestStatusRow,
    ReviewRow,
    ServerSecretRow,
    SessionRow,
    StaffMessageRow,
    StaffRow,
    SurveyRow,
    utcnow,
)

ERASED = "(eliminado)"
Target = Union[str, datetime]  # a sender id (deletion) or a cutoff (retention)


@dataclass(frozen=True)
class Rule:
    """One statement on a table: delete the matching rows, or overwrite their personal columns."""

    count: str  # key of the counts returned (Spanish: the CLI prints it)
    where: Callable[[Any], ColumnElement]
    values: Optional[Callable[[], Dict[str, Any]]] = None  # None: delete the rows


@dataclass(frozen=True)
class TablePolicy:
    """How one table holds personal data and how it is erased."""

    model: Type[Any]
    personal: Tuple[str, ...] = ()
    other: Tuple[str, ...] = ()
    on_deletion: Tuple[Rule, ...] = ()
    on_retention: Tuple[Rule, ...] = ()
    why_kept: str = ""  # for personal data that neither rule erases

    @property
    def table(self) -> str:
        """The table's name."""
        return self.model.__tablename__


def _sender_requests(sender_id: str):
    return select(RequestRow.id).where(RequestRow.sender_id == sender_id)


def _old_closed_requests(cutoff: datetime):
    return select(RequestRow.id).where(RequestRow.status.in_(FINAL_STATUSES), RequestRow.updated_at < cutoff)


def _sender_handoffs(sender_id: str):
    return select(HandoffRow.id).where(HandoffRow.sender_id == sender_id)


def _old_handoffs(cutoff: datetime):
    return select(HandoffRow.id).where(HandoffRow.created_at < cutoff)


def _anonymous_request() -> Dict[str, Any]:
    # updated_at stays: erasing personal data is not a change of the request
    return {"fields": {}, "attachments": None, "rut": None, "sender_id": ERASED, "updated_at": RequestRow.updated_at}


def _anonymous_history() -> Dict[str, Any]:
    return {"note": "", "changed_by": ERASED}


def _anonymous_survey() -> Dict[str, Any]:
    # the score, municipality, channel and dates stay for the satisfaction figures
    return {"handoff_id": None, "sender_id": None, "comment": None, "not_sent_reason": None}


Review, Audit = ReviewRow, AuditRow

POLICIES: Tuple[TablePolicy, ...] = (
    # --- Catalogue and configuration: public data, keys and counters -----------------------------
    TablePolicy(ProcedureRow, other=("slug", "name", "category", "data")),
    TablePolicy(MunicipalityRow, other=("slug", "name", "comuna", "code", "data")),
    TablePolicy(NonMunicipalRow, other=("slug", "data")),
    TablePolicy(CommuneRow, other=("name", "region", "aliases")),
    TablePolicy(NationalHolidayRow, other=("day", "name")),
    TablePolicy(LabelRow, other=("id", "municipality", "name", "created_at")),
    TablePolicy(CatalogueVersionRow, other=("id", "loaded_at", "source", "fingerprint")),
    TablePolicy(ApiTokenRow, other=("id", "municipality", "name", "token_hash", "created_at", "revoked_at")),
    TablePolicy(ServerSecretRow, other=("name", "value")),
    # The conversation only as a keyed hash: kept through deletion so that it does not reset the limit.
    TablePolicy(LookupFailureRow, other=("id", "municipality", "folio", "sender_key", "at")),
    TablePolicy(SessionRow, other=("id", "staff_id", "csrf_token", "created_at", "last_seen_at", "expires_at")),
    # --- The citizen's conversation --------------------------------------------------------------
    TablePolicy(
        Review,
        personal=("comment", "by"),
        other=("id", "handoff_id", "municipality", "event_id", "wrong", "intended_intent", "intended_procedure", "at"),
        on_deletion=(Rule("revisiones", lambda s: Review.handoff_id.in_(_sender_handoffs(s))),),
        on_retention=(Rule("revisiones", lambda c: Review.handoff_id.in_(_old_handoffs(c))),),
    ),
    TablePolicy(
        HandoffNoteRow,
        personal=("staff", "staff_name", "text"),
        other=("id", "handoff_id", "municipality", "created_at"),
        on_deletion=(Rule("notas_internas", lambda s: HandoffNoteRow.handoff_id.in_(_sender_handoffs(s))),),
        on_retention=(
            Rule(
                "notas_internas",
                lambda c: or_(HandoffNoteRow.created_at < c, HandoffNoteRow.handoff_id.in_(_old_handoffs(c))),
            ),
        ),
    ),
    TablePolicy(
        HandoffLabelRow,
        personal=("added_by",),
        other=("handoff_id", "label_id", "added_at"),
        on_deletion=(Rule("etiquetas", lambda s: HandoffLabelRow.handoff_id.in_(_sender_handoffs(s))),),
        on_retention=(Rule("etiquetas", lambda c: HandoffLabelRow.handoff_id.in_(_old_handoffs(c))),),
    ),
    TablePolicy(
        SurveyRow,
        personal=("handoff_id", "sender_id", "comment", "not_sent_reason"),
        other=("id", "municipality", "channel", "status", "score", "asked_at", "answered_at"),
        on_deletion=(Rule("encuestas_anonimizadas", lambda s: SurveyRow.sender_id == s, _anonymous_survey),),
        on_retention=(
            Rule(
                "encuestas_anonimizadas",
                lambda c: (SurveyRow.asked_at < c) & SurveyRow.sender_id.is_not(None),
                _anonymous_survey,
            ),
        ),
    ),
    TablePolicy(
        StaffMessageRow,
        personal=("sender_id", "staff", "text"),
        other=("id", "handoff_id", "delivered", "created_at"),
        on_deletion=(Rule("mensajes_funcionarios", lambda s: StaffMessageRow.sender_id == s),),
        on_retention=(
            Rule(
                "mensajes_funcionarios",
                lambda c: or_(StaffMessageRow.created_at < c, StaffMessageRow.handoff_id.in_(_old_handoffs(c))),
            ),
        ),
    ),
    TablePolicy(
        HandoffRow,
        personal=("sender_id", "form_data", "outcome", "assigned_to"),
        other=("id", "municipality", "channel", "reason", "procedure", "status", "created_at", "taken_at", "closed_at"),
        on_deletion=(Rule("derivaciones", lambda s: HandoffRow.sender_id == s),),
        on_retention=(Rule("derivaciones", lambda c: HandoffRow.created_at < c),),
    ),
    TablePolicy(
        ChannelButtonsRow,
        personal=("sender_id", "buttons", "question"),
        other=("menu_id", "updated_at"),
        on_deletion=(Rule("botones", lambda s: ChannelButtonsRow.sender_id == s),),
        on_retention=(Rule("botones", lambda c: ChannelButtonsRow.updated_at < c),),
    ),
    TablePolicy(
        ConversationActivityRow,
        personal=("sender_id",),
        other=("last_inbound_at",),
        on_deletion=(Rule("actividad", lambda s: ConversationActivityRow.sender_id == s),),
        on_retention=(Rule("actividad", lambda c: ConversationActivityRow.last_inbound_at < c),),
    ),
    TablePolicy(
        InboundMessageRow,
        personal=("sender_id", "payload"),
        other=("id", "channel", "message_id", "status", "attempts", "received_at", "updated_at"),
        on_deletion=(Rule("mensajes_recibidos", lambda s: InboundMessageRow.sender_id == s),),
        on_retention=(
            Rule(
                "mensajes_recibidos",
                lambda c: (InboundMessageRow.received_at < c) & InboundMessageRow.status.in_(("listo", "fallido")),
            ),
        ),
    ),
    # --- Requests: kept without personal data ----------------------------------------------------
    TablePolicy(
        NotificationRow,
        personal=("recipient", "text", "variables", "last_error"),
        other=(
            "id",
            "request_id",
            "municipality",
            "channel",
            "kind",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
            "sent_at",
        ),
        on_deletion=(
            Rule(
                "avisos",
                lambda s: or_(NotificationRow.recipient == s, NotificationRow.request_id.in_(_sender_requests(s))),
            ),
        ),
        on_retention=(
            Rule(
                "avisos",
                lambda c: or_(NotificationRow.created_at < c, NotificationRow.request_id.in_(_old_closed_requests(c))),
            ),
        ),
    ),
    TablePolicy(
        RequestStatusRow,
        personal=("note", "changed_by"),
        other=("id", "request_id", "status", "created_at"),
        on_deletion=(
            Rule(
                "historial_anonimizado",
                lambda s: RequestStatusRow.request_id.in_(_sender_requests(s)),
                _anonymous_history,
            ),
        ),
        on_retention=(
            Rule(
                "historial_anonimizado",
                lambda c: (
                    RequestStatusRow.request_id.in_(_old_closed_requests(c)) & (RequestStatusRow.changed_by != ERASED)
                ),
                _anonymous_history,
            ),
        ),
    ),
    TablePolicy(
        RequestRow,
        personal=("fields", "attachments", "rut", "sender_id"),
        other=(
            "id",
            "folio",
            "municipality",
            "procedure",
            "channel",
            "status",
            "idempotency_key",
            "created_at",
            "updated_at",
        ),
        on_deletion=(Rule("solicitudes_anonimizadas", lambda s: RequestRow.sender_id == s, _anonymous_request),),
        on_retention=(
            Rule(
                "solicitudes_anonimizadas",
                lambda c: RequestRow.id.in_(_old_closed_requests(c)) & (RequestRow.sender_id != ERASED),
                _anonymous_request,
            ),
        ),
    ),
    # --- Staff: their accounts, and what they did ------------------------------------------------
    TablePolicy(
        Audit,
        personal=("staff", "target", "detail"),
        other=("id", "municipality", "action", "handoff_id", "at"),
        on_deletion=(Rule("auditoria_anonimizada", lambda s: Audit.target == s, lambda: {"target": ERASED}),),
        on_retention=(Rule("auditoria", lambda c: Audit.at < c),),
    ),
    TablePolicy(
        LoginFailureRow,
        personal=("username",),
        other=("id", "municipality", "client_key", "at"),
        on_retention=(Rule("ingresos_fallidos", lambda c: LoginFailureRow.at < c),),
        why_kept="a staffer's username, not a citizen's data; kept for the login limit until retention",
    ),
    TablePolicy(
        StaffRow,
        personal=("username", "name", "password_hash"),
        other=("id", "municipality", "role", "active", "created_at"),
        why_kept="staff accounts: administrators deactivate them in the console; not a citizen's data",
    ),
    TablePolicy(
        CannedResponseRow,
        personal=("created_by",),
        other=("id", "municipality", "title", "body", "created_at"),
        why_kept="a staffer's username on a shared text; administrators delete the rows in the console",
    ),
)


def policy_for(table: str) -> TablePolicy:
    """The declaration of one table (``KeyError`` if it has none)."""
    for policy in POLICIES:
        if policy.table == table:
            return policy
    raise KeyError(table)


def _apply(db: Database, rules: str, target: Target) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    with db.session() as session:  # one transaction: never half erased
        for policy in POLICIES:
            for rule in getattr(policy, rules):
                if rule.values is None:
                    statement = delete(policy.model).where(rule.where(target))
                else:
                    statement = update(policy.model).where(rule.where(target)).values(**rule.values())
                done = session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0
                counts[rule.count] = counts.get(rule.count, 0) + done
    return counts


def delete_citizen_data(db: Database, reader: Any, sender_id: str) -> Dict[str, int]:
    """Erase what we keep of one conversation (the citizen asked); returns counts by kind.

    Handoffs, their reviews and staff messages, buttons, activity, inbox rows and notices are
    deleted; requests keep folio, procedure and status but lose form data, photos, RUT and sender id, and
    their history loses notes and authors; audit entries keep the action but lose the sender id.
    """
    counts = _apply(db, "on_deletion", sender_id)
    counts["eventos_rasa"] = reader.delete_conversation(sender_id)
    return counts


def delete_older_than(db: Database, reader: Any, days: int, now: Optional[datetime] = None) -> Dict[str, int]:
    """Erase the personal data older than ``days`` days (handoffs, messages, audit, notices, buttons,
    activity, handled inbox rows, closed requests' personal data and notes), expired sessions, and
    Rasa's events of conversations inactive for ``days`` days; returns counts by kind."""
    if days < 1:
        raise ValueError("Los días de retención deben ser al menos 1.")
    cutoff = (now or utcnow()) - timedelta(days=days)
    counts = _apply(db, "on_retention", cutoff)
    counts["sesiones"] = expire_sessions(db, now)
    counts["eventos_rasa"] = reader.delete_older_than(cutoff)
    return counts
