"""Table definitions for our own data, the staff console's included."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional, overload

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base

from bot.handoff.states import OPEN, HandoffStatus

Base: Any = declarative_base()  # SQLAlchemy 1.4 has no typed declarative base (no mypy plugin here)

OPEN_HANDOFF_CONDITION = "status IN ({})".format(", ".join(f"'{status.value}'" for status in OPEN))


USERNAME_MAX_LENGTH = 60  # StaffRow.username, and the staffer in AuditRow and ReviewRow


def utcnow() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(timezone.utc)


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: Optional[datetime]) -> Optional[datetime]:
    """``moment`` with UTC attached when the database returned it naive (SQLite)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


class ProcedureRow(Base):
    """A base procedure, as in ``catalogue/procedures/<slug>.yml``."""

    __tablename__ = "procedures"
    slug = Column(String(80), primary_key=True)
    name = Column(String(200), nullable=False)
    category = Column(String(80), nullable=False, index=True)
    data = Column(JSON, nullable=False)


class MunicipalityRow(Base):
    """A served municipality with its offices, overrides and extra procedures."""

    __tablename__ = "municipalities"
    slug = Column(String(80), primary_key=True)
    name = Column(String(200), nullable=False)
    comuna = Column(String(120), nullable=False, unique=True)
    code = Column(String(3), nullable=False, unique=True)
    data = Column(JSON, nullable=False)


class NonMunicipalRow(Base):
    """A national service's procedure the assistant points to."""

    __tablename__ = "non_municipal_procedures"
    slug = Column(String(80), primary_key=True)
    data = Column(JSON, nullable=False)


class CommuneRow(Base):
    """A commune of Chile."""

    __tablename__ = "communes"
    name = Column(String(120), primary_key=True)
    region = Column(String(120), nullable=False)
    aliases = Column(Text, nullable=False, default="")


class NationalHolidayRow(Base):
    """A national public holiday, as in ``catalogue/feriados.yml``."""

    __tablename__ = "national_holidays"
    day = Column(Date, primary_key=True)
    name = Column(String(120), nullable=False)


class CatalogueVersionRow(Base):
    """One row per load of the catalogue; readers reload when the newest id changes."""

    __tablename__ = "catalogue_versions"
    id = Column(Integer, primary_key=True, autoincrement=True)
    loaded_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    source = Column(String(300), nullable=False)
    fingerprint = Column(String(64), nullable=False)


class RequestRow(Base):
    """A citizen's request (solicitud) taken in chat."""

    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("municipality", "folio", name="uq_requests_municipality_folio"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    folio = Column(String(16), nullable=False)
    municipality = Column(String(80), nullable=False, index=True)
    procedure = Column(String(80), nullable=False)
    fields = Column(JSON, nullable=False)
    # Photos sent with the request (bot/message_metadata.py's shape); NULL for older requests.
    attachments = Column(JSON, nullable=True)
    rut = Column(String(12), nullable=True, index=True)
    channel = Column(String(40), nullable=False)
    sender_id = Column(String(200), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    idempotency_key = Column(String(64), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class RequestStatusRow(Base):
    """One entry of a request's status history, with who made the change."""

    __tablename__ = "request_status_history"

    id = Column(Integer, primary_key=True, autoincrement=True)
    request_id = Column(Integer, ForeignKey("requests.id", ondelete="CASCADE"), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    note = Column(Text, nullable=False, default="")
    changed_by = Column(String(120), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class NotificationRow(Base):
    """A message to send to a citizen (outbox): kept until delivered or given up.

    A notice keeps its data, ``kind`` and ``variables`` (``bot.storage.requests.change_status``),
    and its text is rendered when sent (``bot.answers.notices``). ``text``, when set, is sent as
    it is: the whole text of a row from before migration 0006, or the rest not yet delivered of
    a notice sent in part.
    """

    __tablename__ = "notifications"

    id = Column(Integer, primary_key=True, autoincrement=True)
    request_id = Column(Integer, ForeignKey("requests.id", ondelete="CASCADE"), nullable=True, index=True)
    municipality = Column(String(80), nullable=False)
    channel = Column(String(40), nullable=False)
    recipient = Column(String(200), nullable=False)
    text = Column(Text, nullable=True)
    # cambio_estado | novedad (NOTICE_CHANGED, NOTICE_NEWS in bot.storage.requests); NULL before 0006
    kind = Column(String(20), nullable=True)
    # {"folio", "status" (slug), "procedure" (the name shown to the citizen), "note"}
    variables = Column(JSON, nullable=True)
    # pendiente -> enviada | fallida (gave up); attempts and the last error are kept
    state = Column(String(20), nullable=False, default="pendiente", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    last_error = Column(Text, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True), nullable=True)


class ApiTokenRow(Base):
    """A back-office API token of one municipality (only its SHA-256 is stored)."""

    __tablename__ = "api_tokens"

    id = Column(Integer, primary_key=True, autoincrement=True)
    municipality = Column(String(80), nullable=False, index=True)
    name = Column(String(120), nullable=False)
    token_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    revoked_at = Column(DateTime(timezone=True), nullable=True)


class InboundMessageRow(Base):
    """An incoming channel message, stored before the webhook is answered.

    Twilio and Telegram retry webhooks, so (channel, message_id) is unique: a retry
    is recognised and dropped. Messages are processed in ``id`` order per
    conversation, by whichever replica holds the conversation's lock; a message
    left ``pendiente`` or ``procesando`` by a stopped replica is picked up again.
    The payload (what the citizen wrote) is cleared once the message is handled.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "message_id", name="uq_inbound_messages"),
        Index("ix_inbound_messages_open", "status", "sender_id", "id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    channel = Column(String(40), nullable=False)
    message_id = Column(String(120), nullable=False)
    sender_id = Column(String(200), nullable=False, index=True)
    payload = Column(JSON, nullable=True)
    status = Column(String(20), nullable=False, default="pendiente")  # pendiente|procesando|listo|fallido
    attempts = Column(Integer, nullable=False, default=0)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class ChannelButtonsRow(Base):
    """The last buttons shown to a conversation, so "2" or a button id maps to its payload.

    On Telegram every message with buttons is a menu (channels/menus.py): ``menu_id`` is the id of
    the last one sent to the chat (0: none yet), ``buttons`` those of the current menu (empty: no
    current menu) and ``question`` the text the citizen has pending, re-sent when an old button
    is pressed. WhatsApp uses only ``buttons``.
    """

    __tablename__ = "channel_buttons"

    sender_id = Column(String(200), primary_key=True)
    buttons = Column(JSON, nullable=False)
    menu_id = Column(Integer, nullable=False, default=0, server_default="0")
    question = Column(Text, nullable=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class ConversationActivityRow(Base):
    """When a conversation last wrote to us (WhatsApp allows free text only within 24 hours)."""

    __tablename__ = "conversation_activity"

    sender_id = Column(String(200), primary_key=True)
    last_inbound_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class LookupFailureRow(Base):
    """A failed folio + RUT lookup, counted per conversation, per folio and per municipality.

    No personal data: no RUT, and the conversation only as a keyed hash
    (``bot.storage.pseudonyms``), so the counters survive "borra mis datos".
    """

    __tablename__ = "lookup_failures"
    __table_args__ = (
        Index("ix_lookup_failures_municipality_at", "municipality", "at"),
        Index("ix_lookup_failures_folio_at", "municipality", "folio", "at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    municipality = Column(String(80), nullable=False)
    folio = Column(String(16), nullable=False)
    sender_key = Column(String(64), nullable=False, index=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class LoginFailureRow(Base):
    """A failed console login: the account tried and a keyed hash of the client's IP address."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_account_at", "municipality", "username", "at"),
        Index("ix_login_failures_client_at", "client_key", "at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    municipality = Column(String(80), nullable=False)
    username = Column(String(60), nullable=False)
    client_key = Column(String(64), nullable=False)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class ServerSecretRow(Base):
    """A random key generated by the server, used only when none is given in the environment."""

    __tablename__ = "server_secrets"

    name = Column(String(40), primary_key=True)
    value = Column(String(128), nullable=False)


class HandoffRow(Base):
    """A conversation handed to municipal staff, with the context the assistant had."""

    __tablename__ = "handoffs"
    __table_args__ = (
        # One open handoff per conversation, even when a staffer and the assistant open one at once.
        Index(
            "uq_handoffs_open_per_sender",
            "municipality",
            "sender_id",
            unique=True,
            postgresql_where=text(OPEN_HANDOFF_CONDITION),
            sqlite_where=text(OPEN_HANDOFF_CONDITION),
        ),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    municipality = Column(String(80), nullable=False, index=True)
    sender_id = Column(String(200), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    # hablar_con_funcionario | no_entendido | formulario | funcionario
    reason = Column(String(40), nullable=False)
    procedure = Column(String(80), nullable=True)
    form_data = Column(JSON, nullable=True)
    # a HandoffStatus (bot.handoff.states)
    status = Column(String(20), nullable=False, default=HandoffStatus.WAITING.value, index=True)
    assigned_to = Column(String(120), nullable=True)
    outcome = Column(String(200), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    taken_at = Column(DateTime(timezone=True), nullable=True)
    closed_at = Column(DateTime(timezone=True), nullable=True)


class StaffMessageRow(Base):
    """A message a staffer wrote to a citizen from the console."""

    __tablename__ = "staff_messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=True, index=True)
    sender_id = Column(String(200), nullable=False, index=True)
    staff = Column(String(120), nullable=False)
    text = Column(Text, nullable=False)
    delivered = Column(String(20), nullable=False, default="pendiente")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


# --- Staff console --------------------------------------------------------------------------------


class StaffRow(Base):
    """A staffer of one municipality who uses the console."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("municipality", "username", name="uq_staff_municipality_username"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    municipality = Column(String(80), nullable=False, index=True)
    username = Column(String(USERNAME_MAX_LENGTH), nullable=False)
    name = Column(String(120), nullable=False)
    role = Column(String(20), nullable=False, default="agente")  # agente | admin
    password_hash = Column(String(255), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class SessionRow(Base):
    """A console login; ``id`` is the SHA-256 of the token kept in the browser's cookie."""

    __tablename__ = "staff_sessions"

    id = Column(String(64), primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False, index=True)


class AuditRow(Base):
    """Who did what in the console (views and exports of conversations included)."""

    __tablename__ = "staff_audit"

    id = Column(Integer, primary_key=True, autoincrement=True)
    staff = Column(String(USERNAME_MAX_LENGTH), nullable=False, index=True)
    municipality = Column(String(80), nullable=False, index=True)
    action = Column(String(40), nullable=False)
    handoff_id = Column(Integer, nullable=True, index=True)
    target = Column(String(200), nullable=True)  # sender id, staffer username…
    detail = Column(Text, nullable=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class ReviewRow(Base):
    """A staffer's mark on one turn of a conversation: the assistant got it wrong."""

    __tablename__ = "nlu_reviews"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    municipality = Column(String(80), nullable=False, index=True)
    event_id = Column(Integer, nullable=False)  # id of the user/bot event in Rasa's ``events`` table
    wrong = Column(Boolean, nullable=False, default=True)
    intended_intent = Column(String(80), nullable=True)
    intended_procedure = Column(String(80), nullable=True)
    comment = Column(Text, nullable=True)
    by = Column(String(USERNAME_MAX_LENGTH), nullable=False)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


CANNED_TITLE_MAX_LENGTH = 120
CANNED_BODY_MAX_LENGTH = 1500  # what one console reply may hold


class CannedResponseRow(Base):
    """A canned response (respuesta predefinida) staff insert into a reply; ``municipality`` NULL: every one."""

    __tablename__ = "canned_responses"

    id = Column(Integer, primary_key=True, autoincrement=True)
    municipality = Column(String(80), nullable=True, index=True)
    title = Column(String(CANNED_TITLE_MAX_LENGTH), nullable=False)
    body = Column(Text, nullable=False)
    created_by = Column(String(USERNAME_MAX_LENGTH), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


# --- Working a conversation: internal notes, labels, satisfaction ----------------------------------

NOTE_MAX_LENGTH = 1000
LABEL_MAX_LENGTH = 40
SURVEY_COMMENT_MAX_LENGTH = 500


class HandoffNoteRow(Base):
    """An internal note a staffer wrote on a handoff: only staff read it, it is never sent to the citizen."""

    __tablename__ = "handoff_notes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    municipality = Column(String(80), nullable=False, index=True)
    staff = Column(String(USERNAME_MAX_LENGTH), nullable=False)
    staff_name = Column(String(120), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class LabelRow(Base):
    """A label of one municipality ("urgente", "reclamo"…) that staff attach to conversations."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("municipality", "name", name="uq_labels_municipality_name"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    municipality = Column(String(80), nullable=False, index=True)
    name = Column(String(LABEL_MAX_LENGTH), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class HandoffLabelRow(Base):
    """A label attached to a handoff, by whom and when."""

    __tablename__ = "handoff_labels"

    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True)
    label_id = Column(Integer, ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_by = Column(String(USERNAME_MAX_LENGTH), nullable=False)
    added_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class SurveyRow(Base):
    """The satisfaction question sent when staff closed a handoff (or why it was not sent), and the answer.

    ``status``: ``enviada`` (waiting for the answer), ``respondida`` (a score, maybe a comment) or
    ``no_enviada`` (``not_sent_reason`` says why: WhatsApp's 24-hour window, a channel that cannot be
    written to…). ``handoff_id`` and ``sender_id`` are erased with the citizen's data; the score stays.
    """

    __tablename__ = "satisfaction_surveys"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="SET NULL"), nullable=True, index=True)
    municipality = Column(String(80), nullable=False, index=True)
    sender_id = Column(String(200), nullable=True, index=True)
    channel = Column(String(40), nullable=False)
    status = Column(String(20), nullable=False)
    not_sent_reason = Column(String(200), nullable=True)
    score = Column(Integer, nullable=True)
    comment = Column(Text, nullable=True)
    asked_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    answered_at = Column(DateTime(timezone=True), nullable=True)
