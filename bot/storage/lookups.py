"""Limiting failed folio + RUT lookups, so folios and RUTs cannot be guessed.

Three counters over the last hour, all kept in ``lookup_failures`` without personal
data (the conversation only as a keyed hash), so neither a new chat nor "borra mis
datos" resets them:

- per conversation: ``SENDER_MAX_FAILURES`` failed lookups, then that chat waits;
- per folio: ``FOLIO_MAX_FAILURES`` failed lookups of one folio from any chat, then
  that folio cannot be looked up by folio + RUT (its own chat still sees it);
- per municipality: ``MUNICIPALITY_MAX_FAILURES`` failed lookups from all chats
  together, then folio + RUT lookups pause for the whole municipality.

A blocked attempt is not counted; a folio that does not exist counts like one that
does, so a block says nothing about whether the folio exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, func, select

from bot.storage.db import Database
from bot.storage.pseudonyms import pseudonym
from bot.storage.tables import LookupFailureRow, utcnow

SENDER_MAX_FAILURES = 5
FOLIO_MAX_FAILURES = 5
MUNICIPALITY_MAX_FAILURES = 100  # folios are 6 of 31 characters: about 9 million hours to try them all
WINDOW = timedelta(hours=1)
FOLIO_MAX_LENGTH = 16  # LookupFailureRow.folio

BLOCKED_SENDER = "conversacion"
BLOCKED_FOLIO = "folio"
BLOCKED_MUNICIPALITY = "municipalidad"


def _sender_key(db: Database, sender_id: str) -> str:
    return pseudonym(db, "consulta-estado", sender_id)


def _folio(folio: str) -> str:
    return (folio or "").strip().upper()[:FOLIO_MAX_LENGTH]


def record_failure(db: Database, municipality: str, sender_id: str, folio: str, now: Optional[datetime] = None) -> None:
    """Count one failed lookup of ``folio`` in ``municipality`` from this conversation."""
    sender_key = _sender_key(db, sender_id)
    with db.session() as session:
        session.add(
            LookupFailureRow(municipality=municipality, folio=_folio(folio), sender_key=sender_key, at=now or utcnow())
        )


def blocked(
    db: Database, municipality: str, sender_id: str, folio: Optional[str] = None, now: Optional[datetime] = None
) -> Optional[str]:
    """Why a folio + RUT lookup must wait (``BLOCKED_*``), or ``None`` when it may go ahead.

    Without ``folio`` only the conversation's counter is checked (before anything else is asked).
    """
    since = (now or utcnow()) - WINDOW
    recent = LookupFailureRow.at >= since
    sender_key = _sender_key(db, sender_id)  # before the session: the key may need its own first write
    with db.session() as session:
        session.execute(
            delete(LookupFailureRow)
            .where(LookupFailureRow.at < since - WINDOW)
            .execution_options(synchronize_session=False)
        )

        def count(*conditions) -> int:
            return session.execute(select(func.count(LookupFailureRow.id)).where(recent, *conditions)).scalar()

        if count(LookupFailureRow.sender_key == sender_key) >= SENDER_MAX_FAILURES:
            return BLOCKED_SENDER
        if folio is None:
            return None
        if (
            count(LookupFailureRow.municipality == municipality, LookupFailureRow.folio == _folio(folio))
            >= FOLIO_MAX_FAILURES
        ):
            return BLOCKED_FOLIO
        if count(LookupFailureRow.municipality == municipality) >= MUNICIPALITY_MAX_FAILURES:
            return BLOCKED_MUNICIPALITY
    return None
