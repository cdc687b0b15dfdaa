"""The live queue of the staff console: each open handoff with what a staffer needs to pick one.

Per handoff: the citizen's name on the channel and their last message (from Rasa's tracker store),
how many messages nobody has read (written after the handoff opened, after the last staff reply
and after this staffer last opened the conversation, which the audit records as
``ver_transcripcion``), when a person first answered, and the first-response clock
(``bot.handoff.sla``): office minutes until that first reply, or until now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select

from bot.handoff.queries import HandoffSummary, open_handoffs
from bot.handoff.sla import SlaClock, SlaState
from bot.handoff.transcript import TranscriptReader
from bot.storage.db import Database
from bot.storage.tables import AuditRow, StaffMessageRow, aware, utcnow

VIEW_ACTION = "ver_transcripcion"  # the audit action of opening a conversation (bot.app.web.console_handoffs)


@dataclass(frozen=True)
class QueueEntry:
    """One open handoff as the live queue shows it."""

    handoff: HandoffSummary
    citizen_name: Optional[str]
    last_message: Optional[str]
    last_message_at: Optional[datetime]
    unread: int
    first_reply_at: Optional[datetime]
    waited: timedelta  # until the first staff reply, or until now
    office_minutes: float  # the part of ``waited`` within office hours
    sla: SlaState


def _replies(db: Database, ids: List[int]) -> Dict[int, Tuple[datetime, datetime]]:
    """First and last staff message of each handoff."""
    if not ids:
        return {}
    with db.session() as session:
        rows = session.execute(
            select(
                StaffMessageRow.handoff_id, func.min(StaffMessageRow.created_at), func.max(StaffMessageRow.created_at)
            )
            .where(StaffMessageRow.handoff_id.in_(ids))
            .group_by(StaffMessageRow.handoff_id)
        ).all()
    return {r[0]: (aware(r[1]), aware(r[2])) for r in rows}


def _last_views(db: Database, municipality: str, viewer: str, ids: List[int]) -> Dict[int, datetime]:
    """When ``viewer`` last opened each handoff's conversation."""
    if not ids:
        return {}
    with db.session() as session:
        rows = session.execute(
            select(AuditRow.handoff_id, func.max(AuditRow.at))
            .where(
                AuditRow.municipality == municipality,
                AuditRow.staff == viewer,
                AuditRow.action == VIEW_ACTION,
                AuditRow.handoff_id.in_(ids),
            )
            .group_by(AuditRow.handoff_id)
        ).all()
    return {r[0]: aware(r[1]) for r in rows}


def live_queue(
    db: Database,
    reader: TranscriptReader,
    municipality: str,
    viewer: str,
    clock: SlaClock,
    now: Optional[datetime] = None,
    label: Optional[str] = None,
) -> List[QueueEntry]:
    """The municipality's open handoffs (carrying its ``label``, if given), longest waiting first, as
    ``viewer`` (a username) sees them."""
    now = now or utcnow()
    handoffs = open_handoffs(db, municipality, now, label=label)
    ids = [h.id for h in handoffs]
    replies = _replies(db, ids)
    views = _last_views(db, municipality, viewer, ids)
    since = min((h.created_at for h in handoffs), default=now)
    messages = reader.citizen_messages([h.sender_id for h in handoffs], since)
    entries = []
    for h in handoffs:
        first_reply, last_reply = replies.get(h.id, (None, None))
        seen = max(m for m in (h.created_at, last_reply, views.get(h.id)) if m is not None)
        written = messages.get(h.sender_id, [])
        named = [m.name for m in written if m.name]
        last = written[-1] if written else None
        end = max(h.created_at, min(first_reply or now, now))
        minutes = clock.minutes(h.created_at, end)
        entries.append(
            QueueEntry(
                handoff=h,
                citizen_name=named[-1] if named else None,
                last_message=last.text if last else None,
                last_message_at=last.at if last else None,
                unread=sum(1 for m in written if m.at > seen),
                first_reply_at=first_reply,
                waited=end - h.created_at,
                office_minutes=minutes,
                sla=clock.state(minutes, first_reply is not None),
            )
        )
    return entries
