"""Staff accounts of one municipality: creation, listing, login (authentication) and a staffer's change
of their own password. What an administrator changes on others (role, activation, password reset) is
``bot.staff.team``.

Failed logins, and wrong current passwords when changing one's own, are counted per client and per
account (``bot.storage.login_limits``) and audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import select

from bot.staff.audit import record_audit
from bot.staff.passwords import check_password, hash_password, is_temporary, verify_password
from bot.storage import login_limits
from bot.storage.db import Database
from bot.storage.tables import USERNAME_MAX_LENGTH, StaffRow, utcnow

ROLES = ("agente", "admin")
_DUMMY_HASH: Optional[str] = None


@dataclass(frozen=True)
class Staffer:
    """A staffer as the console sees them (never the password hash)."""

    id: int
    municipality: str
    username: str
    name: str
    role: str
    active: bool
    must_change_password: bool = False  # logged in with a temporary password set by an administrator

    @property
    def is_admin(self) -> bool:
        """Whether the staffer manages the municipality's team."""
        return self.role == "admin"

    @classmethod
    def from_row(cls, row: StaffRow) -> "Staffer":
        """The staffer of a ``StaffRow``."""
        return cls(
            row.id,
            row.municipality,
            row.username,
            row.name,
            row.role,
            bool(row.active),
            is_temporary(row.password_hash or ""),
        )

    @property
    def personal_words(self) -> tuple:
        """What a password of this staffer must not be built from (username, name, municipality)."""
        return (self.username, self.name, self.municipality)


def create_staff(
    db: Database, municipality: str, username: str, name: str, password: str, role: str = "agente"
) -> Staffer:
    """A new active staffer; raises ``ValueError`` (Spanish message) on bad or taken data."""
    municipality, username, name = municipality.strip(), username.strip().lower(), " ".join(name.split())
    if not municipality:
        raise ValueError("Falta la municipalidad.")
    if not username or len(username) > USERNAME_MAX_LENGTH or not all(c.isalnum() or c in "._-" for c in username):
        raise ValueError(f"El usuario debe tener entre 1 y {USERNAME_MAX_LENGTH} letras, números, '.', '_' o '-'.")
    if not name or len(name) > 120:
        raise ValueError("El nombre debe tener entre 1 y 120 caracteres.")
    if role not in ROLES:
        raise ValueError(f"Rol no válido: use {' o '.join(ROLES)}.")
    check_password(password, (username, name, municipality))
    hashed = hash_password(password)
    with db.session() as session:
        if session.execute(
            select(StaffRow.id).where(StaffRow.municipality == municipality, StaffRow.username == username)
        ).first():
            raise ValueError(f"El usuario '{username}' ya existe en esta municipalidad.")
        row = StaffRow(
            municipality=municipality, username=username, name=name, role=role, password_hash=hashed, active=True
        )
        session.add(row)
        session.flush()
        return Staffer.from_row(row)


def create_first_admin(db: Database, municipality: str, username: str, name: str, password: str) -> Staffer:
    """The municipality's first administrator; refuses (``ValueError``) when it already has an active one."""
    with db.session() as session:
        exists = session.execute(
            select(StaffRow.id).where(
                StaffRow.municipality == municipality.strip(), StaffRow.role == "admin", StaffRow.active.is_(True)
            )
        ).first()
    if exists:
        raise ValueError(
            f"La municipalidad '{municipality}' ya tiene un administrador; "
            "los demás usuarios se crean desde la consola (Equipo)."
        )
    return create_staff(db, municipality, username, name, password, role="admin")


def list_staff(db: Database, municipality: str) -> List[Staffer]:
    """The municipality's staff, active first, by username."""
    with db.session() as session:
        rows = (
            session.execute(
                select(StaffRow)
                .where(StaffRow.municipality == municipality)
                .order_by(StaffRow.active.desc(), StaffRow.username)
            )
            .scalars()
            .all()
        )
        return [Staffer.from_row(r) for r in rows]


def get_staff(db: Database, municipality: str, staff_id: int) -> Optional[Staffer]:
    """The staffer ``staff_id`` of this municipality (active or not), or ``None`` (also for another one's)."""
    with db.session() as session:
        row = session.execute(
            select(StaffRow).where(StaffRow.id == staff_id, StaffRow.municipality == municipality)
        ).scalar_one_or_none()
        return Staffer.from_row(row) if row is not None else None


class TooManyAttempts(ValueError):
    """Logins from this client (or to this account) must wait; the message is for the user (Spanish)."""


def authenticate(
    db: Database, municipality: str, username: str, password: str, client: str = "", now: Optional[datetime] = None
) -> Optional[Staffer]:
    """The active staffer of ``municipality`` with these credentials, or ``None``.

    ``client`` is the client's IP address: failures are counted per client and per account
    (``bot.storage.login_limits``) and audited; raises ``TooManyAttempts`` while a limit holds.
    """
    global _DUMMY_HASH
    now = now or utcnow()
    municipality = municipality.strip().lower()[:80]
    username = username.strip().lower()[:USERNAME_MAX_LENGTH]
    minutes = int(login_limits.WINDOW.total_seconds() // 60)
    if login_limits.client_throttled(db, client, now):
        raise TooManyAttempts(
            f"Hubo demasiados intentos fallidos desde este equipo. Espera {minutes} minutos y vuelve a intentarlo."
        )
    with db.session() as session:
        row = session.execute(
            select(StaffRow).where(StaffRow.municipality == municipality, StaffRow.username == username)
        ).scalar_one_or_none()
    if row is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
        verify_password(password, _DUMMY_HASH)  # the same work as for a real user: no timing hint
        login_limits.record_failure(db, municipality, username, client, now)
        return None
    if login_limits.account_locked(db, municipality, username, now):
        record_audit(db, username, row.municipality, "ingreso_bloqueado", target=username)
        raise TooManyAttempts(
            f"Esta cuenta recibió demasiados intentos fallidos. Espera {minutes} minutos o "
            "pide ayuda a un administrador de tu municipalidad."
        )
    if not verify_password(password, row.password_hash) or not row.active:
        login_limits.record_failure(db, municipality, username, client, now)
        record_audit(
            db,
            username,
            row.municipality,
            "ingreso_fallido",
            target=username,
            detail=None if row.active else "usuario desactivado",
        )
        return None
    return Staffer.from_row(row)


def change_own_password(
    db: Database, staffer: Staffer, current: str, new: str, client: str = "", now: Optional[datetime] = None
) -> Staffer:
    """Change a staffer's own password (``current`` required); the new one is not temporary.

    Raises ``ValueError`` (Spanish message) when ``current`` is wrong (counted like a failed login:
    ``TooManyAttempts`` while a limit holds), ``new`` is refused or is the same. Other sessions are
    the caller's to end (``bot.staff.sessions.end_other_sessions``).
    """
    now = now or utcnow()
    minutes = int(login_limits.WINDOW.total_seconds() // 60)
    if login_limits.client_throttled(db, client, now) or login_limits.account_locked(
        db, staffer.municipality, staffer.username, now
    ):
        raise TooManyAttempts(f"Hubo demasiados intentos fallidos. Espera {minutes} minutos y vuelve a intentarlo.")
    with db.session() as session:
        stored = session.execute(select(StaffRow.password_hash).where(StaffRow.id == staffer.id)).scalar_one()
    if not verify_password(current, stored):
        login_limits.record_failure(db, staffer.municipality, staffer.username, client, now)
        record_audit(db, staffer.username, staffer.municipality, "cambio_clave_fallido", target=staffer.username)
        raise ValueError("La contraseña actual no es correcta.")
    if new == current:
        raise ValueError("La contraseña nueva debe ser distinta de la actual.")
    check_password(new, staffer.personal_words)
    hashed = hash_password(new)
    with db.session() as session:
        row = session.get(StaffRow, staffer.id)
        row.password_hash = hashed
        session.flush()
        changed = Staffer.from_row(row)
    record_audit(db, staffer.username, staffer.municipality, "cambiar_clave", target=staffer.username)
    return changed
