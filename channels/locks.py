"""One lock per conversation, so only one worker handles a conversation's messages at a time.

Embedded mode (no Redis) locks files under VAR_DIR/locks/inbox (bot/storage/file_locks.py),
shared by the ``RASA_WORKERS`` processes of one machine. With several Rasa replicas on
several machines the lock lives in Redis, the same server as Rasa's lock store (the
``REDIS_HOST``, ``REDIS_PORT``, ``REDIS_PASSWORD`` and ``REDIS_LOCK_DB`` variables of
deploy/endpoints.prod.yml). A Redis lock has a lease: if its replica dies, the lock
frees itself after ``INBOX_LOCK_LEASE_SECONDS`` (120 by default); a file lock is freed by
the kernel when its process dies.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, Optional

from bot.config import Settings, settings
from bot.storage.file_locks import FileLocks

logger = logging.getLogger(__name__)

LEASE_SECONDS = settings().inbox_lock_lease_seconds  # longer than any turn
KEY_PREFIX = "asistente:conversacion:"


class ConversationLocks:
    """Mutual exclusion per conversation key: in this process, across the processes of one machine
    (``files``) or across replicas through Redis (``redis_client``)."""

    def __init__(
        self,
        redis_client: Optional[Any] = None,
        lease_seconds: float = LEASE_SECONDS,
        files: Optional[FileLocks] = None,
    ) -> None:
        self._redis = redis_client
        self._files = files
        self._lease = lease_seconds
        self._local: Dict[str, asyncio.Lock] = {}
        self._users: Dict[str, int] = {}

    @classmethod
    def from_env(cls, env: Optional[Dict[str, str]] = None) -> "ConversationLocks":
        """Redis locks when ``REDIS_HOST`` is set, file locks under VAR_DIR otherwise."""
        values = settings() if env is None else Settings.from_env(env)
        if not values.redis_host:
            return cls(files=FileLocks(values.var_path / "locks" / "inbox"))
        import redis.asyncio

        client = redis.asyncio.Redis(
            host=values.redis_host,
            port=values.redis_port,
            db=values.redis_lock_db,
            password=values.redis_password or None,
            socket_timeout=5,
            socket_connect_timeout=5,
        )
        return cls(client)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the lock of ``key`` for the duration of the block."""
        if self._files is not None:
            async with self._files.hold(key):
                yield
            return
        if self._redis is None:
            async with self._local_lock(key):
                yield
            return
        lock = self._redis.lock(KEY_PREFIX + key, timeout=self._lease, sleep=0.02)
        await lock.acquire()
        try:
            yield
        finally:
            try:
                await lock.release()
            except Exception:  # the lease expired meanwhile: someone else may hold it now
                logger.warning("el candado de %s venció antes de liberarse", key)

    @asynccontextmanager
    async def _local_lock(self, key: str) -> AsyncIterator[None]:
        lock = self._local.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                self._users.pop(key, None)
                self._local.pop(key, None)

    async def close(self) -> None:
        """Close the Redis connection, if any."""
        if self._redis is not None:
            await self._redis.close()
