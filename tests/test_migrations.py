"""Schema migrations (Alembic) on a fresh SQLite file and on the real PostgreSQL.

The comparison test is the one that catches a change to the tables without a migration:
``compare_metadata`` of the migrated database against ``Base.metadata`` (staff tables
included) must be empty. If it fails, write the migration: ``python -m bot db revision -m "..."``.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, List

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, inspect, text
from sqlalchemy.exc import IntegrityError

from bot.answers.notices import status_notice
from bot.app.cli import main
from bot.storage import migrate, revisions
from bot.storage.db import Database
from tests.conftest import fresh_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path: Path) -> Iterator[Database]:
    """An empty database (no tables at all): a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'municipal.db'}")
        yield db
        db.dispose()
        return
    with fresh_postgres("municipal_mig") as (url,):
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()


def our_tables() -> set:
    return set(migrate.metadata().tables)


def table_names(db: Database) -> set:
    return set(inspect(db.engine).get_table_names())


def schema_differences(db: Database) -> List:
    """Everything autogenerate sees between the database and our metadata, with no table filter."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, migrate.metadata())


def legacy_metadata() -> MetaData:
    """The schema the last release made with ``create_all``: today's tables but ``processed_messages``
    instead of ``inbound_messages``, no index limiting open handoffs (0002), lookup failures per sender id,
    no login failures nor server secrets (0003), usernames unique across municipalities (0004),
    channel buttons without Telegram menus (0005), notices with only their text (0006) and no national
    holidays (0007), no canned responses (0008), no notes, labels nor surveys (0010) and requests without
    attachments (0011)."""
    old = MetaData()
    for table in migrate.metadata().sorted_tables:
        if table.name not in (
            "inbound_messages",
            "lookup_failures",
            "login_failures",
            "server_secrets",
            "staff",
            "channel_buttons",
            "notifications",
            "national_holidays",
            "canned_responses",
            "handoff_notes",
            "labels",
            "handoff_labels",
            "satisfaction_surveys",
        ):
            copy = table.to_metadata(old)
            if table.name == "requests":  # no attachments before 0011
                copy._columns.remove(copy.c.attachments)
            for index in [i for i in copy.indexes if i.name == "uq_handoffs_open_per_sender"]:
                copy.indexes.discard(index)
    staff = migrate.metadata().tables["staff"]
    Table(
        "staff",
        old,
        *[
            Column(
                c.name,
                c.type,
                primary_key=c.primary_key,
                nullable=c.nullable,
                index=c.name == "municipality",
                unique=c.name == "username",
            )
            for c in staff.columns
        ],
    )
    buttons = migrate.metadata().tables["channel_buttons"]
    Table(
        "channel_buttons",
        old,
        *[
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in buttons.columns
            if c.name not in ("menu_id", "question")
        ],
    )
    notifications = migrate.metadata().tables["notifications"]
    Table(
        "notifications",
        old,
        *[
            Column(
                c.name,
                c.type,
                *[ForeignKey(f.target_fullname, ondelete=f.ondelete) for f in c.foreign_keys],
                primary_key=c.primary_key,
                nullable=c.nullable and c.name != "text",
                index=c.index,
            )
            for c in notifications.columns
            if c.name not in ("kind", "variables")
        ],
    )
    Table(
        "lookup_failures",
        old,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("sender_id", String(200), nullable=False, index=True),
        Column("at", staff.c.created_at.type, nullable=False, index=True),
    )
    Table(
        "processed_messages",
        old,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("channel", String(40), nullable=False),
        Column("message_id", String(120), nullable=False),
        Column(
            "received_at", migrate.metadata().tables["inbound_messages"].c.received_at.type, nullable=False, index=True
        ),
    )
    return old


def test_staff_tables_and_inbound_messages_are_in_the_metadata():
    names = our_tables()
    assert {"staff", "staff_sessions", "staff_audit", "nlu_reviews", "inbound_messages"} <= names
    assert "processed_messages" not in names


def test_one_linear_history_with_the_baseline_first():
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    assert script.get_base() == migrate.BASELINE
    assert migrate.head_revision() == script.get_current_head()


def test_upgrade_matches_the_metadata_downgrade_removes_and_upgrade_again(empty_db):
    db = empty_db
    assert migrate.current_revision(db) is None
    assert migrate.upgrade(db) == migrate.head_revision()
    assert migrate.current_revision(db) == migrate.head_revision()
    assert our_tables() <= table_names(db)
    # A table or column added to the models without a migration shows up here.
    assert schema_differences(db) == []
    assert migrate.differences(db) == []

    assert migrate.downgrade(db, "base") is None
    assert table_names(db) & our_tables() == set()
    assert migrate.current_revision(db) is None

    assert migrate.upgrade(db) == migrate.head_revision()
    assert schema_differences(db) == []


def test_comparison_is_not_vacuous(empty_db):
    """A model change without a migration is reported (here: a column the database does not have)."""
    migrate.upgrade(empty_db)
    changed = MetaData()
    for table in migrate.metadata().sorted_tables:
        table.to_metadata(changed)
    changed.tables["communes"].append_column(Column("poblacion", Integer, nullable=True))
    with empty_db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), changed)
    assert [d[0] for d in diffs] == ["add_column"] and diffs[0][3].name == "poblacion"


def test_create_schema_migrates_and_is_idempotent(empty_db):
    empty_db.create_schema()
    empty_db.create_schema()
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    assert schema_differences(empty_db) == []
    with empty_db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_database_made_by_create_all_is_adopted_and_upgraded(empty_db):
    db = empty_db
    legacy_metadata().create_all(db.engine)
    now = datetime.now(timezone.utc)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO communes (name, region, aliases) VALUES ('Angol', 'Araucanía', '')"))
        conn.execute(
            text("INSERT INTO processed_messages (channel, message_id, received_at) VALUES ('telegram', '1', :now)"),
            {"now": now},
        )
    assert migrate.current_revision(db) is None
    with db.engine.connect() as conn:
        assert migrate.is_unversioned_legacy(conn)

    db.create_schema()

    assert migrate.current_revision(db) == migrate.head_revision()
    names = table_names(db)
    assert "inbound_messages" in names and "processed_messages" not in names
    assert schema_differences(db) == []
    with db.engine.connect() as conn:  # data kept
        assert conn.execute(text("SELECT region FROM communes WHERE name = 'Angol'")).scalar() == "Araucanía"
    db.create_schema()  # and nothing more to do
    assert migrate.current_revision(db) == migrate.head_revision()


def test_database_of_an_early_release_gets_the_missing_tables(empty_db):
    """The first releases had only the catalogue tables."""
    early = MetaData()
    for name in ("procedures", "municipalities", "non_municipal_procedures", "communes", "catalogue_versions"):
        migrate.metadata().tables[name].to_metadata(early)
    early.create_all(empty_db.engine)
    migrate.upgrade(empty_db)
    assert our_tables() <= table_names(empty_db)
    assert schema_differences(empty_db) == []


def test_other_tables_in_the_database_are_left_alone(empty_db):
    """Rasa's tracker may share the database: never dropped, never in autogenerate."""
    with empty_db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255))"))
    migrate.upgrade(empty_db)
    assert migrate.differences(empty_db) == []
    migrate.downgrade(empty_db, "base")
    assert "events" in table_names(empty_db)
    assert migrate.current_revision(empty_db) is None


def test_processes_starting_at_once_migrate_once(empty_db):
    """Several processes start together on an empty database: all succeed, one migrates."""
    databases = [Database(empty_db.url) for _ in range(4)]
    barrier = threading.Barrier(len(databases))
    errors: List[str] = []

    def start(db: Database) -> None:
        try:
            barrier.wait()
            db.create_schema()
        except BaseException:  # noqa: BLE001  (reported below)
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=start, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for db in databases:
        db.dispose()
    assert not errors, "\n".join(errors)
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    assert schema_differences(empty_db) == []


def test_new_revision_writes_the_missing_migration(tmp_path, monkeypatch):
    """The developer workflow: change a table, ``db revision``, and the database matches again."""
    folder = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    changed = MetaData()
    for table in migrate.metadata().sorted_tables:
        table.to_metadata(changed)
    changed.tables["communes"].append_column(Column("poblacion", Integer, nullable=True))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", folder)
    monkeypatch.setattr(migrate, "metadata", lambda: changed)
    migrate._script.cache_clear()
    head = migrate.head_revision()
    following = f"{int(head) + 1:04d}"
    try:
        path = revisions.new_revision("agrega poblacion a communes")
        assert path.parent == folder / "versions" and path.name == f"{following}_agrega_poblacion_a_communes.py"
        assert "add_column" in path.read_text() and "poblacion" in path.read_text()
        db = Database(f"sqlite:///{tmp_path / 'dev.db'}")
        assert migrate.upgrade(db) == following
        assert migrate.differences(db) == []
        assert migrate.downgrade(db, head) == head
        assert "poblacion" not in {c["name"] for c in inspect(db.engine).get_columns("communes")}
        db.dispose()
        with pytest.raises(ValueError):  # nothing changed since the new revision
            revisions.new_revision("otra vez")
    finally:
        migrate._script.cache_clear()


# --- Command line -------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'municipal.db'}")
    return tmp_path


def test_cli_upgrade_current_and_init(cli_env, capsys):
    head = migrate.head_revision()
    assert main(["db", "current", "--check"]) == 1
    assert capsys.readouterr().out.startswith("ninguna")
    assert main(["db", "upgrade"]) == 0
    assert f"→ {head}" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "ya estaba al día" in capsys.readouterr().out
    assert main(["db", "current", "--check"]) == 0
    assert capsys.readouterr().out.split()[0] == head
    assert main(["db", "init"]) == 0
    assert f"revisión {head}" in capsys.readouterr().out


def test_cli_init_adopts_a_create_all_database(cli_env, capsys):
    legacy_metadata().create_all(Database(os.environ["DATABASE_URL"]).engine)
    assert main(["db", "init"]) == 0
    assert "Tablas listas" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.split()[0] == migrate.head_revision()


def test_cli_hides_the_password(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://municipal:secreta@127.0.0.1:1/municipal")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert "secreta" not in err and "***" in err


def _add_handoff(conn, sender: str, status: str, when: datetime) -> None:
    conn.execute(
        text(
            "INSERT INTO handoffs (municipality, sender_id, channel, reason, status, created_at) "
            "VALUES ('angol', :sender, 'telegram', 'no_entendido', :status, :when)"
        ),
        {"sender": sender, "status": status, "when": when},
    )


def test_0002_keeps_the_newest_open_handoff_and_forbids_a_second_one(empty_db):
    db = empty_db
    migrate.upgrade(db, "0001")
    now = datetime.now(timezone.utc)
    with db.engine.begin() as conn:  # what two simultaneous takes could leave before 0002
        _add_handoff(conn, "telegram:angol:1", "esperando", now)
        _add_handoff(conn, "telegram:angol:1", "atendiendo", now)
        _add_handoff(conn, "telegram:angol:1", "cerrada", now)
        _add_handoff(conn, "telegram:angol:2", "esperando", now)
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT sender_id, status, outcome FROM handoffs ORDER BY id")).all()
    assert [(r[0][-1], r[1]) for r in rows] == [
        ("1", "desistida"),
        ("1", "atendiendo"),
        ("1", "cerrada"),
        ("2", "esperando"),
    ]
    assert "duplicada" in rows[0][2]
    with pytest.raises(IntegrityError):
        with db.engine.begin() as conn:
            _add_handoff(conn, "telegram:angol:2", "atendiendo", now)
    with db.engine.begin() as conn:  # a closed one next to the open one is fine
        _add_handoff(conn, "telegram:angol:2", "cerrada", now)


def test_0005_keeps_the_buttons_and_leaves_old_rows_without_a_menu(empty_db):
    db = empty_db
    migrate.upgrade(db, "0004")
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO channel_buttons (sender_id, buttons, updated_at) VALUES (:s, :b, :now)"),
            {
                "s": "telegram:angol:1",
                "b": '[{"title": "Sí", "payload": "/afirmar"}]',
                "now": datetime.now(timezone.utc),
            },
        )
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT buttons, menu_id, question FROM channel_buttons")).one()
    assert "/afirmar" in str(row[0]) and row[1] == 0 and row[2] is None
    migrate.downgrade(db, "0004")
    assert {c["name"] for c in inspect(db.engine).get_columns("channel_buttons")} == {
        "sender_id",
        "buttons",
        "updated_at",
    }


def test_0006_keeps_old_notices_text_and_downgrade_writes_the_text_of_new_ones(empty_db):
    db = empty_db
    migrate.upgrade(db, "0005")
    now = datetime.now(timezone.utc)
    insert = text(
        "INSERT INTO notifications (municipality, channel, recipient, text, state, attempts, "
        "next_attempt_at, created_at) VALUES ('angol', 'telegram', 'telegram:angol:1', :text, "
        "'pendiente', 0, :now, :now)"
    )
    with db.engine.begin() as conn:
        conn.execute(insert, {"text": "Tu solicitud ANG-AAAAAA (Poda) cambió a: en terreno.", "now": now})
    migrate.upgrade(db)
    columns = {c["name"]: c for c in inspect(db.engine).get_columns("notifications")}
    assert columns["text"]["nullable"] and columns["kind"]["nullable"] and columns["variables"]["nullable"]
    with db.engine.connect() as conn:
        old = conn.execute(text("SELECT text, kind, variables FROM notifications")).one()
    assert tuple(old) == ("Tu solicitud ANG-AAAAAA (Poda) cambió a: en terreno.", None, None)
    variables = {"folio": "ANG-BBBBBB", "status": "recibida", "procedure": "Poda (árboles)", "note": "Falta foto"}
    with db.engine.begin() as conn:  # as change_status writes it now: no text
        conn.execute(
            text(
                "INSERT INTO notifications (municipality, channel, recipient, kind, variables, state, "
                "attempts, next_attempt_at, created_at) VALUES ('angol', 'telegram', 'telegram:angol:2', "
                "'novedad', :variables, 'pendiente', 0, :now, :now)"
            ),
            {"variables": json.dumps(variables), "now": now},
        )
    migrate.downgrade(db, "0005")
    with db.engine.connect() as conn:
        texts = conn.execute(text("SELECT text FROM notifications ORDER BY id")).scalars().all()
    assert texts == [
        "Tu solicitud ANG-AAAAAA (Poda) cambió a: en terreno.",
        "Hay novedades en tu solicitud ANG-BBBBBB (Poda (árboles)), que sigue en estado: recibida.\nNota: Falta foto",
    ]
    assert status_notice("novedad", variables) == texts[1]  # the application renders the same text
    columns = {c["name"]: c for c in inspect(db.engine).get_columns("notifications")}
    assert "kind" not in columns and "variables" not in columns and not columns["text"]["nullable"]
