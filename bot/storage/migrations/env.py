"""Alembic environment, configured in code by ``bot.storage.migrate`` (no ``alembic.ini``).

The connection comes from ``config.attributes["connection"]`` (``migrate.upgrade`` passes one
that already holds the migration lock), else from ``config.attributes["database"]``, else
from ``DATABASE_URL``. SQLite uses batch mode (``render_as_batch``) so that columns can be
altered and dropped.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.migrate import context_options

config = context.config


def run_migrations_offline() -> None:
    """``--sql``: write the SQL instead of running it."""
    from bot.config import database_url

    database = config.attributes.get("database")
    url = database.url if database is not None else database_url()
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **context_options("sqlite" if dialect == "sqlite" else dialect),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **context_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)  # the caller commits
        return
    from bot.config import database_url
    from bot.storage.db import Database

    database = config.attributes.get("database")
    own = database is None
    if own:
        database = Database(database_url())
    try:
        with database.engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        if own:
            database.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
