"""Console logins (sessions): create, check, expire and log out.

The browser gets a random token once; only its SHA-256 is stored, with a CSRF token. A session
ends ``CONSOLE_SESSION_MINUTES`` (480) after login or after ``CONSOLE_IDLE_MINUTES`` (60) unused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Tuple

from sqlalchemy import delete, or_, select

from bot.config import settings
from bot.staff.accounts import Staffer
from bot.staff.audit import record_audit
from bot.storage.db import Database
from bot.storage.tables import SessionRow, StaffRow, aware, utcnow

TOUCH_EVERY = timedelta(seconds=60)  # how often a used session's last_seen_at is written


def session_lifetime() -> timedelta:
    """How long a login lasts (``CONSOLE_SESSION_MINUTES``, default 480)."""
    return timedelta(minutes=settings().console_session_minutes)


def idle_limit() -> timedelta:
    """How long a login lasts unused (``CONSOLE_IDLE_MINUTES``, default 60)."""
    return timedelta(minutes=settings().console_idle_minutes)


@dataclass(frozen=True)
class StaffSession:
    """A valid login: the staffer and the CSRF token of their forms."""

    staffer: Staffer
    csrf_token: str
    expires_at: datetime


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(db: Database, staffer: Staffer, now: Optional[datetime] = None) -> Tuple[str, StaffSession]:
    """A new login: ``(token for the cookie, session)``; the token itself is never stored."""
    now = now or utcnow()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + session_lifetime()
    with db.session() as session:
        session.add(
            SessionRow(
                id=_token_id(token),
                staff_id=staffer.id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                expires_at=expires,
            )
        )
    record_audit(db, staffer.username, staffer.municipality, "ingreso")
    return token, StaffSession(staffer, csrf, expires)


def get_session(db: Database, token: str, now: Optional[datetime] = None) -> Optional[StaffSession]:
    """The valid session of a cookie token (and marks it used), or ``None`` if unknown, expired or idle."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    with db.session() as session:
        found = session.execute(
            select(SessionRow, StaffRow)
            .join(StaffRow, StaffRow.id == SessionRow.staff_id)
            .where(SessionRow.id == _token_id(token))
        ).first()
        if found is None:
            return None
        row, staff = found
        if aware(row.expires_at) <= now or aware(row.last_seen_at) + idle_limit() <= now or not staff.active:
            session.delete(row)
            return None
        if now - aware(row.last_seen_at) >= TOUCH_EVERY:
            row.last_seen_at = now
        return StaffSession(Staffer.from_row(staff), row.csrf_token, aware(row.expires_at))


def expire_sessions(db: Database, now: Optional[datetime] = None) -> int:
    """Delete expired and idle sessions; returns how many."""
    now = now or utcnow()
    with db.session() as session:
        return (
            session.execute(
                delete(SessionRow)
                .where(or_(SessionRow.expires_at <= now, SessionRow.last_seen_at <= now - idle_limit()))
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )


def end_other_sessions(db: Database, staff_id: int, token: str) -> int:
    """End every session of a staffer but the one of this cookie token; returns how many ended."""
    with db.session() as session:
        return (
            session.execute(
                delete(SessionRow)
                .where(SessionRow.staff_id == staff_id, SessionRow.id != _token_id(token or ""))
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )


def logout(db: Database, token: str) -> None:
    """End the session of this cookie token."""
    with db.session() as session:
        session.execute(delete(SessionRow).where(SessionRow.id == _token_id(token or "")))
