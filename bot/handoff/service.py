"""Every change of a handoff's status: the assistant opens one, staff take, close or hand it back,
the citizen stops waiting. The only module that writes ``HandoffRow.status``.

Functions over a ``Database`` with short-lived sessions, used by the actions and the console.
Staff changes take the staffer's municipality and never touch another municipality's handoff.
"""

from __future__ import annotations

from typing import Any, Collection, Dict, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.handoff.states import OPEN, HandoffStatus
from bot.storage.db import Database
from bot.storage.tables import HandoffRow, StaffMessageRow, utcnow

OUTCOME_MAX_LENGTH = 200
HANDED_BACK_OUTCOME = "Devuelta al asistente"
ABANDONED_OUTCOME = "el vecino dejó de esperar"


class HandoffStateError(ValueError):
    """The handoff's status does not allow this change (Spanish message)."""


class AlreadyAttended(HandoffStateError):
    """Another staffer attends the handoff: taking or assigning it needs a confirmation naming them."""

    def __init__(self, assignee: str) -> None:
        super().__init__(f"{assignee} está atendiendo esta conversación.")
        self.assignee = assignee


def _check_takeover(row: HandoffRow, staff: str, assignee: str, replacing: Optional[str]) -> Optional[str]:
    """Who attends ``row`` now (``None``: nobody); ``AlreadyAttended`` when it is someone other than ``staff``
    and ``assignee`` whom the staffer did not confirm replacing."""
    current = row.assigned_to if row.status == HandoffStatus.ATTENDED.value else None
    if current and current not in (staff, assignee) and current != replacing:
        raise AlreadyAttended(current)
    return current


# --- The assistant and the citizen --------------------------------------------------------------


def open_handoff_id(db: Database, municipality: str, sender_id: str) -> Optional[int]:
    """The id of the conversation's open handoff in this municipality, or ``None``."""
    with db.session() as session:
        return session.execute(
            select(HandoffRow.id).where(
                HandoffRow.municipality == municipality, HandoffRow.sender_id == sender_id, HandoffRow.status.in_(OPEN)
            )
        ).scalar()


def open_handoffs_of(db: Database, sender_ids: Collection[str]) -> Dict[str, HandoffRow]:
    """The newest open handoff of each of these conversations, in any municipality (the assistant is silent
    for a conversation with one, whichever municipality's staff it waits for). Callers show another
    municipality's handoff only as such, never its details."""
    senders = sorted(set(sender_ids))
    if not senders:
        return {}
    with db.session() as session:
        rows = (
            session.execute(
                select(HandoffRow)
                .where(HandoffRow.sender_id.in_(senders), HandoffRow.status.in_(OPEN))
                .order_by(HandoffRow.created_at, HandoffRow.id)
            )
            .scalars()
            .all()
        )
    return {r.sender_id: r for r in rows}  # later (newer) rows win


def create_handoff(
    db: Database,
    municipality: str,
    sender_id: str,
    channel: str,
    reason: str,
    procedure: Optional[str] = None,
    form_data: Optional[Dict[str, Any]] = None,
) -> Optional[int]:
    """A new waiting handoff's id, or ``None`` when the conversation has one open already (a staffer took it)."""
    try:
        with db.session() as session:
            row = HandoffRow(
                municipality=municipality,
                sender_id=sender_id,
                channel=channel,
                reason=reason,
                procedure=procedure,
                form_data=form_data,
                status=HandoffStatus.WAITING.value,
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def end_wait(db: Database, sender_id: str) -> int:
    """The citizen no longer waits: their open handoffs become ``ABANDONED``; returns how many."""
    with db.session() as session:
        rows = (
            session.execute(select(HandoffRow).where(HandoffRow.sender_id == sender_id, HandoffRow.status.in_(OPEN)))
            .scalars()
            .all()
        )
        for row in rows:
            row.status, row.closed_at, row.outcome = HandoffStatus.ABANDONED.value, utcnow(), ABANDONED_OUTCOME
        return len(rows)


# --- Staff --------------------------------------------------------------------------------------


def _transition(db: Database, municipality: str, handoff_id: int, staff: str, **values: Any) -> Optional[HandoffRow]:
    """Move an open handoff of this municipality to new values; ``None`` if not found there."""
    with db.session() as session:
        query = select(HandoffRow).where(HandoffRow.id == handoff_id, HandoffRow.municipality == municipality)
        row = session.execute(query.with_for_update()).scalar_one_or_none()
        if row is None:
            return None
        if row.status not in OPEN:
            raise HandoffStateError(f"La conversación ya está {row.status}: no admite ese cambio.")
        if row.taken_at is None:
            row.taken_at = utcnow()
        if values.pop("assign", False) or not row.assigned_to:
            row.assigned_to = staff
        for key, value in values.items():
            setattr(row, key, value)
        return row


def take_handoff(db: Database, municipality: str, handoff_id: int, staff: str) -> Optional[HandoffRow]:
    """Assign the handoff to ``staff`` (``ATTENDED``); ``None`` if not found in this municipality."""
    return _transition(db, municipality, handoff_id, staff, status=HandoffStatus.ATTENDED.value, assign=True)


def assign_handoff(
    db: Database, municipality: str, handoff_id: int, staff: str, assignee: str, replacing: Optional[str] = None
) -> Tuple[Optional[HandoffRow], Optional[str]]:
    """``staff`` gives an open handoff to ``assignee`` (to themselves: takes it), ``ATTENDED``; returns
    ``(handoff, who attended it before)``, ``(None, None)`` if not found in this municipality.

    Raises ``AlreadyAttended`` when someone other than ``staff`` and ``assignee`` attends it, unless
    ``replacing`` names that person (the staffer saw the warning and confirmed), and
    ``HandoffStateError`` when it is no longer open. ``assignee`` must be an active staffer of the
    municipality (the caller checks it).
    """
    with db.session() as session:
        query = select(HandoffRow).where(HandoffRow.id == handoff_id, HandoffRow.municipality == municipality)
        row = session.execute(query.with_for_update()).scalar_one_or_none()
        if row is None:
            return None, None
        if row.status not in OPEN:
            raise HandoffStateError(f"La conversación ya está {row.status}: no admite ese cambio.")
        previous = _check_takeover(row, staff, assignee, replacing)
        row.status, row.assigned_to = HandoffStatus.ATTENDED.value, assignee
        if row.taken_at is None:
            row.taken_at = utcnow()
        return row, previous


def close_handoff(db: Database, municipality: str, handoff_id: int, staff: str, outcome: str) -> Optional[HandoffRow]:
    """Close the handoff with its outcome (the reason); ``None`` if not found in this municipality."""
    outcome = " ".join(outcome.split())[:OUTCOME_MAX_LENGTH]
    if not outcome:
        raise ValueError("Indique el motivo del cierre.")
    return _transition(
        db, municipality, handoff_id, staff, status=HandoffStatus.CLOSED.value, outcome=outcome, closed_at=utcnow()
    )


def hand_back(db: Database, municipality: str, handoff_id: int, staff: str) -> Optional[HandoffRow]:
    """Give the conversation back to the assistant (``HANDED_BACK``); ``None`` if not found."""
    return _transition(
        db,
        municipality,
        handoff_id,
        staff,
        status=HandoffStatus.HANDED_BACK.value,
        outcome=HANDED_BACK_OUTCOME,
        closed_at=utcnow(),
    )


def take_conversation(
    db: Database, municipality: str, sender_id: str, channel: str, staff: str, replacing: Optional[str] = None
) -> Tuple[HandoffRow, bool]:
    """A staffer takes a live conversation: its open handoff is assigned to them (``ATTENDED``), or a new one
    is created (reason "funcionario"); returns ``(handoff, created)``. ``AlreadyAttended`` when another
    staffer attends it and ``replacing`` does not name them (as in ``assign_handoff``)."""
    try:
        return _take_conversation(db, municipality, sender_id, channel, staff, replacing)
    except IntegrityError:  # the assistant (or another staffer) opened one at this very moment: take that one
        return _take_conversation(db, municipality, sender_id, channel, staff, replacing)


def _take_conversation(
    db: Database, municipality: str, sender_id: str, channel: str, staff: str, replacing: Optional[str]
) -> Tuple[HandoffRow, bool]:
    now = utcnow()
    with db.session() as session:
        row = session.execute(
            select(HandoffRow)
            .where(
                HandoffRow.municipality == municipality, HandoffRow.sender_id == sender_id, HandoffRow.status.in_(OPEN)
            )
            .order_by(HandoffRow.created_at.desc(), HandoffRow.id.desc())
            .limit(1)
            .with_for_update()
        ).scalar_one_or_none()
        created = row is None
        if created:
            row = HandoffRow(
                municipality=municipality,
                sender_id=sender_id,
                channel=channel,
                reason="funcionario",
                status=HandoffStatus.ATTENDED.value,
                assigned_to=staff,
                created_at=now,
                taken_at=now,
            )
            session.add(row)
            session.flush()
        else:
            _check_takeover(row, staff, staff, replacing)
            row.status, row.assigned_to = HandoffStatus.ATTENDED.value, staff
            if row.taken_at is None:
                row.taken_at = now
        return row, created


def add_staff_message(db: Database, handoff: HandoffRow, staff: str, text: str, delivered: str = "enviado") -> None:
    """Keep a message a staffer sent to the citizen of ``handoff``."""
    with db.session() as session:
        session.add(
            StaffMessageRow(
                handoff_id=handoff.id, sender_id=handoff.sender_id, staff=staff, text=text, delivered=delivered
            )
        )
