"""Custom actions in the Rasa process (bot/rasa_internals/in_process_actions.py) answer as the action server.

The same conversation, through Rasa's own ``RemoteAction``, once over HTTP to the real, protected action
server and once in process: the same replies, buttons and events, turn by turn. And what an action server
signals by its status code (a rejected, unknown or failing action) reaches Rasa the same way.
"""

from __future__ import annotations

import json
import re

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Action
from rasa_sdk.events import SlotSet as SdkSlotSet
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection
from sanic import Sanic

from bot.app import action_server
from bot.app.devtools.standins import free_port
from bot.rasa_internals import in_process_actions
from bot.rasa_internals.in_process_actions import InProcessEndpoint
from tests.conftest import MODEL_PATH

CONVERSATION = [
    "hola, soy de angol",
    "cuanto cuesta el retiro de voluminosos",
    "y q cosas no se llevan?",
    "si, quiero pedirlo",
    "juan perez soto",
    "12.345.678-0",  # a wrong check digit: the form says so and asks again
    "12.345.678-5",
    "cancelar",
]
_FOLIO = re.compile(r"\b[A-Z]{3}-[0-9A-Z]{6}\b")


def _seen(messages):
    """What the citizen sees of the bot's messages: texts and button titles (folios masked)."""
    return [
        (_FOLIO.sub("FOLIO", m.get("text") or ""), [b.get("title") for b in m.get("buttons") or []]) for m in messages
    ]


def _events(tracker):
    """The conversation's events without what each run makes its own: timestamps, random ids, the sender."""
    own = re.compile(r'"(?:timestamp|message_id)": [^,}]+|\b[0-9a-f]{32}\b')
    return [own.sub("", json.dumps(e.as_dict(), sort_keys=True)).replace(tracker.sender_id, "") for e in tracker.events]


async def test_a_conversation_gets_the_same_answers_in_process_as_from_the_action_server(loaded_services, monkeypatch):
    from rasa.core.agent import Agent

    monkeypatch.setattr(Sanic, "test_mode", True)
    port = free_port()
    app = action_server.build_app("secreto-de-prueba")
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    try:
        over_http = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Actions-Token": "secreto-de-prueba"})
        executor = ActionExecutor()
        executor.register_package("actions")
        in_process = InProcessEndpoint(executor, over_http)
        agent = Agent.load(str(MODEL_PATH), action_endpoint=over_http)
        runs = {}
        for name, endpoint in (("http", over_http), ("in_process", in_process)):
            agent.processor.action_endpoint = endpoint
            sender = f"whatsapp:+5691111{len(runs):04d}"
            runs[name] = [_seen(await agent.handle_text(text, sender_id=sender)) for text in CONVERSATION]
            runs[name + "_events"] = _events(await agent.tracker_store.retrieve(sender))
    finally:
        server.close()
        await server.wait_closed()
    assert runs["in_process"] == runs["http"]
    assert runs["in_process_events"] == runs["http_events"]
    said = [text for turn in runs["http"] for text, _ in turn]
    assert any("RUT" in text for text in said) and any("cancel" in text.lower() for text in said)  # a real form ran


class _Rejects(Action):
    def name(self):
        return "accion_que_rechaza"

    def run(self, dispatcher, tracker, domain):
        raise SdkRejection("accion_que_rechaza", "no corresponde")


class _Fails(Action):
    def name(self):
        return "accion_que_falla"

    def run(self, dispatcher, tracker, domain):
        raise RuntimeError("falla interna")


class _Meddles(Action):
    """Changes the tracker it was given and returns a value JSON cannot carry as is (a tuple)."""

    def name(self):
        return "accion_que_modifica"

    def run(self, dispatcher, tracker, domain):
        tracker.slots["lista"].append("otro")
        dispatcher.utter_message(text="hecho")
        return [SdkSlotSet("lista", ("a", "b"))]


DOMAIN = Domain.from_dict({"slots": {"lista": {"type": "list", "mappings": [{"type": "custom"}]}}})


def _run(name: str, executor: ActionExecutor, tracker: DialogueStateTracker):
    domain = DOMAIN
    action = RemoteAction(name, InProcessEndpoint(executor))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    return action.run(CollectingOutputChannel(), nlg, tracker, domain)


@pytest.fixture
def executor():
    executor = ActionExecutor()
    for action in (_Rejects(), _Fails(), _Meddles()):
        executor.register_action(action)
    return executor


async def test_a_rejected_action_is_rejected_to_rasa_as_by_the_action_server(executor):
    with pytest.raises(ActionExecutionRejection) as rejected:
        await _run("accion_que_rechaza", executor, DialogueStateTracker("vecino", []))
    assert rejected.value.action_name == "accion_que_rechaza" and "no corresponde" in rejected.value.message


@pytest.mark.parametrize("name", ["accion_que_falla", "accion_que_no_existe"])
async def test_a_failing_or_unknown_action_fails_the_turn_as_over_http(executor, name, caplog):
    with pytest.raises(RasaException) as failed:
        await _run(name, executor, DialogueStateTracker("vecino", []))
    assert not isinstance(failed.value, ActionExecutionRejection)
    assert f"Failed to execute custom action '{name}'" in str(failed.value)
    if name == "accion_que_falla":
        assert "falla interna" in caplog.text  # logged with its traceback, as the action server logs it


async def test_an_action_sees_a_copy_and_its_answer_is_read_as_json(executor):
    tracker = DialogueStateTracker("vecino", DOMAIN.slots)
    tracker.update(SlotSet("lista", ["uno"]))
    events = await _run("accion_que_modifica", executor, tracker)
    assert tracker.get_slot("lista") == ["uno"]  # the action changed its copy only
    assert [e.as_dict().get("text") for e in events if e.type_name == "bot"] == ["hecho"]
    assert [e.value for e in events if isinstance(e, SlotSet)] == [["a", "b"]]  # a tuple arrives as a list


def test_rasa_reads_every_action_endpoint_as_in_process_once_installed(tmp_path, monkeypatch):
    from rasa.core.utils import AvailableEndpoints

    monkeypatch.setattr(AvailableEndpoints, "read_endpoints", AvailableEndpoints.__dict__["read_endpoints"])
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("action_endpoint:\n  url: http://127.0.0.1:1/webhook\n  enable_selective_domain: true\n")
    in_process_actions.run_actions_in_process("actions")
    in_process_actions.run_actions_in_process("actions")  # installed once
    action = AvailableEndpoints.read_endpoints(str(endpoints)).action
    assert isinstance(action, InProcessEndpoint) and action.kwargs == {"enable_selective_domain": True}
    assert "action_saludar" in action.executor.actions and "validate_formulario_solicitud" in action.executor.actions
    without = tmp_path / "sin_acciones.yml"
    without.write_text("tracker_store:\n  type: InMemoryTrackerStore\n")
    assert isinstance(AvailableEndpoints.read_endpoints(str(without)).action, InProcessEndpoint)
