"""Canned responses (respuestas predefinidas): a municipality's own texts and the shared ones.

Every function takes the staffer's municipality: reads return that municipality's rows and
the shared ones (``municipality`` NULL); changes touch only that municipality's rows, so an
administrator can never edit or delete another municipality's texts (nor the shared ones,
which the technical team writes with ``create_canned(db, None, ...)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Tuple

from sqlalchemy import or_, select

from bot.storage.db import Database
from bot.storage.tables import (
    CANNED_BODY_MAX_LENGTH,
    CANNED_TITLE_MAX_LENGTH,
    CannedResponseRow,
    aware,
)


@dataclass(frozen=True)
class CannedResponse:
    """One canned response, detached from the database session."""

    id: int
    municipality: Optional[str]
    title: str
    body: str
    created_by: str
    created_at: datetime

    @property
    def shared(self) -> bool:
        """Whether it is offered to every municipality."""
        return self.municipality is None


def _plain(row: CannedResponseRow) -> CannedResponse:
    return CannedResponse(row.id, row.municipality, row.title, row.body, row.created_by, aware(row.created_at))


def clean(title: str, body: str) -> Tuple[str, str]:
    """``(title, body)`` trimmed and checked; ``ValueError`` with a Spanish message when not valid."""
    title = " ".join(title.split())
    body = body.replace("\r\n", "\n").strip()
    if not title:
        raise ValueError("Escribe un título para la respuesta.")
    if len(title) > CANNED_TITLE_MAX_LENGTH:
        raise ValueError(f"El título es demasiado largo (máximo {CANNED_TITLE_MAX_LENGTH} caracteres).")
    if not body:
        raise ValueError("Escribe el texto de la respuesta.")
    if len(body) > CANNED_BODY_MAX_LENGTH:
        raise ValueError(f"El texto es demasiado largo (máximo {CANNED_BODY_MAX_LENGTH} caracteres).")
    return title, body


def list_canned(db: Database, municipality: str) -> List[CannedResponse]:
    """The municipality's canned responses and the shared ones, by title."""
    with db.session() as session:
        rows = session.execute(
            select(CannedResponseRow)
            .where(or_(CannedResponseRow.municipality == municipality, CannedResponseRow.municipality.is_(None)))
            .order_by(CannedResponseRow.title, CannedResponseRow.id)
        ).scalars()
        return [_plain(r) for r in rows]


def get_canned(db: Database, municipality: str, canned_id: int) -> Optional[CannedResponse]:
    """One canned response the municipality may use (its own or a shared one), or ``None``."""
    with db.session() as session:
        row = session.get(CannedResponseRow, canned_id)
        if row is None or row.municipality not in (municipality, None):
            return None
        return _plain(row)


def create_canned(db: Database, municipality: Optional[str], title: str, body: str, by: str) -> CannedResponse:
    """Add a canned response (``municipality`` ``None``: shared); ``ValueError`` if not valid."""
    title, body = clean(title, body)
    with db.session() as session:
        row = CannedResponseRow(municipality=municipality, title=title, body=body, created_by=by)
        session.add(row)
        session.flush()
        return _plain(row)


def update_canned(db: Database, municipality: str, canned_id: int, title: str, body: str) -> Optional[CannedResponse]:
    """Change one of the municipality's own canned responses; ``None`` if it has no such row."""
    title, body = clean(title, body)
    with db.session() as session:
        row = session.get(CannedResponseRow, canned_id)
        if row is None or row.municipality != municipality:
            return None
        row.title, row.body = title, body
        session.flush()
        return _plain(row)


def delete_canned(db: Database, municipality: str, canned_id: int) -> Optional[CannedResponse]:
    """Delete one of the municipality's own canned responses; the deleted one, or ``None``."""
    with db.session() as session:
        row = session.get(CannedResponseRow, canned_id)
        if row is None or row.municipality != municipality:
            return None
        found = _plain(row)
        session.delete(row)
        return found
