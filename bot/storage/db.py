"""Database engine and short-lived sessions.

One ``Database`` per process holds the engine (a connection pool); every unit of
work opens its own session with ``db.session()`` and closes it at the end, so no
session is ever shared between requests or threads.

A SQLite file is opened through a pool of kept connections (``sqlite_pool_options``),
not SQLAlchemy 1.4's default of a new connection per session: opening one costs
~1.6 ms of CPU (the file, the PRAGMAs, the schema parsed again), and a turn opens
about ten (README "Rendimiento").
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Dict, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool


def sqlite_pool_options(url: Any) -> Dict[str, Any]:
    """``create_engine`` options that keep the connections of a SQLite *file* open in a pool.

    Each pooled connection is used by one thread at a time, but by any thread (the event loop and
    ``asyncio.to_thread`` workers), hence ``check_same_thread=False``. Empty for other databases
    and for in-memory SQLite (SQLAlchemy's own pool keeps that one per thread).
    """
    parsed = make_url(str(url)) if not hasattr(url, "get_backend_name") else url
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return {}
    return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}


class Database:
    """An engine plus a session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        # hide_parameters: a database error logged with its traceback must not quote what a citizen wrote.
        # A pooled connection to a server may have dropped: pinged before use. A SQLite file's cannot (no server),
        # and the ping is a statement more per session, about ten a turn.
        kwargs: Dict[str, Any] = {
            "future": True,
            "pool_pre_ping": not url.startswith("sqlite"),
            "hide_parameters": True,
        }
        if url.startswith("sqlite"):
            kwargs.update(sqlite_pool_options(url))
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", sqlite_pragmas)
        self._sessions = sessionmaker(bind=self.engine, future=True, expire_on_commit=False)

    def create_schema(self) -> None:
        """Bring our tables, the staff console's included, to the newest migration.

        Idempotent and safe when several processes start at once; a database made
        earlier by ``create_all`` is adopted (see ``bot.storage.migrate``).
        """
        from bot.storage.migrate import upgrade

        upgrade(self)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def sqlite_pragmas(connection, _record) -> None:
    """On each new SQLite connection: WAL (readers and writers of several processes side by side),
    foreign keys, and waiting up to 15 s for a lock held by another connection."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()
