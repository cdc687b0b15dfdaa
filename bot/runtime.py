"""Process-wide services of a long-running process: the database and the catalogue cache.

Created lazily once per process (the action server, the Rasa server's channels, the
web app); each unit of work still opens its own short session. Blocking calls run
in a worker thread so no event loop waits on the database.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any, Callable, Optional, TypeVar

from bot.catalogue.catalogue import Catalogue
from bot.config import database_url, settings
from bot.storage.catalogue_store import CatalogueCache
from bot.storage.db import Database

T = TypeVar("T")

_lock = threading.Lock()
_database: Optional[Database] = None
_catalogue: Optional[CatalogueCache] = None


def database() -> Database:
    """The process's database (engine and session factory), tables created."""
    global _database
    with _lock:
        if _database is None:
            db = Database(database_url())
            try:
                db.create_schema()
            except BaseException:  # not kept half-made: the next call migrates again
                db.dispose()
                raise
            _database = db
        return _database


def catalogue_cache() -> CatalogueCache:
    """The process's catalogue cache."""
    global _catalogue
    db = database()
    with _lock:
        if _catalogue is None:
            _catalogue = CatalogueCache(db, settings().catalogue_refresh_seconds)
        return _catalogue


def reset() -> None:
    """Forget the services (tests point them at another database)."""
    global _database, _catalogue
    with _lock:
        if _database is not None:
            _database.dispose()
        _database, _catalogue = None, None


async def run_blocking(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking work (database, files) in a worker thread."""
    return await asyncio.to_thread(functools.partial(func, *args, **kwargs))


async def current_catalogue() -> Catalogue:
    """The current catalogue, read without blocking the event loop."""
    return await run_blocking(lambda: catalogue_cache().get())
