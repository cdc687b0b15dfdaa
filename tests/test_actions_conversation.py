"""Conversation basics: greeting with privacy notice, help, fallback, a person, session start."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import (
    ActionAyuda,
    ActionFallback,
    ActionHablarConFuncionario,
    ActionSaludar,
    ActionSessionStart,
)
from tests.conftest import make_tracker, user_event

pytestmark = pytest.mark.usefixtures("loaded_services")


async def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


async def test_first_contact_gets_privacy_notice_once_whatever_the_message(monkeypatch):
    monkeypatch.setenv("RETENTION_DAYS", "90")
    tracker = make_tracker(
        "cuanto cuesta el permiso", "consultar_tramite", slots={"session_started_metadata": {"municipio": "angol"}}
    )
    messages, events = await run(ActionSessionStart(), tracker)
    text = messages[0]["text"]
    assert "Municipalidad de Angol" in text and "Privacidad" in text and "90 días" in text and "borremos" in text
    assert {"event": "slot", "name": "aviso_privacidad", "value": True, "timestamp": None} in events
    messages, _ = await run(ActionSessionStart(), make_tracker("hola", "saludar", slots={"aviso_privacidad": True}))
    assert messages == []


async def test_greeting_introduces_unless_just_introduced():
    first = make_tracker("hola", "saludar", slots={"municipio": "angol"})
    messages, _ = await run(ActionSaludar(), first)
    assert not messages[0]["text"].startswith("¡Hola!") and "¿En qué te ayudo?" in messages[0]["text"]
    later = make_tracker("hola", "saludar", slots={"municipio": "angol"}, events=[user_event("gracias", "agradecer")])
    messages, _ = await run(ActionSaludar(), later)
    assert messages[0]["text"].startswith("¡Hola! Soy el asistente virtual de la Municipalidad de Angol")


async def test_default_municipality_from_environment(monkeypatch):
    monkeypatch.setenv("DEFAULT_MUNICIPIO", "penalolen")
    messages, _ = await run(ActionSaludar(), make_tracker("hola", "saludar", events=[user_event("x", "saludar")]))
    assert "Municipalidad de Peñalolén" in messages[0]["text"]


async def test_help_says_it_is_a_bot():
    messages, _ = await run(ActionAyuda(), make_tracker("eres un robot?", "consultar_bot"))
    assert "no una persona" in messages[0]["text"]


async def test_how_to_question_read_as_about_the_bot_is_answered_about_the_procedure_in_focus():
    # "¿cómo me inscribo?" right after the compost bins: their steps, not what the assistant can do.
    tracker = make_tracker(
        "como me inscribo?", "consultar_bot", slots={"municipio": "penalolen", "tramite": "compostera-domiciliaria"}
    )
    messages, _ = await run(ActionAyuda(), tracker)
    assert "Pasos:" in messages[0]["text"] and "no una persona" not in messages[0]["text"]
    # With a procedure in focus, a question about the assistant is still about the assistant.
    tracker = make_tracker(
        "eres un robot?", "consultar_bot", slots={"municipio": "penalolen", "tramite": "compostera-domiciliaria"}
    )
    messages, _ = await run(ActionAyuda(), tracker)
    assert "no una persona" in messages[0]["text"]


async def test_fallback_offers_a_person_after_two_misses():
    first = make_tracker("asdf", "nlu_fallback", events=[user_event("hola", "saludar")])
    messages, _ = await run(ActionFallback(), first)
    assert "no te entendí" in messages[0]["text"] and not messages[0].get("buttons")
    second = make_tracker("qwer", "nlu_fallback", events=[user_event("asdf", "nlu_fallback")])
    messages, _ = await run(ActionFallback(), second)
    assert "persona" in messages[0]["text"]
    assert any(b["payload"] == "/hablar_con_funcionario" for b in messages[0]["buttons"])


async def test_an_office_named_alone_right_after_the_town_hall_gets_its_address():
    """ "y la dideco?" just after the town hall's hours: the NLU gives up on two words, the context does not."""
    tracker = make_tracker("y la dideco?", "nlu_fallback", slots={"municipio": "penalolen", "tema": "principal"})
    messages, events = await run(ActionFallback(), tracker)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert "Av. Consistorial 3450" in messages[0]["text"] and slots["tema"] == "dideco"


async def test_person_contact_of_own_municipality():
    messages, _ = await run(
        ActionHablarConFuncionario(),
        make_tracker("quiero hablar con una persona", "hablar_con_funcionario", slots={"municipio": "angol"}),
    )
    assert "Municipalidad de Angol" in messages[0]["text"] and "+5645" in messages[0]["text"]


async def test_person_without_commune_asks_it():
    messages, events = await run(
        ActionHablarConFuncionario(), make_tracker("con una persona", "hablar_con_funcionario")
    )
    assert "¿De qué comuna eres?" in messages[0]["text"]


async def test_session_start_takes_municipality_from_channel_metadata():
    tracker = make_tracker("hola", "saludar", slots={"session_started_metadata": {"municipio": "angol"}})
    _, events = await run(ActionSessionStart(), tracker)
    assert events[0]["event"] == "session_started"
    assert {"event": "slot", "name": "municipio", "value": "angol", "timestamp": None} in events
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"


async def test_session_start_ignores_unknown_municipality():
    tracker = make_tracker("hola", "saludar", slots={"session_started_metadata": {"municipio": "narnia"}})
    _, events = await run(ActionSessionStart(), tracker)
    assert not any(e.get("name") == "municipio" for e in events)


async def test_out_of_scope_steers_back_then_offers_a_person():
    from actions.conversation import ActionFueraDeAlcance

    first = make_tracker("cuentame un chiste", "fuera_de_alcance", events=[user_event("hola", "saludar")])
    messages, _ = await run(ActionFueraDeAlcance(), first)
    assert "trámites y servicios municipales" in messages[0]["text"]
    second = make_tracker(
        "y quien gano el partido", "fuera_de_alcance", events=[user_event("cuentame un chiste", "fuera_de_alcance")]
    )
    messages, _ = await run(ActionFueraDeAlcance(), second)
    assert any(b["payload"] == "/hablar_con_funcionario" for b in messages[0]["buttons"])
