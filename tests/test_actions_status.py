"""Asking for the status of a request: own requests, folio + RUT, neutral mismatch, rate limit."""
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.requests import ActionConsultarEstado, ActionResultadoConsulta, ValidateFormularioConsulta
from bot.storage.requests import change_status, submit_request
from tests.conftest import ent, make_tracker

pytestmark = pytest.mark.usefixtures("loaded_services")
SENDER = "rest:prueba:vecino-test"


def make_request(db, key, sender=SENDER, municipality="penalolen", code="PEN", rut="12345678-5"):
    return submit_request(db, key=key, municipality=municipality, code=code, procedure="retiro-voluminosos",
                          fields={"nombre": "Ana"}, rut=rut, channel="rest", sender_id=sender).folio


def tracker_for(text, intent="consultar_estado", entities=None, slots=None, sender=SENDER):
    return make_tracker(text, intent, entities, slots={"municipio": "penalolen", **(slots or {})}, sender=sender)


async def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages), \
        {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_own_open_requests_are_listed_with_status_and_date(loaded_services):
    first = make_request(loaded_services, "a")
    second = make_request(loaded_services, "b")
    change_status(loaded_services, "penalolen", second, "en_terreno", "Cuadrilla asignada", "sistema")
    text, slots = await run(ActionConsultarEstado(), tracker_for("en que va mi solicitud"))
    assert first in text and second in text and "en terreno" in text and "recibida" in text
    assert "Retiro" in text and slots["consulta_lista"] is False


async def test_own_folio_shows_history(loaded_services):
    folio = make_request(loaded_services, "a")
    change_status(loaded_services, "penalolen", folio, "en_revision", "Revisando disponibilidad", "sistema")
    text, _ = await run(ActionConsultarEstado(), tracker_for(f"como va {folio}", entities=[ent("folio", folio)]))
    assert "Historial" in text and "Revisando disponibilidad" in text and "recibida" in text
    assert "sistema" not in text  # who changed it is for staff, not for the citizen


async def test_no_requests_asks_folio_then_rut():
    text, slots = await run(ActionConsultarEstado(), tracker_for("en que va mi solicitud", sender="otro"))
    assert slots["consulta_lista"] is True and slots["folio_consulta"] is None


async def test_folio_and_rut_that_match_show_the_request(loaded_services):
    folio = make_request(loaded_services, "a", sender="alguien-mas")
    tracker = tracker_for("12.345.678-5", "informar", slots={"folio_consulta": folio, "rut_consulta": "12345678-5"},
                          sender="otro")
    text, slots = await run(ActionResultadoConsulta(), tracker)
    assert folio in text and "recibida" in text and slots["folio_consulta"] is None


@pytest.mark.parametrize("case", ["wrong_rut", "unknown_folio", "other_municipality"])
async def test_mismatch_and_unknown_get_the_same_neutral_answer(loaded_services, case):
    folio = make_request(loaded_services, "a", sender="alguien-mas")
    other = make_request(loaded_services, "b", sender="alguien-mas", municipality="angol", code="ANG")
    folio_asked, rut = {"wrong_rut": (folio, "11111111-1"), "unknown_folio": ("PEN-ZZZZZZ", "12345678-5"),
                        "other_municipality": (other, "12345678-5")}[case]
    tracker = tracker_for("x", "informar", slots={"folio_consulta": folio_asked, "rut_consulta": rut}, sender="otro")
    text, _ = await run(ActionResultadoConsulta(), tracker)
    assert text == "No encontré una solicitud con esos datos. Revisa el folio y el RUT, y vuelve a intentarlo."


async def test_failed_lookups_are_limited_per_sender(loaded_services):
    folio = make_request(loaded_services, "a", sender="alguien-mas")
    for _ in range(5):
        await run(ActionResultadoConsulta(), tracker_for("x", "informar", sender="adivino",
                                                         slots={"folio_consulta": "PEN-ZZZZZZ",
                                                                "rut_consulta": "12345678-5"}))
    right = tracker_for("x", "informar", sender="adivino", slots={"folio_consulta": folio, "rut_consulta": "12345678-5"})
    text, _ = await run(ActionResultadoConsulta(), right)
    assert "esperar una hora" in text and folio not in text
    text, _ = await run(ActionConsultarEstado(), tracker_for("en que va", sender="adivino"))
    assert "esperar una hora" in text
    text, _ = await run(ActionResultadoConsulta(), tracker_for("x", "informar", sender="honesto",
                                                               slots={"folio_consulta": folio,
                                                                      "rut_consulta": "12345678-5"}))
    assert folio in text  # other conversations are not affected


async def test_folio_and_rut_validation_messages():
    action = ValidateFormularioConsulta()
    dispatcher = CollectingDispatcher()
    result = await action.validate_folio_consulta("mi folio es pen 123", dispatcher, tracker_for("x", "informar"), {})
    assert result == {"folio_consulta": None} and "PEN-7KX4M2" in dispatcher.messages[0]["text"]
    result = await action.validate_folio_consulta("pen-7kx4m2", dispatcher, tracker_for("x", "informar"), {})
    assert result == {"folio_consulta": "PEN-7KX4M2"}
    result = await action.validate_rut_consulta("12.345.678-4", dispatcher, tracker_for("x", "informar"), {})
    assert result == {"rut_consulta": None} and "no es válido" in dispatcher.messages[-1]["text"]
    result = await action.validate_rut_consulta("12.345.678-5", dispatcher, tracker_for("x", "informar"), {})
    assert result == {"rut_consulta": "12345678-5"}
