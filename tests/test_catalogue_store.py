"""The catalogue in the database (SQLite and PostgreSQL) and the action server's cache."""

import pytest

from bot.storage.catalogue_store import CatalogueCache, fingerprint, load_catalogue_into, read_catalogue


@pytest.fixture(params=["sqlite", "postgres"])
def db(request):
    return request.getfixturevalue(f"{request.param}_db")


def test_load_and_read_back_is_identical(db, catalogue):
    assert load_catalogue_into(db, catalogue, "tests") is True
    stored = read_catalogue(db)
    assert fingerprint(stored) == fingerprint(catalogue)
    assert stored.procedure_for("penalolen", "derechos-aseo") == catalogue.procedure_for("penalolen", "derechos-aseo")
    assert len(stored.national_holidays) == 32 and stored.national_holidays == catalogue.national_holidays
    assert stored.holidays_for("angol") == catalogue.holidays_for("angol")


def test_second_identical_load_changes_nothing(db, catalogue):
    load_catalogue_into(db, catalogue, "tests")
    assert load_catalogue_into(db, catalogue, "tests") is False


def test_cache_sees_a_new_load(db, catalogue):
    cache = CatalogueCache(db, refresh_seconds=0)
    with pytest.raises(LookupError):
        cache.get()
    load_catalogue_into(db, catalogue, "tests")
    assert "angol" in cache.get().municipalities
    smaller = type(catalogue)(
        procedures=catalogue.procedures,
        municipalities={"angol": catalogue.municipalities["angol"]},
        non_municipal=catalogue.non_municipal,
        communes=catalogue.communes,
    )
    load_catalogue_into(db, smaller, "tests")
    assert set(cache.get().municipalities) == {"angol"}
