"""Automatic assignment (``CONSOLE_AUTO_ASSIGN=1``, off by default): the oldest waiting conversation
goes to the least busy agent on duty who attends fewer than ``CONSOLE_AGENT_CAPACITY``.

An agent is on duty while logged in to the console (an unexpired session used within
``CONSOLE_IDLE_MINUTES``) with an active account. Ties go to the agent who has had no conversation
assigned the longest (then by username). Called when a handoff is created, when an agent frees
capacity (closes, hands back, passes a conversation on, the citizen stops waiting) and when one logs
in. Every change goes through ``bot.handoff.service.assign_handoff``, and is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select

from bot.config import settings
from bot.handoff import service
from bot.handoff.states import HandoffStatus
from bot.staff.audit import record_audit
from bot.staff.sessions import idle_limit
from bot.storage.db import Database
from bot.storage.tables import HandoffRow, SessionRow, StaffRow, aware, utcnow

SYSTEM = "asignacion-automatica"  # the actor of the audit entries
AUDIT_ACTION = "asignar_automatica"
MAX_PER_CALL = 200  # assignments one call makes at most


def agents_on_duty(db: Database, municipality: str, now: Optional[datetime] = None) -> List[str]:
    """Usernames of the municipality's active staff with a live console session."""
    now = now or utcnow()
    with db.session() as session:
        return list(
            session.execute(
                select(StaffRow.username)
                .join(SessionRow, SessionRow.staff_id == StaffRow.id)
                .where(
                    StaffRow.municipality == municipality,
                    StaffRow.active.is_(True),
                    SessionRow.expires_at > now,
                    SessionRow.last_seen_at > now - idle_limit(),
                )
                .distinct()
                .order_by(StaffRow.username)
            )
            .scalars()
            .all()
        )


def _load(db: Database, municipality: str) -> Tuple[Dict[str, int], Dict[str, datetime]]:
    """Conversations each staffer attends now, and when each last got one."""
    with db.session() as session:
        attended = session.execute(
            select(HandoffRow.assigned_to, func.count())
            .where(HandoffRow.municipality == municipality, HandoffRow.status == HandoffStatus.ATTENDED.value)
            .group_by(HandoffRow.assigned_to)
        ).all()
        last = session.execute(
            select(HandoffRow.assigned_to, func.max(HandoffRow.taken_at))
            .where(HandoffRow.municipality == municipality, HandoffRow.assigned_to.is_not(None))
            .group_by(HandoffRow.assigned_to)
        ).all()
    return {r[0]: r[1] for r in attended}, {r[0]: aware(r[1]) for r in last if r[1] is not None}


def _oldest_waiting(db: Database, municipality: str) -> Optional[int]:
    with db.session() as session:
        return session.execute(
            select(HandoffRow.id)
            .where(HandoffRow.municipality == municipality, HandoffRow.status == HandoffStatus.WAITING.value)
            .order_by(HandoffRow.created_at, HandoffRow.id)
            .limit(1)
        ).scalar()


def assign_waiting(
    db: Database, municipality: str, capacity: int, now: Optional[datetime] = None
) -> List[Tuple[int, str]]:
    """Assign waiting conversations, oldest first, while an agent on duty has room; ``(handoff, agent)`` each."""
    agents = agents_on_duty(db, municipality, now)
    done: List[Tuple[int, str]] = []
    for _attempt in range(MAX_PER_CALL if agents else 0):
        handoff_id = _oldest_waiting(db, municipality)
        if handoff_id is None:
            break
        attended, last = _load(db, municipality)
        free = [a for a in agents if attended.get(a, 0) < capacity]
        if not free:
            break
        never = datetime.min.replace(tzinfo=utcnow().tzinfo)
        agent = min(free, key=lambda a: (attended.get(a, 0), last.get(a, never), a))
        try:
            row, _ = service.assign_handoff(db, municipality, handoff_id, SYSTEM, agent)
        except service.HandoffStateError:  # taken or ended meanwhile: look again
            continue
        if row is None:
            break
        record_audit(db, SYSTEM, municipality, AUDIT_ACTION, handoff_id, target=agent)
        done.append((handoff_id, agent))
    return done


def assign_if_enabled(db: Database, municipality: str) -> List[Tuple[int, str]]:
    """``assign_waiting`` when ``CONSOLE_AUTO_ASSIGN=1`` (with ``CONSOLE_AGENT_CAPACITY``); nothing otherwise."""
    config = settings()
    if not config.console_auto_assign:
        return []
    return assign_waiting(db, municipality, config.console_agent_capacity)
