"""Registering requests (solicitudes) with a unique folio, exactly once.

``submit_request`` is idempotent on the form's key: a retried webhook or a double
tap returns the folio of the request already stored. The folio is random and
unique per municipality (a database constraint); a collision just draws another.
Everything of one request is written in one transaction: never half a request.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.folio import new_folio
from bot.storage.db import Database
from bot.storage.tables import RequestRow, RequestStatusRow

RECEIVED = "recibida"
FOLIO_ATTEMPTS = 8


class FolioExhausted(RuntimeError):
    """No free folio was found after several draws (practically impossible)."""


@dataclass(frozen=True)
class Submitted:
    """The folio of the request, and whether this call created it."""

    folio: str
    created: bool


def _existing(db: Database, key: str) -> Optional[str]:
    with db.session() as session:
        return session.execute(
            select(RequestRow.folio).where(RequestRow.idempotency_key == key)
        ).scalar_one_or_none()


def submit_request(db: Database, *, key: str, municipality: str, code: str, procedure: str,
                   fields: Dict[str, Any], rut: Optional[str], channel: str, sender_id: str) -> Submitted:
    """Store the request with status "recibida" and its first history entry; returns its folio."""
    folio = _existing(db, key)
    if folio:
        return Submitted(folio, False)
    for _ in range(FOLIO_ATTEMPTS):
        folio = new_folio(code)
        try:
            with db.session() as session:
                row = RequestRow(
                    folio=folio, municipality=municipality, procedure=procedure, fields=fields, rut=rut,
                    channel=channel, sender_id=sender_id, status=RECEIVED, idempotency_key=key,
                )
                session.add(row)
                session.flush()
                session.add(RequestStatusRow(request_id=row.id, status=RECEIVED, changed_by="asistente",
                                             note="Solicitud recibida por el asistente."))
            return Submitted(folio, True)
        except IntegrityError:
            already = _existing(db, key)  # the same request, stored meanwhile by a concurrent call
            if already:
                return Submitted(already, False)
    raise FolioExhausted(f"no se encontró un folio libre para {municipality}")
