"""Schema migrations of our own tables (Alembic, configured in code: no ``alembic.ini``).

``upgrade(db)`` brings a database to the newest revision; ``Database.create_schema()`` calls
it, so every process migrates on start. It is idempotent and safe when several processes
start at once: the work runs under a lock (``pg_advisory_xact_lock`` on PostgreSQL, a lock
file next to the database on SQLite) and the revision is read again once the lock is held.
On PostgreSQL the whole upgrade is one transaction: a failed migration leaves nothing
half done.

A database created before migrations existed (by ``create_all``: our tables but no
``alembic_version``) is adopted: the baseline revision ``0001`` creates the tables it
lacks, drops the obsolete ``processed_messages`` and records ``0001``; newer revisions
then run as usual. Tables of others (Rasa's tracker may share a PostgreSQL database) are
never touched and are ignored by autogenerate.

Adding a migration: change the tables, then ``python -m bot db revision -m "..."``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, make_url

if TYPE_CHECKING:  # pragma: no cover
    from bot.storage.db import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
BASELINE = "0001"
# Tables that versions before the baseline created and that no longer exist.
OBSOLETE_TABLES = ("processed_messages",)
# Key of the PostgreSQL advisory lock held while migrating (any constant bigint; this is "municipa").
ADVISORY_LOCK_KEY = 0x6D756E6963697061


def metadata() -> MetaData:
    """Every table of ours (``bot.storage.tables``, the staff console's included)."""
    from bot.storage.tables import Base

    return Base.metadata


def include_object(obj: Any, name: Optional[str], type_: str, reflected: bool, compare_to: Any) -> bool:
    """Autogenerate looks only at our tables: a table in the database but not in our metadata
    (Rasa's ``events``, another application's) is never proposed for dropping."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    return True


def context_options(dialect_name: str) -> Dict[str, Any]:
    """Options of every migration context (``env.py``, comparisons)."""
    return {
        "target_metadata": metadata(),
        "version_table": VERSION_TABLE,
        "render_as_batch": dialect_name == "sqlite",  # SQLite alters tables by copying them
        "compare_type": True,
        "include_object": include_object,
    }


def alembic_config(database: Optional["Database"] = None, connection: Optional[Connection] = None) -> Config:
    """An Alembic configuration in code; ``env.py`` uses ``connection``, else ``database``,
    else ``DATABASE_URL``."""
    cfg = Config(cmd_opts=argparse.Namespace(quiet=True))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["database"] = database
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision of ``bot/storage/migrations/versions``."""
    head = _script().get_current_head()
    assert head is not None, "no migrations found"
    return head


def _current(connection: Connection) -> Optional[str]:
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def current_revision(database: "Database") -> Optional[str]:
    """The revision recorded in the database, or ``None`` (empty, or made before migrations)."""
    with database.engine.connect() as connection:
        return _current(connection)


def is_unversioned_legacy(connection: Connection) -> bool:
    """Whether the database has tables of ours but no revision (made by ``create_all``)."""
    names = set(inspect(connection).get_table_names())
    if VERSION_TABLE in names:
        return False
    return bool(names & (set(metadata().tables) | set(OBSOLETE_TABLES)))


def upgrade(database: "Database", revision: str = "head") -> Optional[str]:
    """Migrate ``database`` to ``revision`` (the newest by default); returns the revision reached."""
    target = head_revision() if revision == "head" else revision
    # SQLite: the file lock comes before the first connection, because the first connections to a
    # new file race to switch it to WAL and SQLite then answers "database is locked" at once.
    with _sqlite_file_lock(database.url), database.engine.connect() as connection:
        if _current(connection) == target:  # the usual start: nothing to do
            return target
        connection.rollback()
        with _postgres_lock(connection):
            if is_unversioned_legacy(connection):
                log.warning(
                    "la base de datos no tiene historial de migraciones (creada con create_all): "
                    "se adopta en la revisión %s y se actualiza",
                    BASELINE,
                )
            command.upgrade(alembic_config(database, connection), revision)
            connection.commit()
            reached = _current(connection)
    log.info("base de datos en la revisión %s", reached)
    return reached


def downgrade(database: "Database", revision: str) -> Optional[str]:
    """Migrate ``database`` down to ``revision`` (``"base"``: none of our tables); returns the revision."""
    with _migration_lock(database) as connection:
        command.downgrade(alembic_config(database, connection), revision)
        connection.commit()
        return _current(connection)


def stamp(database: "Database", revision: str) -> None:
    """Record ``revision`` without running anything (for a schema known to match it)."""
    with _migration_lock(database) as connection:
        command.stamp(alembic_config(database, connection), revision)
        connection.commit()


def differences(database: "Database") -> List[Any]:
    """What autogenerate would put in a new migration: our metadata against the database."""
    from alembic.autogenerate import compare_metadata

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=context_options(connection.dialect.name))
        return compare_metadata(context, metadata())


def forget_scripts() -> None:
    """Read the migrations folder again (after a new revision was written)."""
    _script.cache_clear()


@contextlib.contextmanager
def _migration_lock(database: "Database") -> Iterator[Connection]:
    """A connection of the only process migrating this database; the others wait, then find it done."""
    with _sqlite_file_lock(database.url), database.engine.connect() as connection, _postgres_lock(connection):
        yield connection


@contextlib.contextmanager
def _postgres_lock(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, ``pg_advisory_xact_lock``: held until the transaction that runs the migrations
    commits or rolls back (nothing elsewhere)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    yield


@contextlib.contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``<database file>.migrate.lock`` (nothing for other databases and
    in-memory ones)."""
    path = make_url(url).database if url.startswith("sqlite") else None
    try:
        import fcntl
    except ImportError:  # pragma: no cover  (not POSIX: no cross-process lock)
        fcntl = None  # type: ignore[assignment]
    if not path or path == ":memory:" or path.startswith("file:") or fcntl is None:
        yield
        return
    lock_path = os.path.abspath(path) + ".migrate.lock"
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
