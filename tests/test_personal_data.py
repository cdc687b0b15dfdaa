"""The declaration of personal data (bot/storage/personal_data.py) covers every table, and retention
erases what it declares (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.handoff.transcript import TranscriptReader
from bot.storage import migrate
from bot.storage.personal_data import ERASED, POLICIES, delete_older_than, policy_for
from bot.storage.requests import change_status, get_request, submit_request
from bot.storage.tables import NotificationRow, RequestRow, RequestStatusRow, utcnow


def test_every_table_and_column_of_our_metadata_is_classified():
    tables = migrate.metadata().tables
    declared = [p.table for p in POLICIES]
    assert len(declared) == len(set(declared)), "a table is declared twice"
    assert sorted(set(tables) - set(declared)) == [], "tables without a personal-data declaration"
    assert sorted(set(declared) - set(tables)) == [], "declarations of tables that do not exist"
    for name, table in tables.items():
        policy = policy_for(name)
        columns = {c.name for c in table.columns}
        assert not set(policy.personal) & set(policy.other), name
        assert set(policy.personal) | set(policy.other) == columns, (
            f"{name}: unclassified {sorted(columns - set(policy.personal) - set(policy.other))}"
        )
        if policy.personal:  # erased on deletion and on retention, or the reason why not
            assert (policy.on_deletion and policy.on_retention) or policy.why_kept, name
        else:
            assert not policy.on_deletion and not policy.on_retention, name


def test_the_classification_is_not_vacuous():
    """The columns that obviously hold personal data are declared as such."""
    personal = {(p.table, c) for p in POLICIES for c in p.personal}
    assert {
        ("requests", "rut"),
        ("requests", "sender_id"),
        ("requests", "fields"),
        ("request_status_history", "note"),
        ("request_status_history", "changed_by"),
        ("notifications", "text"),
        ("notifications", "variables"),
        ("notifications", "recipient"),
        ("handoffs", "form_data"),
        ("staff_messages", "text"),
        ("inbound_messages", "payload"),
        ("staff", "name"),
    } <= personal
    for name in ("lookup_failures", "login_failures"):
        assert "sender_id" not in migrate.metadata().tables[name].columns  # counters keep no sender id


@pytest.fixture(params=["sqlite", "postgres"])
def db(request):
    return request.getfixturevalue(f"{request.param}_db")


def test_retention_erases_old_closed_requests_notes_and_notices_and_keeps_open_ones(db, tmp_path):
    reader = TranscriptReader(f"sqlite:///{tmp_path / 'rasa.db'}")
    make = dict(municipality="penalolen", code="PEN", procedure="retiro-voluminosos", channel="whatsapp")
    old = submit_request(
        db, key="old", fields={"nombre": "Rosa Díaz"}, rut="12345678-5", sender_id="wa:rosa", **make
    ).folio
    still_open = submit_request(
        db, key="open", fields={"nombre": "Luis Soto"}, rut="11111111-1", sender_id="wa:luis", **make
    ).folio
    change_status(db, "penalolen", old, "resuelta", "Retirado; habló con Rosa al 9 7311 2468", "oirs (Juan Soto)")
    change_status(db, "penalolen", still_open, "en_revision", "Llamar a Luis al 9 7000 1111", "oirs (Juan Soto)")
    long_ago = utcnow() - timedelta(days=200)
    with db.session() as session:
        for model in (RequestRow, RequestStatusRow, NotificationRow):
            column = model.updated_at if model is RequestRow else model.created_at
            session.execute(update(model).values({column: long_ago}).execution_options(synchronize_session=False))
        session.execute(update(RequestRow).where(RequestRow.folio == still_open).values(updated_at=long_ago))
    counts = delete_older_than(db, reader, 180)
    assert counts["solicitudes_anonimizadas"] == 1 and counts["historial_anonimizado"] == 2
    erased = get_request(db, "penalolen", old)
    assert erased["rut"] is None and erased["fields"] == {} and erased["status"] == "resuelta"
    assert all(h["note"] == "" and h["changed_by"] == ERASED for h in erased["history"])
    kept = get_request(db, "penalolen", still_open)  # still being processed: the municipality needs it
    assert kept["rut"] == "11111111-1" and any("Luis" in h["note"] for h in kept["history"])
    with db.session() as session:
        assert session.execute(select(NotificationRow)).first() is None  # both notices were 200 days old
    again = delete_older_than(db, reader, 180)
    assert again["solicitudes_anonimizadas"] == 0 and again["historial_anonimizado"] == 0
