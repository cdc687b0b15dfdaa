"""bot/rasa_internals/: written for one Rasa version, and each use of Rasa's private parts still works.

Every test here runs Rasa's own code (or compares with it), so it fails when an upgrade moves,
renames or changes what a module leans on, or when one of our patches stops applying.
"""

import copy
import inspect
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
import yaml
from jsonschema import ValidationError
from rasa.core.actions.action import Action, RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

import bot.rasa_internals as rasa_internals
from bot.config import PROJECT_ROOT
from bot.rasa_internals import speedups, without_tensorflow
from bot.rasa_internals.action_failures import ACTION_FAILURE_LOG, PROCESSOR_LOGGER, watch_failed_actions
from bot.rasa_internals.events_table import RASA_EVENTS
from bot.rasa_internals.tracker_store import RasaSQLTrackerStore
from tests.conftest import MODEL_PATH

# --- The version --------------------------------------------------------------------------------------


def test_written_for_the_installed_rasa():
    assert rasa_internals.RASA_VERSION == "3.6.21" == rasa_internals.installed_rasa_version()
    rasa_internals.check_rasa_version()
    requirements = (PROJECT_ROOT / "requirements.txt").read_text()
    assert f"rasa=={rasa_internals.RASA_VERSION}\n" in requirements


def test_another_rasa_version_is_refused_naming_both():
    with pytest.raises(rasa_internals.RasaVersionError) as refused:
        rasa_internals.check_rasa_version("3.7.0")
    assert "Rasa 3.7.0" in str(refused.value) and "Rasa 3.6.21" in str(refused.value)


def test_a_process_with_another_rasa_does_not_start():
    """Importing any module of the package checks the version (the Rasa server imports ``speedups``)."""
    code = "import importlib.metadata as m; m.version = lambda name: '3.6.22'; import bot.rasa_internals.speedups"
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert run.returncode != 0
    assert "RasaVersionError" in run.stderr and "Rasa 3.6.22" in run.stderr and "Rasa 3.6.21" in run.stderr


# --- Speed-ups: same answers as Rasa's, and really in place -------------------------------------------

RESPONSES = [
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hola"}]},
    {"events": [], "responses": []},
    {},
    {"events": "no es una lista"},
    {"events": [{"sin_tipo": 1}]},
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": "no es una lista"},
    {"events": [{"event": "no_existe"}]},
    {"events": [{"event": "action", "name": 3}]},
]


@pytest.fixture
def patched(monkeypatch):
    """Apply the speed-ups for one test and undo them afterwards; returns Rasa's originals."""
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.utils.endpoints import EndpointConfig

    original_validate = RemoteAction._validate_action_result
    original_resolve = Event.resolve_by_type
    assert not getattr(original_validate, "_cached_validator", False)
    assert not getattr(original_resolve, "_cached", False)
    monkeypatch.setattr(RemoteAction, "_validate_action_result", original_validate)
    monkeypatch.setattr(Event, "resolve_by_type", original_resolve)
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)
    monkeypatch.setattr(LogisticRegressionClassifier, "_create_X", LogisticRegressionClassifier._create_X)
    monkeypatch.setattr(DaskGraphRunner, "run", DaskGraphRunner.run)
    monkeypatch.delenv("RASA_SPEEDUPS", raising=False)
    speedups.apply_speedups()
    return original_validate, original_resolve


def outcome(validate, action, response):
    try:
        return validate(action, response)
    except ValidationError as error:
        return ("ValidationError", error.message, list(error.path))


def test_action_responses_are_validated_as_rasa_does(patched):
    original_validate, _ = patched
    action = RemoteAction("accion_prueba", None)
    assert RemoteAction._validate_action_result is not original_validate
    for response in RESPONSES:
        assert outcome(RemoteAction._validate_action_result, action, response) == outcome(
            original_validate, action, response
        ), response
    assert action._validate_action_result(RESPONSES[0]) is True
    for invalid in RESPONSES[3:5]:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(invalid)


def every_kind_of_event():
    """One realistic event of each kind Rasa knows, as an action server sends it."""
    from rasa.shared.core import events as rasa_events

    made = [
        UserUttered(
            "hola",
            {"name": "saludo", "confidence": 0.9},
            [{"entity": "comuna", "value": "Maipú", "start": 0, "end": 5, "extractor": None}],
            {"intent": {"name": "saludo", "confidence": 0.9}, "intent_ranking": [], "text": "hola"},
            input_channel="whatsapp",
            message_id="m1",
        ),
        ActionExecuted("action_saludar", policy="RulePolicy", confidence=1.0),
        SlotSet("municipio", "maipu"),
        SlotSet("lista", ["a", 1, None]),
        rasa_events.EntitiesAdded([{"entity": "rut", "value": "1-9"}]),
        rasa_events.UserUtteranceReverted(),
        rasa_events.ActionReverted(),
        rasa_events.Restarted(),
        rasa_events.AllSlotsReset(),
        rasa_events.ActiveLoop("formulario_tramite"),
        rasa_events.ActiveLoop(None),
        rasa_events.LoopInterrupted(True),
        rasa_events.ActionExecutionRejected("accion", policy="RulePolicy"),
        rasa_events.FollowupAction("action_listen"),
        rasa_events.ConversationPaused(),
        rasa_events.ConversationResumed(),
        rasa_events.BotUttered("¿Sí?", {"buttons": [{"title": "Sí", "payload": "/afirmar"}]}, {"m": 1}),
        rasa_events.SessionStarted(),
        rasa_events.StoryExported(),
        rasa_events.AgentUttered("texto"),
        rasa_events.ReminderCancelled("recordatorio"),
    ]
    return [event.as_dict() for event in made]


def mutated(event):
    """Variants of ``event`` that Rasa's schema may or may not accept: wrong types, missing keys."""
    yield {key: value for key, value in event.items() if key != "event"}
    yield {**event, "event": "no_existe"}
    yield {**event, "event": 7}
    yield {**event, "timestamp": "ayer"}
    yield {**event, "metadata": []}
    for key, value in event.items():
        if key in ("event", "timestamp", "metadata"):
            continue
        yield {key2: v for key2, v in event.items() if key2 != key}
        for wrong in (3, "texto", None, [], {}, True):
            if wrong != value:
                yield {**event, key: wrong}


def test_every_event_kind_and_its_variants_validate_as_in_rasa(patched):
    """The per-kind check never accepts what Rasa's whole schema rejects, nor the reverse."""
    original_validate, _ = patched
    action = RemoteAction("accion_prueba", None)
    events = every_kind_of_event()
    responses = [{"events": [event]} for event in events]
    responses += [{"events": events, "responses": [{"text": "hola", "buttons": []}]}]
    responses += [{"events": [variant]} for event in events for variant in mutated(event)]
    responses += [{"events": [events[0], variant]} for variant in mutated(events[2])]
    responses += [[], "texto", None, {"events": None}, {"responses": [1]}, {"events": [None]}, {"events": [[]]}]
    accepted = 0
    for response in responses:
        ours = outcome(RemoteAction._validate_action_result, action, response)
        assert ours == outcome(original_validate, action, response), response
        accepted += ours is True
    assert 40 < accepted < len(responses) - 100  # both kinds of answer are well represented


def test_a_valid_response_is_not_checked_against_every_event_kind(patched, monkeypatch):
    from jsonschema import exceptions

    action = RemoteAction("accion_prueba", None)
    action._validate_action_result(RESPONSES[0])  # builds the validators
    monkeypatch.setattr(exceptions, "best_match", lambda errors: pytest.fail("went through the whole schema"))
    assert action._validate_action_result({"events": every_kind_of_event(), "responses": [{"text": "hola"}]})


def test_the_patched_validation_no_longer_calls_jsonschema_validate(patched, monkeypatch):
    import jsonschema

    original_validate, _ = patched
    calls = []
    real = jsonschema.validate
    monkeypatch.setattr(jsonschema, "validate", lambda *a, **k: calls.append(1) or real(*a, **k))
    action = RemoteAction("accion_prueba", None)
    original_validate(action, RESPONSES[0])
    assert calls == [1]  # Rasa's own still does (the reason for the patch)
    action._validate_action_result(RESPONSES[0])
    assert calls == [1]


def test_event_classes_are_the_ones_rasa_finds_and_are_remembered(patched, monkeypatch):
    import rasa.shared.utils.common as common

    _, original_resolve = patched
    names = {cls.type_name for cls in all_subclasses(Event) if getattr(cls, "type_name", None)}
    assert len(names) > 20
    found = {name: original_resolve(name) for name in names}
    for name in sorted(names):
        assert Event.resolve_by_type(name) is found[name]
    monkeypatch.setattr(common, "all_subclasses", lambda cls: pytest.fail("walked the Event subclasses again"))
    for name in sorted(names):
        assert Event.resolve_by_type(name) is found[name]  # remembered


def test_unknown_event_names_behave_as_in_rasa(patched):
    assert Event.resolve_by_type("no_existe", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_existe")


def test_rasa_speedups_0_leaves_rasa_untouched(monkeypatch):
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.utils.endpoints import EndpointConfig

    targets = [
        (RemoteAction, "_validate_action_result"),
        (Event, "resolve_by_type"),
        (EndpointConfig, "session"),
        (LogisticRegressionClassifier, "_create_X"),
        (DaskGraphRunner, "run"),
    ]
    before = [vars(owner)[name] for owner, name in targets]
    for owner, name in targets:
        monkeypatch.setattr(owner, name, vars(owner)[name])
    monkeypatch.setenv("RASA_SPEEDUPS", "0")
    speedups.apply_speedups()
    assert [vars(owner)[name] for owner, name in targets] == before


def test_action_server_calls_carry_the_same_request_over_one_kept_connection(monkeypatch):
    """What the action server receives (method, path, query, headers, body) with and without the speed-up;
    with it, consecutive calls share one TCP connection, and a connection idle too long is not reused."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from bot.app.devtools.standins import free_port

    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)
    monkeypatch.setattr(speedups, "KEEPALIVE_SECONDS", 0.3)
    port = free_port()
    received = []

    async def webhook(request):
        received.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "headers": {k: request.headers.get(k) for k in ("Content-Type", "X-Actions-Token", "Authorization")},
                "body": await request.json(),
                "connection": request.transport.get_extra_info("peername")[1],
            }
        )
        return web.json_response({"events": [], "responses": [{"text": "hola"}]})

    tracker = {"events": every_kind_of_event(), "slots": {"municipio": "maipú/ñuñoa", "lista": [1.5, None, True]}}
    body = {"next_action": "action_saludar", "sender_id": "whatsapp:+56911111111", "tracker": tracker}

    async def calls(pause: float = 0.0):
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        endpoint = EndpointConfig(
            f"http://127.0.0.1:{port}/webhook",
            headers={"X-Actions-Token": "secreto"},
            basic_auth={"username": "u", "password": "p"},
            params={"a": "1"},
        )
        answers = []
        try:
            for _ in range(2):
                answers.append(await endpoint.request(json=body, method="post", timeout=5))
                await asyncio.sleep(pause)
        finally:
            await runner.cleanup()
        return answers

    rasas = asyncio.run(calls())
    by_rasa, received[:] = list(received), []
    speedups.speed_up_endpoint_connections()
    assert asyncio.run(calls()) == rasas == [{"events": [], "responses": [{"text": "hola"}]}] * 2
    kept, received[:] = list(received), []
    strip = [{k: v for k, v in r.items() if k != "connection"} for r in by_rasa]
    assert [{k: v for k, v in r.items() if k != "connection"} for r in kept] == strip
    assert strip[0]["headers"]["X-Actions-Token"] == "secreto" and strip[0]["query"] == {"a": "1"}
    assert by_rasa[0]["connection"] != by_rasa[1]["connection"]  # Rasa: a new connection per call
    assert kept[0]["connection"] == kept[1]["connection"]  # kept
    asyncio.run(calls(pause=0.5))  # idle longer than KEEPALIVE_SECONDS: a new connection
    assert received[0]["connection"] != received[1]["connection"]


def test_request_bodies_are_the_json_values_rasa_writes():
    """``request_json`` and ``json.dumps`` read back alike; what ujson refuses gets json's output or error."""
    import json

    from rasa.shared.core.trackers import EventVerbosity

    tracker = conversation()
    for event in every_kind_of_event():
        tracker.update(Event.from_parameters(event))
    values = [
        {"next_action": "accion", "tracker": tracker.current_state(EventVerbosity.ALL), "domain": None},
        {"texto": 'é/\u2028😀 "comillas"', "n": [0.1 + 0.2, -0.0, 1e300, 2**70, float("inf"), float("nan")]},
        {1: "a", None: True, 2.5: False, "t": (1, 2)},
    ]
    for value in values:
        text = speedups.request_json(value)
        assert repr(json.loads(text)) == repr(json.loads(json.dumps(value)))  # repr: NaN compares unequal
    assert speedups.request_json(2**70 * 2**70) == json.dumps(2**70 * 2**70)  # too big for ujson: json's
    for refused in ({"a": {1, 2}}, b"x"):
        with pytest.raises(TypeError):
            json.dumps(refused)
        with pytest.raises(TypeError):
            speedups.request_json(refused)


def test_a_patch_whose_target_rasa_renamed_fails_loudly():
    class Renamed:
        pass

    with pytest.raises(AttributeError, match="rasa_internals/speedups.py"):
        speedups._replace(Renamed, "_validate_action_result", lambda self: None)
    assert not hasattr(Renamed, "_validate_action_result")


# --- Failed actions, as Rasa's processor reports them -------------------------------------------------


async def test_a_failed_action_is_noticed_from_what_rasas_processor_logs(monkeypatch):
    from unittest.mock import AsyncMock, MagicMock

    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import MessageProcessor

    class Failing(Action):
        def name(self):
            return "accion_que_falla"

        async def run(self, *args, **kwargs):
            raise RuntimeError("el action server no responde")

    noticed = []
    logger = logging.getLogger(PROCESSOR_LOGGER)
    monkeypatch.setattr(logger, "handlers", list(logger.handlers))
    watch_failed_actions(lambda: noticed.append("accion"))
    watch_failed_actions(lambda: noticed.append("accion"))  # installed once
    processor = MagicMock(spec=MessageProcessor)
    processor.domain = Domain.empty()
    processor.execute_side_effects = AsyncMock()
    tracker = DialogueStateTracker("vecino", [])
    await MessageProcessor._run_action(
        processor, Failing(), tracker, MagicMock(), MagicMock(), PolicyPrediction([1.0], "regla")
    )
    assert noticed == ["accion"]
    assert ACTION_FAILURE_LOG in inspect.getsource(MessageProcessor._run_action)


# --- Where Rasa's server keeps its agent --------------------------------------------------------------


def test_the_agent_is_found_where_rasas_server_puts_it():
    from types import SimpleNamespace

    import rasa.server

    from bot.rasa_internals.server import agent_of

    assert "app.ctx.agent = agent" in inspect.getsource(rasa.server.create_app)
    agent = object()
    assert agent_of(SimpleNamespace(ctx=SimpleNamespace(agent=agent))) is agent
    assert agent_of(SimpleNamespace(ctx=SimpleNamespace())) is None and agent_of(None) is None


# --- Rasa's events table, declared again --------------------------------------------------------------


def test_the_events_table_is_declared_as_rasa_declares_it():
    rasa_table = SQLTrackerStore.SQLEvent.__table__
    assert RASA_EVENTS.name == rasa_table.name == "events"
    ours = {c.name: (type(c.type), getattr(c.type, "length", None), c.primary_key) for c in RASA_EVENTS.columns}
    theirs = {c.name: (type(c.type), getattr(c.type, "length", None), c.primary_key) for c in rasa_table.columns}
    assert ours == theirs


# --- The NLU classifier's feature matrix --------------------------------------------------------------


def test_a_message_whose_features_do_not_fit_gets_no_intent(tmp_path: Path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.intent_classifier import IntentClassifier
    from bot.rasa_internals.nlu import fits_model

    def message(text, features=None, intent=None):
        made = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
        if features is not None:
            made.add_features(Features(np.array([features]), "sentence", TEXT, "prueba"))
        return made

    classifier = IntentClassifier.create(
        IntentClassifier.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("clasificador"),
        ExecutionContext(GraphSchema({}), "prueba"),
    )
    assert fits_model(classifier, message(""))  # not fitted yet
    examples = [message("hola", [1.0, 0.0], "saludo"), message("chao", [0.0, 1.0], "despedida")]
    classifier.train(TrainingData(examples * 3))
    assert fits_model(classifier, message("hola", [1.0, 0.0])) and not fits_model(classifier, message(""))
    hello, empty = classifier.process([message("hola", [1.0, 0.0]), message("")])
    assert hello.get(INTENT)["name"] == "saludo" and empty.get(INTENT) == {"name": None, "confidence": 0.0}


# --- The tracker store's private parts ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    made = RasaSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    yield made
    made.engine.dispose()


def conversation(sender="vecino"):
    tracker = DialogueStateTracker(sender, [])
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hola", {"name": "saludo", "confidence": 1.0}),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    return tracker


async def test_the_events_to_save_are_those_rasa_picks(store):
    tracker = conversation()
    await store.save(tracker)
    tracker.update(UserUttered("gracias", {"name": "agradecer", "confidence": 1.0}))
    with store.session_scope() as session:
        rasas = list(SQLTrackerStore._additional_events(store, session, tracker))
        ours = list(store._additional_events(session, tracker))
    assert ours == rasas and [e.as_dict() for e in ours][-1]["text"] == "gracias"
    assert inspect.signature(SQLTrackerStore._additional_events).parameters.keys() == {"self", "session", "tracker"}
    assert "self._additional_events(session, tracker)" in inspect.getsource(SQLTrackerStore.save)


async def test_the_stored_version_counts_the_latest_session_and_is_read_off_the_event_loop(store, monkeypatch):
    assert await store.read_stored_version("vecino") == (0, None)
    tracker = conversation()
    await store.save(tracker)
    count, newest = await store.read_stored_version("vecino")
    rebuilt = await store.retrieve("vecino")
    assert count == len(rebuilt.events) == len(tracker.events) - 1 and newest == len(tracker.events)
    threads = []
    real = store.stored_version
    monkeypatch.setattr(
        store, "stored_version", lambda sender: threads.append(threading.current_thread()) or real(sender)
    )
    await store.read_stored_version("vecino")
    assert threads and threads[0] is not threading.main_thread()


def _rasas_version(store, sender):
    """(count, newest id) of Rasa's own ``_event_query`` for the latest session."""
    with store.session_scope() as session:
        query = store._event_query(session, sender, fetch_events_from_all_sessions=False)
        ids = [event.id for event in query]
        assert query.count() == len(ids)
    return len(ids), max(ids) if ids else None


async def test_the_latest_session_count_is_the_one_of_rasas_query(store, monkeypatch):
    """The Core count equals Rasa's ORM query: no session, one, several (the same timestamp too), other senders."""
    monkeypatch.delenv("RASA_SPEEDUPS", raising=False)
    senders = ["vecino", "otro", "sin_sesion", "dos_sesiones", "mismo_instante", "nadie"]
    await store.save(conversation("vecino"))
    await store.save(conversation("otro"))
    plain = DialogueStateTracker("sin_sesion", [])
    for event in (ActionExecuted("action_listen"), UserUttered("hola", {"name": "saludo", "confidence": 1.0})):
        plain.update(event)
    await store.save(plain)
    twice = conversation("dos_sesiones")
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        twice.update(event)
    await store.save(twice)
    same = conversation("mismo_instante")
    stamp = same.events[-1].timestamp
    for event in (SessionStarted(timestamp=stamp), ActionExecuted("action_listen", timestamp=stamp - 1)):
        same.update(event)
    await store.save(same)
    for sender in senders:
        ours = store.stored_version(sender)
        assert ours == _rasas_version(store, sender), sender
        with store.session_scope() as session:
            assert store.latest_session_version(session, sender) == ours
    assert store.stored_version("dos_sesiones")[0] == 2 and store.stored_version("sin_sesion")[0] == 2
    assert store.stored_version("nadie") == (0, None)
    monkeypatch.setenv("RASA_SPEEDUPS", "0")  # Rasa's query itself: the same figures
    assert [store.stored_version(s) for s in senders] == [_rasas_version(store, s) for s in senders]


def _stored_rows(store):
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(store.SQLEvent.__table__).order_by("id"))]


async def test_saved_rows_are_the_ones_rasas_save_writes(tmp_path, monkeypatch):
    """Every kind of event, saved turn by turn for two senders: the same rows (ids, columns, JSON text) as
    Rasa's own ``save``, with one INSERT per turn instead of one ORM object per event."""
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    starts = {sender: [e.as_dict() for e in conversation(sender).events] for sender in ("vecino", "otra")}
    later = every_kind_of_event()
    stores = {}
    for mode in ("1", "0"):
        monkeypatch.setenv("RASA_SPEEDUPS", mode)
        made = RasaSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / f"rasa{mode}.db"))
        executed = []
        sa.event.listen(made.engine, "before_cursor_execute", lambda *args, seen=executed: seen.append(args[2]))
        trackers = [DialogueStateTracker.from_dict(sender, events) for sender, events in starts.items()]
        for tracker in trackers:
            await made.save(tracker)
        for index, event in enumerate(Event.from_parameters(e) for e in copy.deepcopy(later)):  # events mutate
            trackers[index % 2].update(event)
            await made.save(trackers[index % 2])
        stores[mode] = (made, executed)
    ours, rasas = (_stored_rows(stores[mode][0]) for mode in ("1", "0"))
    # (A session started mid-way makes Rasa store the events after it again: the same here.)
    assert ours == rasas and len(ours) >= 2 * len(conversation().events) + len(every_kind_of_event())
    inserts = [sql for sql in stores["1"][1] if sql.startswith("INSERT")]
    assert len(inserts) == 2 + len(every_kind_of_event())  # one per save, each of its events in it
    for made, _ in stores.values():
        assert [e.as_dict() for e in (await made.retrieve("otra")).events] == [
            e.as_dict() for e in (await stores["0"][0].retrieve("otra")).events
        ]
        made.engine.dispose()


def test_the_latest_session_count_does_not_build_rasas_query_per_call(store, monkeypatch):
    monkeypatch.delenv("RASA_SPEEDUPS", raising=False)
    monkeypatch.setattr(store, "_event_query", lambda *a, **k: pytest.fail("built Rasa's ORM query"))
    tracker = conversation()
    with store.session_scope() as session:
        assert list(store._additional_events(session, tracker)) == list(tracker.events)
    assert store.stored_version("vecino") == (0, None)


async def test_the_engine_is_replaced_with_the_same_url(store):
    url = store.engine.url
    store.replace_engine(pool_pre_ping=True)
    assert store.engine.url == url and store.engine.pool._pre_ping
    assert await store.read_stored_version("nadie") == (0, None)


def test_intent_rows_and_parses_are_the_ones_rasa_builds(nlu_agent, monkeypatch):
    """Held-out messages: the classifier's feature rows and the whole parse, with and without the speed-up."""
    import asyncio

    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from scipy.sparse import csr_matrix

    from bot.evaluation import load_heldout

    original = LogisticRegressionClassifier._create_X
    assert not getattr(original, "_sentence_only", False)
    seen = []  # the messages as the classifier gets them, features included
    monkeypatch.setattr(
        LogisticRegressionClassifier, "_create_X", lambda self, ms: original(self, seen.extend(ms) or ms)
    )
    texts = [e["text"] for e in load_heldout(str(PROJECT_ROOT / "eval" / "heldout.yml"))][:150] + ["", "xkcd qwpz"]

    async def parse_all():
        return [await nlu_agent.parse_message(text) for text in texts]

    before = asyncio.run(parse_all())
    speedups.speed_up_intent_features()
    assert LogisticRegressionClassifier._create_X is not original
    after = asyncio.run(parse_all())
    assert after == before
    assert len({p["intent"]["name"] for p in before}) > 5

    messages = list({id(m): m for m in seen if m.get("text")}.values())
    assert len(messages) > 100

    def same(fast, rasa):
        """The same matrix, stored alike: scikit-learn then sums each row's entries in the same order."""
        assert type(fast) is type(rasa) and fast.dtype == rasa.dtype and fast.shape == rasa.shape
        assert (csr_matrix(fast) != csr_matrix(rasa)).nnz == 0
        for part in ("data", "indices", "indptr"):
            mine, theirs = getattr(fast, part), getattr(rasa, part)
            assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), part

    for message in messages + [m for m in seen if not m.get("text")]:
        same(LogisticRegressionClassifier._create_X(None, [message]), original(None, [message]))
    same(LogisticRegressionClassifier._create_X(None, messages[:5]), original(None, messages[:5]))
    sentences = [[f for f in m.features if f.type == "sentence" and f.attribute == "text"] for m in messages]
    assert all(speedups._sparse_sentence_rows([sentence]) is not None for sentence in sentences)  # the fast path


# --- The graph runner ----------------------------------------------------------------------------------


def test_graph_runs_give_rasas_parses_and_predictions_without_dask(nlu_agent, monkeypatch):
    """Held-out messages and next-action predictions after every intent: the same with Rasa's dask
    runner and with ours, which no longer calls ``dask.get``."""
    import asyncio

    import dask
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    from bot.evaluation import load_heldout

    monkeypatch.setattr(DaskGraphRunner, "run", DaskGraphRunner.run)
    assert not getattr(DaskGraphRunner.run, "_sequential", False)
    processor = nlu_agent.processor
    texts = [e["text"] for e in load_heldout(str(PROJECT_ROOT / "eval" / "heldout.yml"))][:60] + ["", "/saludo"]
    domain = processor.domain

    def trackers():
        for intent in domain.intents:
            tracker = DialogueStateTracker.from_events(
                "vecino",
                [
                    ActionExecuted(ACTION_LISTEN_NAME),
                    UserUttered("texto", {INTENT_NAME_KEY: intent, "confidence": 1.0}),
                ],
                domain.slots,
            )
            yield tracker
            after = tracker.copy()
            after.update(ActionExecuted(domain.user_actions[0] if domain.user_actions else "action_saludar"))
            yield after

    def predictions():
        found = []
        for tracker in trackers():
            prediction = processor._predict_next_with_tracker(tracker)
            found.append((prediction.policy_name, prediction.probabilities, prediction.events))
        return found

    async def parse_all():
        return [await nlu_agent.parse_message(text) for text in texts]

    rasas = asyncio.run(parse_all()), predictions()
    speedups.speed_up_graph_runs()
    assert DaskGraphRunner.run._sequential
    monkeypatch.setattr(dask, "get", lambda *a, **k: pytest.fail("ran the graph through dask"))
    ours = asyncio.run(parse_all()), predictions()
    assert ours == rasas
    assert len(rasas[1]) > 20 and len({p[0] for p in rasas[1]}) >= 1


def test_graph_inputs_that_clash_with_a_node_fail_as_in_rasa(nlu_agent, monkeypatch):
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    monkeypatch.setattr(DaskGraphRunner, "run", DaskGraphRunner.run)
    runner = nlu_agent.processor.graph_runner
    target = nlu_agent.processor.model_metadata.nlu_target
    errors = []
    for patched in (False, True):
        if patched:
            speedups.speed_up_graph_runs()
        with pytest.raises(GraphRunError) as raised:
            runner.run(inputs={"__message__": "domain_provider"}, targets=[target])
        errors.append(str(raised.value))
    assert errors[0] == errors[1]


# --- Rasa without TensorFlow ------------------------------------------------------------------------

# A process that loads the trained model with the stand-ins, as bot/app/rasa_server.py does, and prints
# what Rasa makes of each message (its parse) and of a conversation (the next action's scores).
_PARSE_WITHOUT_TENSORFLOW = """
import asyncio, json, sys
from pathlib import Path
from bot.rasa_internals import without_tensorflow
installed = without_tensorflow.install_if_unused(Path(sys.argv[1]))
from bot.rasa_internals.speedups import apply_speedups
apply_speedups()
from rasa.core.agent import Agent
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.events import ActionExecuted, UserUttered
agent = Agent.load(sys.argv[1])
texts = json.loads(sys.stdin.read())
parses = [asyncio.run(agent.parse_message(text)) for text in texts]
first = parses[0]
events = [ActionExecuted("action_listen"), UserUttered(texts[0], first["intent"], first["entities"], first)]
tracker = DialogueStateTracker.from_events("vecino", events)
prediction = agent.predict_next_with_tracker(tracker)
tensorflow = sys.modules.get("tensorflow")
print(json.dumps({"installed": installed, "real_tensorflow": bool(getattr(tensorflow, "__file__", None)),
                  "maps_tensorflow": "tensorflow" in open("/proc/self/maps").read(),
                  "parses": parses, "prediction": prediction}))
"""


def _without_tensorflow_run(model: Path, texts: list, var: Path) -> dict:
    """The stand-in process's output; like ``nlu_agent``, the model as trained (no database catalogue)."""
    run = subprocess.run(
        [sys.executable, "-c", _PARSE_WITHOUT_TENSORFLOW, str(model)],
        input=json.dumps(texts),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": f"sqlite:///{var / 'municipal.db'}"},
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_our_model_needs_no_tensorflow_and_others_do():
    ours = without_tensorflow.model_components(MODEL_PATH)
    assert "rasa.core.policies.rule_policy.RulePolicy" in ours
    assert not without_tensorflow.uses_tensorflow(ours)
    diet = "rasa.nlu.classifiers.diet_classifier.DIETClassifier"
    assert without_tensorflow.uses_tensorflow(ours | {diet})
    assert without_tensorflow.uses_tensorflow(ours | {"rasa.core.policies.ted_policy.TEDPolicy"})
    assert without_tensorflow.uses_tensorflow(ours | {"otra_empresa.componentes.Clasificador"})


def test_a_model_that_cannot_be_read_keeps_tensorflow(tmp_path: Path):
    broken = tmp_path / "modelo.tar.gz"
    broken.write_bytes(b"no es un tar")
    assert without_tensorflow.install_if_unused(broken) is False
    assert without_tensorflow.install_if_unused(tmp_path / "no-existe.tar.gz") is False
    assert without_tensorflow.install_if_unused(None) is False


def test_without_tensorflow_rasa_parses_and_predicts_exactly_as_with_it(nlu_agent, tmp_path: Path):
    """The held-out messages of a whole set, parsed by a process that never loads TensorFlow, give
    Rasa's own parse (intent, ranking, entities) and the same next action as this process (which has it)."""
    import asyncio

    examples = yaml.safe_load((PROJECT_ROOT / "eval" / "heldout_j.yml").read_text())["examples"]
    texts = ["hola, cuanto cuesta el permiso de circulacion en angol?", ""] + [e["text"] for e in examples]
    without = _without_tensorflow_run(MODEL_PATH, texts, tmp_path)
    assert without["installed"] and not without["real_tensorflow"] and not without["maps_tensorflow"]
    assert "tensorflow" in sys.modules  # this process loaded the real one: the comparison is with it
    expected = [asyncio.run(nlu_agent.parse_message(text)) for text in texts]
    assert without["parses"] == json.loads(json.dumps(expected))
    tracker = DialogueStateTracker.from_events(
        "vecino",
        [
            ActionExecuted("action_listen"),
            UserUttered(texts[0], expected[0]["intent"], expected[0]["entities"], expected[0]),
        ],
    )
    prediction = json.loads(json.dumps(nlu_agent.predict_next_with_tracker(tracker)))
    prediction.pop("tracker")  # the same events, with this process's timestamps
    without["prediction"].pop("tracker")
    assert without["prediction"] == prediction
    assert prediction["policy"] == "RulePolicy" and max(s["score"] for s in prediction["scores"]) == 1.0


def test_the_stand_ins_refuse_to_go_in_after_tensorflow():
    """Installed late, the stand-ins would mix with the real library: that is refused, loudly."""
    assert "tensorflow" in sys.modules
    with pytest.raises(RuntimeError, match="already imported"):
        without_tensorflow.install()


def test_the_rasa_server_loads_the_model_rasa_run_would(tmp_path: Path):
    from bot.app.rasa_server import served_model

    older, newer = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    older.write_bytes(b"1")
    newer.write_bytes(b"2")
    os.utime(older, (1, 1))
    assert served_model(["run", "--model", str(tmp_path)]) == newer
    assert served_model(["run", f"--model={older}"]) == older
    assert served_model(["run", "--model", str(tmp_path / "no-hay")]) is None
