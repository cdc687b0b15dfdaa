"""Procedure actions as a citizen sees them: the right municipality, aspect and context."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionAfirmar, ActionNegar
from actions.municipality import ActionRecibirDato
from actions.procedures import ActionIniciarTramite, ActionListarTramites, ActionResponderTramite
from tests.conftest import ent, make_tracker, user_event

pytestmark = pytest.mark.usefixtures("loaded_services")


async def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


async def test_cost_question_answers_cost_of_own_municipality_first():
    tracker = make_tracker(
        "cuanto cuesta el aseo", "consultar_tramite", [ent("tramite", "derechos-aseo")], slots={"municipio": "angol"}
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    first = messages[0]["text"]
    assert first.startswith("Derechos de aseo") and "Angol" in first
    assert "Costo: 1,2 UTM" in first
    assert "Requisitos" not in first  # only what was asked, the rest is offered
    assert {b["title"] for b in messages[1]["buttons"]} >= {"Requisitos"}
    assert slots["tramite"] == "derechos-aseo"


async def test_same_question_other_municipality_other_fee():
    tracker = make_tracker(
        "cuanto cuesta el aseo",
        "consultar_tramite",
        [ent("tramite", "derechos-aseo")],
        slots={"municipio": "providencia"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "2,4 UTM" in messages[0]["text"] and "Angol" not in messages[0]["text"]


async def test_follow_up_keeps_the_procedure():
    tracker = make_tracker(
        "y donde queda?", "consultar_tramite", [], slots={"municipio": "penalolen", "tramite": "permiso-circulacion"}
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert messages[0]["text"].startswith("Permiso de circulación en Peñalolén")
    assert "Dónde:" in messages[0]["text"] and "Horario:" in messages[0]["text"]


async def test_where_at_the_town_hall_after_a_procedure_is_where_that_procedure_is_done():
    tracker = make_tracker(
        "y en la muni donde es?",
        "consultar_tramite",
        [],
        slots={"municipio": "penalolen", "tramite": "certificado-residencia"},
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert messages[0]["text"].startswith("Certificado de residencia en Peñalolén")
    assert "Av. Consistorial 3450" in messages[0]["text"]  # DIDECO, where it is done; not the town hall's address
    assert slots.get("tramite", "certificado-residencia") == "certificado-residencia"
    # Asked about the town hall itself, the town hall answers.
    tracker = make_tracker(
        "y donde queda la muni?",
        "consultar_tramite",
        [],
        slots={"municipio": "penalolen", "tramite": "certificado-residencia"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Av. Grecia 8735" in messages[0]["text"]


async def test_follow_up_without_context_asks_which_procedure():
    tracker = make_tracker("y cuanto cuesta?", "consultar_tramite", [], slots={"municipio": "penalolen"})
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "¿Sobre qué trámite?" in messages[0]["text"]


async def test_summary_when_no_aspect_asked():
    tracker = make_tracker(
        "permiso de circulacion",
        "consultar_tramite",
        [ent("tramite", "permiso-circulacion")],
        slots={"municipio": "providencia"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    text = messages[0]["text"]
    for part in ("Costo:", "Plazo:", "Dónde:", "Horario:", "En línea: https://www.providencia.cl"):
        assert part in text


async def test_a_question_no_aspect_covers_is_answered_by_the_catalogue_sentence_that_says_it():
    # "ayuno" is in a requirement of the sterilisation: that sentence comes first, the summary after.
    tracker = make_tracker(
        "oye y la mascota tiene q ir en ayuno?",
        "consultar_tramite",
        [],
        slots={"municipio": "penalolen", "tramite": "esterilizacion-mascotas"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    text = messages[0]["text"]
    assert "Sobre lo que preguntas:" in text and "Ayuno de 12 horas" in text
    assert text.index("Ayuno de 12 horas") < text.index("Costo:")
    # A question with no word of the catalogue's gets the summary alone.
    tracker = make_tracker(
        "permiso de circulacion",
        "consultar_tramite",
        [ent("tramite", "permiso-circulacion")],
        slots={"municipio": "angol"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Sobre lo que preguntas" not in messages[0]["text"]


async def test_what_happens_if_i_dont_is_answered_by_what_the_catalogue_says_follows():
    tracker = make_tracker(
        "y si no voy a la audiencia q pasa?",
        "consultar_tramite",
        [],
        slots={"municipio": "penalolen", "tramite": "multas-jpl"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    text = messages[0]["text"]
    assert "Sobre lo que preguntas:" in text and "resolver sin escucharte" in text
    assert text.index("resolver sin escucharte") < text.index("Costo:")
    # The NLU heard the mayor's "audiencia"; the hearing is a word of the court's own steps: the court stays.
    tracker = make_tracker(
        "y si no voy a la audiencia q pasa?",
        "consultar_tramite",
        [ent("tramite", "audiencia-alcalde")],
        slots={"municipio": "penalolen", "tramite": "multas-jpl"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Juzgado de Policía Local" in messages[0]["text"] and "resolver sin escucharte" in messages[0]["text"]


async def test_asking_about_a_suggested_procedure_takes_the_suggestion_up():
    tracker = make_tracker(
        "cuanto cuesta",
        "consultar_tramite",
        [],
        slots={"municipio": "penalolen", "tramite_sugerido": "compostera-domiciliaria"},
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert "compostera" in messages[0]["text"].lower() and "Costo:" in messages[0]["text"]
    assert slots["tramite"] == "compostera-domiciliaria" and slots["tramite_sugerido"] is None


async def test_unknown_commune_asks_and_keeps_the_question():
    tracker = make_tracker(
        "cuanto cuesta el permiso de circulacion", "consultar_tramite", [ent("tramite", "permiso-circulacion")]
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert "¿De qué comuna eres?" in messages[0]["text"]
    assert {b["title"] for b in messages[0]["buttons"]} == {"Angol", "Independencia", "Peñalolén", "Providencia"}
    assert slots["pendiente"]["tramite"] == "permiso-circulacion"

    answer = make_tracker(
        "soy de penalolen", "informar", [ent("comuna", "Peñalolén")], slots={"pendiente": slots["pendiente"]}
    )
    messages, slots = await run(ActionRecibirDato(), answer)
    assert "Peñalolén" in messages[0]["text"]
    assert "Costo:" in texts(messages) and "Permiso de circulación en Peñalolén" in texts(messages)
    assert slots["municipio"] == "penalolen" and slots["pendiente"] is None


async def test_channel_metadata_sets_the_municipality():
    tracker = make_tracker(
        "cuanto cuesta el aseo",
        "consultar_tramite",
        [ent("tramite", "derechos-aseo")],
        metadata={"municipio": "independencia"},
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert "Independencia" in messages[0]["text"] and slots["municipio"] == "independencia"


async def test_commune_not_served_points_to_its_municipality():
    tracker = make_tracker("soy de maipu", "informar", [ent("comuna", "Maipú")])
    messages, slots = await run(ActionRecibirDato(), tracker)
    assert "Municipalidad de Maipú" in messages[0]["text"] and "Región Metropolitana" in messages[0]["text"]
    assert "municipio" not in slots


async def test_a_question_from_a_commune_not_served_is_answered_once_the_citizen_names_a_served_one():
    tracker = make_tracker(
        "hola soy de recoleta, cuanto sale el permiso de circulacion",
        "consultar_tramite",
        [ent("comuna", "Recoleta"), ent("tramite", "permiso-circulacion")],
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert "no está disponible para Recoleta" in messages[0]["text"] and "Costo:" not in texts(messages)
    assert slots["pendiente"]["tramite"] == "permiso-circulacion" and "municipio" not in slots

    correction = make_tracker(
        "ah no perdon, en realidad vivo en independencia",
        "informar",
        [ent("comuna", "Independencia")],
        slots={"pendiente": slots["pendiente"]},
    )
    messages, slots = await run(ActionRecibirDato(), correction)
    assert "Permiso de circulación en Independencia" in texts(messages) and "Costo:" in texts(messages)
    assert slots["municipio"] == "independencia" and slots["tramite"] == "permiso-circulacion"


async def test_change_of_commune():
    tracker = make_tracker(
        "en realidad soy de angol", "informar", [ent("comuna", "Angol")], slots={"municipio": "providencia"}
    )
    _, slots = await run(ActionRecibirDato(), tracker)
    assert slots["municipio"] == "angol"


async def test_procedure_not_offered_in_that_municipality():
    tracker = make_tracker(
        "retiro de escombros", "consultar_tramite", [ent("tramite", "retiro-escombros")], slots={"municipio": "angol"}
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert "no tiene «Retiro de escombros" in messages[0]["text"] or "no tiene «" in messages[0]["text"]
    assert slots["tramite"] is None


async def test_national_procedure_points_to_the_service():
    tracker = make_tracker(
        "quiero sacar pasaporte", "consultar_tramite", [ent("tramite", "pasaporte")], slots={"municipio": "angol"}
    )
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
    area = make_tracker(
        '/listar_tramites{"categoria":"Tránsito"}',
        "listar_tramites",
        [ent("categoria", "Tránsito")],
        slots={"municipio": "angol"},
    )
    messages, _ = await run(ActionListarTramites(), area)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Permiso de circulación (en línea)" in titles
    assert all(b["payload"].startswith("/consultar_tramite") for b in messages[0]["buttons"])
    # The buttons are the list: no procedure is named again in the text (WhatsApp numbers the buttons under it).
    assert not any(title.split(" (")[0] in messages[0]["text"] for title in titles)


async def test_online_list_only_online_procedures(catalogue):
    online = [p for p in catalogue.procedures_for("angol").values() if p.online_url]
    assert 0 < len(online) < len(catalogue.procedures_for("angol"))
    tracker = make_tracker("que tramites hay en linea", "listar_tramites", [], slots={"municipio": "angol"})
    messages, _ = await run(ActionListarTramites(), tracker)
    assert f"{len(online)} trámites en línea" in messages[0]["text"]
    # What this chat can do is every procedure.
    tracker = make_tracker("q tramites se pueden hacer por aca?", "listar_tramites", [], slots={"municipio": "angol"})
    messages, _ = await run(ActionListarTramites(), tracker)
    assert f"{len(catalogue.procedures_for('angol'))} trámites que" in messages[0]["text"]


async def test_start_procedure_explains_how():
    tracker = make_tracker(
        "quiero pagar el permiso de circulacion",
        "iniciar_tramite",
        [ent("tramite", "permiso-circulacion")],
        slots={"municipio": "angol"},
    )
    messages, _ = await run(ActionIniciarTramite(), tracker)
    text = texts(messages)
    assert "Pasos:" in text and "https://www.angol.cl/permiso-de-circulacion" in text


async def test_a_misspelt_procedure_after_its_kind_is_answered_not_asked_which():
    tracker = make_tracker(
        "cuanto sale el permiso de sirculacion", "consultar_tramite", [], slots={"municipio": "penalolen"}
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert messages[0]["text"].startswith("Permiso de circulación en Peñalolén") and "Costo:" in messages[0]["text"]
    assert slots["tramite"] == "permiso-circulacion"


async def test_two_procedures_of_one_kind_the_second_by_an_elided_noun_are_both_answered():
    tracker = make_tracker(
        "cuanto sale el certificado de numero y el de residencia?",
        "consultar_tramite",
        [ent("tramite", "certificado-numero")],
        slots={"municipio": "penalolen"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    text = texts(messages)
    assert (
        "Certificado de número domiciliario en Peñalolén" in text and "Certificado de residencia en Peñalolén" in text
    )


async def test_two_questions_in_one_message_are_both_answered():
    # As the NLU gives them: the main procedure, and the other one told in a clause of its own.
    first = {**ent("tramite", "derechos-aseo"), "role": "siguiente", "start": 22, "end": 46}
    tracker = make_tracker(
        "buenas, soy de anjol. cuanto es el aseo al año y cuanto sale la patente comercial pa un almacen?",
        "consultar_tramite",
        [first, {**ent("tramite", "patente-comercial"), "start": 64, "end": 81}],
        slots={"municipio": "angol"},
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    text = texts(messages)
    assert "Patente comercial en Angol" in text and "Derechos de aseo" in text and text.count("Costo:") == 2
    assert text.index("Derechos de aseo") < text.index("Patente comercial en Angol")
    assert slots["tramite"] == "patente-comercial"  # the last one told stays in focus


async def test_one_word_of_one_procedure_and_a_clear_question_is_answered_not_confirmed():
    tracker = make_tracker(
        "wena, vivo en independensia, cuanto es el aseo al año?", "consultar_tramite", [ent("comuna", "Independencia")]
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert messages[0]["text"].startswith("Derechos de aseo domiciliario en Independencia")
    assert "Costo:" in messages[0]["text"] and "¿Te refieres" not in texts(messages)


async def test_a_contact_question_naming_an_office_answers_for_that_office():
    juzgado = make_tracker(
        "y el telefono del juzgado", "consultar_tramite", [], slots={"municipio": "penalolen", "tramite": "multas-jpl"}
    )
    messages, slots = await run(ActionResponderTramite(), juzgado)
    assert "Juzgado de Policía Local" in messages[0]["text"] and "+56224868700" in messages[0]["text"]
    assert slots["tema"] == "jpl"
    for text in ("cual es el correo de la muni", "y el telefono de la muni?"):
        town_hall = make_tracker(text, "consultar_tramite", [], slots={"municipio": "penalolen", "tema": "cesfam"})
        messages, slots = await run(ActionResponderTramite(), town_hall)
        assert messages[0]["text"].startswith("Municipalidad de Peñalolén: Edificio Consistorial"), text
        assert "CESFAM" not in messages[0]["text"] and slots["tema"] == "principal"
    other = make_tracker(
        "y el del cesfam?",
        "consultar_tramite",
        [ent("tramite", "inscripcion-cesfam")],
        slots={"municipio": "penalolen", "tema": "principal"},
    )
    messages, _ = await run(ActionResponderTramite(), other)
    assert messages[0]["text"].startswith("CESFAM Carol Urzúa")


async def test_a_contact_question_without_a_name_is_about_the_office_in_focus():
    after_fines = make_tracker(
        "y el telefono?", "consultar_tramite", [], slots={"municipio": "penalolen", "tramite": "multas-jpl"}
    )
    messages, _ = await run(ActionResponderTramite(), after_fines)
    assert "+56224868700" in messages[0]["text"]
    after_cesfam = make_tracker(
        "y el telefono?", "consultar_tramite", [], slots={"municipio": "penalolen", "tema": "cesfam"}
    )
    messages, _ = await run(ActionResponderTramite(), after_cesfam)
    assert "+56224868900" in messages[0]["text"]


async def test_a_contact_question_read_as_out_of_scope_is_still_answered():
    from actions.conversation import ActionFueraDeAlcance

    tracker = make_tracker(
        "y el telefono del juzgado", "fuera_de_alcance", [], slots={"municipio": "penalolen", "tramite": "multas-jpl"}
    )
    messages, _ = await run(ActionFueraDeAlcance(), tracker)
    assert "+56224868700" in messages[0]["text"]


async def test_a_day_after_the_town_hall_hours_gets_that_day():
    tracker = make_tracker(
        "y el viernes hasta q hora", "consultar_tramite", [], slots={"municipio": "penalolen", "tema": "principal"}
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "El viernes atiende de 08:30 a 16:30" in messages[0]["text"]


async def test_the_hours_of_a_day_with_a_lunch_break():
    tracker = make_tracker(
        "a q hora atiende la muni el lunes", "consultar_tramite", [], slots={"municipio": "angol", "tema": "principal"}
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "El lunes atiende de 08:30 a 13:30 y de 14:30 a 17:00." in messages[0]["text"]
    assert "Horario: Lunes a jueves de 08:30 a 13:30 y de 14:30 a 17:00; viernes" in messages[0]["text"]


async def test_a_second_request_told_in_its_own_clause_is_kept_for_after_the_folio():
    second = {**ent("tramite", "reporte-luminaria"), "role": "siguiente"}
    tracker = make_tracker(
        "hay un hoyo enorme en mi calle y ademas un poste apagado en la esquina",
        "iniciar_tramite",
        [ent("tramite", "reporte-bache"), second],
        slots={"municipio": "penalolen"},
    )
    messages, slots = await run(ActionIniciarTramite(), tracker)
    assert "Veo dos solicitudes" in texts(messages) and "luminaria" in texts(messages)
    assert slots["tramite"] == "reporte-bache" and slots["tramite_siguiente"] == "reporte-luminaria"


async def test_a_distinctive_word_of_another_procedure_leaves_the_one_in_focus_unless_it_follows_up():
    other = make_tracker(
        "buenas, cuanto es el aseo al año?",
        "consultar_tramite",
        [],
        slots={"municipio": "penalolen", "tramite": "certificado-numero"},
    )
    messages, _ = await run(ActionResponderTramite(), other)
    assert messages[0]["text"].startswith("Derechos de aseo domiciliario en Peñalolén")
    follow_up = make_tracker(
        "y si hay un arbol al lado, cuanto demoran?",
        "consultar_tramite",
        [],
        slots={"municipio": "penalolen", "tramite": "reporte-luminaria"},
    )
    messages, _ = await run(ActionResponderTramite(), follow_up)
    assert messages[0]["text"].startswith("Reporte de luminaria")


async def test_a_day_after_a_procedure_gets_that_day_at_its_office_and_the_procedure_stays():
    tracker = make_tracker(
        "y los sabados atienden?",
        "consultar_tramite",
        [],
        slots={"municipio": "penalolen", "tramite": "inscripcion-cesfam"},
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    assert "CESFAM Carol Urzúa" in messages[0]["text"] and "El sábado atiende de 09:00 a 13:00" in messages[0]["text"]
    assert slots["tema"] == "cesfam" and "tramite" not in slots  # "¿y qué piden?" is still about the CESFAM
    cost = make_tracker(
        "y cuanto cuesta?",
        "consultar_tramite",
        [],
        slots={"municipio": "penalolen", "tramite": "inscripcion-cesfam", "tema": "cesfam"},
    )
    messages, _ = await run(ActionResponderTramite(), cost)
    assert messages[0]["text"].startswith("Inscripción en el CESFAM en Peñalolén") and "Costo:" in messages[0]["text"]


async def test_the_kind_named_while_one_of_its_procedures_is_in_focus_is_that_one():
    # "¿se puede pedir por internet?" about the bulky-waste pickup, then "quiero pedir el retiro".
    slots = {"municipio": "penalolen", "tramite": "retiro-voluminosos"}
    tracker = make_tracker("mejor por aca, quiero pedir el retiro", "iniciar_tramite", [], slots=slots)
    messages, events = await run(ActionIniciarTramite(), tracker)
    assert "Retiro de residuos voluminosos" in texts(messages) and "¿Cuál de estos" not in texts(messages)
    assert events.get("formulario_listo") is True
    # Without that focus the kind alone still asks which.
    tracker = make_tracker("quiero pedir el retiro", "iniciar_tramite", [], slots={"municipio": "penalolen"})
    messages, _ = await run(ActionIniciarTramite(), tracker)
    assert "¿Cuál de estos trámites quieres hacer?" in texts(messages)


async def test_the_request_spoken_of_after_a_procedures_answer_is_that_procedures():
    # After the event permit's requirements, "¿dónde se entrega la solicitud?" asks where that permit is asked for.
    slots = {"municipio": "penalolen", "tramite": "permiso-evento"}
    tracker = make_tracker("donde se entrega la solicitud?", "consultar_tramite", [], slots=slots)
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert messages[0]["text"].startswith("Permiso para eventos") and "Grecia 8735" in messages[0]["text"]
    # With nothing in focus, a request of some kind still asks which.
    tracker = make_tracker("donde se entrega la solicitud?", "consultar_tramite", [], slots={"municipio": "penalolen"})
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "¿Sobre cuál de estos trámites me preguntas?" in texts(messages)


async def test_a_question_no_aspect_answers_gets_the_complementary_information():
    slots = {"municipio": "angol", "tramite": "reporte-luminaria"}
    tracker = make_tracker("y si hay un cable cortao en el suelo q hago", "consultar_tramite", [], slots=slots)
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Reporte de luminaria" in messages[0]["text"] and "133" in messages[0]["text"]


async def test_an_office_named_beats_a_loose_match_of_a_procedure():
    tracker = make_tracker(
        "wena tardes, soy de angool, a q hora atiende transito?", "consultar_tramite", [], slots={"municipio": "angol"}
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Lautaro 55" in texts(messages) and "13:30" in texts(messages) and "Juzgado" not in texts(messages)


async def test_how_to_do_an_online_procedure_gives_the_link_with_the_steps():
    tracker = make_tracker(
        "como pido una compostera?",
        "consultar_tramite",
        [ent("tramite", "compostera-domiciliaria")],
        slots={"municipio": "penalolen"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Pasos:" in texts(messages) and "penalolen.cl/tramites/composteras" in texts(messages)
    assert texts(messages).index("Pasos:") < texts(messages).index("Requisitos:")  # and what to bring


async def test_a_message_that_says_it_is_about_something_else_leaves_the_procedure_in_focus():
    slots = {"municipio": "penalolen", "tramite": "compostera-domiciliaria"}
    tracker = make_tracker(
        "otra cosa, donde renuevo el carnet?", "consultar_tramite", [ent("tramite", "cedula-identidad")], slots=slots
    )
    messages, events = await run(ActionResponderTramite(), tracker)
    assert "Registro Civil" in texts(messages) and "compostera" not in texts(messages).lower()
    # Without the words of a new topic, a short follow-up stays on the procedure in focus.
    tracker = make_tracker("y donde queda?", "consultar_tramite", [ent("tramite", "cedula-identidad")], slots=slots)
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "compostera" in texts(messages).lower()


async def test_a_question_after_an_office_is_about_the_one_procedure_done_there():
    tracker = make_tracker(
        "q necesito pa inscribirme ahi?", "consultar_tramite", [], slots={"municipio": "penalolen", "tema": "cesfam"}
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Inscripción" in texts(messages) and "FONASA" in texts(messages)


async def test_a_datum_given_to_an_offered_request_takes_it_up_and_answers_its_first_question():
    asked = make_tracker(
        "necesito el certificado de residencia pa la pega, me lo pueden mandar?",
        "consultar_tramite",
        [ent("tramite", "certificado-residencia")],
        slots={"municipio": "angol"},
    )
    offer, _ = await run(ActionResponderTramite(), asked)
    buttons = [b for m in offer for b in m.get("buttons") or []]
    assert any(b["payload"].startswith("/iniciar_tramite") for b in buttons)
    shown = [{"event": "bot", "text": m.get("text"), "data": {"buttons": m.get("buttons")}} for m in offer]
    name = make_tracker(
        "camila fernanda vidal",
        "informar",
        slots={"municipio": "angol", "tramite": "certificado-residencia"},
        events=shown,
    )
    messages, slots = await run(ActionRecibirDato(), name)
    assert "Te ayudo a pedir «Certificado de residencia" in texts(messages)
    assert "Para qué trámite" not in texts(messages)
    state = slots["solicitud"]
    assert state["values"]["nombre"] == "Camila Fernanda Vidal"  # nothing typed is lost
    assert state["current"] == "rut" and slots["formulario_listo"] is True and slots["consulta_lista"] is False


async def test_taking_up_an_offer_with_an_option_answers_the_first_question():
    asked = make_tracker(
        "hola, kiero dejar algo en la oirs pa la muni",
        "consultar_tramite",
        [ent("tramite", "reclamo-oirs")],
        slots={"municipio": "angol"},
    )
    offer, _ = await run(ActionResponderTramite(), asked)
    shown = [{"event": "bot", "text": m.get("text"), "data": {"buttons": m.get("buttons")}} for m in offer]
    chosen = make_tracker(
        "una sujerencia",
        "afirmar",
        [ent("tramite", "reclamo-oirs")],
        slots={"municipio": "angol", "tramite": "reclamo-oirs"},
        events=shown,
    )
    messages, slots = await run(ActionAfirmar(), chosen)
    assert "Te ayudo a pedir «Reclamos, sugerencias y felicitaciones" in texts(messages)
    state = slots["solicitud"]
    assert state["values"]["tipo"] == "Sugerencia" and state["current"] != "tipo"
    # A plain yes answers nothing ahead.
    yes = make_tracker("ya dale", "afirmar", slots={"municipio": "angol", "tramite": "reclamo-oirs"}, events=shown)
    _, slots = await run(ActionAfirmar(), yes)
    assert slots["solicitud"]["values"] == {} and slots["solicitud"]["current"] == "tipo"


async def test_a_request_told_with_its_data_asks_only_what_is_missing():
    said = "quiero denunciar ruidos molestos, es en pasaje los quillayes 5540, son fiestas con musica a todo volumen"
    tracker = make_tracker(
        said, "iniciar_tramite", [ent("tramite", "denuncia-ruidos")], slots={"municipio": "penalolen"}
    )
    messages, slots = await run(ActionIniciarTramite(), tracker)
    state = slots["solicitud"]
    assert state["values"] == {"direccion": "pasaje los quillayes 5540", "tipo_ruido": "Fiesta o música"}
    assert state["current"] == "horario" and "me falta una pregunta" in texts(messages)


async def test_a_procedure_named_alone_as_a_datum_is_answered_not_started():
    tracker = make_tracker(
        "escombros", "informar", [ent("tramite", "retiro-escombros")], slots={"municipio": "penalolen"}
    )
    messages, slots = await run(ActionRecibirDato(), tracker)
    assert "Retiro de escombros en Peñalolén" in texts(messages) and "¿Quieres hacer la solicitud" in texts(messages)
    assert not slots.get("formulario_listo")


async def test_an_office_named_in_everyday_words_is_that_office():
    tracker = make_tracker(
        "el consultorio atiende los sabados?", "consultar_tramite", [], slots={"municipio": "penalolen"}
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "CESFAM" in texts(messages) and "13:00" in texts(messages)


async def test_a_contact_question_about_a_procedure_gives_its_office_phone_and_the_town_hall_email():
    tracker = make_tracker(
        "y a q correo puedo escribir pa reclamar?",
        "consultar_tramite",
        [ent("tramite", "reclamo-oirs")],
        slots={"municipio": "independencia"},
    )
    messages, slots = await run(ActionResponderTramite(), tracker)
    first = messages[0]["text"]
    assert first.startswith("Reclamos, sugerencias y felicitaciones (OIRS) en Independencia")
    assert "Correo: oirs@independencia.cl" in first and "Teléfono:" in first
    assert "Costo:" not in first  # only what was asked
    assert slots["tramite"] == "reclamo-oirs"


async def test_paying_on_line_asks_how_not_how_much():
    tracker = make_tracker(
        "y el permiso se puede pagar por internet?",
        "consultar_tramite",
        [ent("tramite", "permiso-circulacion")],
        slots={"municipio": "angol", "tramite": "permiso-circulacion"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "angol.cl/permiso-de-circulacion" in messages[0]["text"] and "Costo:" not in messages[0]["text"]


async def test_a_request_for_any_procedure_lists_the_areas():
    tracker = make_tracker("hola quiero hacer un tramite", "iniciar_tramite", [], slots={"municipio": "independencia"})
    messages, _ = await run(ActionIniciarTramite(), tracker)
    assert "Elige un área" in messages[0]["text"]
    assert any(b["title"].startswith("Tránsito") for b in messages[0]["buttons"])


async def test_an_aspect_question_also_gets_the_catalogue_sentence_about_what_else_it_asks():
    tracker = make_tracker(
        "y el aseo se puede pagar en cuotas?",
        "consultar_tramite",
        [ent("tramite", "derechos-aseo")],
        slots={"municipio": "independencia"},
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    first = messages[0]["text"]
    assert "Costo: 1,5 UTM" in first and "cuotas que fije la municipalidad" in first
    # A plain cost question gets the cost alone.
    tracker = make_tracker(
        "cuanto cuesta el aseo", "consultar_tramite", [ent("tramite", "derechos-aseo")], slots={"municipio": "angol"}
    )
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Sobre lo que preguntas" not in messages[0]["text"]


async def test_a_question_kept_for_an_unserved_commune_is_answered_when_a_follow_up_names_a_served_one():
    tracker = make_tracker(
        "buenas, soy de ñuñoa, donde pago el permiso de circulacion?",
        "consultar_tramite",
        [ent("comuna", "Ñuñoa"), ent("tramite", "permiso-circulacion")],
    )
    _, slots = await run(ActionResponderTramite(), tracker)
    follow_up = make_tracker(
        "ah pero trabajo en providencia, puedo pagarlo alla?",
        "consultar_tramite",
        [ent("comuna", "Providencia")],
        slots={"pendiente": slots["pendiente"]},
    )
    messages, slots = await run(ActionResponderTramite(), follow_up)
    assert "Permiso de circulación en Providencia" in texts(messages) and "Pedro de Valdivia 963" in texts(messages)
    assert slots["municipio"] == "providencia" and slots["pendiente"] is None


async def test_a_change_of_commune_right_after_an_answer_gives_that_answer_for_the_new_one():
    before = [user_event("cuanto cobran por retirar un sofa viejo?", "consultar_tramite")]
    tracker = make_tracker(
        "ah no espera, en verdad ahora vivo en providencia, me cambie hace poco",
        "informar",
        [ent("comuna", "Providencia")],
        slots={"municipio": "penalolen", "tramite": "retiro-voluminosos"},
        events=before,
    )
    messages, slots = await run(ActionRecibirDato(), tracker)
    said = texts(messages)
    assert "Providencia" in said and "Retiro de residuos voluminosos (cachureos) en Providencia" in said
    assert "Costo: Gratuito, hasta 2 retiros al año" in said and slots["municipio"] == "providencia"


async def test_the_office_of_the_procedure_in_focus_keeps_it_in_focus():
    """After the driving licence, "¿y dónde queda tránsito?" keeps it in focus: "¿cuánto cuesta?" is its fee."""
    slots = {"municipio": "providencia", "tramite": "licencia-conducir"}
    messages, set_slots = await run(
        ActionResponderTramite(), make_tracker("y donde queda transito?", "consultar_tramite", [], slots=slots)
    )
    assert "Tránsito" in messages[0]["text"] and "Pedro de Valdivia 963" in messages[0]["text"]
    assert set_slots.get("tramite", "licencia-conducir") == "licencia-conducir"
    slots["tema"] = set_slots["tema"]
    messages, set_slots = await run(
        ActionResponderTramite(), make_tracker("a q hora atienden?", "consultar_tramite", [], slots=slots)
    )
    assert "08:30 a 14:00" in messages[0]["text"]
    assert set_slots.get("tramite", "licencia-conducir") == "licencia-conducir"
    messages, _ = await run(
        ActionResponderTramite(), make_tracker("cuanto cuesta mas o menos?", "consultar_tramite", [], slots=slots)
    )
    assert "Licencia de conducir" in messages[0]["text"] and "0,5 UTM" in messages[0]["text"]
    # Another office named (the town hall) after the licence lets go of it.
    _, set_slots = await run(
        ActionResponderTramite(), make_tracker("y donde queda el cesfam?", "consultar_tramite", [], slots=slots)
    )
    assert set_slots.get("tramite") is None


async def test_a_question_going_on_from_an_answer_read_as_a_datum_is_about_the_procedure_in_focus():
    """ "y pa los jubilados?" right after the fee of the waste collection: no datum, a question about it."""
    slots = {"municipio": "independencia", "tramite": "derechos-aseo"}
    tracker = make_tracker("y pa los jubilados? mi mama tiene 80 y vive sola", "informar", [], slots=slots)
    messages, _ = await run(ActionRecibirDato(), tracker)
    assert messages[0]["text"].startswith("Derechos de aseo domiciliario en Independencia")
    assert "exentas" in messages[0]["text"]
    # A datum stays a datum: "y mi rut es…?" gives no procedure answer.
    tracker = make_tracker(
        "y mi rut 12.345.678-5?", "informar", [ent("rut", "12345678-5")], slots={"municipio": "independencia"}
    )
    messages, _ = await run(ActionRecibirDato(), tracker)
    assert not messages[0]["text"].startswith("Derechos de aseo")


async def test_a_kind_named_after_a_choice_of_procedures_is_the_offered_one_of_that_kind():
    """Two procedures answered with a choice of which, then "y la patente…": the offered licence, not a new
    question between both licences."""
    from actions.procedure_turns import procedure_question
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir

    catalogue = load_catalogue(catalogue_dir())
    town = catalogue.municipalities["penalolen"]
    turn = procedure_question(
        catalogue, town, "cuanto sale la patente comercial y el permiso de circulacion?", None, None, None
    )
    choice = turn.replies[-1].as_dispatch()
    shown = {"event": "bot", "text": choice["text"], "data": {"buttons": choice["buttons"]}}
    slots = {"municipio": "penalolen", "tramite": "permiso-circulacion"}
    tracker = make_tracker("y la patente cuanto se demoran en darla?", "consultar_tramite", [], slots, [shown])
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert messages[0]["text"].startswith("Patente comercial en Peñalolén"), messages[0]["text"]
    # Without that choice just shown, the kind alone still asks which licence.
    tracker = make_tracker("y la patente cuanto se demoran en darla?", "consultar_tramite", [], slots)
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert "Patente de alcoholes" in str(messages[0]) and "Patente comercial" in str(messages[0])


async def test_ok_thanks_with_nothing_offered_is_welcomed():
    messages, _ = await run(ActionAfirmar(), make_tracker("ok gracias", "afirmar", [], slots={"municipio": "angol"}))
    assert messages[0]["text"] == "¡De nada! ¿En qué más te ayudo?"
    messages, _ = await run(ActionAfirmar(), make_tracker("ok", "afirmar", [], slots={"municipio": "angol"}))
    assert messages[0]["text"] == "¡Bien! ¿En qué más te ayudo?"


def test_a_question_beyond_a_choice_is_read_whole_and_another_kind_chooses_nothing():
    """After "¿De cuál quieres saber más?" (the aseo or the cachureos): a word of one chooses it, a question that
    asks more than an aspect ("en cuotas") goes to the NLU whole, and "la patente" is neither."""
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir
    from bot.dialogue.choices import choice_payload

    catalogue = load_catalogue(catalogue_dir())
    buttons = [
        {"title": "Derechos de aseo domiciliario", "payload": '/consultar_tramite{"tramite": "derechos-aseo"}'},
        {"title": "Retiro de voluminosos", "payload": '/consultar_tramite{"tramite": "retiro-voluminosos"}'},
    ]
    assert "derechos-aseo" in str(choice_payload(catalogue, "el aseo", buttons))
    assert '"aspecto":"plazo"' in str(choice_payload(catalogue, "y el aseo cuanto demora?", buttons))
    assert choice_payload(catalogue, "el aseo se puede pagar en cuotas?", buttons) is None
    assert choice_payload(catalogue, "y la patente cuanto se demora?", buttons) is None


def test_a_follow_up_that_names_another_kind_or_asks_how_it_is_done_online():
    """ "y pa una fiesta en la plaza q permiso necesito?" after the dumping leaves it for the events permit; "¿hay q
    inscribirse en alguna página?" during the mayor's audience is about that audience (its leylobby link), not the
    CESFAM the NLU guessed from "inscribirse" nor the town hall's web site."""
    from actions.procedure_turns import procedure_question
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir

    catalogue = load_catalogue(catalogue_dir())
    party = "y pa hacer una fiesta en la plaza del pasaje q permiso necesito?"
    turn = procedure_question(
        catalogue, catalogue.municipalities["penalolen"], party, "permiso-evento", "denuncia-microbasural", None
    )
    assert turn.replies[0].text.startswith("Permiso para eventos"), turn.replies[0].text
    page = "hay q inscribirse en alguna pagina?"
    turn = procedure_question(
        catalogue, catalogue.municipalities["providencia"], page, "inscripcion-cesfam", "audiencia-alcalde", None
    )
    assert "leylobby" in turn.replies[0].text and "providencia.cl" not in turn.replies[0].text


def test_when_they_open_with_nothing_in_focus_is_the_town_hall():
    from actions.procedure_turns import procedure_question
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir
    from bot.nlu.intent_cues import _cued_intent

    catalogue = load_catalogue(catalogue_dir())
    town = catalogue.municipalities["providencia"]
    for text in ("hasta q hora atienden los lunes?", "a q hora cierran el jueves?"):
        assert _cued_intent(text, "fuera_de_alcance") == "consultar_tramite"
        reply = procedure_question(catalogue, town, text, None, None, None).replies[0].text
        assert "Pedro de Valdivia 963" in reply and "17:30" in reply, reply
    # With a procedure named, its own office and hours.
    licence = procedure_question(catalogue, town, "a q hora atienden pa la licencia de conducir?", None, None, None)
    assert licence.replies[0].text.startswith("Licencia de conducir"), licence.replies[0].text


async def test_a_procedure_chosen_by_a_question_that_asks_more_than_an_aspect_gets_that_too():
    from actions.procedure_turns import procedure_question
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir

    catalogue = load_catalogue(catalogue_dir())
    town = catalogue.municipalities["independencia"]
    asked = "cuanto es el derecho de aseo y cuanto cuesta el retiro de cachureos?"
    choice = procedure_question(catalogue, town, asked, None, None, None).replies[-1].as_dispatch()
    shown = {"event": "bot", "text": choice["text"], "data": {"buttons": choice["buttons"]}}
    slots = {"municipio": "independencia", "tramite": "retiro-voluminosos"}
    tracker = make_tracker("el aseo se puede pagar en cuotas?", "consultar_tramite", [], slots, [shown])
    messages, _ = await run(ActionResponderTramite(), tracker)
    assert messages[0]["text"].startswith("Derechos de aseo domiciliario") and "cuotas" in messages[0]["text"]


async def test_an_area_named_in_words_without_its_buttons_lists_its_procedures():
    tracker = make_tracker("los de medio ambiente", "informar", [], slots={"municipio": "angol"})
    messages, _ = await run(ActionRecibirDato(), tracker)
    assert "Trámites de Medio Ambiente en Angol" in texts(messages)
    assert any("leña" in b["title"].lower() for b in messages[0]["buttons"])
    tracker = make_tracker("Juan Perez", "informar", [], slots={"municipio": "angol"})
    messages, _ = await run(ActionRecibirDato(), tracker)
    assert "¿Para qué trámite" in texts(messages)


def test_what_a_question_asks_beyond_any_aspect_matches_words_of_another_gender_or_number():
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir
    from bot.matching.question_words import sentences_answering

    catalogue = load_catalogue(catalogue_dir())
    cesfam = catalogue.procedure_for("penalolen", "inscripcion-cesfam")
    asked = "y a los niños los puedo inscribir en el consultorio de aca? antes estaban inscritos en otra comuna"
    assert sentences_answering(cesfam, asked) == ["Certificado de traslado, si viene inscrito en otro CESFAM"]


async def test_a_number_beyond_the_options_offered_says_so_and_asks_again():
    """ "7" to «¿Sobre cuál de estos trámites…?» with two options: no "¿para qué trámite es ese dato?"."""
    asked = {
        "event": "bot",
        "text": "¿Sobre cuál de estos trámites me preguntas?",
        "data": {
            "buttons": [
                {"title": "Patente de alcoholes", "payload": '/consultar_tramite{"tramite": "patente-alcoholes"}'},
                {"title": "Patente comercial", "payload": '/consultar_tramite{"tramite": "patente-comercial"}'},
            ]
        },
    }
    events = [user_event("cuanto cuesta la patente?", "consultar_tramite"), asked]
    tracker = make_tracker("7", "informar", slots={"municipio": "angol"}, events=events)
    messages, _ = await run(ActionRecibirDato(), tracker)
    assert "no está disponible" in messages[0]["text"] and "del 1 al 2" in messages[0]["text"]
    assert messages[1]["text"] == asked["text"] and [b["title"] for b in messages[1]["buttons"]] == [
        "Patente de alcoholes",
        "Patente comercial",
    ]
    # Without options pending, a number is still a datum without a request.
    messages, _ = await run(ActionRecibirDato(), make_tracker("7", "informar", slots={"municipio": "angol"}))
    assert "¿Para qué trámite es ese dato?" in messages[0]["text"]
