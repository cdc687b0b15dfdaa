"""Reading handoffs for the console: the queue, one handoff, search, and the live conversations.

Every query takes the staffer's municipality and never returns another municipality's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from bot.config import timezone_name
from bot.conversation_id import ConversationId, prefixes_of
from bot.handoff.labels import labelled
from bot.handoff.service import open_handoffs_of
from bot.handoff.states import OPEN
from bot.storage.db import Database
from bot.storage.tables import ConversationActivityRow, HandoffRow, RequestRow, aware, utcnow


def _local_day_bounds(day: date) -> Tuple[datetime, datetime]:
    zone = ZoneInfo(timezone_name())
    start = datetime.combine(day, time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


# --- Handoffs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffSummary:
    """A handoff as lists show it, with how long the citizen waited."""

    id: int
    municipality: str
    sender_id: str
    channel: str
    reason: str
    procedure: Optional[str]
    form_data: Optional[Dict[str, Any]]
    status: str
    assigned_to: Optional[str]
    outcome: Optional[str]
    created_at: datetime
    taken_at: Optional[datetime]
    closed_at: Optional[datetime]
    waiting: timedelta


def waiting_time(row: Any, now: Optional[datetime] = None) -> timedelta:
    """How long the citizen has waited (until taken or closed, or until now)."""
    end = aware(row.taken_at) or aware(row.closed_at) or now or utcnow()
    return max(timedelta(0), end - aware(row.created_at))


def _summary(row: HandoffRow, now: datetime) -> HandoffSummary:
    return HandoffSummary(
        row.id,
        row.municipality,
        row.sender_id,
        row.channel,
        row.reason,
        row.procedure,
        row.form_data,
        row.status,
        row.assigned_to,
        row.outcome,
        aware(row.created_at),
        aware(row.taken_at),
        aware(row.closed_at),
        waiting_time(row, now),
    )


def open_handoffs(
    db: Database, municipality: str, now: Optional[datetime] = None, label: Optional[str] = None
) -> List[HandoffSummary]:
    """Handoffs waiting or being attended in this municipality (carrying its ``label``, if given), longest
    waiting first."""
    now = now or utcnow()
    query = select(HandoffRow).where(HandoffRow.municipality == municipality, HandoffRow.status.in_(OPEN))
    if label:
        query = query.where(labelled(municipality, label))
    with db.session() as session:
        rows = session.execute(query.order_by(HandoffRow.created_at, HandoffRow.id)).scalars().all()
        return [_summary(r, now) for r in rows]


def get_handoff(db: Database, municipality: str, handoff_id: int) -> Optional[HandoffRow]:
    """One handoff of this municipality; ``None`` for an unknown id or another municipality's."""
    with db.session() as session:
        return session.execute(
            select(HandoffRow).where(HandoffRow.id == handoff_id, HandoffRow.municipality == municipality)
        ).scalar_one_or_none()


def request_attachments_for(db: Database, municipality: str, sender_id: str) -> Dict[str, List[Dict[str, Any]]]:
    """Folio -> the attachments (kind, MIME type) of the requests this conversation made in this municipality."""
    with db.session() as session:
        rows = session.execute(
            select(RequestRow.folio, RequestRow.attachments)
            .where(RequestRow.municipality == municipality, RequestRow.sender_id == sender_id)
            .order_by(RequestRow.id)
        ).all()
    return {
        folio: [
            {"kind": a.get("kind"), "content_type": a.get("content_type", "")} for a in items if isinstance(a, dict)
        ]
        for folio, items in rows
        if items
    }


def folios_for(db: Database, municipality: str, sender_id: str) -> List[str]:
    """Folios of the requests this conversation made in this municipality."""
    with db.session() as session:
        return list(
            session.execute(
                select(RequestRow.folio)
                .where(RequestRow.municipality == municipality, RequestRow.sender_id == sender_id)
                .order_by(RequestRow.id)
            )
            .scalars()
            .all()
        )


def search_handoffs(
    db: Database,
    municipality: str,
    date_from: Optional[date] = None,
    date_to: Optional[date] = None,
    procedure: Optional[str] = None,
    folio: Optional[str] = None,
    outcome: Optional[str] = None,
    status: Optional[str] = None,
    label: Optional[str] = None,
    limit: int = 200,
) -> List[HandoffSummary]:
    """The municipality's handoffs by creation day (local time, inclusive), procedure, folio of a request of
    the same conversation, outcome (text contained, any case), status and label; newest first."""
    query = select(HandoffRow).where(HandoffRow.municipality == municipality)
    if date_from:
        query = query.where(HandoffRow.created_at >= _local_day_bounds(date_from)[0])
    if date_to:
        query = query.where(HandoffRow.created_at < _local_day_bounds(date_to)[1])
    if procedure:
        query = query.where(HandoffRow.procedure == procedure)
    if status:
        query = query.where(HandoffRow.status == status)
    if label:
        query = query.where(labelled(municipality, label))
    if outcome:
        query = query.where(func.lower(HandoffRow.outcome).contains(outcome.strip().lower(), autoescape=True))
    if folio:
        query = query.where(
            HandoffRow.sender_id.in_(
                select(RequestRow.sender_id).where(
                    RequestRow.municipality == municipality, RequestRow.folio == folio.strip().upper()
                )
            )
        )
    now = utcnow()
    with db.session() as session:
        rows = (
            session.execute(query.order_by(HandoffRow.created_at.desc(), HandoffRow.id.desc()).limit(limit))
            .scalars()
            .all()
        )
        return [_summary(r, now) for r in rows]


# --- Live conversations (a staffer takes one from the console) ----------------------------------

CONVERSATIONS_MAX_AGE = timedelta(days=7)
CONVERSATIONS_LIMIT = 100


@dataclass(frozen=True)
class LiveConversation:
    """A conversation that wrote to us recently, with its open handoff if it has one."""

    sender_id: str
    channel: str
    last_inbound_at: datetime
    handoff_id: Optional[int] = None
    handoff_status: Optional[str] = None
    assigned_to: Optional[str] = None
    form_data: Optional[Dict[str, Any]] = None
    elsewhere: bool = False  # its open handoff is another municipality's: the assistant is silent, staff there


def conversation_channel(sender_id: str, municipality: str, whatsapp_numbers: Any) -> Optional[str]:
    """``"whatsapp"`` or ``"telegram"`` when ``sender_id`` is a conversation with this municipality
    (``whatsapp:<one of its numbers>:<citizen>`` or ``telegram:<its slug>:<chat>``); ``None`` otherwise."""
    conversation = ConversationId.parse_or_none(sender_id)
    if conversation is None or not conversation.belongs_to(municipality, whatsapp_numbers or ()):
        return None
    return conversation.channel


def recent_conversations(
    db: Database,
    municipality: str,
    whatsapp_numbers: Any,
    max_age: timedelta = CONVERSATIONS_MAX_AGE,
    limit: int = CONVERSATIONS_LIMIT,
    now: Optional[datetime] = None,
) -> List[LiveConversation]:
    """Conversations with this municipality (its WhatsApp numbers and its Telegram bot) that wrote within
    ``max_age``, newest first, at most ``limit``, each with its open handoff if any (``bot.handoff.service``'s,
    the same the assistant's silence follows)."""
    since = (now or utcnow()) - max_age
    matches = or_(
        *[
            ConversationActivityRow.sender_id.startswith(p, autoescape=True)
            for p in prefixes_of(municipality, whatsapp_numbers or ())
        ]
    )
    with db.session() as session:
        rows = (
            session.execute(
                select(ConversationActivityRow)
                .where(matches, ConversationActivityRow.last_inbound_at >= since)
                .order_by(ConversationActivityRow.last_inbound_at.desc(), ConversationActivityRow.sender_id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
        found = []
        for row in rows:  # the prefix match is re-checked exactly (a chat id has no colon)
            channel = conversation_channel(row.sender_id, municipality, whatsapp_numbers)
            if channel:
                found.append((row.sender_id, channel, aware(row.last_inbound_at)))
    handoffs = open_handoffs_of(db, [s for s, _, _ in found])
    result = []
    for sender, channel, at in found:
        open_row = handoffs.get(sender)
        if open_row is None:
            result.append(LiveConversation(sender, channel, at))
        elif open_row.municipality != municipality:  # nothing of it crosses: only that it exists
            result.append(LiveConversation(sender, channel, at, elsewhere=True))
        else:
            result.append(
                LiveConversation(
                    sender, channel, at, open_row.id, open_row.status, open_row.assigned_to, open_row.form_data
                )
            )
    return result


def conversation_last_inbound(db: Database, sender_id: str) -> Optional[datetime]:
    """When this conversation last wrote to us, or ``None`` if we have no record of it."""
    with db.session() as session:
        return aware(
            session.execute(
                select(ConversationActivityRow.last_inbound_at).where(ConversationActivityRow.sender_id == sender_id)
            ).scalar_one_or_none()
        )
