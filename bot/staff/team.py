"""What a municipality's administrator changes on its staff: activation, role and password reset.

Every change is scoped to one municipality (another municipality's staffer is "not found") and
never leaves it without an active administrator (``LastAdmin``): the municipality's active
administrators are locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writes one at a time)
before counting them, so two administrators demoting each other at once cannot both succeed.
Deactivating a staffer or resetting their password ends their sessions in the same transaction.
Audit entries are the caller's (it knows who acted).
"""

from __future__ import annotations

from typing import List, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.staff.accounts import ROLES, Staffer, get_staff
from bot.staff.passwords import check_password, hash_password
from bot.storage.db import Database
from bot.storage.tables import SessionRow, StaffRow

LAST_ADMIN_MESSAGE = (
    "La municipalidad no puede quedar sin un administrador activo. Antes de quitarle el rol o desactivar "
    "a esta persona, nombra administrador a otra persona del equipo."
)


class LastAdmin(ValueError):
    """The change would leave the municipality without an active administrator (Spanish message)."""

    def __init__(self) -> None:
        super().__init__(LAST_ADMIN_MESSAGE)


def _active_admins(session: Session, municipality: str) -> List[int]:
    """Ids of the municipality's active administrators, locked until the transaction ends."""
    return list(
        session.execute(
            select(StaffRow.id)
            .where(StaffRow.municipality == municipality, StaffRow.role == "admin", StaffRow.active.is_(True))
            .with_for_update()
        ).scalars()
    )


def _row(session: Session, municipality: str, staff_id: int) -> Optional[StaffRow]:
    return session.execute(
        select(StaffRow).where(StaffRow.id == staff_id, StaffRow.municipality == municipality).with_for_update()
    ).scalar_one_or_none()


def _end_sessions(session: Session, staff_id: int) -> None:
    session.execute(
        delete(SessionRow).where(SessionRow.staff_id == staff_id).execution_options(synchronize_session=False)
    )


def is_last_admin(db: Database, staffer: Staffer) -> bool:
    """Whether ``staffer`` is the only active administrator of their municipality."""
    with db.session() as session:
        return _active_admins(session, staffer.municipality) == [staffer.id]


def deactivate_staff(db: Database, municipality: str, staff_id: int) -> Optional[Staffer]:
    """Deactivate a staffer of this municipality and end their sessions; ``None`` if not found there.

    Raises ``LastAdmin`` for the municipality's only active administrator.
    """
    with db.session() as session:
        admins = _active_admins(session, municipality)
        row = _row(session, municipality, staff_id)
        if row is None:
            return None
        if admins == [row.id]:
            raise LastAdmin()
        row.active = False
        _end_sessions(session, row.id)
        session.flush()
        return Staffer.from_row(row)


def reactivate_staff(db: Database, municipality: str, staff_id: int) -> Optional[Staffer]:
    """Let a deactivated staffer of this municipality log in again (same password); ``None`` if not found."""
    with db.session() as session:
        row = _row(session, municipality, staff_id)
        if row is None:
            return None
        row.active = True
        session.flush()
        return Staffer.from_row(row)


def change_role(db: Database, municipality: str, staff_id: int, role: str) -> Optional[Staffer]:
    """Make a staffer of this municipality ``agente`` or ``admin``; ``None`` if not found there.

    Raises ``ValueError`` for an unknown role and ``LastAdmin`` when demoting the only active administrator.
    """
    if role not in ROLES:
        raise ValueError(f"Rol no válido: use {' o '.join(ROLES)}.")
    with db.session() as session:
        admins = _active_admins(session, municipality)
        row = _row(session, municipality, staff_id)
        if row is None:
            return None
        if role != "admin" and admins == [row.id]:
            raise LastAdmin()
        row.role = role
        session.flush()
        return Staffer.from_row(row)


def reset_password(db: Database, municipality: str, staff_id: int, password: str) -> Optional[Staffer]:
    """Give a staffer of this municipality a temporary password and end their sessions; ``None`` if not found.

    The password follows the same rules as any other (``ValueError``, Spanish message); the staffer
    logs in with it and must choose their own before using the console.
    """
    target = get_staff(db, municipality, staff_id)
    if target is None:
        return None
    check_password(password, target.personal_words)
    hashed = hash_password(password, temporary=True)
    with db.session() as session:
        row = _row(session, municipality, staff_id)
        if row is None:
            return None
        row.password_hash = hashed
        _end_sessions(session, row.id)
        session.flush()
        return Staffer.from_row(row)
