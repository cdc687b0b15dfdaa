"""Handing conversations to staff: triggers, context, office hours, silence and ending the wait."""

from datetime import datetime

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.handoff as handoff
from actions.conversation import ActionFallback, ActionHablarConFuncionario
from actions.forms import ValidateFormularioSolicitud
from actions.handoff import ActionConFuncionario, ActionTerminarEspera
from bot.forms.state import FormState
from bot.handoff import service
from bot.storage.tables import HandoffRow
from tests.conftest import make_tracker, user_event

pytestmark = pytest.mark.usefixtures("loaded_services")
SENDER = "whatsapp:+56924868000:+56987654321"
THURSDAY_10 = datetime(2026, 11, 26, 10, 0)
SATURDAY_12 = datetime(2026, 11, 28, 12, 0)


REST_SENDER = "rest:local:vecino-1"


def tracker_for(text, intent, slots=None, events=None, channel_ok=True, input_channel=None):
    """A tracker of a WhatsApp conversation (``channel_ok``) or of a REST one, which cannot be pushed to.

    ``input_channel`` is what Rasa's API caller claims: the conversation id decides, never that.
    """
    tracker = make_tracker(
        text,
        intent,
        slots={"municipio": "penalolen", **(slots or {})},
        events=events,
        sender=SENDER if channel_ok else REST_SENDER,
    )
    for event in tracker.events:
        if event.get("event") == "user" and input_channel:
            event["input_channel"] = input_channel
    return tracker


async def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return "\n".join(m.get("text") or "" for m in dispatcher.messages), {
        e["name"]: e["value"] for e in events if e.get("event") == "slot"
    }


def handoffs(db):
    with db.session() as session:
        return session.execute(select(HandoffRow)).scalars().all()


async def test_asking_for_a_person_within_office_hours(loaded_services, monkeypatch):
    monkeypatch.setattr(handoff, "now_local", lambda: THURSDAY_10)
    text, slots = await run(
        ActionHablarConFuncionario(),
        tracker_for("quiero hablar con una persona", "hablar_con_funcionario", slots={"tramite": "poda-arboles"}),
    )
    assert "persona de la Municipalidad de Peñalolén" in text and "en breve" in text and "ya no, gracias" in text
    assert slots["con_funcionario"] is True
    [row] = handoffs(loaded_services)
    assert (row.municipality, row.sender_id, row.channel, row.reason, row.procedure, row.status) == (
        "penalolen",
        SENDER,
        "whatsapp",
        "hablar_con_funcionario",
        "poda-arboles",
        "esperando",
    )


async def test_outside_office_hours_says_when(loaded_services, monkeypatch):
    monkeypatch.setattr(handoff, "now_local", lambda: SATURDAY_12)
    text, _ = await run(ActionHablarConFuncionario(), tracker_for("con una persona", "hablar_con_funcionario"))
    assert "fuera de horario" in text and "el lunes 30/11 desde las 08:30" in text


async def test_during_the_lunch_break_says_it_reopens_in_the_afternoon(loaded_services, monkeypatch):
    monkeypatch.setattr(handoff, "now_local", lambda: datetime(2026, 11, 30, 14, 0))  # Monday, Angol's break
    text, slots = await run(
        ActionHablarConFuncionario(),
        tracker_for("con una persona", "hablar_con_funcionario", slots={"municipio": "angol"}),
    )
    assert "Municipalidad de Angol está fuera de horario por la hora de colación" in text
    assert "de 08:30 a 13:30 y de 14:30 a 17:00" in text and "te responderá por aquí hoy desde las 14:30" in text
    assert slots["con_funcionario"] is True


async def test_on_a_holiday_says_so_and_when_it_opens(loaded_services, monkeypatch):
    monkeypatch.setattr(handoff, "now_local", lambda: datetime(2026, 12, 8, 10, 0))  # Tuesday
    text, _ = await run(ActionHablarConFuncionario(), tracker_for("con una persona", "hablar_con_funcionario"))
    assert "Hoy es feriado (Inmaculada Concepción) y la Municipalidad de Peñalolén no atiende" in text
    assert "el miércoles 09/12 desde las 08:30" in text and "en breve" not in text


async def test_the_evening_before_a_holiday_the_next_opening_skips_it(loaded_services, monkeypatch):
    monkeypatch.setattr(handoff, "now_local", lambda: datetime(2026, 12, 24, 18, 0))  # Thursday; Friday is Navidad
    text, _ = await run(ActionHablarConFuncionario(), tracker_for("con una persona", "hablar_con_funcionario"))
    assert "fuera de horario" in text and "el lunes 28/12 desde las 08:30 (el viernes 25/12 es feriado)" in text


def test_a_municipality_s_own_holiday_closes_it(catalogue):
    from bot.answers.handoff import handed_over

    town, monday = catalogue.municipalities["penalolen"], datetime(2026, 11, 30, 10, 0)
    assert "en breve" in handed_over(town, monday, catalogue.holidays_for("penalolen")).text
    closed = handed_over(town, monday, {monday.date(): ""}).text
    assert "Hoy es feriado y la Municipalidad de Peñalolén no atiende" in closed
    assert "el martes 01/12 desde las 08:30" in closed


async def test_second_request_does_not_duplicate(loaded_services):
    await run(ActionHablarConFuncionario(), tracker_for("persona", "hablar_con_funcionario"))
    text, _ = await run(ActionHablarConFuncionario(), tracker_for("persona!!", "hablar_con_funcionario"))
    assert "Ya avisé" in text and len(handoffs(loaded_services)) == 1


async def test_channel_without_push_gives_the_contact_instead(loaded_services):
    text, slots = await run(
        ActionHablarConFuncionario(), tracker_for("persona", "hablar_con_funcionario", channel_ok=False)
    )
    assert "+562" in text and "con_funcionario" not in slots and handoffs(loaded_services) == []


async def test_a_claimed_input_channel_does_not_open_a_whatsapp_handoff(loaded_services):
    tracker = tracker_for("persona", "hablar_con_funcionario", channel_ok=False, input_channel="whatsapp")
    text, slots = await run(ActionHablarConFuncionario(), tracker)
    assert "+562" in text and "con_funcionario" not in slots and handoffs(loaded_services) == []


async def test_two_misunderstood_messages_hand_over(loaded_services):
    tracker = tracker_for("qwe asd", "nlu_fallback", events=[user_event("zxc", "nlu_fallback")])
    text, slots = await run(ActionFallback(), tracker)
    assert slots["con_funcionario"] is True and handoffs(loaded_services)[0].reason == "no_entendido"


async def test_a_message_while_waiting_is_acknowledged_once_and_silence_while_attended(loaded_services):
    from bot.answers.handoff import still_waiting

    waiting = {"con_funcionario": True}
    await run(ActionHablarConFuncionario(), tracker_for("persona", "hablar_con_funcionario"))
    text, slots = await run(ActionConFuncionario(), tracker_for("hola?", "saludar", slots=waiting))
    assert text == still_waiting().text and "ya no, gracias" in text and slots == {}
    acknowledged = [user_event("hola?", "saludar"), {"event": "bot", "text": still_waiting().text}]
    text, _ = await run(ActionConFuncionario(), tracker_for("hay alguien?", "saludar", waiting, acknowledged))
    assert text == ""  # not again for every message of the same wait
    [row] = handoffs(loaded_services)
    service.take_handoff(loaded_services, "penalolen", row.id, "ana")
    text, slots = await run(ActionConFuncionario(), tracker_for("hola?", "saludar", slots=waiting))
    assert text == "" and slots == {}  # a staffer attends it: the assistant says nothing


async def test_delete_my_data_works_while_in_staff_hands_and_a_yes_for_staff_deletes_nothing(
    loaded_services, tmp_path, monkeypatch
):
    from bot.answers.handoff import confirm_deletion

    monkeypatch.setenv("TRACKER_DB_DIALECT", "sqlite")
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    await run(ActionHablarConFuncionario(), tracker_for("persona", "hablar_con_funcionario"))
    with_staff = {"con_funcionario": True}
    text, slots = await run(ActionConFuncionario(), tracker_for("borra mis datos", "borrar_datos", with_staff))
    assert "¿Quieres que borre tus datos?" in text and slots == {"confirmar_borrado": True}
    asked = [user_event("borra mis datos", "borrar_datos"), {"event": "bot", "text": confirm_deletion().text}]
    pending = {**with_staff, "confirmar_borrado": True}
    text, slots = await run(ActionConFuncionario(), tracker_for("no", "negar", pending, asked))
    assert "no borré nada" in text and slots == {"confirmar_borrado": False} and len(handoffs(loaded_services)) == 1
    # A yes after the staffer wrote (the question is no longer the last thing the assistant said) is for them.
    later = asked + [user_event("y me llaman?", "consultar_bot"), {"event": "bot", "text": "otra cosa"}]
    text, slots = await run(ActionConFuncionario(), tracker_for("si", "afirmar", pending, later))
    assert "borré" not in text and slots == {"confirmar_borrado": False} and len(handoffs(loaded_services)) == 1
    text, slots = await run(ActionConFuncionario(), tracker_for("si", "afirmar", pending, asked))
    assert "borré tus datos" in text and slots == {"confirmar_borrado": False}
    assert handoffs(loaded_services) == []  # gone from the console's queue too


async def test_silent_while_with_staff_and_the_citizen_can_stop_waiting(loaded_services):
    await run(ActionHablarConFuncionario(), tracker_for("persona", "hablar_con_funcionario"))
    [row] = handoffs(loaded_services)
    service.take_handoff(loaded_services, "penalolen", row.id, "ana")
    text, slots = await run(ActionConFuncionario(), tracker_for("hola?", "saludar", slots={"con_funcionario": True}))
    assert text == "" and slots == {}
    text, slots = await run(ActionTerminarEspera(), tracker_for("ya no, gracias", "cancelar"))
    assert "cancelé la espera" in text and slots["con_funcionario"] is False
    assert handoffs(loaded_services)[0].status == "desistida"


async def test_repeated_failures_in_a_form_field_hand_over_with_the_form_data(loaded_services):
    state = FormState(
        "retiro-voluminosos",
        "penalolen",
        current="rut",
        attempts=2,
        values={"nombre": "Ana Soto"},
        displays={"nombre": "Ana Soto"},
    )
    tracker = tracker_for("no se", "informar", slots={"solicitud": state.to_dict()})
    dispatcher = CollectingDispatcher()
    result = await ValidateFormularioSolicitud().validate_respuesta_formulario("no se", dispatcher, tracker, {})
    assert result["con_funcionario"] is True and result["respuesta_formulario"] == "derivado"
    [row] = handoffs(loaded_services)
    assert row.reason == "formulario" and row.form_data == {"nombre": "Ana Soto"}
    assert row.procedure == "retiro-voluminosos"


async def test_delete_my_data_needs_confirmation_and_removes_only_mine(loaded_services, tmp_path, monkeypatch):
    from actions.conversation import ActionAfirmar, ActionNegar
    from actions.handoff import ActionBorrarDatos
    from bot.handoff.transcript import TranscriptReader
    from bot.rasa_internals.events_table import RASA_EVENTS
    from bot.storage.requests import submit_request
    from bot.storage.tables import RequestRow

    tracker_db = tmp_path / "tracker.db"
    monkeypatch.setenv("TRACKER_DB_DIALECT", "sqlite")
    monkeypatch.setenv("TRACKER_DB", str(tracker_db))
    reader = TranscriptReader(f"sqlite:///{tracker_db}")
    RASA_EVENTS.metadata.create_all(reader.engine)
    with reader.engine.begin() as conn:
        for sender in (SENDER, "whatsapp:+56924868000:+56911111111"):
            conn.execute(
                RASA_EVENTS.insert().values(
                    sender_id=sender, type_name="user", timestamp=1.0, data='{"text": "mi rut es 12.345.678-5"}'
                )
            )
    for sender, key in ((SENDER, "mine"), ("whatsapp:+56924868000:+56911111111", "theirs")):
        submit_request(
            loaded_services,
            key=key,
            municipality="penalolen",
            code="PEN",
            procedure="poda-arboles",
            fields={"nombre": "Ana"},
            rut="12345678-5",
            channel="whatsapp",
            sender_id=sender,
        )

    text, slots = await run(ActionBorrarDatos(), tracker_for("borra mis datos", "borrar_datos"))
    assert "¿Quieres que borre tus datos?" in text and slots["confirmar_borrado"] is True
    text, _ = await run(ActionNegar(), tracker_for("no", "negar", slots={"confirmar_borrado": True}))
    assert "no borré nada" in text and len(reader.rasa_turns(SENDER)) == 1

    text, slots = await run(ActionAfirmar(), tracker_for("si", "afirmar", slots={"confirmar_borrado": True}))
    assert "borré tus datos" in text and slots["confirmar_borrado"] is False
    assert reader.rasa_turns(SENDER) == [] and len(reader.rasa_turns("whatsapp:+56924868000:+56911111111")) == 1
    with loaded_services.session() as session:
        rows = {r.idempotency_key: r for r in session.query(RequestRow).all()}
    assert rows["mine"].rut is None and rows["mine"].fields == {} and rows["mine"].folio
    assert rows["theirs"].rut == "12345678-5"


async def test_a_staffer_taking_the_conversation_at_the_same_instant_leaves_one_open_handoff(loaded_services):
    """The assistant checked "no open handoff" just before a staffer took the conversation from the console."""
    from bot.handoff.service import AlreadyAttended, create_handoff, take_conversation

    sender = "whatsapp:+56924868000:+56911112222"
    taken, created = take_conversation(loaded_services, "penalolen", sender, "whatsapp", "ana")
    assert created
    duplicate = create_handoff(
        loaded_services, municipality="penalolen", sender_id=sender, channel="whatsapp", reason="no_entendido"
    )
    assert duplicate is None
    with pytest.raises(AlreadyAttended):  # Ana attends it: taking it over needs the staffer's confirmation
        take_conversation(loaded_services, "penalolen", sender, "whatsapp", "luis")
    again, created = take_conversation(loaded_services, "penalolen", sender, "whatsapp", "luis", replacing="ana")
    assert not created and again.id == taken.id and again.assigned_to == "luis"
    with loaded_services.session() as session:
        assert len(session.execute(select(HandoffRow).where(HandoffRow.sender_id == sender)).all()) == 1
