"""Back-office API tokens: one or more per municipality, stored only as SHA-256.

``create_token`` returns the plain token exactly once; the database keeps its hash,
so a leaked database does not leak usable tokens. A token is looked up by its hash
(no comparison of secrets in Python, hence no timing leak) and stops working as soon
as it is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Optional, Tuple

from sqlalchemy import select, update

from bot.storage.db import Database
from bot.storage.tables import ApiTokenRow, utcnow

NAME_MAX_LENGTH = 120


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(db: Database, municipality: str, name: str) -> str:
    """A new token for ``municipality`` named ``name`` (e.g. "sistema-dom"); returned once, never stored."""
    municipality, name = municipality.strip(), name.strip()
    if not municipality:
        raise ValueError("Falta la municipalidad del token.")
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"El nombre del token debe tener entre 1 y {NAME_MAX_LENGTH} caracteres.")
    token = secrets.token_urlsafe(32)
    with db.session() as session:
        taken = session.execute(
            select(ApiTokenRow.id).where(
                ApiTokenRow.municipality == municipality,
                ApiTokenRow.name == name,
                ApiTokenRow.revoked_at.is_(None),
            )
        ).first()
        if taken:
            raise ValueError(
                f"Ya existe un token vigente llamado '{name}' en {municipality}; revóquelo o use otro nombre."
            )
        session.add(ApiTokenRow(municipality=municipality, name=name, token_hash=hash_token(token)))
    return token


def is_well_formed(token: str) -> bool:
    """Whether ``token`` could be one of ours: printable ASCII only (ours are URL-safe base64)."""
    return bool(token) and token.isascii() and token.isprintable()


def municipality_for_token(db: Database, token: str) -> Optional[Tuple[str, str]]:
    """``(municipality, token name)`` of a valid, non-revoked token; ``None`` otherwise (also for a token
    that is not printable ASCII: HTTP headers can carry bytes that are not valid text)."""
    if not is_well_formed(token):
        return None
    with db.session() as session:
        row = session.execute(
            select(ApiTokenRow.municipality, ApiTokenRow.name).where(
                ApiTokenRow.token_hash == hash_token(token),
                ApiTokenRow.revoked_at.is_(None),
            )
        ).first()
    return (row.municipality, row.name) if row else None


def revoke_token(db: Database, municipality: str, name: str) -> int:
    """Revoke the municipality's active tokens with this name; returns how many were revoked."""
    with db.session() as session:
        result = session.execute(
            update(ApiTokenRow)
            .where(
                ApiTokenRow.municipality == municipality.strip(),
                ApiTokenRow.name == name.strip(),
                ApiTokenRow.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0
