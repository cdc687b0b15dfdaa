"""What a message means given the dialogue (bot/dialogue), without a Rasa server."""

from datetime import date

import pytest

from bot.catalogue.files import load_catalogue
from bot.catalogue.model import FormField
from bot.config import catalogue_dir
from bot.dialogue.cues import asks_about_town_hall, is_stop, names_a_person, sounds_upset, town_hall_only_as_place
from bot.dialogue.form_moves import ACKNOWLEDGED, ANSWER, CANCEL, OTHER_REQUEST, PERSON, QUESTION, form_move
from bot.dialogue.message import Message
from bot.dialogue.procedure_moves import ASK, DO, procedure_move
from bot.forms.fields import AnswerContext, validate_answer
from bot.forms.flow import handle_message
from bot.forms.state import CHOOSING, CONFIRMING, FormState
from bot.matching.generic import generic_candidates
from bot.nlu.intent_cues import _cued_intent
from channels.typed import typed_text

CONTEXT = AnswerContext(today=date(2026, 12, 1), commune="Peñalolén")
PET = FormField("especie", "opcion", "¿Tu mascota es perro o gato?", options=["Perro", "Gato"])
REASON = FormField("motivo", "opcion", "¿Para qué lo necesitas?", options=["Trabajo", "Estudios", "Otro"])
DESCRIPTION = FormField("descripcion", "texto", "¿Qué pasó?")
RUT = FormField("rut", "rut", "¿Cuál es tu RUT?")
EMAIL = FormField("email", "email", "¿Quieres recibirla por correo? Escríbelo", required=False)
PLACE = FormField("ubicacion", "ubicacion", "Comparte la ubicación", required=False)


def move(form_field, text, intent="informar", confidence=0.9, stage="preguntando", **entities):
    return form_move(stage, form_field, Message(text, intent, confidence, entities), CONTEXT, "esterilizacion")


@pytest.mark.parametrize(
    "text,intent,entities",
    [
        ("perro", "iniciar_tramite", {"tramite": "registro-mascotas"}),  # an option, whatever the NLU says
        ("1", "consultar_estado", {}),
    ],
)
def test_the_pending_question_has_first_claim(text, intent, entities):
    assert move(PET, text, intent, **entities) == ANSWER


def test_only_clear_words_cancel_a_form():
    assert move(DESCRIPTION, "para la pega", "cancelar", 0.95) == ANSWER
    assert move(RUT, "Daniela Ortiz", "cancelar", 0.99) == ANSWER  # an invalid RUT, explained, not a cancel
    for text in ("cancelar", "ya no quiero seguir", "mejor no, cancela", "olvidalo"):
        assert move(DESCRIPTION, text) == CANCEL, text
    assert not is_stop("el vecino cancela la fiesta siempre tarde y sigue la musica hasta las cuatro")
    # A stop in the first clause, then the reason: still a stop.
    assert move(DESCRIPTION, "sabe q mejor cancelar, voy a sacar fotos primero y despues lo hago") == CANCEL
    assert move(RUT, "sabes q no, cancela eso, mejor lo llevo yo al punto limpio") == CANCEL
    # "Cancelar" a fee is paying it, and a "no" before the verb keeps going.
    for text in ("donde cancelo el permiso de circulacion?", "no, no cancele, sigamos", "cancelo la patente y listo?"):
        assert not is_stop(text), text


def test_a_person_is_asked_for_in_words_not_guessed_from_a_description():
    assert move(RUT, "quiero hablar con una persona", "hablar_con_funcionario") == PERSON
    assert move(DESCRIPTION, "la persona del lado bota basura", "hablar_con_funcionario", 0.7) == ANSWER


def test_questions_interrupt_only_when_they_are_not_answers():
    assert move(RUT, "cuanto se demoran?", "consultar_tramite") == QUESTION
    assert move(DESCRIPTION, "¿y esto cuánto cuesta?", "consultar_tramite") == QUESTION
    assert (
        move(
            DESCRIPTION, "las ramas tapan la luz y la calle esta oscura", "iniciar_tramite", tramite="reporte-luminaria"
        )
        == ANSWER
    )


def test_a_wish_in_the_subjunctive_is_a_description_not_a_question():
    said = "q pongan mas basureros en la plaza de armas porq los fines de semana queda todo lleno de botellas"
    assert move(DESCRIPTION, said, "consultar_tramite", 0.8) == ANSWER
    assert move(DESCRIPTION, "que arreglen la vereda", "consultar_tramite", 0.8) == ANSWER
    assert move(RUT, "q piden pa esto?", "consultar_tramite", 0.8) == QUESTION


def test_another_request_mid_form_needs_the_words_of_a_request():
    assert (
        move(RUT, "en realidad quiero reportar una luminaria apagada", "iniciar_tramite", tramite="reporte-luminaria")
        == OTHER_REQUEST
    )
    assert (
        move(DESCRIPTION, "mejor quiero pedir la poda de un arbol", "iniciar_tramite", tramite="poda-arboles")
        == OTHER_REQUEST
    )
    # Asked of the address of a tree, a switch in the first person plural, after a description of its own.
    tree = FormField("direccion", "direccion", "¿En qué dirección está el árbol?")
    said = "oye y aprovechando, tengo un sillon y una cama vieja q quiero botar, mejor pidamos eso primero"
    assert move(tree, said, "iniciar_tramite", tramite="retiro-voluminosos") == OTHER_REQUEST


def test_a_change_of_mind_that_is_no_answer_offers_the_procedure_it_names():
    phone = FormField("telefono", "telefono", "¿A qué teléfono te llamamos?")
    said = "oye sabes q, mejor hago primero lo del foco apagado de mi pasaje, es mas urgente"
    assert move(phone, said, "informar", tramite="reporte-luminaria") == OTHER_REQUEST
    # Without the change of mind, a message naming another procedure is no request to switch.
    assert move(phone, "el foco de mi pasaje tb esta apagado", "informar", tramite="reporte-luminaria") != OTHER_REQUEST
    # A change of mind that answers is the answer.
    assert move(phone, "mejor al 9 8765 4321", "informar", tramite="reporte-luminaria") == ANSWER
    # Asked for an address, the change of mind reads like one ("…en mi pasaje") but asks for the other request.
    address = FormField("direccion", "direccion", "¿Dónde está el hoyo?")
    said = "oye sabes q, mejor reporto primero el poste de luz q esta apagado en mi pasaje, eso es mas urgente"
    assert move(address, said, "iniciar_tramite", tramite="reporte-luminaria") == OTHER_REQUEST
    assert move(address, "prefiero pedir la poda del arbol de la esquina", "informar", tramite="poda-arboles") == (
        OTHER_REQUEST
    )
    # An address with "mejor" in it stays an address.
    assert move(address, "mejor en la esquina de Lautaro con Prat", "informar") == ANSWER


def test_naming_the_request_being_filled_answers_nothing():
    address = FormField("direccion", "direccion", "¿Dónde está la luminaria?")
    assert (
        form_move(
            "preguntando",
            address,
            Message("primero el poste", "informar", 0.9, {"tramite": "reporte-luminaria"}),
            CONTEXT,
            "reporte-luminaria",
        )
        == ACKNOWLEDGED
    )
    assert (
        form_move(
            "preguntando",
            address,
            Message("poste frente al 1234", "informar", 0.9, {"tramite": "reporte-luminaria"}),
            CONTEXT,
            "reporte-luminaria",
        )
        == ANSWER
    )
    assert (
        form_move(
            "preguntando",
            DESCRIPTION,
            Message("un hoyo grande", "informar", 0.9, {"tramite": "reporte-bache"}),
            CONTEXT,
            "reporte-bache",
        )
        == ANSWER
    )


def test_on_the_summary_yes_no_and_corrections_are_answers():
    for text in ("si", "corregir", "quiero cambiar el telefono"):
        assert move(None, text, "afirmar", stage=CONFIRMING) == ANSWER
    assert move(None, "a q hora abre la muni?", "consultar_tramite", stage=CONFIRMING) == QUESTION


def test_chat_words_choose_an_option_and_other_keeps_the_text():
    assert validate_answer(PET, "es una perrita", CONTEXT).value == "Perro"
    assert validate_answer(REASON, "pa la pega", CONTEXT).value == "Trabajo"
    assert validate_answer(REASON, "pa un tramite en la notaria", CONTEXT).value == "Otro: pa un tramite en la notaria"


def test_declining_and_accepting_optional_fields():
    assert validate_answer(PLACE, "no puedo", CONTEXT).ok and validate_answer(EMAIL, "no tengo correo", CONTEXT).ok
    state = FormState("x", "penalolen", current="email")
    step = handle_message(state, [EMAIL], "si", CONTEXT)
    assert step.state.current == "email" and "correo" in step.replies[0].text and step.state.attempts == 0


def test_corregir_on_the_summary_opens_the_field_picker():
    state = FormState("x", "penalolen", stage=CONFIRMING, values={"rut": "12345678-5"}, displays={"rut": "12345678-5"})
    for text in ("corregir", "corejir", "quiero corregir"):
        state.stage = CONFIRMING
        assert handle_message(state, [RUT], text, CONTEXT).state.stage == CHOOSING, text


@pytest.mark.parametrize(
    "text,intent,expected",
    [
        ("como registro a mi gato", "iniciar_tramite", ASK),
        ("se llevan refrigeradores viejos?", "iniciar_tramite", ASK),
        ("q piden pa la patente de un negocio", "iniciar_tramite", ASK),
        ("vengan a buscar un refri que ya no funciona", "consultar_tramite", DO),
        ("hay una luminaria apagada en mi pasaje", "consultar_tramite", DO),
        ("quiero pedir el retiro de un colchon", "consultar_tramite", DO),
        ("necesito un certificado de residencia pa la pega", "iniciar_tramite", DO),
        ("agendeme una audiencia con el alcalde pa lo de la plaza", "consultar_tramite", DO),  # a command for me
        ("las ramas topan los cables, pidan q las corten", "consultar_estado", DO),
        ("quiero abrir un almacen en mi casa, q permiso se necesita", "iniciar_tramite", ASK),  # the question closes
        ("me pasaron un parte, hasta q hora atiende el juzgado", "iniciar_tramite", ASK),
        ("ya, mejor pidelo por aca entonces", "afirmar", DO),  # asked of the assistant
        (
            "hay un arbol seco en la vereda de mi casa q se puede caer, quiero q lo vengan a ver",
            "consultar_tramite",
            DO,
        ),
        ("quiero q vengan a ver el arbol, cuanto se demoran", "iniciar_tramite", ASK),
    ],
)
def test_asking_about_a_procedure_or_asking_for_it(text, intent, expected):
    assert procedure_move(Message(text, intent, 0.9)) == expected


def test_a_short_aspect_question_the_classifier_missed_is_a_follow_up():
    assert _cued_intent("cuesta algo?", "nlu_fallback") == "consultar_tramite"
    assert _cued_intent("cuanto cuesta", "fuera_de_alcance") == "consultar_tramite"
    assert _cued_intent("quien gano el partido ayer?", "fuera_de_alcance") == "fuera_de_alcance"


def test_a_folio_corrected_after_a_miss_is_a_status_question():
    said = "ah capaz q lo anote mal, es ang 7kq2n9"
    assert _cued_intent(said, "fuera_de_alcance", {"folio"}) == "consultar_estado"
    assert _cued_intent(said, "informar", {"folio"}) == "consultar_estado"
    # Asking for a person while upset is a handoff; a commune said alone is a datum, not a greeting.
    assert _cued_intent("no entiendes nada, quiero un humano", "fuera_de_alcance") == "hablar_con_funcionario"
    assert _cued_intent("no entiendes nada, pasame con alguien altiro", "consultar_bot") == "hablar_con_funcionario"
    assert _cued_intent("no quiero hablar con una maquina, quiero una persona", "negar") == "hablar_con_funcionario"
    assert _cued_intent("eres una persona?", "consultar_bot") == "consultar_bot"
    assert _cued_intent("hola hay alguien?", "saludar") == "saludar"
    assert _cued_intent("peñalolen", "saludar", {"comuna"}) == "informar"
    assert _cued_intent("hola peñalolen", "saludar", {"comuna"}) == "saludar"
    # A correction that opens with "no" or "sí" is still the folio, not an answer to nothing.
    assert _cued_intent("uy no, es ANG-Q4M8T3, me equivoque", "negar", {"folio"}) == "consultar_estado"
    assert _cued_intent("si, es el ANG-Q4M8T3", "afirmar", {"folio"}) == "consultar_estado"
    assert _cued_intent("hola", "saludar", set()) == "saludar"


def test_a_report_or_a_request_in_first_person_is_a_request():
    assert _cued_intent("poste apagado afuera del 2233 de san martin", "consultar_estado", {"tramite"}) == (
        "iniciar_tramite"
    )
    said = "solicito evaluacion de un arbol inclinado q se puede caer encima de mi casa con el viento"
    assert _cued_intent(said, "consultar_tramite", {"tramite"}) == "iniciar_tramite"  # "se puede caer" asks nothing
    said = "necesito hora pa operar a mi perrita pa q no tenga mas cachorros"
    assert _cued_intent(said, "consultar_tramite", {"tramite"}) == "iniciar_tramite"
    said = "necesito ayuda con pañales y mercaderia, estoy sin trabajo"
    assert _cued_intent(said, "consultar_tramite", {"tramite"}) == "iniciar_tramite"
    # Still questions:
    assert _cued_intent("solicito informacion, cuanto cuesta la poda", "iniciar_tramite", {"tramite"}) == (
        "consultar_tramite"
    )
    assert _cued_intent("necesito hora pa esterilizar, donde se pide?", "iniciar_tramite", {"tramite"}) == (
        "consultar_tramite"
    )


def test_declining_the_request_thanking_and_a_real_person():
    assert _cued_intent("para para, no quiero hacer la solicitud", "iniciar_tramite") == "cancelar"
    assert _cued_intent("no quiero hacer el reclamo todavia", "iniciar_tramite", {"tramite"}) == "cancelar"
    assert _cued_intent("no quiero nada mas", "negar") == "negar"  # an answer, no cancel
    assert _cued_intent("se agradece harto", "fuera_de_alcance") == "agradecer"
    assert _cued_intent("hay alguien de verdad q me pueda ayudar?", "consultar_bot") == "hablar_con_funcionario"
    assert _cued_intent("eres una persona de verdad?", "consultar_bot") == "consultar_bot"
    said = "gracias, y puedo hablar con alguien de la muni pa confirmar la hora?"
    assert _cued_intent(said, "consultar_tramite") == "hablar_con_funcionario"


def test_a_no_that_opens_a_clause_is_no_anger():
    assert not sounds_upset("ah no, puede ser IND-K4M9P3?")
    assert sounds_upset("no puede ser, otra vez lo mismo")
    assert sounds_upset("NO, NO ME SIRVE")


def test_asking_them_to_come_is_a_request_not_a_status_question():
    assert _cued_intent("ya, q vengan a buscarlos entonces", "consultar_estado") == "iniciar_tramite"
    assert _cued_intent("cuando vienen a buscar lo q pedi?", "consultar_estado") == "consultar_estado"
    assert _cued_intent("ya vinieron a buscar los cachureos q pedi?", "consultar_estado") == "consultar_estado"
    assert _cued_intent("hola kiero dejar un reclamo", "consultar_tramite", {"tramite"}) == "iniciar_tramite"
    # Told to come and act, the rest of a long description asks nothing ("se puede caer" is no question).
    told = "el arbol de afuera de mi casa tiene una rama quebrada que se puede caer encima de alguien vengan a podarlo"
    assert _cued_intent(told, "consultar_tramite", {"tramite"}) == "iniciar_tramite"
    assert _cued_intent("se puede pedir que vengan a podar?", "consultar_tramite", {"tramite"}) == "consultar_tramite"
    # Whether it is needed, asked without a question mark.
    needed = "queremos botarla pa hacer otra ase falta permizo de la muni pa demoler"
    assert _cued_intent(needed, "iniciar_tramite", {"tramite"}) == "consultar_tramite"
    needed = "quiero poner un taller de costura en mi casa nesesito patente o no"
    assert _cued_intent(needed, "iniciar_tramite", {"tramite"}) == "consultar_tramite"


def test_town_hall_questions_are_relabelled_whatever_was_guessed():
    assert asks_about_town_hall("a q hora cierra la muni los viernes")
    assert _cued_intent("en q calle esta la municipalidad", "listar_tramites") == "consultar_tramite"
    assert _cued_intent("hola", "saludar") == "saludar"
    # Doing a procedure on the web site asks about the procedure; asking for the site is about the town hall.
    assert not asks_about_town_hall("se puede pedir por la pagina?")
    assert not asks_about_town_hall("lo puedo pagar en la web de la muni?")
    assert asks_about_town_hall("ya y a q numero puedo llamar pa preguntar?")
    assert asks_about_town_hall("y a q correo puedo escribir pa reclamar?")
    assert town_hall_only_as_place("y en la muni donde es?")
    assert town_hall_only_as_place("hay q ir a la municipalidad?")
    assert not town_hall_only_as_place("y donde queda la muni?")
    assert not town_hall_only_as_place("a q hora abre la muni el sabado")
    assert not town_hall_only_as_place("en la muni a q hora atienden")  # "muni ... atienden": the town hall itself
    assert asks_about_town_hall("tienen pagina web?")
    # Delivered to the citizen's own e-mail: when, not the town hall's address.
    assert not asks_about_town_hall("y cuando me llega al correo?") and asks_about_town_hall("y el correo?")
    from bot.matching.aspects import asked_aspects

    assert asked_aspects("y cuando me llega al correo?") == ["plazo"]


def test_a_kind_of_procedure_alone_is_ambiguous():
    offered = load_catalogue(catalogue_dir()).procedures_for("penalolen").values()
    assert {p.slug for p in generic_candidates("necesito un certificado", offered)} >= {
        "certificado-residencia",
        "certificado-numero",
    }
    assert generic_candidates("necesito el certificado de residencia", offered) == []


def test_upset_messages():
    assert sounds_upset("NO ME SIRVE NADA DE ESTO") and sounds_upset("nadie contesta el telefono")
    assert not sounds_upset("hola, cuanto cuesta la patente")
    # Shouted thanks are thanks, whatever the exclamation marks.
    assert sounds_upset("NO ME ATIENDEN NUNCA!!") and not sounds_upset("TE PASASTE, GRACIAS!!")
    assert _cued_intent("TE PASASTE, GRACIAS!!", "agradecer") == "agradecer"


def test_a_report_with_an_address_is_a_request_not_a_datum():
    said = "hay un foco apagado en el pasaje los copihues frente al 2140"
    assert _cued_intent(said, "informar", {"tramite"}) == "iniciar_tramite"
    assert _cued_intent("pasaje los copihues 2140", "informar", {"tramite"}) == "informar"


def test_typed_slash_is_text_and_telegram_commands_are_words():
    assert typed_text("/start") == "hola" and typed_text("/start@MuniBot") == "hola"
    assert typed_text('/iniciar_tramite{"tramite":"poda-arboles"}') == 'iniciar_tramite{"tramite":"poda-arboles"}'
    assert typed_text("hola") == "hola"


def test_an_optional_question_that_says_so_is_not_told_twice():
    from bot.answers.forms import question

    plain = question(EMAIL).text
    says_so = question(FormField("x", "texto", "¿Algo más? (es opcional)", required=False)).text
    assert plain.count("opcional") == 1 and says_so.count("opcional") == 1
    assert "omitir" in plain and "omitir" in says_so


def test_are_you_a_bot_says_it_is_an_assistant():
    from bot.answers.conversation import capabilities

    assert "asistente virtual" in capabilities().text and "no una persona" in capabilities().text


def test_what_can_you_do_names_the_areas_of_the_municipality():
    from bot.answers.conversation import capabilities

    catalogue = load_catalogue(catalogue_dir())
    town = catalogue.municipalities["penalolen"]
    offered = catalogue.procedures_for("penalolen").values()
    text = capabilities(town, offered).text
    assert town.name in text
    assert all(proc.category in text for proc in offered)


TREE_PLACE = FormField(
    "ubicacion_arbol",
    "opcion",
    "¿Dónde está el árbol?",
    options=["Vereda / bandejón", "Plaza o área verde", "Dentro de mi propiedad"],
)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("en la beredaa", "Vereda / bandejón"),  # b/v, a doubled letter, a filler
        ("en el bandejom", "Vereda / bandejón"),
        ("en la plasa", "Plaza o área verde"),
        ("adentro de mi propieda", "Dentro de mi propiedad"),
    ],
)
def test_an_option_misspelt_is_chosen_when_it_points_to_one(text, expected):
    assert validate_answer(TREE_PLACE, text, CONTEXT).value == expected
    assert move(TREE_PLACE, text, "informar", 0.4, tramite="reporte-bache") == ANSWER


def test_a_misspelling_close_to_no_option_or_to_two_chooses_nothing():
    assert not validate_answer(TREE_PLACE, "no se", CONTEXT).ok
    assert validate_answer(REASON, "pa un tramite en la notaria", CONTEXT).value.startswith("Otro:")
    both = FormField("x", "opcion", "¿Cuál?", options=["Casa", "Cosa"])
    assert not validate_answer(both, "kasa o koza", CONTEXT).ok


def test_a_misspelt_procedure_after_its_kind_is_that_procedure():
    from bot.matching.generic import told_apart

    offered = load_catalogue(catalogue_dir()).procedures_for("penalolen").values()
    assert generic_candidates("cuanto sale el permiso de sirculacion", offered) == []
    assert told_apart("cuanto sale el permiso de sirculacion", offered).slug == "permiso-circulacion"
    assert told_apart("un certificado de recidencia", offered).slug == "certificado-residencia"
    assert told_apart("necesito un permiso", offered) is None
    assert len(generic_candidates("necesito un permiso", offered)) > 1


def test_a_kind_that_is_also_a_verb_after_a_pronoun_names_no_kind():
    offered = load_catalogue(catalogue_dir()).procedures_for("providencia").values()
    assert generic_candidates("y donde la retiro?", offered) == []  # "I pick it up": the card in focus
    assert generic_candidates("lo registro en la muni?", offered) == []
    assert len(generic_candidates("cuanto cuesta el retiro", offered)) > 1  # the noun: which pickup?


def test_a_kind_left_out_after_a_named_procedure_names_another_of_that_kind():
    from actions.procedure_turns import named_procedures
    from bot.matching.generic import with_elided_kind

    catalogue = load_catalogue(catalogue_dir())
    assert (
        with_elided_kind("el certificado de numero y el de residencia")
        == "el certificado de numero y el certificado de residencia"
    )
    assert named_procedures(catalogue, "cuanto sale el certificado de numero y el de residencia?") == [
        "certificado-numero",
        "certificado-residencia",
    ]
    assert named_procedures(catalogue, "cuanto cuesta el permiso de circulacion y el de edificacion") == [
        "permiso-circulacion",
        "permiso-edificacion",
    ]
    assert named_procedures(catalogue, "cuanto cuesta el certificado de residencia") == ["certificado-residencia"]


def test_a_follow_up_that_leaves_out_the_kind_in_focus_names_another_of_that_kind():
    from bot.matching.generic import with_kind_of

    assert (
        with_kind_of("el de numero se puede sacar por internet?", "Certificado de residencia")
        == "el certificado de numero se puede sacar por internet"
    )
    assert with_kind_of("y el de la moto?", "Permiso de circulación") == "y el permiso de la moto"
    assert with_kind_of("y el certificado de numero?", "Certificado de residencia") is None  # its kind is said
    assert with_kind_of("y eso se puede por internet?", "Certificado de residencia") is None  # nothing left out
    assert with_kind_of("y el de numero?", "Poda de árboles") is None  # no kind in focus


@pytest.mark.parametrize(
    "text",
    [
        "ya, pidelo entonces",
        "ya po",
        "dale",
        "pidelo",
        "hagamosla",
        "bueno hazlo",
        "ok pide eso",
        "ya, hazlo altiro po",
        "pídalo no más",
        "ya, quiero hacerla",
    ],
)
def test_words_of_assent_are_a_yes_whatever_the_classifier_guessed(text):
    from bot.dialogue.cues import accepts
    from bot.forms.fields import yes_no

    assert accepts(text) and yes_no(text) is True
    assert _cued_intent(text, "nlu_fallback") == "afirmar"


@pytest.mark.parametrize(
    "text", ["ya no", "no", "bueno gracias", "ya pero que hago", "la de circulacion", "no mas", "ya no quiero hacerla"]
)
def test_no_assent_without_only_words_of_assent(text):
    from bot.dialogue.cues import accepts

    assert not accepts(text)


def test_a_day_and_until_when_is_a_question_not_a_goodbye():
    assert _cued_intent("y el viernes hasta q hora", "despedirse") == "consultar_tramite"
    assert _cued_intent("y el jueves a que hora cierran", "despedirse") == "consultar_tramite"
    for goodbye in ("hasta luego", "chao hasta el viernes", "gracias, hasta mañana"):
        assert _cued_intent(goodbye, "despedirse") == "despedirse", goodbye


def test_asking_if_it_is_done_at_once_is_a_question_not_thanks():
    assert _cued_intent("y sale al tiro?", "agradecer") == "consultar_tramite"
    assert _cued_intent("ya gracias, al tiro le escribo", "agradecer") == "agradecer"


def test_an_opening_nod_does_not_make_a_question_about_a_request():
    said = "ya, y como pongo un reclamo entonces"
    assert _cued_intent(said, "consultar_estado", {"tramite"}) == "consultar_tramite"
    assert _cued_intent("ya me respondieron el reclamo?", "consultar_estado", {"tramite"}) == "consultar_estado"


def test_a_contact_detail_of_an_office_is_a_question_about_it():
    assert asks_about_town_hall("y el telefono del juzgado")
    assert asks_about_town_hall("cual es el correo de la muni")
    assert _cued_intent("y el telefono del juzgado", "fuera_de_alcance") == "consultar_tramite"
    assert not asks_about_town_hall("mi correo es ana@gmail.com")
    assert not asks_about_town_hall("se me perdio el telefono")


def test_an_outburst_mid_form_is_no_answer_nor_a_question():
    from bot.dialogue.form_moves import UPSET

    angry = "q lata tanta pregunta!! esto es una burla, llevo 3 meses pidiendo q poden ese arbol y nadie viene"
    assert sounds_upset(angry)
    for other in ("ya me aburri de tantas preguntas", "hace meses que pido que vengan", "ustedes nunca vienen"):
        assert sounds_upset(other), other
    assert not sounds_upset("hace 2 dias que esta apagada")  # a description, not an outburst
    assert move(RUT, angry, "consultar_estado", 0.9) == UPSET
    assert move(FormField("nombre", "nombre", "¿Tu nombre?"), "que lata tanta pregunta", "informar") == UPSET
    assert move(TREE_PLACE, "esto es una burla", "informar") == UPSET
    assert move(RUT, "12.345.678-5 y que lata tanta pregunta", "informar") == ANSWER  # the RUT is there
    # An angry description is still the description.
    assert move(DESCRIPTION, "llevo 3 meses pidiendo que poden el arbol y nadie viene", "informar") == ANSWER
    # Anger at the questions themselves answers no free-text question either.
    assert move(DESCRIPTION, "q lata tanta pregunta, la otra vez pedi lo mismo y nadie vino", "informar") == UPSET
    assert move(RUT, "quiero hablar con una persona, esto es una burla", "hablar_con_funcionario") == PERSON


def test_one_word_of_one_procedure_names_it_for_a_clear_question():
    from bot.matching.procedures import matcher_for

    matcher = matcher_for(load_catalogue(catalogue_dir()))
    assert matcher.by_distinctive_word("wena, vivo en independensia, cuanto es el aseo al año?") == "derechos-aseo"
    assert matcher.by_distinctive_word("cuanto cuesta el aseo y la poda") is None  # two procedures
    assert matcher.by_distinctive_word("vivo en la esquina, cuanto es?") is None


def test_a_question_word_inside_an_answer_does_not_make_it_a_question():
    address = FormField("direccion", "direccion", "¿Dónde está el hoyo?")
    assert move(address, "frente a donde venden completos, pasaje 3", "consultar_tramite", 0.7) == ANSWER
    assert move(DESCRIPTION, "el hoyo esta donde termina el pasaje", "consultar_tramite", 0.7) == ANSWER


@pytest.mark.parametrize("text", ["ya, lo quiero pedir", "ok, lo pido", "ya, quiero pedirlo", "bueno, lo quiero hacer"])
def test_taking_up_an_offer_with_the_verb_is_a_yes_not_a_cancel(text):
    assert _cued_intent(text, "cancelar") == "afirmar"
    assert _cued_intent(text, "nlu_fallback") == "afirmar"
    assert _cued_intent(text, "iniciar_tramite") == "iniciar_tramite"  # the procedure in focus starts


def test_a_question_about_the_procedure_is_not_stored_as_a_free_text_answer():
    reference = FormField("referencia", "texto", "¿Alguna referencia para ubicarla?", required=False)
    assert move(reference, "y en cuanto tiempo lo arreglan?", "fuera_de_alcance", 0.56) == QUESTION
    assert move(reference, "frente al jardin infantil, el poste 4521", "informar") == ANSWER
    assert move(DESCRIPTION, "el foco parpadea toda la noche, ¿es peligroso?", "informar") == ANSWER


def test_a_follow_up_question_with_a_no_inside_is_no_no():
    assert _cued_intent("y si no puedo pagar?", "negar") == "consultar_tramite"
    assert _cued_intent("no", "negar") == "negar"
    assert _cued_intent("no, gracias", "negar") == "negar"
    # Nor with a "sí" inside: "what if…" asks.
    assert _cued_intent("y si se me pierde?", "afirmar") == "consultar_tramite"
    assert _cued_intent("si?", "afirmar") == "afirmar"


def test_words_of_a_new_topic():
    from bot.dialogue.cues import changes_topic

    for text in ("otra cosa, donde renuevo el carnet?", "oye otra consulta", "tengo otra pregunta", "Otra cosa:"):
        assert changes_topic(text), text
    for text in ("y donde queda?", "la otra vez pedi lo mismo", "cosa de nada"):
        assert not changes_topic(text), text


def test_a_yes_the_classifier_hesitated_on_is_made_sure_so_it_does_not_fall_back():
    from rasa.shared.nlu.training_data.message import Message as RasaMessage

    from bot.nlu.intent_cues import IntentCues

    hesitant = RasaMessage(
        data={
            "text": "ya, quiero pedirlo",
            "intent": {"name": "afirmar", "confidence": 0.36},
            "intent_ranking": [{"name": "afirmar", "confidence": 0.36}, {"name": "cancelar", "confidence": 0.33}],
            "entities": [],
        }
    )
    [cued] = IntentCues().process([hesitant])
    assert cued.get("intent")["name"] == "afirmar"
    assert cued.get("intent")["confidence"] >= 0.43  # clear of the runner-up by the fallback's margin


@pytest.mark.parametrize(
    "text, expected",
    [
        ("necesito el certificado de residencia pa la pega, me lo pueden mandar?", DO),
        ("me ayudan a pedir el retiro de un sofa?", DO),
        ("me pueden ayudar a sacar el permiso de circulacion?", DO),
        ("se echo a perder la lavadora, pueden venir a buscarla?", DO),  # asked to come and act
        ("me lo pueden pasar a retirar el sabado?", DO),
        ("pueden venir a ver el arbol? cuanto cobran?", ASK),  # asks something beside
        ("me pueden mandar info del permiso?", ASK),  # information, not the procedure
        ("cuanto cuesta, me lo pueden mandar?", ASK),
        ("donde me pueden hacer el certificado?", ASK),
    ],
)
def test_a_request_put_as_a_question_is_a_request(text, expected):
    assert procedure_move(Message(text, "consultar_tramite", 0.8)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tengo un sofa viejo q quiero botar, vengan a buscarlo el jueves si se puede", DO),  # a courtesy
        ("en el pasaje donde vivo hay un poste sin luz hace dos semanas, q alguien venga", DO),  # "donde" tells
        ("a quien se avisa cuando un poste de la calle esta apagado", ASK),
        ("hay un poste apagado, donde aviso", ASK),
        ("se puede pedir la poda", ASK),
    ],
)
def test_courtesies_and_a_where_that_tells_ask_nothing(text, expected):
    assert procedure_move(Message(text, "consultar_tramite", 0.8)) == expected


def test_anger_at_the_questions_is_no_question_about_a_procedure():
    text = "q lata tanta pregunta, pa q quieren tanto dato si es un papel nomas"
    assert _cued_intent(text, "consultar_tramite", {"tramite"}) == "fuera_de_alcance"
    assert _cued_intent(text, "iniciar_tramite") == "fuera_de_alcance"


def test_a_description_that_wishes_a_thing_fixed_is_the_description_a_change_of_mind_is_not():
    topic = FormField("materia", "texto", "¿Qué tema quieres tratar con el alcalde?")
    described = "la plaza esta llena de basura y los juegos estan rotos hace meses, queremos q la arreglen"
    assert move(topic, described, "iniciar_tramite", tramite="denuncia-microbasural") == ANSWER
    reference = FormField("referencia", "texto", "¿Alguna referencia?", required=False)
    changed = "sabe q mejor pidame la poda del arbol q esta al lado, tiene las ramas tapando el foco"
    assert move(reference, changed, "consultar_tramite", 0.7, tramite="poda-arboles") == OTHER_REQUEST
    assert move(reference, "en realidad quiero pedir la poda del arbol", tramite="poda-arboles") == OTHER_REQUEST


@pytest.mark.parametrize(
    "text, expected",
    [("escombros", ASK), ("la poda", ASK), ("quiero la poda", DO), ("poste apagado", DO), ("luminaria apagada", DO)],
)
def test_a_bare_name_asks_about_the_procedure_a_bare_report_reports(text, expected):
    assert procedure_move(Message(text, "iniciar_tramite", 0.8)) == expected


@pytest.mark.parametrize("text, guessed", [("la poda", "nlu_fallback"), ("escombros", "informar")])
def test_a_procedure_named_alone_is_a_question_about_it(text, guessed):
    assert _cued_intent(text, guessed, {"tramite"}) == "consultar_tramite"
    assert _cued_intent("si, " + text, "afirmar", {"tramite"}) == "afirmar"  # a yes naming it stays a yes


def test_a_question_is_no_name_nor_address():
    name = FormField("nombre", "nombre", "¿Cuál es tu nombre completo?")
    address = FormField("direccion", "direccion", "¿En qué dirección retiramos?")
    assert move(name, "cuanto sale") == QUESTION
    assert move(address, "y esto cuanto me va a salir?") == QUESTION
    assert move(address, "frente a donde venden completos") == ANSWER


def test_a_follow_up_read_as_the_list_or_a_handoff_is_a_question():
    assert _cued_intent("q papeles hay q tener", "listar_tramites") == "consultar_tramite"
    assert _cued_intent("tienen algun fono pa llamar?", "hablar_con_funcionario") == "consultar_tramite"
    assert _cued_intent("quiero hablar con una persona", "hablar_con_funcionario") == "hablar_con_funcionario"
    assert _cued_intent("que tramites hay", "listar_tramites") == "listar_tramites"


@pytest.mark.parametrize("text", ["hola como saco un permiso", "buenas tardes, donde queda la muni"])
def test_a_question_after_a_greeting_is_a_question(text):
    from bot.dialogue.cues import looks_like_question

    assert looks_like_question(text)
    assert not looks_like_question("hola buenas tardes")


def test_as_i_said_is_no_question_and_a_short_follow_up_is_about_the_focus():
    from bot.dialogue.cues import looks_like_question

    told = "Como le comenté, las ramas tocan los cables y cuando hay viento se ven chispas."
    assert not looks_like_question(told) and looks_like_question("como saco la licencia")
    # Unsure off-topic or a fallback: a short follow-up question is about the procedure in focus.
    assert _cued_intent("y en cuantas cuotas", "fuera_de_alcance", unsure=True) == "consultar_tramite"
    assert _cued_intent("y q cosas no se llevan?", "nlu_fallback") == "consultar_tramite"
    assert _cued_intent("y quien gano el partido?", "fuera_de_alcance") == "fuera_de_alcance"
    # A commune told with a change of mind is the commune, not a request.
    said = "ah no espera, en verdad ahora vivo en providencia, me cambie hace poco"
    assert _cued_intent(said, "iniciar_tramite", {"comuna"}) == "informar"


def test_a_mistake_owned_then_another_request_is_a_switch():
    from bot.dialogue.procedure_moves import asks_to_switch

    said = "no perdon me equivoque, no es un bache, lo q quiero denunciar es un microbasural q hay ahi"
    assert asks_to_switch(said)
    assert not asks_to_switch("el bache es grande y esta lleno de agua, queremos q lo arreglen")


def test_the_procedure_named_besides_the_one_being_filled_is_the_one_offered():
    """Asked where the rats are, the citizen names them again and then the dump they come from."""
    from bot.dialogue.form_moves import other_procedure

    address = FormField("direccion", "direccion", "¿En qué dirección están las ratas?")
    said = (
        "oiga pensandolo bien las ratas vienen del basural q hay en el sitio eriazo del lado, "
        "mejor denuncio ese microbasural"
    )
    message = Message(
        said,
        "iniciar_tramite",
        0.99,
        {"tramite": "desratizacion"},
        ("desratizacion", "denuncia-microbasural"),
    )
    assert form_move("preguntando", address, message, CONTEXT, "desratizacion") == OTHER_REQUEST
    assert other_procedure(message, "desratizacion") == "denuncia-microbasural"
    # Naming only the procedure being filled, in a description, is no switch.
    only_rats = Message("las ratas salen del patio de atras", "informar", 0.9, {"tramite": "desratizacion"})
    assert form_move("preguntando", address, only_rats, CONTEXT, "desratizacion") == ANSWER


def test_what_one_really_needs_told_instead_of_an_email_is_a_switch():
    email = FormField("email", "email", "¿A qué correo te enviamos la respuesta?")
    said = "pucha, en verdad lo q necesito es reportar un bache enorme q hay en mi calle"
    assert move(email, said, "consultar_tramite", 0.9, tramite="reporte-bache") == OTHER_REQUEST
    assert move(email, "en realidad lo q quiero es reportar un hoyo", "informar", 0.9, tramite="reporte-bache") == (
        OTHER_REQUEST
    )
    # A question about another procedure stays a question.
    assert move(email, "y cuanto se demoran en tapar un bache?", "consultar_tramite", tramite="reporte-bache") == (
        QUESTION
    )


def test_a_polite_cancel_stops_the_form():
    assert is_stop("sabe q mejor cancele, mi vecino ya lo reporto")
    assert is_stop("anulelo por favor")
    assert not is_stop("donde cancelo el permiso de circulacion")


def test_a_formal_letter_that_reports_is_a_request():
    letter = (
        "Buenas noches señores de la Municipalidad de Angol. Me dirijo a ustedes para denunciar los ruidos molestos "
        "que provienen de la casa ubicada en calle Covadonga 745, donde todos los viernes y sabados hacen fiestas. "
        "Soy una persona de edad y no puedo descansar. Agradeceria su pronta intervencion."
    )
    assert procedure_move(Message(letter, "consultar_tramite", 0.8)) == DO
    # "no puedo" tells; a question stays a question.
    assert procedure_move(Message("quiero pedir la poda pero no puedo estar en la semana", "iniciar_tramite")) == DO
    assert procedure_move(Message("como pido la poda si no puedo estar?", "iniciar_tramite")) == ASK
    assert procedure_move(Message("le escribo para saber donde se pide la poda", "consultar_tramite")) == ASK


def test_a_yes_with_courtesy_accepts():
    from bot.dialogue.cues import accepts

    assert accepts("Si, muy amable") and accepts("Sí, está todo correcto. Muchas gracias.")
    assert not accepts("muchas gracias") and not accepts("no, muchas gracias")


def test_a_question_asked_at_an_option_is_no_other_option():
    reason = FormField(
        "motivo", "opcion", "¿Para qué necesitas el certificado?", options=["Trabajo", "Estudios", "Otro"]
    )
    assert move(reason, "y cuanto se demora en llegar?", "consultar_tramite", 0.9) == QUESTION
    assert move(reason, "pa la pega", "informar", 0.9) == ANSWER
    assert move(reason, "para postular a un arriendo", "informar", 0.9) == ANSWER  # «Otro: …», no question


def test_thanks_or_a_goodbye_is_no_free_text_answer():
    schedule = FormField("horario", "horario", "¿En qué días y horario ocurre el ruido?")
    from bot.dialogue.form_moves import COURTESY

    assert move(schedule, "Muy amable, que tenga buenas noches.", "despedirse", 0.94) == COURTESY
    assert move(DESCRIPTION, "muchas gracias", "agradecer", 0.95) == COURTESY
    # Days and hours said with thanks are the schedule.
    assert move(schedule, "gracias, todos los viernes desde las once", "agradecer", 0.9) == ANSWER
    assert move(schedule, "todas las noches desde las 11", "informar", 0.9) == ANSWER


def test_an_opening_schedule_may_give_its_hours_in_words():
    from bot.forms.schedule import is_schedule

    assert is_schedule("todos los viernes y sabados desde las once de la noche hasta las cinco de la madrugada")
    assert is_schedule("de lunes a sabado desde las siete de la manana")
    assert not is_schedule("los viernes")  # a day alone: no hour


def test_thanks_in_a_letters_words_are_thanks():
    said = "Le agradezco mucho su atención, que tenga buen día."
    assert _cued_intent(said, "consultar_tramite", unsure=True) == "agradecer"
    # A question with thanks is still the question; a sure guess is left alone.
    assert _cued_intent("gracias, y cuanto cuesta?", "consultar_tramite", unsure=True) == "consultar_tramite"
    assert _cued_intent(said, "consultar_tramite", unsure=False) == "consultar_tramite"


def test_asking_to_pass_it_on_is_a_request():
    said = "hundimiento en la pista de bajada en los alerces 455, avisen xfa a quien corresponda"
    assert procedure_move(Message(said, "consultar_tramite", 0.7)) == DO
    assert procedure_move(Message("a quien le aviso si hay un hoyo?", "consultar_tramite", 0.7)) == ASK


def test_a_folio_named_as_such_is_one_whatever_its_characters():
    from bot.folio import folios_in

    assert [f for f, _, _ in folios_in("folio pen 330871")] == ["PEN-330871"]
    assert [f for f, _, _ in folios_in("mi folio es ANG 482913")] == ["ANG-482913"]
    assert list(folios_in("cel 987 654")) == [] and list(folios_in("pen 330871")) == []  # digits alone: a phone


def test_sending_someone_despair_after_a_report_and_a_plural_se_pueden():
    def move(text: str, intent: str = "consultar_tramite") -> str:
        return procedure_move(Message(text=text, intent=intent))

    assert move("la plaza esta a oscuras, pueden mandar a alguien a cambiar las ampolletas?") == DO
    assert move("pueden mandar la info del permiso por correo?") == ASK  # information, nobody sent
    assert move("el poste lleva una semana apagado, ya no se a quien recurrir") == DO
    assert move("se pueden llevar un refrigerador y un sillon en el mismo retiro", "iniciar_tramite") == ASK


def test_deleting_ones_data_and_a_status_needs_a_request_not_any_mi():
    assert _cued_intent("como hago pa q borren lo q les di en este chat", "consultar_tramite") == "borrar_datos"
    assert _cued_intent("eliminen la basura del sitio eriazo", "iniciar_tramite", {"tramite"}) == "iniciar_tramite"
    said = "y si el arbol esta adentro de mi patio igual lo van a ver?"
    assert _cued_intent(said, "consultar_estado", {"tramite"}) == "consultar_tramite"
    assert _cued_intent("como va mi reclamo", "consultar_estado", {"tramite"}) == "consultar_estado"


def test_harto_is_a_lot_a_lack_told_asks_nothing_and_an_own_detail_answers():
    assert _cued_intent("se agradece harto", "agradecer") == "agradecer"  # thanks a lot, not fed up
    assert _cued_intent("estoy harto de esperar", "agradecer") == "fuera_de_alcance"
    said = "vengan a buscar el sillon y la lavadora mala q tengo en el patio porfa ya no tengo donde ponerlos"
    assert _cued_intent(said, "consultar_tramite", {"tramite"}) == "iniciar_tramite"
    assert _cued_intent("no tengo donde dejar el sillon, donde lo llevo?", "consultar_tramite") == "consultar_tramite"
    said = "hay alguna señorita q me pueda atender? necesito explicar mi caso y es largo"
    assert _cued_intent(said, "consultar_tramite") == "hablar_con_funcionario"
    said = "la direccion es pasaje Los Copihues 1447, poblacion San Luis"
    assert _cued_intent(said, "consultar_tramite") == "informar"
    assert _cued_intent("mi direccion es la misma de antes?", "consultar_tramite") == "consultar_tramite"
    assert _cued_intent("me llamo Rosa y quiero pedir la poda", "iniciar_tramite", {"tramite"}) == "iniciar_tramite"


def test_a_no_is_no_person_a_command_is_a_request_and_data_given_ask_for_it_done():
    said = "no, ahora no, primero voy a ver si alguien lo quiere"
    assert _cued_intent(said, "hablar_con_funcionario", unsure=True) == "negar"
    assert _cued_intent("no, quiero hablar con alguien", "hablar_con_funcionario", unsure=True) != "negar"
    assert _cued_intent("buena, pero mejor pidelo por aca", "cancelar") == "iniciar_tramite"
    said = "ah tiene 5 meses ya, entonces si, inscribela"
    assert _cued_intent(said, "nlu_fallback") == _cued_intent(said, "informar", unsure=True) == "iniciar_tramite"
    said = "necesito sacar el certificado de residencia, me lo pidieron. Me llamo Camila Rojas Tapia, rut 17.654.321-3"
    assert _cued_intent(said, "informar", {"tramite", "rut"}) == "iniciar_tramite"
    said = "mi rut es 12.345.678-5, cuanto cuesta el permiso de circulacion?"
    assert _cued_intent(said, "consultar_tramite", {"tramite", "rut"}) == "consultar_tramite"


def test_how_long_to_come_out_what_it_spares_and_what_one_has_to_bring():
    from bot.matching.aspects import asked_aspects

    assert asked_aspects("y la licencia por primera vez cuanto se demora en salir?") == ["plazo"]
    assert asked_aspects("la tarjeta pa estacionar frente a mi casa sin pagar parquimetro q piden?") == ["requisitos"]
    assert asked_aspects("y pa inscribirla en el consultorio de aca q tiene q llevar?") == ["requisitos"]
    assert asked_aspects("cuanto me va a salir?") == ["costo"]


def test_a_folio_asked_how_it_goes_a_what_if_and_when_they_come():
    assert _cued_intent("PEN-7SADQ5 como va?", "consultar_tramite", {"folio"}) == "consultar_estado"
    assert _cued_intent("y si no me responden en 10 dias q hago?", "consultar_estado") == "consultar_tramite"
    assert _cued_intent("y cuando vienen?", "consultar_estado") == "consultar_tramite"  # the response time
    assert _cued_intent("cuando pasan a buscarlo?", "fuera_de_alcance") == "consultar_tramite"
    assert _cued_intent("como va mi solicitud?", "consultar_estado") == "consultar_estado"
    assert names_a_person("una persona") and not names_a_person("QUIERO FELICITAR A ALGUIEN")


def test_a_folio_with_how_it_goes_is_made_sure_so_it_does_not_fall_back():
    from rasa.shared.nlu.training_data.message import Message as RasaMessage

    from bot.nlu.intent_cues import IntentCues

    tied = RasaMessage(
        data={
            "text": "PEN-59H356 como va?",
            "intent": {"name": "consultar_estado", "confidence": 0.37},
            "intent_ranking": [
                {"name": "consultar_estado", "confidence": 0.37},
                {"name": "informar", "confidence": 0.37},
            ],
            "entities": [{"entity": "folio", "value": "PEN-59H356"}],
        }
    )
    [cued] = IntentCues().process([tied])
    assert cued.get("intent")["name"] == "consultar_estado" and cued.get("intent")["confidence"] >= 0.47


def test_a_contact_detail_asked_short_a_status_with_the_rut_and_a_request_asked_straight():
    assert _cued_intent("y correo?", "afirmar", unsure=True) == "consultar_tramite"
    assert _cued_intent("si po", "afirmar", unsure=True) == "afirmar"
    assert _cued_intent("en q va mi tramite 🙏 mi rut es 20.113.457-9", "informar", {"rut"}) == "consultar_estado"
    asked = "oli necesito el certificado de residencia pa la pega, me lo sacas? 🙏"
    assert _cued_intent(asked, "consultar_tramite", {"tramite"}) == "iniciar_tramite"
    told = "necesito el certificado de residencia, me lo piden en la pega, cuanto cuesta?"
    assert _cued_intent(told, "consultar_tramite", {"tramite"}) == "consultar_tramite"
    assert asks_about_town_hall("que horario tienen?") and not asks_about_town_hall(
        "hay q inscribirse en alguna pagina?"
    )


def test_asked_to_repeat_the_question_is_asked_again_and_a_long_answer_is_no_question():
    from bot.dialogue.form_moves import REPEAT

    for text in ("q me preguntaste? no lo lei bien", "q me pediste? no cache", "no entendi", "me lo repites?"):
        assert move(DESCRIPTION, text) == REPEAT and move(RUT, text, "consultar_tramite") == REPEAT
    assert move(DESCRIPTION, "no entendi nada de lo q me dijeron en la oficina, me mandaron de vuelta") == ANSWER
    age = FormField("edad", "texto", "¿Qué edad tiene?", max_length=50)
    long_answer = "no se bien la verdad, la recogi de la calle, debe tener como un año"
    assert move(age, long_answer, "consultar_tramite", 0.65) == ANSWER  # told to make it shorter, not answered
    assert move(age, "cuanto cuesta la vacuna antirrabica que le ponen despues?", "consultar_tramite") == QUESTION


def test_a_problem_told_at_a_house_number_is_a_request_and_its_street_no_commune(catalogue):
    from bot.matching.communes import CommuneMatcher

    said = "ramas en los cables frente al 567 de ercilla"
    assert _cued_intent(said, "informar", {"tramite"}) == "iniciar_tramite"
    assert _cued_intent("pasaje los aromos 1234", "informar") == "informar"
    communes = CommuneMatcher(catalogue.communes)
    assert communes.find(said) == [] and [m.key for m in communes.find("soy de ercilla")] == ["Ercilla"]


def test_thanks_a_goodbye_a_person_outright_what_can_be_done_and_anger_without_a_request():
    assert _cued_intent("muchas gracias mijito, que dios lo bendiga", "despedirse", unsure=True) == "agradecer"
    assert _cued_intent("no eso era, buenas noches", "negar") == "despedirse"
    assert _cued_intent("no gracias", "negar") == "negar"
    assert _cued_intent("hola, q cosas se pueden hacer por aca?", "consultar_tramite") == "consultar_bot"
    assert _cued_intent("que puedo hacer con el perro del vecino?", "consultar_tramite") == "consultar_tramite"
    assert _cued_intent("q tramites puedo hacer aca?", "listar_tramites") == "listar_tramites"  # the list
    assert _cued_intent("que puede hacer usted", "listar_tramites") == "consultar_bot"
    senorita = "yo soy viejo y no le entiendo nada a esta maquina no me puede comunicar con una señorita"
    assert _cued_intent(senorita, "consultar_estado") == "hablar_con_funcionario"
    called = "me puede llamar alguien de la municipalidad por telefono es que no se escribir bien"
    assert _cued_intent(called, "consultar_tramite") == "hablar_con_funcionario"
    assert _cued_intent("dejelo asi no mas no quiero hacer la solicitud", "iniciar_tramite") == "cancelar"
    # A greeting or a "weno" before a kind of procedure: about it, not small talk.
    assert _cued_intent("hola buenas, necesito sacar un certificado", "saludar", {"tramite"}) == "consultar_tramite"
    assert _cued_intent("weno necesito un permiso", "afirmar", {"tramite"}, unsure=True) == "consultar_tramite"
    outright = "mejor quiero hablar con un funcionario, mi calle no aparece como zona regulada y me cobran igual"
    assert _cued_intent(outright, "consultar_tramite", {"tramite"}) == "hablar_con_funcionario"
    attended = "esta muy enredado, me puede atender un funcionario de obras?"
    assert _cued_intent(attended, "consultar_tramite") == "hablar_con_funcionario"
    assert _cued_intent("quiero hablar con el alcalde", "iniciar_tramite", {"tramite"}) == "iniciar_tramite"
    done_here = "no me funciona la pagina, me lo pueden hacer por aqui?"
    assert _cued_intent(done_here, "hablar_con_funcionario") == "iniciar_tramite"
    assert names_a_person("si, con una persona")
    angry = "ya van 3 veces q les escribo y nadie da solucion, los perros de la plaza mordieron a mi hijo"
    assert _cued_intent(angry, "consultar_estado") == "fuera_de_alcance"
    assert _cued_intent("hace 2 semanas pedi el retiro y nunca vinieron", "consultar_estado") == "consultar_estado"


def test_a_vague_call_for_help_with_the_town_hall_names_no_procedure():
    from bot.matching.generic import asks_for_any_procedure

    assert asks_for_any_procedure("hola necesito ayuda con algo de la muni")
    assert not asks_for_any_procedure("necesito ayuda social")


def test_writing_to_an_office_is_a_request():
    assert _cued_intent("hola, quiero escribirle a la oirs", "saludar", {"tramite"}, unsure=True) == "iniciar_tramite"


def test_a_stop_word_followed_by_another_request_is_a_switch_and_wanting_it_done_is_no_cancel():
    from bot.dialogue.form_moves import form_move

    said = "espera, mejor olvidalo, lo q necesito es el retiro de un colchon"
    message = Message(said, "cancelar", 0.52, {"tramite": "retiro-voluminosos"})
    assert form_move("preguntando", PET, message, CONTEXT, "denuncia-ruidos") == OTHER_REQUEST
    assert form_move("preguntando", PET, Message("ya no quiero seguir", "cancelar", 0.9), CONTEXT, "x") == CANCEL
    assert _cued_intent("ya, quiero denunciarlo", "cancelar") == "iniciar_tramite"
    assert _cued_intent("ya no quiero", "cancelar") == "cancelar"
