"""Storing requests: unique folios under concurrency, exactly-once submission, history."""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bot.folio import FOLIO_RE
from bot.storage import requests as store
from bot.storage.tables import RequestRow, RequestStatusRow


@pytest.fixture(params=["sqlite", "postgres"])
def db(request):
    return request.getfixturevalue(f"{request.param}_db")


def submit(db, key, municipality="penalolen", code="PEN"):
    return store.submit_request(
        db,
        key=key,
        municipality=municipality,
        code=code,
        procedure="retiro-voluminosos",
        fields={"nombre": "Ana"},
        rut="12345678-5",
        channel="rest",
        sender_id="v1",
    )


def test_submission_stores_request_and_history(db):
    result = submit(db, "k1")
    assert result.created and FOLIO_RE.fullmatch(result.folio) and result.folio.startswith("PEN-")
    with db.session() as session:
        row = session.execute(select(RequestRow)).scalar_one()
        history = session.execute(select(RequestStatusRow)).scalars().all()
    assert row.status == "recibida" and row.fields == {"nombre": "Ana"} and row.rut == "12345678-5"
    assert [(h.status, h.changed_by) for h in history] == [("recibida", "asistente")]


def test_same_key_twice_is_one_request(db):
    first, second = submit(db, "k1"), submit(db, "k1")
    assert first.folio == second.folio and first.created and not second.created
    with db.session() as session:
        assert session.execute(select(func.count(RequestRow.id))).scalar() == 1


def test_folios_unique_under_concurrent_submissions_with_collisions(db, monkeypatch):
    # A tiny folio space forces collisions: the constraint and the retry must resolve them.
    counter = itertools.count()
    lock = threading.Lock()

    def small_folio(code):
        with lock:
            n = next(counter)
        return f"{code}-AAAAA{'23456789'[(n // 2) % 8]}"

    monkeypatch.setattr(store, "new_folio", small_folio)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: submit(db, f"key-{i}"), range(8)))
    folios = [r.folio for r in results]
    assert len(set(folios)) == 8
    with db.session() as session:
        assert session.execute(select(func.count(RequestRow.id))).scalar() == 8


def test_same_key_concurrently_is_still_one_request(db):
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: submit(db, "double-tap"), range(6)))
    assert len({r.folio for r in results}) == 1
    assert sum(r.created for r in results) == 1
    with db.session() as session:
        assert session.execute(select(func.count(RequestRow.id))).scalar() == 1


def test_same_folio_allowed_in_another_municipality(db, monkeypatch):
    monkeypatch.setattr(store, "new_folio", lambda code: "XXX-AAAAAA")
    assert submit(db, "a", municipality="penalolen").created
    assert submit(db, "b", municipality="angol").created
    with pytest.raises(store.FolioExhausted):
        submit(db, "c", municipality="angol")
