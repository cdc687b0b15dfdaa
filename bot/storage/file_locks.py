"""Locks shared by the processes of one machine, without Redis: ``flock`` on files in a folder.

The Rasa worker processes of ``RASA_WORKERS`` (bot/app/rasa_worker.py) share VAR_DIR; a key's
lock is an exclusive ``flock`` on one of ``STRIPES`` files there (keys hashed onto them, so the
folder never grows; two keys on one file just wait for each other). The kernel frees a lock
when its process dies, so a killed worker never leaves a conversation locked. Within a process
the waiters of a file queue on an asyncio lock (in order), and only its holder polls the file.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Dict

STRIPES = 1024
POLL_SECONDS = 0.005  # while another process holds the file


class FileLocks:
    """Mutual exclusion per key among the tasks of this process and the processes sharing ``directory``."""

    def __init__(self, directory: Path, poll_seconds: float = POLL_SECONDS) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._poll = poll_seconds
        self._local: Dict[int, asyncio.Lock] = {}
        self._users: Dict[int, int] = {}

    def stripe_of(self, key: str) -> int:
        """The file number ``key`` locks."""
        return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") % STRIPES

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the lock of ``key`` for the duration of the block."""
        stripe = self.stripe_of(key)
        lock = self._local.setdefault(stripe, asyncio.Lock())
        self._users[stripe] = self._users.get(stripe, 0) + 1
        try:
            async with lock:
                fd = os.open(self.directory / f"{stripe:04d}.lock", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    while True:
                        try:
                            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                            break
                        except BlockingIOError:
                            await asyncio.sleep(self._poll)
                    yield
                finally:
                    os.close(fd)  # closing the file releases the flock
        finally:
            self._users[stripe] -= 1
            if not self._users[stripe]:
                self._users.pop(stripe, None)
                self._local.pop(stripe, None)
