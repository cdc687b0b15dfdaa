"""Internal notes on a handoff: written by staff for staff, never sent to the citizen.

Every function takes the staffer's municipality and never reads or writes another municipality's notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.tables import NOTE_MAX_LENGTH, HandoffNoteRow, HandoffRow, aware


@dataclass(frozen=True)
class Note:
    """One internal note, detached from the database session."""

    id: int
    handoff_id: int
    staff: str
    staff_name: str
    text: str
    created_at: datetime


def clean_note(text: str) -> str:
    """The note trimmed; ``ValueError`` with a Spanish message when empty or too long."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ValueError("Escribe la nota antes de guardarla.")
    if len(text) > NOTE_MAX_LENGTH:
        raise ValueError(f"La nota es demasiado larga (máximo {NOTE_MAX_LENGTH} caracteres).")
    return text


def add_note(db: Database, handoff: HandoffRow, staff: str, staff_name: str, text: str) -> Note:
    """Keep a note on ``handoff`` (of the staffer's municipality: the caller loaded it scoped)."""
    with db.session() as session:
        row = HandoffNoteRow(
            handoff_id=handoff.id, municipality=handoff.municipality, staff=staff, staff_name=staff_name, text=text
        )
        session.add(row)
        session.flush()
        return Note(row.id, row.handoff_id, row.staff, row.staff_name, row.text, aware(row.created_at))


def notes_for(db: Database, municipality: str, handoff_id: int) -> List[Note]:
    """The notes of one handoff of this municipality, oldest first."""
    with db.session() as session:
        rows = (
            session.execute(
                select(HandoffNoteRow)
                .where(HandoffNoteRow.handoff_id == handoff_id, HandoffNoteRow.municipality == municipality)
                .order_by(HandoffNoteRow.created_at, HandoffNoteRow.id)
            )
            .scalars()
            .all()
        )
        return [Note(r.id, r.handoff_id, r.staff, r.staff_name, r.text, aware(r.created_at)) for r in rows]
