"""A guided request moving forward: answers, failed attempts, confirmation and corrections."""

from datetime import date

import pytest

from bot.catalogue.model import FormField
from bot.forms.fields import AnswerContext, validate_answer
from bot.forms.flow import handle_message
from bot.forms.state import CHOOSING, CONFIRMING, CORRECTING, DONE, FormState


@pytest.fixture
def form(catalogue):
    return catalogue.procedures["retiro-voluminosos"].form


def ctx(**kwargs):
    return AnswerContext(today=date(2026, 11, 25), commune="Peñalolén", **kwargs)


ANSWERS = {
    "nombre": "Juan Pérez",
    "rut": "12.345.678-5",
    "direccion": "Los Aromos 1234",
    "telefono": "987654321",
    "objetos": "un colchón y un sillón",
    "email": "omitir",
}


def filled(form):
    state = FormState("retiro-voluminosos", "penalolen")
    state.advance(form)
    while state.stage != CONFIRMING:
        handle_message(state, form, ANSWERS[state.current], ctx())
    return state


def test_answers_in_order_then_confirmation(form):
    state = filled(form)
    assert state.values["rut"] == "12345678-5" and state.values["telefono"] == "+56987654321"
    assert state.values["email"] is None  # optional, skipped
    step = handle_message(state, form, "si", ctx(intent="afirmar"))
    assert step.state.stage == DONE


def test_declining_a_later_optional_field_by_name_keeps_the_question_asked(form):
    state = FormState("retiro-voluminosos", "penalolen")
    state.advance(form)
    while state.current != "objetos":
        handle_message(state, form, ANSWERS[state.current], ctx())
    step = handle_message(state, form, "no tengo correo", ctx())
    assert [r.text for r in step.replies] == ["Está bien, sin correo."]
    assert state.current == "objetos" and "objetos" not in state.values and state.values["email"] is None
    handle_message(state, form, "un ropero", ctx())
    assert state.stage == CONFIRMING  # the e-mail is not asked any more
    # An address without a number names no phone: it is the answer.
    state = FormState("retiro-voluminosos", "penalolen")
    state.advance(form)
    handle_message(state, form, "Juan Pérez", ctx())
    handle_message(state, form, "12.345.678-5", ctx())
    handle_message(state, form, "no tengo numero de casa, es el sitio 4 de la parcela", ctx())
    assert state.current == "telefono" and "direccion" in state.values


def test_a_yes_where_the_objects_are_asked_is_no_list_of_objects(form):
    state = FormState("retiro-voluminosos", "penalolen")
    state.advance(form)
    while state.current != "objetos":
        handle_message(state, form, ANSWERS[state.current], ctx())
    step = handle_message(state, form, "si esta bien", ctx())
    assert state.current == "objetos" and "objetos" not in state.values and step.replies


def test_second_failure_explains_with_example_and_offers_a_person(form):
    state = FormState("retiro-voluminosos", "penalolen")
    state.advance(form)
    handle_message(state, form, "Juan", ctx())
    first = handle_message(state, form, "no se", ctx())
    assert state.current == "rut" and "persona" not in first.replies[0].text
    second = handle_message(state, form, "tampoco", ctx())
    text = second.replies[0].text
    assert "12.345.678-5" in text and "hablar con una persona" in text and "cancelar" in text
    handle_message(state, form, "12.345.678-5", ctx())
    assert state.current == "direccion" and state.attempts == 0


def test_correction_with_a_new_value_in_the_same_message(form):
    state = filled(form)
    step = handle_message(state, form, "no, mi correo es ana@correo.cl", ctx(entities={"email": "ana@correo.cl"}))
    assert state.values["email"] == "ana@correo.cl" and state.stage == CONFIRMING
    assert "corregí: correo" in step.replies[0].text


def test_correction_naming_the_field_and_the_value(form):
    state = filled(form)
    handle_message(state, form, "la direccion es Pasaje Las Acacias 55", ctx())
    assert state.values["direccion"] == "Pasaje Las Acacias 55" and state.stage == CONFIRMING
    assert state.values["nombre"] == "Juan Pérez"  # nothing else changed


def test_correction_naming_only_the_field_asks_it_again(form):
    state = filled(form)
    handle_message(state, form, "esta malo el telefono", ctx())
    assert state.stage == CORRECTING and state.current == "telefono"
    handle_message(state, form, "998765432", ctx())
    assert state.stage == CONFIRMING and state.values["telefono"] == "+56998765432"


def test_plain_no_asks_which_field_and_the_chosen_one_is_asked_again(form, catalogue):
    from bot.answers.forms import field_picker

    state = filled(form)
    step = handle_message(state, form, "no", ctx(intent="negar"))
    assert state.stage == CHOOSING and step.replies == []  # the picker is the next question, alone
    titles = [b.title for b in field_picker(catalogue.procedures["retiro-voluminosos"]).buttons]
    assert "Dirección" in titles and "RUT" in titles
    handle_message(state, form, "", ctx(), chosen_field="direccion")
    assert state.stage == CORRECTING and state.current == "direccion"
    handle_message(state, form, "Pasaje Las Acacias 55", ctx())
    assert state.stage == CONFIRMING and state.values["direccion"] == "Pasaje Las Acacias 55"


def test_the_field_picker_takes_a_named_field_or_goes_back(form):
    state = filled(form)
    handle_message(state, form, "no", ctx(intent="negar"))
    handle_message(state, form, "el telefono", ctx())
    assert state.stage == CORRECTING and state.current == "telefono"
    state = filled(form)
    handle_message(state, form, "no", ctx(intent="negar"))
    step = handle_message(state, form, "zzz", ctx())
    assert state.stage == CHOOSING and "Elige uno de la lista" in step.replies[0].text
    handle_message(state, form, "ninguno", ctx())
    assert state.stage == CONFIRMING and state.values["rut"] == "12345678-5"  # nothing submitted, nothing lost


def test_the_field_picker_takes_the_number_of_its_button(form, catalogue):
    from bot.answers.forms import field_picker

    titles = [b.title for b in field_picker(catalogue.procedures["retiro-voluminosos"]).buttons]
    state = filled(form)
    handle_message(state, form, "no", ctx(intent="negar"))
    handle_message(state, form, str(titles.index("Dirección") + 1), ctx())  # typed under Telegram's buttons
    assert state.stage == CORRECTING and state.current == "direccion"
    state = filled(form)
    handle_message(state, form, "no", ctx(intent="negar"))
    step = handle_message(state, form, str(len(titles) + 1), ctx())  # no such button
    assert state.stage == CHOOSING and "Elige uno de la lista" in step.replies[0].text


def test_unclear_confirmation_asks_again(form):
    state = filled(form)
    step = handle_message(state, form, "mmm", ctx())
    assert state.stage == CONFIRMING and "«sí»" in step.replies[0].text


def _form(slug):
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir

    return load_catalogue(catalogue_dir()).procedures[slug].form


def test_an_opening_message_gives_the_address_and_the_option_it_holds():
    from bot.forms.opening import opening_answers

    said = (
        "quiero denunciar ruidos molestos, es en pasaje los quillayes 5540 lo hermida, son fiestas con musica "
        "a todo volumen, todos los viernes y sabados desde las 11 de la noche"
    )
    assert opening_answers(_form("denuncia-ruidos"), said) == {
        "direccion": "pasaje los quillayes 5540 lo hermida",
        "tipo_ruido": "Fiesta o música",
        "horario": "todos los viernes y sabados desde las 11 de la noche",
    }
    # Other free text is asked, never guessed; a schedule needs its days and its hours.
    assert "horario" not in opening_answers(_form("denuncia-ruidos"), "ruidos molestos, en la noche, pasaje uno 12")
    assert "objetos" not in opening_answers(_form("retiro-voluminosos"), "retiro de un sofa, vivo en Maruri 1450")
    assert opening_answers(_form("retiro-voluminosos"), "retiro de un sofa, vivo en Maruri 1450") == {
        "direccion": "Maruri 1450"
    }
    # A street's name in capitals and its number, after "de", in the middle of the clause.
    said = "quiero denunciar ruidos molestos: el vecino de Santos Dumont 1456 pone musica a todo volumen"
    assert opening_answers(_form("denuncia-ruidos"), said) == {
        "direccion": "Santos Dumont 1456",
        "tipo_ruido": "Fiesta o música",  # named in the same clause, beside the address
    }
    assert "direccion" not in opening_answers(_form("denuncia-ruidos"), "ruidos molestos, una multa de 3 lucas")
    # A letter: the clause that names the noise tells when it happens too, hours in words.
    said = (
        "Me dirijo a ustedes para denunciar los ruidos molestos de la casa ubicada en calle Covadonga 745, donde "
        "todos los viernes y sabados hacen fiestas con musica a todo volumen desde las once de la noche hasta las "
        "cinco de la madrugada. Soy una persona de edad y no puedo descansar."
    )
    told = opening_answers(_form("denuncia-ruidos"), said)
    assert told["direccion"] == "calle Covadonga 745" and told["tipo_ruido"] == "Fiesta o música"
    assert (
        told["horario"].startswith("donde todos los viernes y sabados") and "cinco de la madrugada" in told["horario"]
    )
    # Two requests in one clause: the address ends where the second starts.
    said = "hola, hay un hoyo gigante en maruri 1300 y tb quiero denunciar un microbasural q se formo en la plaza"
    assert opening_answers(_form("reporte-bache"), said)["direccion"] == "maruri 1300"


def test_an_opening_message_with_all_the_data_gives_the_name_and_an_address_that_ends_where_it_ends():
    from bot.forms.opening import opening_answers

    said = (
        "hola quiero pedir q retiren unos cachureos, me llamo Rosa Amelia Figueroa Parra rut 9.876.543-3 vivo en "
        "Pasaje Los Copihues 418 Angol mi cel es 9 6234 1187 y son un colchon de 2 plazas y un ropero desarmado"
    )
    assert opening_answers(_form("retiro-voluminosos"), said) == {
        "nombre": "Rosa Amelia Figueroa Parra",
        "direccion": "Pasaje Los Copihues 418 Angol",
    }
    told = "quiero botar un sillon, mi nombre es María de los Ángeles Soto, vivo en calle Prat 123"
    assert opening_answers(_form("retiro-voluminosos"), told)["nombre"] == "María de los Ángeles Soto"
    # One word after "me llamo" is no full name: asked.
    assert "nombre" not in opening_answers(_form("retiro-voluminosos"), "me llamo juan y quiero botar un sillon")


def test_a_name_told_with_other_data_is_the_name():
    from bot.forms.opening import opening_answers

    said = (
        "hola, necesito q retiren un colchon y un somier. soy Tomas Vergara Silva rut 16.420.981-4, "
        "vivo en Av. Italia 1450 depto 12 y mi cel es 9 7788 1123"
    )
    assert opening_answers(_form("retiro-voluminosos"), said) == {
        "nombre": "Tomas Vergara Silva",
        "direccion": "Av. Italia 1450 depto 12",
    }
    told = "quiero pedir una audiencia. mis datos: Jorge Antonio Cifuentes Paredes, rut 10.934.567-9, cel 9 7345 1298"
    assert opening_answers(_form("audiencia-alcalde"), told)["nombre"] == "Jorge Antonio Cifuentes Paredes"
    assert "nombre" not in opening_answers(_form("retiro-voluminosos"), "hola soy de penalolen, quiero botar un sofa")
    # "Soy" opening a sentence; in lower case, a name only when the RUT follows it.
    told = "tengo ratas en el patio. Soy Marcela Pino Araya, rut 14.839.201-3, vivo en Santa Laura 1122"
    assert opening_answers(_form("desratizacion"), told)["nombre"] == "Marcela Pino Araya"
    told = "soy marcela pino araya, rut 14.839.201-3, tengo ratas en el patio"
    assert opening_answers(_form("desratizacion"), told)["nombre"] == "marcela pino araya"
    told = "hola soy de la villa los aromos 14.839.201-3, tengo ratas"
    assert "nombre" not in opening_answers(_form("desratizacion"), told)
    told = "soy de la villa los aromos y el poste 12 esta apagado"  # who writes, not where the light is
    assert "direccion" not in opening_answers(_form("reporte-luminaria"), told)
    name = FormField("nombre", "nombre", "¿Cuál es tu nombre completo?")
    answer = validate_answer(name, "Valentina Ortiz Bravo, rut 12.908.734-K", AnswerContext(date(2026, 12, 1)))
    assert answer.value == "Valentina Ortiz Bravo"


def test_a_decline_typed_where_the_name_was_asked_is_no_name():
    name = FormField("nombre", "nombre", "¿Cuál es tu nombre completo?")
    for said in ("no tengo correo", "no se", "cual rut?", "ya, inscribeme entonces", "hagala nomas", "registrame po"):
        assert not validate_answer(name, said, AnswerContext(date(2026, 12, 1))).ok, said
    assert validate_answer(name, "Nadia Notario", AnswerContext(date(2026, 12, 1))).value == "Nadia Notario"


@pytest.mark.parametrize(
    "slug, said, address",
    [
        # No street word: a place and its number after "en", closing the clause.
        ("reporte-luminaria", "buenas, hay un poste sin luz en manuel montt 1820, esta oscuro", "manuel montt 1820"),
        ("denuncia-ruidos", "ruidos molestos en pasaje los olmos 455", "pasaje los olmos 455"),  # one clause
        ("retiro-voluminosos", "necesito retiro de un colchon en los aromos 233 depto 5", "los aromos 233 depto 5"),
        ("retiro-voluminosos", "vivo en Maruri 1450 y quiero botar un sofa", "Maruri 1450"),
        ("reporte-bache", "hay un hoyo en la calle desde hace 3 semanas, en el pasaje 3", "pasaje 3"),
        # The street after "de" ("la luminaria de Av. …"), ending before what happens there.
        ("reporte-luminaria", "la luminaria de Av. Condell 1020 esta apagada", "Av. Condell 1020"),
        ("reporte-luminaria", "hay una luminaria en Av. Condell 1020 no prende hace dias", "Av. Condell 1020"),
        ("reporte-bache", "el hoyo de la calle Pinto 45 es enorme", "calle Pinto 45"),
        ("reporte-luminaria", "hay un foco apagado afuera de los leones 1340", "los leones 1340"),
        ("reporte-luminaria", "la luminaria de suecia 1870 esta apagada hace dias", "suecia 1870"),
        ("reporte-luminaria", "un foco apagado en lautaro con covadonga hace una semana", "lautaro con covadonga"),
        ("reporte-bache", "quiero avisar de un bache grande en gamero llegando a maruri", "gamero llegando a maruri"),
    ],
)
def test_an_opening_message_gives_the_address_without_the_words_around_it(slug, said, address):
    from bot.forms.opening import opening_answers

    assert opening_answers(_form(slug), said)["direccion"] == address


@pytest.mark.parametrize(
    "slug, said, corner",
    [
        (
            "denuncia-microbasural",
            "en el sitio eriazo de av jose arrieta con tobalaba estan botando basura de todo, quiero denunciarlo",
            "av jose arrieta con tobalaba",
        ),
        (
            "reporte-luminaria",
            "hace una semana q el foco de la esquina de ercilla con lautaro esta apagado y en la noche no se ve nada",
            "esquina de ercilla con lautaro",
        ),
        (
            "reporte-bache",
            "hay un hoyo en la esquina de pedro de valdivia con providencia",
            "esquina de pedro de valdivia con providencia",
        ),
    ],
)
def test_an_opening_message_gives_a_corner_without_a_number(slug, said, corner):
    from bot.forms.opening import opening_answers

    found = opening_answers(_form(slug), said).get("direccion")
    assert found == corner
    address = next(f for f in _form(slug) if f.name == "direccion")
    assert validate_answer(address, found, ctx()).ok


@pytest.mark.parametrize(
    "slug, said, field, option",
    [
        ("reclamo-oirs", "QUIERO PONER UN RECLAMO POR QUE EL CAMION DE LA BASURA NO PASA", "tipo", "Reclamo"),
        ("reclamo-oirs", "quiero dejar una sugerencia", "tipo", "Sugerencia"),
        ("esterilizacion-mascotas", "quiero esterilizar a mi gato", "especie", "Gato"),
    ],
)
def test_a_one_clause_opening_gives_the_option_it_names(slug, said, field, option):
    from bot.forms.opening import opening_answers

    assert opening_answers(_form(slug), said)[field] == option


@pytest.mark.parametrize(
    "slug, said",
    [
        ("reporte-luminaria", "hay una luminaria apagada en mi pasaje, hace dias q esta oscuro"),  # no free text
        ("denuncia-ruidos", "ruidos molestos, calle uno 12, pasaje dos 34"),  # two addresses: which one?
        ("denuncia-ruidos", "ruidos, es una fiesta, y tambien una construccion"),  # two kinds of noise
        ("reporte-luminaria", "el poste de la esquina esta apagado hace 2 semanas"),  # a number of weeks
        ("retiro-voluminosos", "quiero q retiren un sofa, lo puedo pagar en 3 cuotas"),  # a number of payments
        ("reporte-bache", "quiero reportar un bache pasaje los olmos 455"),  # one clause, no "en": the request
        ("reporte-bache", "hay un hoyo en la calle llena de hoyos con agua"),  # no street's name holds "llena"
        # The number counts days: no street number
        ("reporte-luminaria", "hola, hay un foco de la calle apagado hace como 5 dias y la cuadra queda oscura"),
        ("reporte-luminaria", "el poste de la calle los aromos esta apagado como 3 semanas"),
        # "otro", "un trámite": words of an option's title that name nothing told unasked
        ("certificado-residencia", "hola, necesito un certificado de residencia para otro tramite"),
        # "mi casa" would answer «Dentro de mi propiedad» when asked; told unasked, "afuera de mi casa" is not it
        ("poda-arboles", "buenas, el arbol de afuera de mi casa tiene las ramas en los cables, q vengan a podarlo"),
    ],
)
def test_an_opening_message_gives_nothing_it_does_not_say_surely(slug, said):
    from bot.forms.opening import opening_answers

    assert opening_answers(_form(slug), said) == {}


def test_a_bare_yes_is_no_answer_to_a_free_text_question():
    from bot.catalogue.model import FormField

    schedule = FormField("horario", "texto", "¿En qué días y horario ocurre el ruido?")
    state = FormState("denuncia-ruidos", "penalolen", current="horario")
    step = handle_message(state, [schedule], "si, envialo", ctx())
    assert "horario" not in step.state.values and "Escríbeme" in step.replies[0].text


def test_an_address_followed_by_another_clause_is_still_the_address():
    from bot.forms.opening import opening_answers

    said = "hola, hay un hoyo enorme en la calle Maruri 1300 y tb el poste de al frente esta apagado hace dias"
    assert opening_answers(_form("reporte-bache"), said)["direccion"] == "calle Maruri 1300"
    # A number of days or weeks is still no street number.
    assert "direccion" not in opening_answers(
        _form("reporte-luminaria"), "hola, el poste de la esquina esta apagado hace 2 semanas"
    )


def test_a_detail_told_on_the_summary_is_added_to_the_description_only_when_the_citizen_says_so():
    from bot.answers.forms import add_detail
    from bot.forms.flow import detail_field
    from bot.forms.state import ADDING

    form = _form("poda-arboles")
    answers = {
        "nombre": "Valentina Ortiz Bravo",
        "rut": "12.908.734-K",
        "direccion": "Av. Los Leones 1820",
        "telefono": "9 6655 4433",
        "ubicacion_arbol": "1",
        "motivo": "en el bandejon",
    }
    state = FormState("poda-arboles", "providencia")
    state.advance(form)
    while state.stage != CONFIRMING:
        handle_message(state, form, answers[state.current], ctx())
    detail = "esta seco entero y se le caen ramas encima de los autos"
    handle_message(state, form, detail, ctx(intent="informar"))
    assert state.stage == ADDING and state.addition == detail  # nothing the citizen typed is lost
    question = add_detail(detail_field(form), state.addition)
    assert "«Motivo»" in question.text and detail in question.text
    assert [b.title for b in question.buttons] == ["Sí, agregar", "No"]
    step = handle_message(state, form, "sí", ctx(intent="afirmar"))
    assert state.stage == CONFIRMING and "agregué" in step.replies[0].text
    assert state.values["motivo"] == f"en el bandejon. {detail}" and state.displays["motivo"] == state.values["motivo"]
    # Declined, nothing changes; the summary is still the question and nothing was sent.
    handle_message(state, form, "tambien tiene un nido de pajaros arriba", ctx())
    step = handle_message(state, form, "no", ctx(intent="negar"))
    assert state.stage == CONFIRMING and state.values["motivo"] == f"en el bandejon. {detail}"
    assert "no lo agregué" in step.replies[0].text
    # A yes to the summary while the detail is asked is still no submission: it answers the detail question.
    handle_message(state, form, "se ven las raices levantando la vereda", ctx())
    handle_message(state, form, "si", ctx(intent="afirmar"))
    assert state.stage == CONFIRMING
    # Short or unclear words are no detail; a form without a description field asks for a yes as before.
    assert "«sí»" in handle_message(state, form, "mmm ya", ctx()).replies[0].text
    retiro = _form("retiro-voluminosos")
    assert detail_field(retiro) is None
    state = filled(retiro)
    assert "«sí»" in handle_message(state, retiro, "son cosas que estan en el patio", ctx()).replies[0].text


def test_where_the_neighbour_lives_is_the_address_of_a_noise_report():
    from bot.forms.opening import opening_answers

    said = "buenas noches, quiero denunciar a un vecino por ruidos, vive en caupolican 870 y ya no aguanto mas"
    assert opening_answers(_form("denuncia-ruidos"), said)["direccion"] == "caupolican 870"


def test_a_correction_in_words_on_the_summary_changes_the_one_field_it_fits():
    from bot.forms.state import ADDING

    form = _form("certificado-residencia")
    values = {"nombre": "Rodrigo Paredes Lagos", "rut": "9.876.543-3", "direccion": "Holanda 2150 depto 45"}
    state = FormState("certificado-residencia", "providencia")
    state.advance(form)
    while state.stage != CONFIRMING:
        field = state.field(form)
        said = values.get(field.name) or ("rodrigo@hotmail.com" if field.type == "email" else "pa la pega")
        handle_message(state, form, said, ctx())
    assert state.values["motivo"] == "Trabajo"
    step = handle_message(state, form, "no espera, en verdad es pa la universidad, no pa la pega", ctx())
    assert state.stage == CONFIRMING and state.values["motivo"] == "Estudios"
    assert step.replies[0].text == "Listo, corregí: motivo."
    # A change of mind that fits no field asks which one; it is never added to a description nor sent.
    step = handle_message(state, form, "no espera, mejor otra cosa", ctx())
    assert state.stage == CHOOSING
    audiencia = _form("audiencia-alcalde")
    state = FormState("audiencia-alcalde", "penalolen")
    state.advance(audiencia)
    answers = {
        "nombre": "Gloria Inostroza Pino",
        "rut": "11.222.333-9",
        "telefono": "9 5555 1234",
        "email": "gloria@gmail.com",
        "materia": "la seguridad en la villa",
        "fecha_preferida": "el lunes 30 de noviembre",
    }
    while state.stage != CONFIRMING:
        handle_message(state, audiencia, answers[state.current], ctx())
    before = state.values["fecha_preferida"]
    step = handle_message(state, audiencia, "no espera, mejor el martes, el lunes tengo hora al medico", ctx())
    assert state.stage != ADDING and state.values["fecha_preferida"] != before
    assert "fecha" in step.replies[0].text and state.values["materia"] == "la seguridad en la villa"


def test_a_plain_yes_on_the_summary_sends_it_and_never_names_an_option():
    form = _form("desratizacion")
    state = FormState("desratizacion", "penalolen")
    state.advance(form)
    answers = {"nombre": "Hector Munoz Araya", "rut": "8.345.612-4", "direccion": "pasaje el tranque 456"}
    while state.stage != CONFIRMING:
        field = state.field(form)
        said = answers.get(field.name) or ("987651234" if field.type == "telefono" else "en el patio de atras")
        handle_message(state, form, said, ctx())
    assert state.values["lugar"] == "Patio o jardín"
    # "si" opens «Sitio eriazo», but it is the yes to the summary.
    step = handle_message(state, form, "si", ctx())
    assert state.stage == DONE and state.values["lugar"] == "Patio o jardín", step.replies
    # Asked the place, "sí" names none of the places.
    assert not validate_answer(state.field(form, "lugar"), "sí", ctx()).ok


def test_corregir_before_the_summary_opens_the_field_list_and_comes_back_to_the_question_left():
    form = _form("reporte-bache")
    state = FormState("reporte-bache", "penalolen")
    state.advance(form)
    handle_message(state, form, "Av. Jose Arrieta con Las Parcelas", ctx())
    asked = state.current
    handle_message(state, form, "corregir", ctx())
    assert state.stage == CHOOSING
    handle_message(state, form, "", ctx(), chosen_field="direccion")
    assert state.stage == CORRECTING
    handle_message(state, form, "Av. Jose Arrieta con Tobalaba", ctx())
    assert state.values["direccion"] == "Av. Jose Arrieta con Tobalaba"
    assert state.stage != CONFIRMING and state.current == asked  # the description is still to be told
    # "ninguno" goes back to the question too, never to a summary with answers missing.
    handle_message(state, form, "corregir", ctx())
    handle_message(state, form, "ninguno", ctx())
    assert state.stage != CONFIRMING and state.current == asked


def test_an_anonymous_report_is_not_asked_the_name():
    from bot.forms.fields import AnswerContext
    from bot.forms.flow import handle_message
    from bot.forms.state import FormState

    form = _form("denuncia-microbasural")
    context = AnswerContext(today=date(2026, 12, 3), commune="Angol")
    state = FormState("denuncia-microbasural", "angol", current="anonima")
    state.values.update({"direccion": "caupolican con prat", "descripcion": "escombros hace 3 semanas"})
    step = handle_message(state, form, "sip", context)
    assert step.state.values["anonima"] is True
    assert step.state.current == "foto"  # not «¿Cuál es tu nombre?»
    named = FormState("denuncia-microbasural", "angol", current="anonima")
    named.values.update(state.values)
    named.values.pop("anonima")
    assert handle_message(named, form, "no", context).state.current == "nombre"


def test_a_no_in_chat_spelling_skips_an_optional_question():
    from bot.forms.fields import is_skip

    assert all(is_skip(no) for no in ("nop", "nopo", "no po", "negativo"))
    assert not is_skip("sip")


def test_what_the_opening_told_of_the_case_is_offered_back_and_a_yes_keeps_it(catalogue):
    from bot.answers.forms import question
    from bot.forms.told import told_field, told_in_opening

    reclamo = catalogue.procedures["reclamo-oirs"]
    said = "hola, quiero reclamar porque en la oficina de rentas me atendieron pesimo el lunes, rut 12.345.678-5"
    told = told_in_opening(reclamo.name, said, {})
    assert told == "quiero reclamar porque en la oficina de rentas me atendieron pesimo el lunes"
    assert told_in_opening(reclamo.name, "quiero hacer un reclamo", {}) == ""  # only the request: nothing told
    poda = catalogue.procedures["poda-arboles"]
    said = "hay un arbol seco q se puede caer en pasaje los olmos 123, quiero q lo vengan a ver"
    assert told_in_opening(poda.name, said, {"direccion": "pasaje los olmos 123"}) == (
        "hay un arbol seco q se puede caer, quiero q lo vengan a ver"
    )
    assert told_in_opening(poda.name, "quiero pedir la poda de un arbol", {}) == ""

    field = told_field(reclamo.form)
    assert field is not None and field.name == "descripcion"
    asked = question(field, told)
    assert f"Me contaste: «{told}»" in asked.text and [b.title for b in asked.buttons] == ["Sí, es eso"]
    assert "Me contaste" not in question(field).text

    for answer, kept in (("si", told), ("eso", told), ("lo que te dije", told), ("fue en el juzgado", None)):
        state = FormState("reclamo-oirs", "penalolen", current="descripcion")
        state.told["descripcion"] = told
        handle_message(state, reclamo.form, answer, ctx(intent="afirmar" if answer == "si" else ""))
        assert state.values["descripcion"] == (kept or answer) and "descripcion" not in state.told


def test_a_correction_in_words_on_the_summary_takes_the_value_after_each_change_of_mind(catalogue):
    pets = catalogue.procedures["esterilizacion-mascotas"].form
    state = FormState("esterilizacion-mascotas", "independencia", stage=CONFIRMING)
    for name, value in (("nombre", "Daniela Rojas"), ("especie", "Perro"), ("sexo_mascota", "Macho")):
        state.values[name], state.displays[name] = value, value
    step = handle_message(state, pets, "NO ESPERA ES HEMBRA, ME CONFUNDI CON EL OTRO PERRO", ctx())
    assert state.values["sexo_mascota"] == "Hembra" and state.values["especie"] == "Perro"
    assert step.replies[0].text == "Listo, corregí: sexo mascota." and state.stage == CONFIRMING
    dump = catalogue.procedures["denuncia-microbasural"].form
    state = FormState("denuncia-microbasural", "penalolen", stage=CONFIRMING)
    state.values["direccion"] = state.displays["direccion"] = "Diagonal Las Torres 2500"
    handle_message(state, dump, "me equivoque, es Diagonal Las Torres 2050", ctx())
    assert state.values["direccion"] == "Diagonal Las Torres 2050"


def test_a_yes_or_no_opening_the_answer_and_an_option_named_by_its_stem(catalogue):
    from bot.catalogue.model import FormField

    anonymous = FormField(name="anonima", type="si_no", question="?")
    assert validate_answer(anonymous, "si porfa, no quiero problemas con los vecinos", ctx()).value is True
    assert validate_answer(anonymous, "no, prefiero dar mi nombre", ctx()).value is False
    kind = FormField(name="tipo", type="opcion", question="?", options=["Reclamo", "Sugerencia", "Felicitación"])
    assert validate_answer(kind, "QUIERO FELICITAR A ALGUIEN", ctx()).value == "Felicitación"


def _answered_until(form, field_name):
    """The pickup's request with every field before ``field_name`` answered, ``field_name`` asked."""
    state = FormState("retiro-voluminosos", "penalolen")
    state.advance(form)
    while state.current != field_name:
        handle_message(state, form, ANSWERS[state.current], ctx())
    return state


def test_an_earlier_answer_corrected_while_another_is_asked_is_fixed_and_the_question_stays():
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir
    from bot.forms.flow import correction_while_asking

    form = load_catalogue(catalogue_dir()).procedures["retiro-voluminosos"].form
    state = _answered_until(form, "objetos")
    step = correction_while_asking(state, form, "perdon el rut q le di es de mi marido, el mio es 8.946.120-0", ctx())
    assert step.replies[0].text == "Listo, corregí: RUT." and state.values["rut"] == "8946120-0"
    assert state.current == "objetos" and state.stage == "preguntando"
    step = correction_while_asking(state, form, "espera, me equivoque en la direccion, es Maruri 1320 no 1230", ctx())
    assert "dirección" in step.replies[0].text and state.values["direccion"] == "Maruri 1320"
    # Given again: nothing changes, and the citizen is told it is kept.
    step = correction_while_asking(state, form, "el fono ya se lo di antes: 9 8765 4321", ctx())
    assert "ya lo tengo" in step.replies[0].text and state.values["telefono"] == "+56987654321"
    # The answer to the question asked, in the same message, is kept as well.
    at_email = _answered_until(form, "email")
    step = correction_while_asking(at_email, form, "el cel ya se lo di, 987654321. y el correo es ana@gmail.com", ctx())
    assert "ya lo tengo" in step.replies[0].text and at_email.values["email"] == "ana@gmail.com"
    assert at_email.stage == CONFIRMING
    # Named without a value: that field is asked now, then the one that was pending.
    step = correction_while_asking(state, form, "me equivoque en la direccion", ctx())
    assert state.stage == CORRECTING and state.current == "direccion"
    handle_message(state, form, "Maruri 1302", ctx())
    assert state.values["direccion"] == "Maruri 1302" and state.current == "objetos"
    # A description that only tells of a mistake, or a correction of nothing given, is no correction.
    assert correction_while_asking(state, form, "me equivoque de calle al ir a dejar el colchon", ctx()) is None
    assert correction_while_asking(state, form, "perdon, un colchon y una silla", ctx()) is None


def test_two_streets_corner_in_the_opening_and_a_field_named_in_everyday_words(catalogue):
    from bot.forms.flow import _field_named
    from bot.forms.opening import opening_answers
    from bot.forms.option_words import option_for_amount

    pothole = catalogue.procedures["reporte-bache"].form
    assert opening_answers(pothole, "quiero reportar un bache en Caupolican esquina Covadonga") == {
        "direccion": "Caupolican esquina Covadonga"
    }
    assert opening_answers(pothole, "hay un hoyo en maruri esq. gamero hace dias") == {
        "direccion": "maruri esq. gamero"
    }
    assert opening_answers(pothole, "hay un hoyo en la casa con mi mama") == {}
    audience = catalogue.procedures["audiencia-alcalde"].form
    assert _field_named(audience, "el tema").name == "materia"
    volumes = ["Menos de 1 m³", "Entre 1 y 3 m³", "Más de 3 m³"]
    assert option_for_amount("menos d 1 m3, son unos sacos no mas", volumes) == "Menos de 1 m³"
