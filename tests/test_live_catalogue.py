"""The NLU follows the catalogue loaded in the database: version polling and the atomic swap.

A small trained model (three procedures, a few examples: it fits in a second) stands for the
real one; the database is SQLite or PostgreSQL as several Rasa replicas would share it.
``tests/test_live_catalogue_e2e.py`` does the same with the real assistant and trained model.
"""

import dataclasses
import logging
import threading
import time
from typing import Any, Dict

import pytest

from bot.catalogue.catalogue import Catalogue, Commune
from bot.catalogue.model import Procedure
from bot.matching.classifier import NONE
from bot.matching.communes import CommuneMatcher
from bot.nlu.extractor import STRONG_ALIAS_SCORE, ProcedureResolver
from bot.nlu.live_catalogue import DatabaseCatalogue, LiveCatalogue, Recognisers, catalogue_phrases
from bot.storage.catalogue_store import load_catalogue_into

KEPT = ("permiso-circulacion", "poda-arboles", "patente-comercial")
EXAMPLES = [
    ("cuanto sale el permiso del auto", "permiso-circulacion"),
    ("tengo que pagar lo del auto este año", "permiso-circulacion"),
    ("hay un arbol que toca los cables", "poda-arboles"),
    ("las ramas tapan la luz de la calle", "poda-arboles"),
    ("quiero abrir un negocio de abarrotes", "patente-comercial"),
    ("q papeles piden pa poner un almacen", "patente-comercial"),
    ("hola buenas tardes", NONE),
    ("gracias por todo", NONE),
    ("no entendi nada", NONE),
    ("quiero hablar con una persona", NONE),
]
POOL = Procedure(
    slug="arriendo-piscina",
    name="Arriendo de la piscina municipal",
    category="Organizaciones Comunitarias",
    description="Reserva de la piscina municipal para grupos y organizaciones.",
    requirements=["Cédula de identidad."],
    steps=["Reserva en la oficina."],
    cost="$4.500 por persona",
    place="Oficina de Deportes",
    response_time="3 días hábiles",
    aliases=["arriendo de la piscina", "reservar la piscina", "piscina municipal"],
)


@pytest.fixture(scope="module")
def small(catalogue) -> Catalogue:
    """The repository's catalogue with three procedures and one municipality."""
    town = dataclasses.replace(catalogue.municipalities["angol"], exclude=[], overrides={}, extra=[])
    return Catalogue(
        procedures={slug: catalogue.procedures[slug] for slug in KEPT},
        municipalities={"angol": town},
        communes=catalogue.communes,
        national_holidays=catalogue.national_holidays,
    )


@pytest.fixture(scope="module")
def trained(small):
    """``(recognisers, data)`` as a model trained on ``small`` stores and loads them."""
    data: Dict[str, Any] = {
        **catalogue_phrases(small),
        "sentences": small.procedure_sentences(),
        "texts": [t for t, _ in EXAMPLES],
        "labels": [label for _, label in EXAMPLES],
    }
    resolver = ProcedureResolver(data["phrases"], data["texts"], data["labels"], data["sentences"])
    return Recognisers(resolver, CommuneMatcher([Commune(*c) for c in data["communes"]])), data


@pytest.fixture(params=["sqlite", "postgres"])
def db(request):
    return request.getfixturevalue(f"{request.param}_db")


def live_on(db, trained, poll_seconds: float = 1.0) -> LiveCatalogue:
    recognisers, data = trained
    return LiveCatalogue(recognisers, data, DatabaseCatalogue(db.url), poll_seconds, STRONG_ALIAS_SCORE)


def slugs(recognisers: Recognisers, text: str):
    return [slug for slug, *_ in recognisers.resolver.resolve(text, about_a_procedure=True)]


def with_pool(small: Catalogue) -> Catalogue:
    """``small`` plus a new procedure and a new alias of an existing one."""
    patent = small.procedures["patente-comercial"]
    patent = dataclasses.replace(patent, aliases=[*patent.aliases, "permiso pa mi minimarket"])
    return dataclasses.replace(small, procedures={**small.procedures, "patente-comercial": patent, POOL.slug: POOL})


def test_without_a_database_the_model_is_used_as_trained_and_no_file_is_made(tmp_path, trained):
    missing = tmp_path / "municipal.db"
    live = LiveCatalogue(trained[0], trained[1], DatabaseCatalogue(f"sqlite:///{missing}"), 1.0)
    assert live.refresh() is False
    assert live.current() is trained[0]
    assert not missing.exists()


def test_a_database_with_no_catalogue_loaded_keeps_the_model(db, trained, tmp_path):
    live = live_on(db, trained)
    assert live.refresh() is False
    assert live.current() is trained[0]
    bare = tmp_path / "sin-tablas.db"
    bare.touch()  # a database file without our tables: nothing loaded yet
    assert LiveCatalogue(trained[0], trained[1], DatabaseCatalogue(f"sqlite:///{bare}")).refresh() is False


def test_the_catalogue_it_was_trained_on_keeps_the_trained_recognisers(db, trained, small):
    live = live_on(db, trained)
    load_catalogue_into(db, small, "tests")
    assert live.refresh() is True
    assert live.current().resolver is trained[0].resolver and live.current().communes is trained[0].communes
    assert live.current().fingerprint is not None


def test_a_new_procedure_and_a_new_alias_are_recognised_after_a_load(db, trained, small):
    live = live_on(db, trained)
    load_catalogue_into(db, small, "tests")
    live.refresh()
    before = live.current()
    assert POOL.slug not in slugs(before, "cuanto sale el arriendo de la piscina")
    assert slugs(before, "necesito el permiso pa mi minimarket") != ["patente-comercial"]

    load_catalogue_into(db, with_pool(small), "tests")
    assert live.refresh() is True
    after = live.current()
    assert slugs(after, "cuanto sale el arriendo de la piscina") == [POOL.slug]
    assert slugs(after, "quiero reservar la piscina municipal pal sabado")[0] == POOL.slug
    assert slugs(after, "necesito el permiso pa mi minimarket")[0] == "patente-comercial"
    # What was known still is, the same way.
    for text in ("cuanto cuesta el permiso de circulacion", "hay un arbol a punto de caer", "hola buenas tardes"):
        assert slugs(after, text) == slugs(trained[0], text), text
    # A parse that took the old recognisers keeps a whole, consistent old catalogue.
    assert POOL.slug not in slugs(before, "cuanto sale el arriendo de la piscina")
    assert before.fingerprint != after.fingerprint


def test_a_removed_procedure_is_never_named_again(db, trained, small):
    live = live_on(db, trained)
    assert slugs(trained[0], "hay un arbol que toca los cables") == ["poda-arboles"]
    without = dataclasses.replace(small, procedures={s: p for s, p in small.procedures.items() if s != "poda-arboles"})
    load_catalogue_into(db, without, "tests")
    live.refresh()
    for text in ("hay un arbol que toca los cables", "quiero la poda de arboles", "las ramas tapan la luz de la calle"):
        assert "poda-arboles" not in slugs(live.current(), text), text
    assert slugs(live.current(), "cuanto sale el permiso del auto") == ["permiso-circulacion"]


def test_a_new_commune_alias_is_recognised(db, trained, small):
    live = live_on(db, trained)
    communes = [Commune(c.name, c.region, (*c.aliases, "pnln")) if c.name == "Peñalolén" else c for c in small.communes]
    load_catalogue_into(db, dataclasses.replace(small, communes=communes), "tests")
    assert [m.key for m in trained[0].communes.find("soy de pnln")] == []
    live.refresh()
    assert [m.key for m in live.current().communes.find("soy de pnln")] == ["Peñalolén"]
    assert live.current().resolver is trained[0].resolver  # the procedures did not change


class CountingSource(DatabaseCatalogue):
    """The database, counting what each poll asks."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.fingerprints = self.reads = 0

    def fingerprint(self):
        self.fingerprints += 1
        return super().fingerprint()

    def read(self):
        self.reads += 1
        return super().read()


def test_a_poll_when_nothing_changed_reads_one_row_and_rebuilds_nothing(sqlite_db, trained, small):
    source = CountingSource(sqlite_db.url)
    live = LiveCatalogue(trained[0], trained[1], source, 1.0, STRONG_ALIAS_SCORE)
    load_catalogue_into(sqlite_db, with_pool(small), "tests")
    assert live.refresh() is True
    current = live.current()
    source.fingerprints = source.reads = 0
    for _ in range(5):
        assert live.refresh() is False
    assert (source.fingerprints, source.reads) == (5, 0)
    assert live.current() is current
    load_catalogue_into(sqlite_db, with_pool(small), "tests")  # the same catalogue again: no new version
    assert live.refresh() is False and source.reads == 0


def test_the_background_poll_swaps_in_a_new_load_while_parses_go_on(db, trained, small):
    live = live_on(db, trained, poll_seconds=1.0)
    load_catalogue_into(db, small, "tests")
    live.poll_once()
    live.start()
    seen, stop = [], threading.Event()

    def parse_continuously():
        while not stop.is_set():
            seen.append(tuple(slugs(live.current(), "cuanto sale el arriendo de la piscina")))

    parser = threading.Thread(target=parse_continuously)
    parser.start()
    try:
        load_catalogue_into(db, with_pool(small), "tests")
        loaded = time.monotonic()
        while POOL.slug not in slugs(live.current(), "cuanto sale el arriendo de la piscina"):
            assert time.monotonic() - loaded < 15, "the poll did not pick up the new load"
            time.sleep(0.05)
    finally:
        stop.set()
        parser.join()
        live.stop()
    # Every parse saw one catalogue or the other: nothing else, and never the old one after the new.
    old = tuple(slugs(trained[0], "cuanto sale el arriendo de la piscina"))
    assert old != (POOL.slug,) and set(seen) <= {old, (POOL.slug,)}
    first_new = seen.index((POOL.slug,)) if (POOL.slug,) in seen else len(seen)
    assert all(result == (POOL.slug,) for result in seen[first_new:])


def test_a_failing_database_keeps_the_current_recognisers_and_logs_once(trained, caplog):
    class Broken(DatabaseCatalogue):
        def fingerprint(self):
            raise ConnectionError("la base no responde")

    live = LiveCatalogue(trained[0], trained[1], Broken("sqlite://"), 1.0)
    with caplog.at_level(logging.WARNING, logger="bot.nlu.live_catalogue"):
        live.poll_once()
        live.poll_once()
    assert live.current() is trained[0]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_a_load_during_the_read_is_left_for_the_next_poll(sqlite_db, trained, small):
    class Racing(DatabaseCatalogue):
        calls = 0

        def fingerprint(self):
            Racing.calls += 1
            if Racing.calls == 3:  # the check after the catalogue was read: a load came in meanwhile
                load_catalogue_into(sqlite_db, with_pool(small), "tests")
            return super().fingerprint()

    load_catalogue_into(sqlite_db, small, "tests")
    live = LiveCatalogue(trained[0], trained[1], Racing(sqlite_db.url), 1.0, STRONG_ALIAS_SCORE)
    assert live.refresh() is False  # what was read may mix two loads: not used
    assert live.current() is trained[0]
    assert live.refresh() is True
    assert slugs(live.current(), "cuanto sale el arriendo de la piscina") == [POOL.slug]
