"""Writing a new migration: the table changes not yet in one (``python -m bot db revision``)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Optional

from alembic import command

from bot.storage import migrate
from bot.storage.db import Database


def new_revision(
    message: str, database: Optional[Database] = None, autogenerate: bool = True, allow_empty: bool = False
) -> Path:
    """Write ``versions/<NNNN>_<slug>.py`` with the table changes not yet in a migration; returns its path.

    Without ``database`` the comparison runs against a temporary SQLite database migrated to the
    current head, so the result depends only on the code, not on a local database's state.
    Raises ``ValueError`` when autogenerate finds no change and ``allow_empty`` is false.
    """
    rev_id = f"{int(migrate.head_revision()) + 1:04d}"
    with contextlib.ExitStack() as stack:
        if database is None and autogenerate:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            database = Database(f"sqlite:///{Path(folder) / 'migraciones.db'}")
            stack.callback(database.dispose)
        if database is not None:
            migrate.upgrade(database)
            if autogenerate and not allow_empty and not migrate.differences(database):
                raise ValueError(
                    "las tablas no tienen cambios respecto de la última migración; "
                    "use --vacia para escribir una migración a mano"
                )
        script = command.revision(
            migrate.alembic_config(database), message=message, autogenerate=autogenerate, rev_id=rev_id
        )
    migrate.forget_scripts()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
