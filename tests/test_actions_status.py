"""Asking for the status of a request: own requests, folio + RUT, neutral mismatch, rate limit."""

import re

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.requests import ActionConsultarEstado, ActionResultadoConsulta, ValidateFormularioConsulta
from bot.storage.requests import change_status, submit_request
from tests.conftest import ent, make_tracker

FOLIO = re.compile(r"\b[A-Z]{3}-[0-9A-Z]{6}\b")

pytestmark = pytest.mark.usefixtures("loaded_services")
SENDER = "vecino-test"


def conversation(sender):
    """The conversation id of a test chat: a REST one unless a full id is given (the channel is read from it)."""
    return sender if ":" in sender else f"rest:prueba:{sender}"


def make_request(db, key, sender=SENDER, municipality="penalolen", code="PEN", rut="12345678-5"):
    return submit_request(
        db,
        key=key,
        municipality=municipality,
        code=code,
        procedure="retiro-voluminosos",
        fields={"nombre": "Ana"},
        rut=rut,
        channel="rest",
        sender_id=conversation(sender),
    ).folio


def tracker_for(text, intent="consultar_estado", entities=None, slots=None, sender=SENDER):
    return make_tracker(
        text, intent, entities, slots={"municipio": "penalolen", **(slots or {})}, sender=conversation(sender)
    )


async def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages), {
        e["name"]: e["value"] for e in events if e.get("event") == "slot"
    }


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


async def test_an_upset_citizen_is_heard_before_the_lookup():
    upset = "la wea mala, hace un mes pedi q retiraran unos cachureos y nunca vinieron, q pasa con ustedes"
    text, slots = await run(ActionConsultarEstado(), tracker_for(upset, sender="molesto"))
    assert "Lamento la espera" in text and "reclamo" in text and slots["consulta_lista"] is True
    calm, _ = await run(ActionConsultarEstado(), tracker_for("en que va mi solicitud", sender="tranquilo"))
    assert "Lamento" not in calm


async def test_folio_and_rut_that_match_show_the_request(loaded_services):
    folio = make_request(loaded_services, "a", sender="alguien-mas")
    tracker = tracker_for(
        "12.345.678-5", "informar", slots={"folio_consulta": folio, "rut_consulta": "12345678-5"}, sender="otro"
    )
    text, slots = await run(ActionResultadoConsulta(), tracker)
    assert folio in text and "recibida" in text and slots["folio_consulta"] is None


@pytest.mark.parametrize("case", ["wrong_rut", "unknown_folio", "other_municipality"])
async def test_mismatch_and_unknown_get_the_same_neutral_answer(loaded_services, case):
    folio = make_request(loaded_services, "a", sender="alguien-mas")
    other = make_request(loaded_services, "b", sender="alguien-mas", municipality="angol", code="ANG")
    folio_asked, rut = {
        "wrong_rut": (folio, "11111111-1"),
        "unknown_folio": ("PEN-ZZZZZZ", "12345678-5"),
        "other_municipality": (other, "12345678-5"),
    }[case]
    tracker = tracker_for("x", "informar", slots={"folio_consulta": folio_asked, "rut_consulta": rut}, sender="otro")
    text, _ = await run(ActionResultadoConsulta(), tracker)
    assert text == "No encontré una solicitud con esos datos. Revisa el folio y el RUT, y vuelve a intentarlo."


async def test_failed_lookups_are_limited_per_sender(loaded_services):
    folio = make_request(loaded_services, "a", sender="alguien-mas")
    for _ in range(5):
        await run(
            ActionResultadoConsulta(),
            tracker_for(
                "x", "informar", sender="adivino", slots={"folio_consulta": "PEN-ZZZZZZ", "rut_consulta": "12345678-5"}
            ),
        )
    right = tracker_for(
        "x", "informar", sender="adivino", slots={"folio_consulta": folio, "rut_consulta": "12345678-5"}
    )
    text, _ = await run(ActionResultadoConsulta(), right)
    assert "esperar una hora" in text and folio not in text
    text, _ = await run(ActionConsultarEstado(), tracker_for("en que va", sender="adivino"))
    assert "esperar una hora" in text
    text, _ = await run(
        ActionResultadoConsulta(),
        tracker_for("x", "informar", sender="honesto", slots={"folio_consulta": folio, "rut_consulta": "12345678-5"}),
    )
    assert folio in text  # other conversations are not affected


async def test_folio_and_rut_validation_messages():
    action = ValidateFormularioConsulta()
    dispatcher = CollectingDispatcher()
    asked_folio = tracker_for("x", "informar", slots={"requested_slot": "folio_consulta"})
    asked_rut = tracker_for("x", "informar", slots={"requested_slot": "rut_consulta"})
    result = await action.validate_folio_consulta("mi folio es pen 123", dispatcher, asked_folio, {})
    said = dispatcher.messages[0]["text"]
    assert result == {"folio_consulta": None} and "seis letras o números" in said
    assert not FOLIO.search(said)  # no example folio that reads as a real one
    result = await action.validate_folio_consulta("pen-7kx4m2", dispatcher, asked_folio, {})
    assert result == {"folio_consulta": "PEN-7KX4M2"}
    result = await action.validate_folio_consulta("PEN-7KX4M2 12.345.678-5", dispatcher, asked_folio, {})
    assert result == {"folio_consulta": "PEN-7KX4M2", "rut_consulta": "12345678-5"}  # the RUT next to it too
    result = await action.validate_rut_consulta("12.345.678-4", dispatcher, asked_rut, {})
    assert result == {"rut_consulta": None} and "no es válido" in dispatcher.messages[-1]["text"]
    result = await action.validate_rut_consulta("12.345.678-5", dispatcher, asked_rut, {})
    assert result == {"rut_consulta": "12345678-5"}


async def test_an_upset_answer_to_the_folio_question_is_offered_a_person():
    dispatcher = CollectingDispatcher()
    asked = tracker_for("x", "informar", slots={"requested_slot": "folio_consulta"})
    await ValidateFormularioConsulta().validate_folio_consulta("NO ME SIRVE NADA DE ESTO", dispatcher, asked, {})
    assert "persona" in dispatcher.messages[0]["text"] and "OIRS" in dispatcher.messages[0]["text"]


async def test_the_message_that_starts_a_lookup_gets_no_error_for_what_was_not_asked_yet():
    action, dispatcher = ValidateFormularioConsulta(), CollectingDispatcher()
    starting = tracker_for("en q va mi solicitud?")
    assert await action.validate_folio_consulta("en q va mi solicitud?", dispatcher, starting, {}) == {
        "folio_consulta": None
    }
    assert await action.validate_rut_consulta("en q va mi solicitud?", dispatcher, starting, {}) == {
        "rut_consulta": None
    }
    assert dispatcher.messages == []


# --- Limits across conversations: per folio, per municipality, and through "borra mis datos" ----------


def lookup(folio, rut, sender):
    return run(
        ActionResultadoConsulta(),
        tracker_for("x", "informar", sender=sender, slots={"folio_consulta": folio, "rut_consulta": rut}),
    )


async def test_failed_lookups_of_one_folio_from_many_chats_block_that_folio(loaded_services):
    from bot.answers.status import FOLIO_BLOCKED
    from bot.storage.lookups import FOLIO_MAX_FAILURES

    folio = make_request(loaded_services, "a", sender="duena")
    other = make_request(loaded_services, "b", sender="otra-duena")
    for attempt in range(FOLIO_MAX_FAILURES):  # a new chat for every guess of the RUT
        text, _ = await lookup(folio, "11111111-1", f"adivino-{attempt}")
        assert text.startswith("No encontré una solicitud")
    text, _ = await lookup(folio, "12345678-5", "adivino-nuevo")  # even the right RUT: the folio waits
    assert text == FOLIO_BLOCKED and folio not in text
    text, _ = await run(
        ActionConsultarEstado(), tracker_for(f"en que va {folio}", sender="otro-mas", entities=[ent("folio", folio)])
    )
    assert text == FOLIO_BLOCKED  # told at once, before asking the RUT
    text, _ = await lookup(other, "12345678-5", "adivino-nuevo")
    assert other in text  # other folios are not affected
    text, _ = await run(
        ActionConsultarEstado(), tracker_for(f"en que va {folio}", sender="duena", entities=[ent("folio", folio)])
    )
    assert "Historial" in text  # the owner's own chat still sees it


async def test_failed_lookups_across_a_municipality_are_capped(loaded_services):
    from bot.answers.status import MUNICIPALITY_BLOCKED
    from bot.storage import lookups

    folio = make_request(loaded_services, "a", sender="duena")
    angol = make_request(loaded_services, "b", sender="duena-angol", municipality="angol", code="ANG")
    for attempt in range(lookups.MUNICIPALITY_MAX_FAILURES):  # a new chat and a new folio every time
        text, _ = await lookup(f"PEN-{attempt:06d}".replace("0", "Z"), "12345678-5", f"bot-{attempt}")
        assert text.startswith("No encontré una solicitud"), attempt
    text, _ = await lookup(folio, "12345678-5", "vecina-cualquiera")
    assert text == MUNICIPALITY_BLOCKED and folio not in text
    tracker = tracker_for(
        "x",
        "informar",
        sender="vecina-angol",
        slots={"municipio": "angol", "folio_consulta": angol, "rut_consulta": "12345678-5"},
    )
    text, _ = await run(ActionResultadoConsulta(), tracker)
    assert angol in text  # another municipality is not affected


async def test_deleting_my_data_does_not_reset_the_limit_and_counters_hold_no_personal_data(loaded_services):
    from sqlalchemy import select

    from bot.handoff.transcript import TranscriptReader
    from bot.storage.personal_data import delete_citizen_data
    from bot.storage.tables import LookupFailureRow

    folio = make_request(loaded_services, "a", sender="alguien-mas")
    sender = "whatsapp:+56924868000:+56912345678"
    for _ in range(5):
        await lookup("PEN-ZZZZZZ", "12345678-5", sender)
    delete_citizen_data(loaded_services, TranscriptReader(loaded_services.url), sender)
    text, _ = await lookup(folio, "12345678-5", sender)
    assert "esperar una hora" in text and folio not in text
    with loaded_services.session() as session:
        rows = session.execute(select(LookupFailureRow)).scalars().all()
    stored = " ".join(f"{r.municipality} {r.folio} {r.sender_key}" for r in rows)
    assert len(rows) == 5 and "56912345678" not in stored and "12345678" not in stored and sender not in stored


async def test_a_folio_corrected_right_after_not_found_is_looked_up_with_the_rut_given():
    from bot.answers.status import NOT_FOUND

    before = [
        {"event": "slot", "name": "rut_consulta", "value": "17654321-3"},
        {"event": "bot", "text": NOT_FOUND, "data": {}},
        {"event": "slot", "name": "rut_consulta", "value": None},
    ]
    corrected = make_tracker(
        "ah capaz q lo anote mal, es pen 7kq2n9",
        "consultar_estado",
        [ent("folio", "PEN-7KQ2N9")],
        slots={"municipio": "penalolen"},
        events=before,
        sender=conversation(SENDER),
    )
    _, slots = await run(ActionConsultarEstado(), corrected)
    assert slots["folio_consulta"] == "PEN-7KQ2N9" and slots["rut_consulta"] == "17654321-3"
    # Once the conversation moved on, a new folio asks its RUT again.
    later = before + [{"event": "bot", "text": "¡De nada! ¿En qué más te ayudo?", "data": {}}]
    moved_on = make_tracker(
        "y el pen 7kq2n9?", "consultar_estado", [ent("folio", "PEN-7KQ2N9")], {"municipio": "penalolen"}, later
    )
    _, slots = await run(ActionConsultarEstado(), moved_on)
    assert slots["rut_consulta"] is None
