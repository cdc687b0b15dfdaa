"""Procedure actions as a citizen sees them: the right municipality, aspect and context."""
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionAfirmar, ActionNegar
from actions.municipality import ActionRecibirDato
from actions.procedures import ActionIniciarTramite, ActionListarTramites, ActionResponderTramite
from tests.conftest import ent, make_tracker

pytestmark = pytest.mark.usefixtures("loaded_services")


async def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


async def test_cost_question_answers_cost_of_own_municipality_first():
    tracker = make_tracker("cuanto cuesta el aseo", "consultar_tramite", [ent("tramite", "derechos-aseo")],
                           slots={"municipio": "angol"})
    messages, slots = await run(ActionResponderTramite(), tracker)
    first = messages[0]["text"]
    assert first.startswith("Derechos de aseo") and "Angol" in first
    assert "Costo: 1,2 UTM" in first
    assert "Requisitos" not in first  # only what was asked, the rest is offered
    assert {b["title"] for b in messages[1]["buttons"]} >= {"Requisitos"}
    assert slots["tramite"] == "derechos-aseo"


async def test_same_question_other_municipality_other_fee():
    tracker = make_tracker("cuanto cuesta el aseo", "consultar_tramite", [ent("tramite", "derechos-aseo")],
                           slots={"municipio": "providencia"})
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "2,4 UTM" in messages[0]["text"] and "Angol" not in messages[0]["text"]


async def test_follow_up_keeps_the_procedure():
    tracker = make_tracker("y donde queda?", "consultar_tramite", [],
                           slots={"municipio": "penalolen", "tramite": "permiso-circulacion"})
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert messages[0]["text"].startswith("Permiso de circulación en Peñalolén")
    assert "Dónde:" in messages[0]["text"] and "Horario:" in messages[0]["text"]


async def test_follow_up_without_context_asks_which_procedure():
    tracker = make_tracker("y cuanto cuesta?", "consultar_tramite", [], slots={"municipio": "penalolen"})
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "¿Sobre qué trámite?" in messages[0]["text"]


async def test_summary_when_no_aspect_asked():
    tracker = make_tracker("permiso de circulacion", "consultar_tramite", [ent("tramite", "permiso-circulacion")],
                           slots={"municipio": "providencia"})
    messages, _ = await run(ActionResponderTramite(), tracker)
    text = messages[0]["text"]
    for part in ("Costo:", "Plazo:", "Dónde:", "Horario:", "En línea: https://www.providencia.cl"):
        assert part in text


async def test_unknown_commune_asks_and_keeps_the_question():
    tracker = make_tracker("cuanto cuesta el permiso de circulacion", "consultar_tramite",
                           [ent("tramite", "permiso-circulacion")])
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert "¿De qué comuna eres?" in messages[0]["text"]
    assert {b["title"] for b in messages[0]["buttons"]} == {"Angol", "Independencia", "Peñalolén", "Providencia"}
    assert slots["pendiente"]["tramite"] == "permiso-circulacion"

    answer = make_tracker("soy de penalolen", "informar", [ent("comuna", "Peñalolén")],
                          slots={"pendiente": slots["pendiente"]})
    messages, slots = await run(ActionRecibirDato(), answer)
    assert "Peñalolén" in messages[0]["text"]
    assert "Costo:" in texts(messages) and "Permiso de circulación en Peñalolén" in texts(messages)
    assert slots["municipio"] == "penalolen" and slots["pendiente"] is None


async def test_channel_metadata_sets_the_municipality():
    tracker = make_tracker("cuanto cuesta el aseo", "consultar_tramite", [ent("tramite", "derechos-aseo")],
                           metadata={"municipio": "independencia"})
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert "Independencia" in messages[0]["text"] and slots["municipio"] == "independencia"


async def test_commune_not_served_points_to_its_municipality():
    tracker = make_tracker("soy de maipu", "informar", [ent("comuna", "Maipú")])
    messages, slots = await run(ActionRecibirDato(), tracker)
    assert "Municipalidad de Maipú" in messages[0]["text"] and "Región Metropolitana" in messages[0]["text"]
    assert "municipio" not in slots


async def test_change_of_commune():
    tracker = make_tracker("en realidad soy de angol", "informar", [ent("comuna", "Angol")],
                           slots={"municipio": "providencia"})
    _, slots = await run(ActionRecibirDato(), tracker)
    assert slots["municipio"] == "angol"


async def test_procedure_not_offered_in_that_municipality():
    tracker = make_tracker("retiro de escombros", "consultar_tramite", [ent("tramite", "retiro-escombros")],
                           slots={"municipio": "angol"})
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert "no tiene «Retiro de escombros" in messages[0]["text"] or "no tiene «" in messages[0]["text"]
    assert slots["tramite"] is None


async def test_national_procedure_points_to_the_service():
    tracker = make_tracker("quiero sacar pasaporte", "consultar_tramite", [ent("tramite", "pasaporte")],
                           slots={"municipio": "angol"})
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Registro Civil" in messages[0]["text"] and "registrocivil.cl" in messages[0]["text"]


async def test_weak_match_asks_did_you_mean_and_yes_answers():
    tracker = make_tracker("necesito la lisencia", "consultar_tramite", [], slots={"municipio": "angol"})
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert messages[0]["text"].startswith("¿Te refieres a")
    suggested = slots["tramite_sugerido"]
    assert "licencia" in suggested
    yes = make_tracker("si", "afirmar", [], slots={"municipio": "angol", "tramite_sugerido": suggested})
    messages, slots = await run(ActionAfirmar(), yes)
    assert "Angol" in messages[0]["text"] and slots["tramite"] == suggested


async def test_no_after_suggestion_asks_to_rephrase():
    tracker = make_tracker("no", "negar", [], slots={"tramite_sugerido": "licencia-conducir"})
    messages, slots = await run(ActionNegar(), tracker)
    assert "otras palabras" in messages[0]["text"] and slots["tramite_sugerido"] is None


async def test_ambiguous_message_offers_buttons():
    tracker = make_tracker("licencia", "consultar_tramite", [], slots={"municipio": "angol"})
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert messages[0].get("buttons"), messages
    payloads = " ".join(b["payload"] for b in messages[0]["buttons"])
    assert "licencia" in payloads


async def test_no_match_offers_list_and_person():
    tracker = make_tracker("zzz qqq", "consultar_tramite", [], slots={"municipio": "angol"})
    messages, _ = await run(ActionResponderTramite(), tracker)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Ver trámites" in titles and "Hablar con una persona" in titles


async def test_list_by_area_then_procedures():
    tracker = make_tracker("que tramites hay", "listar_tramites", [], slots={"municipio": "angol"})
    messages, _ = await run(ActionListarTramites(), tracker)
    assert "Municipalidad de Angol" in messages[0]["text"]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert any(t.startswith("Tránsito (") for t in titles)
    assert len(messages[0]["text"]) < 300  # fits a phone screen
    area = make_tracker('/listar_tramites{"categoria":"Tránsito"}', "listar_tramites",
                        [ent("categoria", "Tránsito")], slots={"municipio": "angol"})
    messages, _ = await run(ActionListarTramites(), area)
    assert "Permiso de circulación (en línea)" in messages[0]["text"]
    assert all(b["payload"].startswith("/consultar_tramite") for b in messages[0]["buttons"])


async def test_online_list_only_online_procedures(catalogue):
    online = [p for p in catalogue.procedures_for("angol").values() if p.online_url]
    assert 0 < len(online) < len(catalogue.procedures_for("angol"))
    tracker = make_tracker("que tramites hay en linea", "listar_tramites", [], slots={"municipio": "angol"})
    messages, _ = await run(ActionListarTramites(), tracker)
    assert f"{len(online)} trámites en línea" in messages[0]["text"]


async def test_start_procedure_explains_how():
    tracker = make_tracker("quiero pagar el permiso de circulacion", "iniciar_tramite",
                           [ent("tramite", "permiso-circulacion")], slots={"municipio": "angol"})
    messages, _ = await run(ActionIniciarTramite(), tracker)
    text = texts(messages)
    assert "Pasos:" in text and "https://www.angol.cl/permiso-de-circulacion" in text
