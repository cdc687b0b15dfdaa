"""Keyed hashes (HMAC-SHA256) of identifiers that counters must recognise without storing them.

Rate-limit counters (failed status lookups, failed console logins) must survive
"borra mis datos" and hold no personal data, so they keep ``pseudonym(db, purpose,
value)`` instead of a sender id or an IP address. The key is ``PSEUDONYM_SECRET``;
without it, a random key is generated once and kept in the ``server_secrets`` table
(shared by every replica). With the key set in the environment, a copy of the
database alone cannot map a pseudonym back to a phone number by trying them all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from typing import Dict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.config import settings
from bot.storage.db import Database
from bot.storage.tables import ServerSecretRow

ENV_VAR = "PSEUDONYM_SECRET"
_GENERATED = "pseudonym"
_cache: Dict[str, bytes] = {}
_lock = threading.Lock()


def _stored_secret(db: Database) -> bytes:
    with db.session() as session:
        found = session.execute(select(ServerSecretRow.value).where(ServerSecretRow.name == _GENERATED)).scalar()
    if found:
        return found.encode()
    try:
        with db.session() as session:
            session.add(ServerSecretRow(name=_GENERATED, value=secrets.token_hex(32)))
    except IntegrityError:  # another process stored one at the same time: use theirs
        pass
    with db.session() as session:
        return (
            session.execute(select(ServerSecretRow.value).where(ServerSecretRow.name == _GENERATED))
            .scalar_one()
            .encode()
        )


def secret_key(db: Database) -> bytes:
    """The key of the pseudonyms: ``PSEUDONYM_SECRET``, or the one generated for this database."""
    configured = settings().pseudonym_secret
    if configured:
        return configured.encode("utf-8")
    with _lock:
        if db.url not in _cache:
            _cache[db.url] = _stored_secret(db)
        return _cache[db.url]


def pseudonym(db: Database, purpose: str, value: str) -> str:
    """HMAC-SHA256 (hex) of ``value`` for ``purpose`` (e.g. "consulta", "ip"): stable, not reversible."""
    message = f"{purpose}\x00{value}".encode("utf-8", "surrogatepass")
    return hmac.new(secret_key(db), message, hashlib.sha256).hexdigest()
