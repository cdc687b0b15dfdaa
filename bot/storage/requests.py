"""Registering requests (solicitudes) with a unique folio, exactly once.

``submit_request`` is idempotent on the form's key: a retried webhook or a double
tap returns the folio of the request already stored. The folio is random and
unique per municipality (a database constraint); a collision just draws another.
Everything of one request is written in one transaction: never half a request.

The municipality's systems then read requests and change their status
(``list_requests``, ``get_request``, ``change_status``); each change is kept in the
history with who made it and queues a notice to the citizen in the same transaction.
Citizens find their own requests by chat (``requests_for_sender``) or by folio and RUT
(``find_by_folio_and_rut``). Request dictionaries never carry the sender's identity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.folio import new_folio, normalise_folio
from bot.nlu.entities import format_rut
from bot.storage.db import Database
from bot.storage.tables import NotificationRow, RequestRow, RequestStatusRow, utcnow

RECEIVED = "recibida"
FOLIO_ATTEMPTS = 8


class FolioExhausted(RuntimeError):
    """No free folio was found after several draws (practically impossible)."""


@dataclass(frozen=True)
class Submitted:
    """The folio of the request, and whether this call created it."""

    folio: str
    created: bool


def _existing(db: Database, key: str) -> Optional[str]:
    with db.session() as session:
        return session.execute(select(RequestRow.folio).where(RequestRow.idempotency_key == key)).scalar_one_or_none()


def submit_request(
    db: Database,
    *,
    key: str,
    municipality: str,
    code: str,
    procedure: str,
    fields: Dict[str, Any],
    rut: Optional[str],
    channel: str,
    sender_id: str,
    attachments: Optional[List[Dict[str, Any]]] = None,
) -> Submitted:
    """Store the request with status "recibida" and its first history entry; returns its folio.

    ``attachments``: photos sent with it (bot/message_metadata.py's shape)."""
    folio = _existing(db, key)
    if folio:
        return Submitted(folio, False)
    for _ in range(FOLIO_ATTEMPTS):
        folio = new_folio(code)
        try:
            with db.session() as session:
                row = RequestRow(
                    folio=folio,
                    municipality=municipality,
                    procedure=procedure,
                    fields=fields,
                    attachments=list(attachments or []) or None,
                    rut=rut,
                    channel=channel,
                    sender_id=sender_id,
                    status=RECEIVED,
                    idempotency_key=key,
                )
                session.add(row)
                session.flush()
                session.add(
                    RequestStatusRow(
                        request_id=row.id,
                        status=RECEIVED,
                        changed_by="asistente",
                        note="Solicitud recibida por el asistente.",
                    )
                )
            return Submitted(folio, True)
        except IntegrityError:
            already = _existing(db, key)  # the same request, stored meanwhile by a concurrent call
            if already:
                return Submitted(already, False)
    raise FolioExhausted(f"no se encontró un folio libre para {municipality}")


# --- Status of a request: statuses, reading, changing, citizen lookups -------------------------

STATUSES = ("recibida", "en_revision", "derivada", "en_terreno", "resuelta", "rechazada")
STATUS_LABELS: Dict[str, str] = {
    "recibida": "recibida",
    "en_revision": "en revisión",
    "derivada": "derivada a otra unidad",
    "en_terreno": "en terreno",
    "resuelta": "resuelta",
    "rechazada": "rechazada",
}
FINAL_STATUSES = {"resuelta", "rechazada"}
# Kinds of the citizen's notice (NotificationRow.kind), rendered by bot.answers.notices.
NOTICE_CHANGED = "cambio_estado"  # the status changed
NOTICE_NEWS = "novedad"  # a note on the same status
MAX_LIST_LIMIT = 200
NOTE_MAX_LENGTH = 2000
CHANGED_BY_MAX_LENGTH = 120  # RequestStatusRow.changed_by

ProcedureName = Union[str, Callable[[str], str], None]
_FOLIO_CHARS = re.compile(r"[A-Z0-9-]{1,16}")  # RequestRow.folio


def _as_utc(value: Union[datetime, date]) -> datetime:
    """An aware UTC datetime; a bare date is its midnight in UTC, a naive datetime is taken as UTC."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _iso(value: datetime) -> str:
    """ISO 8601 in UTC (SQLite gives back naive datetimes, stored as UTC)."""
    return _as_utc(value).isoformat()


def _canonical_folio(folio: str) -> str:
    """``"pen-7kx4m2"`` -> ``"PEN-7KX4M2"``; anything else is just stripped and upper-cased."""
    found = normalise_folio(folio.strip())
    return found if found else folio.strip().upper()


def _summary(row: RequestRow) -> Dict[str, Any]:
    """A request for lists: never the sender's identity nor the RUT (not even inside ``fields``)."""
    fields = dict(row.fields or {})
    if row.rut:
        fields = {name: value for name, value in fields.items() if value != row.rut}
    return {
        "folio": row.folio,
        "municipality": row.municipality,
        "procedure": row.procedure,
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status),
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "fields": fields,
        "attachments": [
            {"n": n, "kind": item.get("kind"), "content_type": item.get("content_type") or ""}
            for n, item in enumerate(row.attachments or [], 1)
        ],
    }


def request_attachment(db: Database, municipality: str, folio: str, n: int) -> Optional[Tuple[Dict[str, Any], str]]:
    """Attachment ``n`` (1 first) of one of the municipality's requests and the conversation it came from
    (to fetch it through its channel); ``None`` if there is no such request or attachment."""
    with db.session() as session:
        row = _find(session, municipality, folio)
        items = list(row.attachments or []) if row else []
        if row is None or not 1 <= n <= len(items) or not isinstance(items[n - 1], dict):
            return None
        return dict(items[n - 1]), row.sender_id


def _history(session: Session, request_id: int) -> List[Dict[str, Any]]:
    rows = session.execute(
        select(RequestStatusRow).where(RequestStatusRow.request_id == request_id).order_by(RequestStatusRow.id)
    ).scalars()
    return [
        {
            "status": h.status,
            "label": STATUS_LABELS.get(h.status, h.status),
            "note": h.note or "",
            "changed_by": h.changed_by,
            "at": _iso(h.created_at),
        }
        for h in rows
    ]


def _detail(session: Session, row: RequestRow) -> Dict[str, Any]:
    """One request with its RUT, all its form data and its history (oldest first)."""
    return {**_summary(row), "fields": dict(row.fields or {}), "rut": row.rut, "history": _history(session, row.id)}


def _find(session: Session, municipality: str, folio: str, for_update: bool = False) -> Optional[RequestRow]:
    folio = _canonical_folio(folio)
    if not _FOLIO_CHARS.fullmatch(folio):  # cannot be stored; also keeps NUL and the like away from the driver
        return None
    query = select(RequestRow).where(RequestRow.municipality == municipality, RequestRow.folio == folio)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def list_requests(
    db: Database,
    municipality: str,
    *,
    status: Optional[str] = None,
    procedure: Optional[str] = None,
    since: Optional[Union[datetime, date]] = None,
    until: Optional[Union[datetime, date]] = None,
    limit: int = 50,
    offset: int = 0,
) -> List[Dict[str, Any]]:
    """The municipality's requests, newest first; ``since`` inclusive and ``until`` exclusive on creation."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"Estado no válido: '{status}'. Use uno de: {', '.join(STATUSES)}.")
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValueError(f"El límite debe estar entre 1 y {MAX_LIST_LIMIT}.")
    if offset < 0:
        raise ValueError("El desplazamiento (offset) no puede ser negativo.")
    query = select(RequestRow).where(RequestRow.municipality == municipality)
    if status is not None:
        query = query.where(RequestRow.status == status)
    if procedure is not None:
        query = query.where(RequestRow.procedure == procedure)
    if since is not None:
        query = query.where(RequestRow.created_at >= _as_utc(since))
    if until is not None:
        query = query.where(RequestRow.created_at < _as_utc(until))
    query = query.order_by(RequestRow.created_at.desc(), RequestRow.id.desc()).limit(limit).offset(offset)
    with db.session() as session:
        return [_summary(row) for row in session.execute(query).scalars()]


def get_request(db: Database, municipality: str, folio: str) -> Optional[Dict[str, Any]]:
    """One of the municipality's requests with its history; ``None`` if it is not theirs or does not exist."""
    with db.session() as session:
        row = _find(session, municipality, folio)
        return _detail(session, row) if row else None


def change_status(
    db: Database,
    municipality: str,
    folio: str,
    status: str,
    note: Optional[str],
    changed_by: str,
    *,
    procedure_name: ProcedureName = None,
) -> Dict[str, Any]:
    """Set a request's status, record who did it and queue the citizen's notice, all in one transaction.

    ``procedure_name`` is the name shown to the citizen: a string, or a function from the
    procedure slug to its name (e.g. ``catalogue.display_name``); by default the slug. The
    notice keeps folio, status, that name and the note; its text is rendered when sent.
    Raises ``LookupError`` when the folio is not the municipality's, ``ValueError`` (Spanish
    message) for an unknown status, a closed request or the same status without a note.
    """
    status = (status or "").strip()
    if status not in STATUSES:
        raise ValueError(f"Estado no válido: '{status}'. Use uno de: {', '.join(STATUSES)}.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValueError(f"La nota es demasiado larga (máximo {NOTE_MAX_LENGTH} caracteres).")
    changed_by = (changed_by or "").strip()[:CHANGED_BY_MAX_LENGTH]
    if not changed_by:
        raise ValueError("Falta quién hace el cambio.")
    if "\x00" in note or "\x00" in changed_by:
        raise ValueError("La nota o el autor contienen caracteres no válidos.")
    with db.session() as session:
        row = _find(session, municipality, folio, for_update=True)
        if row is None:
            raise LookupError(f"No se encontró la solicitud {_canonical_folio(folio)}.")
        if row.status in FINAL_STATUSES:
            raise ValueError(
                f"La solicitud ya está cerrada ({STATUS_LABELS[row.status]}); su estado no se puede cambiar."
            )
        changed = status != row.status
        if not changed and not note:
            raise ValueError(
                f"La solicitud ya está en estado '{STATUS_LABELS[status]}'; para dejarla igual, agregue una nota."
            )
        if callable(procedure_name):
            name = procedure_name(row.procedure) or row.procedure
        else:
            name = procedure_name or row.procedure
        now = utcnow()
        # Conditional on the status just read: a concurrent change (SQLite has no FOR UPDATE) loses cleanly.
        result = session.execute(
            update(RequestRow)
            .where(RequestRow.id == row.id, RequestRow.status == row.status)
            .values(status=status, updated_at=now)
            .execution_options(synchronize_session="evaluate")
        )
        if result.rowcount != 1:
            raise ValueError("La solicitud cambió mientras se procesaba este cambio; consúltela e intente de nuevo.")
        session.add(
            RequestStatusRow(request_id=row.id, status=status, note=note, changed_by=changed_by, created_at=now)
        )
        session.add(
            NotificationRow(
                request_id=row.id,
                municipality=row.municipality,
                channel=row.channel,
                recipient=row.sender_id,
                kind=NOTICE_CHANGED if changed else NOTICE_NEWS,
                variables={"folio": row.folio, "status": status, "procedure": name, "note": note},
            )
        )
        session.flush()
        return _detail(session, row)


def requests_for_sender(
    db: Database, municipality: str, channel: str, sender_id: str, open_only: bool = True, *, limit: int = 20
) -> List[Dict[str, Any]]:
    """The requests a citizen made from this chat (newest first), by default only those still open."""
    query = select(RequestRow).where(
        RequestRow.municipality == municipality,
        RequestRow.channel == channel,
        RequestRow.sender_id == sender_id,
    )
    if open_only:
        query = query.where(RequestRow.status.notin_(FINAL_STATUSES))
    query = query.order_by(RequestRow.created_at.desc(), RequestRow.id.desc()).limit(limit)
    with db.session() as session:
        return [_summary(row) for row in session.execute(query).scalars()]


def find_by_folio_and_rut(db: Database, municipality: str, folio: str, rut: str) -> Optional[Dict[str, Any]]:
    """The request with this folio if it was made with this RUT (any usual spelling); else ``None``."""
    wanted = format_rut(rut or "")
    if wanted is None:
        return None
    with db.session() as session:
        row = _find(session, municipality, folio)
        if row is None or not row.rut or format_rut(row.rut) != wanted:
            return None
        return _detail(session, row)
