"""Limits on failed console logins: per client (IP address) and per account.

An attacker's failures throttle the attacker: after ``CLIENT_MAX_FAILURES`` failed logins
from one client (any account) within ``WINDOW``, that client must wait. An account is
locked only after ``ACCOUNT_MAX_FAILURES`` failures from all clients together (guessing
spread over many addresses), a number one client cannot reach alone, so nobody can lock a
staffer out from a single machine. Clients are stored as keyed hashes
(``bot.storage.pseudonyms``), never as addresses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, func, select

from bot.storage.db import Database
from bot.storage.pseudonyms import pseudonym
from bot.storage.tables import LoginFailureRow, utcnow

WINDOW = timedelta(minutes=15)
CLIENT_MAX_FAILURES = 10
ACCOUNT_MAX_FAILURES = 50
USERNAME_MAX_LENGTH = 60  # LoginFailureRow.username


def client_key(db: Database, client: str) -> str:
    """The keyed hash under which a client's address is counted."""
    return pseudonym(db, "ip-consola", client or "desconocido")


def record_failure(db: Database, municipality: str, username: str, client: str, now: Optional[datetime] = None) -> None:
    """Count one failed login of ``username`` in ``municipality`` from ``client``."""
    key = client_key(db, client)
    with db.session() as session:
        session.add(
            LoginFailureRow(
                municipality=municipality[:80],
                username=username[:USERNAME_MAX_LENGTH],
                client_key=key,
                at=now or utcnow(),
            )
        )


def client_throttled(db: Database, client: str, now: Optional[datetime] = None) -> bool:
    """Whether this client failed too many logins recently (it must wait before trying again)."""
    since = (now or utcnow()) - WINDOW
    key = client_key(db, client)
    with db.session() as session:
        session.execute(
            delete(LoginFailureRow)
            .where(LoginFailureRow.at < since - WINDOW)
            .execution_options(synchronize_session=False)
        )
        return (
            session.execute(
                select(func.count(LoginFailureRow.id)).where(
                    LoginFailureRow.client_key == key, LoginFailureRow.at >= since
                )
            ).scalar_one()
            >= CLIENT_MAX_FAILURES
        )


def account_locked(db: Database, municipality: str, username: str, now: Optional[datetime] = None) -> bool:
    """Whether this account failed too many logins recently, from all clients together."""
    since = (now or utcnow()) - WINDOW
    with db.session() as session:
        return (
            session.execute(
                select(func.count(LoginFailureRow.id)).where(
                    LoginFailureRow.municipality == municipality,
                    LoginFailureRow.username == username,
                    LoginFailureRow.at >= since,
                )
            ).scalar_one()
            >= ACCOUNT_MAX_FAILURES
        )
