"""Limiting failed folio + RUT lookups per conversation (no guessing of folios)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from bot.storage.db import Database
from bot.storage.tables import LookupFailureRow, utcnow

MAX_FAILURES = 5
WINDOW = timedelta(hours=1)


def record_failure(db: Database, sender_id: str) -> None:
    """Count one failed lookup."""
    with db.session() as session:
        session.add(LookupFailureRow(sender_id=sender_id))


def is_blocked(db: Database, sender_id: str) -> bool:
    """Whether this conversation failed too many lookups in the last hour."""
    since = utcnow() - WINDOW
    with db.session() as session:
        session.execute(delete(LookupFailureRow).where(LookupFailureRow.at < since - WINDOW))
        count = session.execute(select(func.count(LookupFailureRow.id)).where(
            LookupFailureRow.sender_id == sender_id, LookupFailureRow.at >= since)).scalar()
    return count >= MAX_FAILURES
