"""Rasa's lock store for one machine: the conversation locks live in files under VAR_DIR/locks/rasa.

Rasa locks a conversation while it runs a turn or changes it through its HTTP API. Its
in-memory store only excludes within one process; with ``RASA_WORKERS`` processes (embedded
mode, no Redis) this store makes the lock common to all of them (bot/storage/file_locks.py).
Production with replicas on several machines uses Rasa's Redis store (deploy/endpoints.prod.yml).

endpoints.yml::

    lock_store:
      type: bot.storage.lock_store.FileLockStore
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockStore

from bot.config import settings
from bot.storage.file_locks import FileLocks


class FileLockStore(LockStore):
    """A ``LockStore`` whose ``lock`` is a file lock shared by the processes using the same VAR_DIR."""

    def __init__(self, endpoint_config: Optional[Any] = None) -> None:
        super().__init__()
        self.files = FileLocks(settings().var_path / "locks" / "rasa")

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold ``conversation_id``'s lock for the block (no lifetime: a dead process's lock is freed)."""
        async with self.files.hold(conversation_id):
            yield TicketLock(conversation_id)

    # Rasa's ticket bookkeeping is not used: ``lock`` above never issues tickets.
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        """No stored tickets (see ``lock``)."""
        return None

    def delete_lock(self, conversation_id: Text) -> None:
        """Nothing stored to delete."""

    def save_lock(self, lock: TicketLock) -> None:
        """Nothing to store."""
