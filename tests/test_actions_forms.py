"""The guided request actions as the citizen sees them: start, answers, questions, cancel, folio."""

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.conversation import ActionAfirmar
from actions.forms import (
    ActionAskRespuestaFormulario,
    ActionCancelarSolicitud,
    ActionEnviarSolicitud,
    ValidateFormularioSolicitud,
)
from actions.procedures import ActionIniciarTramite
from bot.forms.state import CONFIRMING, DONE, FormState
from bot.storage.tables import RequestRow
from tests.conftest import ent, make_tracker

pytestmark = pytest.mark.usefixtures("loaded_services")


async def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, events


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


async def validate(state, text, intent="informar", entities=None, slots=None, metadata=None):
    action = ValidateFormularioSolicitud()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text,
        intent,
        entities,
        metadata=metadata,
        slots={"solicitud": state.to_dict(), "municipio": state.municipality, **(slots or {})},
    )
    result = await action.validate_respuesta_formulario(text, dispatcher, tracker, {})
    return dispatcher.messages, result


async def test_start_prefills_data_given_in_the_first_message():
    tracker = make_tracker(
        "quiero pedir retiro de un colchon, mi rut es 12.345.678-5",
        "iniciar_tramite",
        [ent("tramite", "retiro-voluminosos"), ent("rut", "12345678-5")],
        slots={"municipio": "penalolen", "rut": "12345678-5"},
    )
    messages, slots, _ = await run(ActionIniciarTramite(), tracker)
    assert "Te ayudo a pedir" in messages[0]["text"] and "cancelar" in messages[0]["text"]
    state = FormState.from_dict(slots["solicitud"])
    assert state.values == {"rut": "12345678-5"} and state.current == "nombre"
    assert slots["formulario_listo"] is True


async def test_two_requests_in_one_message_each_keeps_its_own_address():
    """ "poste sin luz en X y un hoyo en Y": the light's request is prefilled with X, never with Y."""
    text = "hay un poste sin luz en Los Aromos 1234 y ademas un hoyo enorme en Pasaje Pinto 45"
    light, hole = text.index("poste sin luz"), text.index("hoyo")
    tracker = make_tracker(
        text,
        "iniciar_tramite",
        [
            {"entity": "tramite", "value": "reporte-luminaria", "start": light, "end": light + 13},
            {"entity": "tramite", "value": "reporte-bache", "role": "siguiente", "start": hole, "end": hole + 4},
        ],
        slots={"municipio": "penalolen"},
    )
    messages, slots, _ = await run(ActionIniciarTramite(), tracker)
    state = FormState.from_dict(slots["solicitud"])
    assert state.procedure == "reporte-luminaria" and slots["tramite_siguiente"] == "reporte-bache"
    assert "Los Aromos 1234" in str(state.values.get("direccion")) and "Pinto" not in str(state.values)


async def test_procedure_not_taken_in_chat_does_not_start_a_form():
    tracker = make_tracker(
        "quiero sacar licencia",
        "iniciar_tramite",
        [ent("tramite", "licencia-conducir")],
        slots={"municipio": "penalolen"},
    )
    messages, slots, _ = await run(ActionIniciarTramite(), tracker)
    assert slots["formulario_listo"] is False and "solicitud" not in slots
    assert "Pasos:" in texts(messages)


async def test_ask_action_asks_current_field_with_buttons_for_choices():
    state = FormState("retiro-escombros", "penalolen", current="volumen")
    messages, _, _ = await run(
        ActionAskRespuestaFormulario(), make_tracker("x", "informar", slots={"solicitud": state.to_dict()})
    )
    assert [b["payload"] for b in messages[0]["buttons"]] == ["1", "2", "3"]


async def test_valid_answer_advances_invalid_explains():
    state = FormState("poda-arboles", "penalolen")
    state.current = "rut"
    messages, result = await validate(state, "12.345.678-4")
    assert result["respuesta_formulario"] is None
    assert "dígito verificador" in messages[0]["text"]
    messages, result = await validate(FormState.from_dict(result["solicitud"]), "12.345.678-5")
    new_state = FormState.from_dict(result["solicitud"])
    assert new_state.values["rut"] == "12345678-5" and new_state.current != "rut"


async def test_question_in_the_middle_is_answered_and_form_resumes():
    state = FormState("retiro-voluminosos", "penalolen", current="telefono")
    messages, result = await validate(state, "cuanto se demoran?", intent="consultar_tramite")
    text = texts(messages)
    assert "Plazo:" in text and "Sigamos con tu solicitud" in text
    assert "¿Quieres hacer la solicitud" not in text  # it is being made: no offer, no menu over the question
    assert not any(m.get("buttons") for m in messages)
    assert result == {"respuesta_formulario": None}  # state untouched: the same field is asked again


async def test_thanks_while_the_noise_schedule_is_asked_is_welcomed_and_nothing_stored():
    state = FormState("denuncia-ruidos", "angol", current="horario")
    messages, result = await validate(state, "Muy amable, que tenga buenas noches.", intent="despedirse")
    assert texts(messages).startswith("¡De nada!")
    assert result == {"respuesta_formulario": None}  # the schedule is asked again, nothing stored in it
    messages, result = await validate(state, "todos los viernes desde las once de la noche", intent="informar")
    assert FormState.from_dict(result["solicitud"]).values["horario"] == "todos los viernes desde las once de la noche"


async def test_question_about_another_procedure_in_the_middle():
    state = FormState("retiro-voluminosos", "penalolen", current="objetos")
    messages, result = await validate(
        state,
        "cuanto cuesta el permiso de circulacion?",
        intent="consultar_tramite",
        entities=[ent("tramite", "permiso-circulacion")],
    )
    assert "Permiso de circulación en Peñalolén" in texts(messages)
    assert result == {"respuesta_formulario": None}


async def test_free_text_answer_is_not_mistaken_for_a_question():
    state = FormState("retiro-voluminosos", "penalolen", current="objetos")
    _, result = await validate(
        state, "un colchon y un sillon", intent="iniciar_tramite", entities=[ent("tramite", "retiro-voluminosos")]
    )
    assert FormState.from_dict(result["solicitud"]).values["objetos"] == "un colchon y un sillon"


async def test_asking_for_a_person_in_the_middle_keeps_the_form():
    state = FormState("retiro-voluminosos", "penalolen", current="telefono")
    messages, result = await validate(state, "quiero hablar con una persona", intent="hablar_con_funcionario")
    assert "Municipalidad de Peñalolén" in texts(messages) and result == {"respuesta_formulario": None}


async def test_confirmation_yes_finishes():
    state = FormState(
        "reporte-luminaria",
        "penalolen",
        values={"direccion": "Los Aromos 12", "referencia": None, "telefono": None},
        stage=CONFIRMING,
    )
    _, result = await validate(state, "si", intent="afirmar")
    assert result["respuesta_formulario"] == "listo" and FormState.from_dict(result["solicitud"]).stage == DONE


def done_state(key="clave-1"):
    return FormState(
        "reporte-luminaria",
        "penalolen",
        key=key,
        stage=DONE,
        values={"direccion": "Los Aromos 12", "referencia": None, "telefono": "+56987654321"},
    )


async def test_submit_gives_folio_and_response_time(loaded_services):
    tracker = make_tracker("si", "afirmar", slots={"solicitud": done_state().to_dict()})
    messages, slots, _ = await run(ActionEnviarSolicitud(), tracker)
    text = messages[0]["text"]
    assert "folio PEN-" in text and "Plazo de respuesta" in text
    assert slots["solicitud"] is None and slots["formulario_listo"] is False
    with loaded_services.session() as session:
        row = session.execute(select(RequestRow)).scalar_one()
    assert row.municipality == "penalolen" and row.procedure == "reporte-luminaria" and row.folio in text
    assert row.fields["direccion"] == "Los Aromos 12" and row.sender_id == "vecino-test"


async def test_submitting_twice_creates_one_request(loaded_services):
    tracker = make_tracker("si", "afirmar", slots={"solicitud": done_state("same").to_dict()})
    first, _, _ = await run(ActionEnviarSolicitud(), tracker)
    second, _, _ = await run(ActionEnviarSolicitud(), tracker)
    assert first[0]["text"] == second[0]["text"]
    with loaded_services.session() as session:
        assert session.execute(select(func.count(RequestRow.id))).scalar() == 1


async def test_database_failure_apologises_keeps_answers_and_retries(loaded_services, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import actions.forms as forms_module

    def broken(*args, **kwargs):
        raise OperationalError("insert", {}, Exception("database is locked"))

    real = forms_module.submit_request
    monkeypatch.setattr(forms_module, "submit_request", broken)
    tracker = make_tracker("si", "afirmar", slots={"solicitud": done_state("retry").to_dict()})
    messages, slots, _ = await run(ActionEnviarSolicitud(), tracker)
    assert "problema" in messages[0]["text"] and "intento de nuevo" in messages[0]["text"]
    assert slots["solicitud_por_enviar"]["key"] == "retry"
    with loaded_services.session() as session:
        assert session.execute(select(func.count(RequestRow.id))).scalar() == 0  # nothing half-written

    monkeypatch.setattr(forms_module, "submit_request", real)
    retry = make_tracker("si", "afirmar", slots={"solicitud_por_enviar": slots["solicitud_por_enviar"]})
    messages, slots, _ = await run(ActionAfirmar(), retry)
    assert "folio PEN-" in messages[0]["text"] and slots["solicitud_por_enviar"] is None


async def test_cancel_says_nothing_was_sent(loaded_services):
    state = FormState("poda-arboles", "penalolen", current="rut")
    messages, slots, events = await run(
        ActionCancelarSolicitud(), make_tracker("cancelar", "cancelar", slots={"solicitud": state.to_dict()})
    )
    assert "No se envió nada" in messages[0]["text"] and "Poda" in messages[0]["text"]
    assert slots["solicitud"] is None
    assert any(e.get("event") == "active_loop" and e.get("name") is None for e in events)
    with loaded_services.session() as session:
        assert session.execute(select(func.count(RequestRow.id))).scalar() == 0


async def test_cancel_without_form_is_a_plain_acknowledgement():
    messages, _, _ = await run(ActionCancelarSolicitud(), make_tracker("cancelar", "cancelar"))
    assert messages[0]["text"].startswith("Listo, lo dejamos")


async def test_several_data_in_one_answer_each_go_to_their_field():
    state = FormState("retiro-voluminosos", "penalolen", current="nombre")
    text = "Ana Soto, 12.345.678-5, cel 987654321"
    entities = [
        dict(ent("rut", "12345678-5"), start=10, end=22),
        dict(ent("telefono", "+56987654321"), start=28, end=37),
    ]
    messages, result = await validate(state, text, entities=entities)
    new_state = FormState.from_dict(result["solicitud"])
    assert new_state.values["nombre"] == "Ana Soto" and new_state.values["rut"] == "12345678-5"
    assert new_state.values["telefono"] == "+56987654321" and new_state.current == "direccion"


async def test_only_data_for_other_questions_is_noted_and_the_question_asked_again():
    state = FormState("retiro-voluminosos", "penalolen", current="nombre")
    messages, result = await validate(
        state, "mi rut es 12.345.678-5", entities=[dict(ent("rut", "12345678-5"), start=10, end=22)]
    )
    new_state = FormState.from_dict(result["solicitud"])
    assert "anoté: RUT." in texts(messages) and new_state.current == "nombre" and "nombre" not in new_state.values


async def test_a_switch_fills_the_new_request_with_what_the_words_that_asked_for_it_tell():
    """ "mejor quiero poner un reclamo…" mid-form, then "sí": the complaint starts as a «Reclamo»."""
    state = FormState(
        "audiencia-alcalde", "angol", current="telefono", values={"nombre": "Carmen Huenchual"},
        displays={"nombre": "Carmen Huenchual"},
    )  # fmt: skip
    said = "no sabe q mejor quiero poner un reclamo en la oirs nomas, es mas rapido"
    messages, result = await validate(state, said, intent="iniciar_tramite", entities=[ent("tramite", "reclamo-oirs")])
    offered = FormState.from_dict(result["solicitud"])
    assert offered.switch_to == "reclamo-oirs" and not FormState.from_dict(result["solicitud"]).values.get("tipo")
    messages, result = await validate(offered, "si", intent="afirmar")
    complaint = FormState.from_dict(result["solicitud"])
    assert complaint.procedure == "reclamo-oirs" and complaint.values.get("tipo") == "Reclamo"
    assert complaint.values.get("nombre") == "Carmen Huenchual" and complaint.current != "tipo"
    assert "¿Qué quieres ingresar?" not in texts(messages)


ANGRY = "q lata tanta pregunta!! esto es una burla, llevo 3 meses pidiendo q poden ese arbol y nadie viene"


async def test_an_outburst_is_acknowledged_with_a_complaint_a_person_or_going_on():
    state = FormState(
        "poda-arboles", "penalolen", current="rut", values={"nombre": "Ana Soto"}, displays={"nombre": "Ana Soto"}
    )
    messages, result = await validate(state, ANGRY, intent="consultar_estado")
    text = texts(messages)
    assert "Lamento" in text and "OIRS" in text and "persona" in text and "quedan 5 preguntas" in text
    assert "Cuando terminemos" not in text and "¿Cuál es tu RUT?" not in text
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["Sí, dejar un reclamo", "Hablar con una persona", "No, seguir con esta"]
    offered = FormState.from_dict(result["solicitud"])
    asked, _, _ = await run(
        ActionAskRespuestaFormulario(), make_tracker("x", "informar", slots={"solicitud": offered.to_dict()})
    )
    assert asked == []  # the offer is the question: the RUT is not asked over it

    messages, result = await validate(offered, "si", intent="afirmar")
    complaint = FormState.from_dict(result["solicitud"])
    assert complaint.procedure == "reclamo-oirs" and complaint.values.get("nombre") == "Ana Soto"
    assert result["tramite_siguiente"] == "poda-arboles"  # offered again after the complaint's folio
    assert "retomar la solicitud de Poda" in texts(messages)


async def test_after_an_outburst_going_on_asks_the_question_again():
    state = FormState("poda-arboles", "penalolen", current="rut")
    _, result = await validate(state, ANGRY, intent="consultar_estado")
    for answer in ("no", "no, sigamos con esta", "sigamos"):
        messages, after = await validate(FormState.from_dict(result["solicitud"]), answer)
        kept = FormState.from_dict(after["solicitud"])
        assert kept.procedure == "poda-arboles" and not kept.switch_to and not kept.upset, answer
    # Answering the question instead withdraws the offer and takes the answer.
    _, after = await validate(FormState.from_dict(result["solicitud"]), "12.345.678-5")
    kept = FormState.from_dict(after["solicitud"])
    assert kept.values["rut"] == "12345678-5" and not kept.switch_to


async def test_an_outburst_while_filing_the_complaint_is_acknowledged_and_the_question_asked_again():
    state = FormState("reclamo-oirs", "penalolen", current="rut")
    messages, result = await validate(state, ANGRY, intent="consultar_estado")
    assert "Lamento" in texts(messages) and "hablar con una persona" in texts(messages)
    assert "solicitud" not in result  # no offer pending: the RUT is asked again


async def test_after_the_folio_the_second_request_is_offered_and_a_yes_starts_it(loaded_services):
    tracker = make_tracker(
        "si",
        "afirmar",
        slots={
            "solicitud": done_state("two").to_dict(),
            "tramite_siguiente": "reporte-bache",
            "municipio": "penalolen",
        },
    )
    messages, slots, _ = await run(ActionEnviarSolicitud(), tracker)
    assert "folio PEN-" in messages[0]["text"] and "Reporte de baches" in messages[1]["text"]
    assert slots["tramite_siguiente"] is None
    offer = {"event": "bot", "text": messages[1]["text"], "data": {"buttons": messages[1]["buttons"]}}
    for yes in ("si", "ya, hagamoslo"):
        accepted = make_tracker(yes, "afirmar", slots={"municipio": "penalolen"}, events=[offer])
        started, slots, _ = await run(ActionAfirmar(), accepted)
        assert "Te ayudo a pedir «Reporte de baches" in texts(started) and slots["formulario_listo"] is True


# --- Photos sent during a request ---------------------------------------------------------------------------

PHOTO = {"kind": "image", "source": "twilio", "ref": "https://api.twilio.com/x/Media/ME1", "content_type": "image/jpeg"}
VOICE = {"kind": "audio", "source": "twilio", "ref": "https://api.twilio.com/x/Media/ME2", "content_type": "audio/ogg"}


def bache_state(current, **values):
    return FormState("reporte-bache", "penalolen", current=current, values=dict(values))


async def test_a_photo_answers_the_photo_question_and_goes_with_the_request():
    state = bache_state("foto", direccion="Los Aromos 12", descripcion="un hoyo grande", ubicacion=None)
    messages, result = await validate(state, "/informar", metadata={"adjuntos": [PHOTO]})
    new_state = FormState.from_dict(result["solicitud"])
    assert new_state.stage == CONFIRMING and new_state.displays["foto"] == "Foto recibida"
    assert new_state.attachments == [PHOTO] and new_state.values["foto"] == PHOTO
    assert messages == []  # the summary comes next, from the ask action


async def test_the_photo_question_can_be_skipped_and_a_voice_note_is_no_photo():
    state = bache_state("foto", direccion="Los Aromos 12", descripcion="un hoyo grande", ubicacion=None)
    for skip in ("omitir", "no tengo"):
        _, result = await validate(state, skip)
        skipped = FormState.from_dict(result["solicitud"])
        assert skipped.stage == CONFIRMING and skipped.values["foto"] is None and skipped.attachments == []
    messages, result = await validate(state, "/informar", metadata={"adjuntos": [VOICE]})
    assert "Eso no es una foto" in texts(messages) and FormState.from_dict(result["solicitud"]).current == "foto"


async def test_a_photo_sent_while_another_question_is_asked_is_attached_and_the_question_asked_again():
    state = bache_state("descripcion", direccion="Los Aromos 12")
    messages, result = await validate(state, "/informar", metadata={"adjuntos": [PHOTO]})
    assert "Recibí tu foto y la adjunto a la solicitud" in texts(messages)
    kept = FormState.from_dict(result["solicitud"])
    assert kept.current == "descripcion" and kept.attachments == [PHOTO] and result["respuesta_formulario"] is None
    # With a caption, the caption answers the question and the photo is attached as well.
    messages, result = await validate(state, "hoyo de un metro frente al colegio", metadata={"adjuntos": [PHOTO]})
    answered = FormState.from_dict(result["solicitud"])
    assert answered.values["descripcion"] == "hoyo de un metro frente al colegio" and answered.attachments == [PHOTO]
    assert answered.current == "ubicacion"
    # A voice note is not a photo for the request (it stays in the conversation for staff).
    messages, result = await validate(state, "/informar", metadata={"adjuntos": [VOICE]})
    assert "quedará en la conversación" in texts(messages)
    assert FormState.from_dict(result["solicitud"]).attachments == []


async def test_the_request_stores_its_photos(loaded_services):
    state = FormState(
        "reporte-bache",
        "penalolen",
        key="clave-foto",
        stage=DONE,
        values={"direccion": "Los Aromos 12", "descripcion": "hoyo", "ubicacion": None, "foto": PHOTO},
        attachments=[VOICE | {"kind": "image", "ref": "otra"}, PHOTO],
    )
    tracker = make_tracker("si", "afirmar", slots={"solicitud": state.to_dict()})
    messages, _, _ = await run(ActionEnviarSolicitud(), tracker)
    assert "folio PEN-" in messages[0]["text"]
    with loaded_services.session() as session:
        row = session.execute(select(RequestRow)).scalar_one()
    assert row.fields["foto"] == "adjunto 2" and row.attachments == state.attachments


async def test_media_outside_a_request_gets_the_channels_reply():
    from actions.municipality import ActionRecibirDato

    for item, said in ((PHOTO, "imagen"), (VOICE, "audios")):
        tracker = make_tracker("/informar", "informar", metadata={"adjuntos": [item]}, slots={"municipio": "penalolen"})
        messages, slots, _ = await run(ActionRecibirDato(), tracker)
        assert said in texts(messages) and slots["formulario_listo"] is False


async def test_a_place_question_asks_for_the_location_button_and_a_photo_question_says_how_to_skip():
    state = bache_state("direccion")
    messages, _, _ = await run(
        ActionAskRespuestaFormulario(), make_tracker("x", "informar", slots={"solicitud": state.to_dict()})
    )
    assert messages[0]["pide_ubicacion"] is True
    state = bache_state("foto", direccion="Los Aromos 12", descripcion="un hoyo grande", ubicacion=None)
    messages, _, _ = await run(
        ActionAskRespuestaFormulario(), make_tracker("x", "informar", slots={"solicitud": state.to_dict()})
    )
    assert "foto del bache" in messages[0]["text"] and "omitir" in messages[0]["text"]
    assert "pide_ubicacion" not in messages[0]


async def test_asking_whether_or_why_a_datum_is_needed_is_answered_and_the_question_stays():
    state = FormState("retiro-voluminosos", "penalolen", current="email")
    messages, result = await validate(state, "es obligatorio el correo?", "consultar_tramite")
    said = texts(messages)
    assert "Es opcional" in said and "«omitir»" in said and "confirmación" in said
    assert result["respuesta_formulario"] is None and "email" not in state.values
    state = FormState("retiro-voluminosos", "penalolen", current="rut")
    messages, result = await validate(state, "pa q necesitan mi rut?", "consultar_estado")
    assert "El RUT identifica a quien hace la solicitud" in texts(messages) and "Es necesario" in texts(messages)


async def test_a_status_question_with_its_folio_is_no_address():
    state = FormState("retiro-voluminosos", "penalolen", current="direccion")
    said = "ya gracias, consulto el estado: PEN 4XK7M2 rut 12876543-3"
    messages, result = await validate(
        state, said, "consultar_estado", [ent("folio", "PEN-4XK7M2"), ent("rut", "12876543-3")]
    )
    assert "direccion" not in FormState.from_dict(result.get("solicitud") or state.to_dict()).values
    assert "Sigamos con tu solicitud" in texts(messages)


async def test_a_question_about_the_request_being_made_is_answered_not_left_for_later():
    state = FormState("denuncia-ruidos", "penalolen", current="direccion")
    said = "mi denuncia es anonima o el vecino va a saber q fui yo?"
    messages, _ = await validate(state, said, "consultar_estado", [ent("tramite", "denuncia-ruidos")])
    assert "Tu denuncia es reservada" in texts(messages) and "Cuando terminemos" not in texts(messages)
    messages, _ = await validate(state, "como va mi solicitud de poda?", "consultar_estado")
    assert "Cuando terminemos esta solicitud te ayudo con eso." in texts(messages)


async def test_a_name_or_an_address_told_as_such_while_another_question_is_asked_is_kept():
    state = FormState("reclamo-oirs", "angol", current="tipo")
    messages, result = await validate(state, "me llamo veronica paz lincoqueo")
    kept = FormState.from_dict(result["solicitud"])
    assert kept.values.get("nombre") == "Veronica Paz Lincoqueo" and kept.current == "tipo"
    assert "anoté: nombre" in texts(messages)
    # Asked the name, told the address too: both kept.
    state = FormState("retiro-voluminosos", "independencia", current="nombre")
    _, result = await validate(state, "me llamo oscar ignacio henriquez pino y vivo en los olivos 1120")
    kept = FormState.from_dict(result["solicitud"])
    assert kept.values.get("nombre") == "Oscar Ignacio Henriquez Pino"
    assert kept.values.get("direccion") == "los olivos 1120" and kept.current == "rut"


async def test_a_rut_with_a_space_before_its_check_digit_is_a_rut():
    state = FormState("reclamo-oirs", "angol", current="rut", values={"tipo": "Reclamo", "nombre": "Vero Paz"})
    _, result = await validate(state, "18270483 0", entities=[ent("rut", "18270483-0")])
    assert FormState.from_dict(result["solicitud"]).values.get("rut") == "18270483-0"


async def test_asking_for_another_request_mid_form_is_never_stored_as_an_answer_or_a_correction():
    # A schedule takes any words, yet "mejor quiero poner un reclamo…" asks for the complaint.
    state = FormState(
        "denuncia-ruidos", "providencia", current="horario",
        values={"direccion": "marchant pereira 250", "tipo_ruido": "Construcción"},
    )  # fmt: skip
    said = "no sabe q mejor quiero poner un reclamo en la oirs, ya los he denunciado mil veces y no pasa nada"
    messages, result = await validate(state, said, intent="consultar_estado", entities=[ent("tramite", "reclamo-oirs")])
    kept = FormState.from_dict(result["solicitud"])
    assert kept.switch_to == "reclamo-oirs" and "horario" not in kept.values
    # "no espera, en realidad…" names no correction when it asks for another request.
    state = FormState(
        "reporte-luminaria", "penalolen", current="referencia", values={"direccion": "quilin con tobalaba"},
        displays={"direccion": "quilin con tobalaba"},
    )  # fmt: skip
    said = "no espera, en realidad lo q quiero reportar es un hoyo en la calle ahi mismo, el foco ya lo arreglaron"
    messages, result = await validate(state, said, intent="iniciar_tramite", entities=[ent("tramite", "reporte-bache")])
    kept = FormState.from_dict(result["solicitud"])
    assert kept.switch_to == "reporte-bache" and kept.values["direccion"] == "quilin con tobalaba"
    assert "corregí" not in texts(messages)
