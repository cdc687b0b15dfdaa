"""Every field type of the guided forms, with good and bad answers."""

from datetime import date

import pytest

from bot.catalogue.model import FormField
from bot.forms.fields import AnswerContext, known_values, validate_answer

TODAY = date(2026, 11, 25)


def ctx(**kwargs):
    return AnswerContext(today=TODAY, commune="Peñalolén", **kwargs)


def field(kind, **kwargs):
    return FormField(name=kwargs.pop("name", kind), type=kind, question="?", **kwargs)


@pytest.mark.parametrize(
    "kind, text, value",
    [
        ("nombre", "me llamo juan pérez", "Juan Pérez"),
        ("nombre", "María José Soto", "María José Soto"),
        ("rut", "12.345.678-5", "12345678-5"),
        ("rut", "mi rut es 15882390k", "15882390-K"),
        ("email", "Juan.Perez@Gmail.com", "juan.perez@gmail.com"),
        ("telefono", "9 8765 4321", "+56987654321"),
        ("telefono", "+56 2 2654 3000", "+56226543000"),
        ("direccion", "Pasaje Los Aromos 1234, depto 21", "Pasaje Los Aromos 1234, depto 21"),
        ("direccion", "Maruri con Rivera", "Maruri con Rivera"),  # a corner
        ("direccion", "Los Copihues s/n", "Los Copihues s/n"),
        ("direccion", "al frente del almacen de la villa", "al frente del almacen de la villa"),
        ("fecha", "15 de diciembre", "2026-12-15"),
        ("fecha", "mañana", "2026-11-26"),
        ("fecha", "el proximo jueves si se puede, en la mañana", "2026-11-26"),  # the morning, not tomorrow
        ("fecha", "el lunes en la mañana", "2026-11-30"),
        ("texto", "un colchón de dos plazas", "un colchón de dos plazas"),
        ("si_no", "si po", True),
        ("si_no", "no", False),
    ],
)
def test_good_answers(kind, text, value):
    result = validate_answer(field(kind), text, ctx())
    assert result.ok and result.value == value


@pytest.mark.parametrize(
    "kind, text, expected_in_error",
    [
        ("nombre", "12345", "sin números"),
        ("nombre", "x", "nombre"),
        ("rut", "12.345.678-4", "dígito verificador"),
        ("rut", "no me acuerdo", "12.345.678-5"),
        ("email", "juan arroba gmail", "correo"),
        ("telefono", "123", "9 dígitos"),
        ("direccion", "ahi", "calle y número"),
        ("direccion", "x" * 200, "muy larga"),
        # Answers to another question, asked for an address: nothing on a map, so asked again.
        ("direccion", "musica fuerte, tipo fiesta con gritos", "calle y número"),
        ("direccion", "bolsas de basura, 2 colchones y escombros, hace como un mes", "calle y número"),
        ("direccion", "en la calzada, como de 1 metro de ancho", "calle y número"),
        ("fecha", "cuando puedan", "No entendí la fecha"),
        ("fecha", "1 de enero de 2020", "ya pasó"),
        ("fecha", "1 de enero de 2030", "muy lejos"),
        ("texto", "?", "Cuéntame"),
        ("si_no", "quizas", "sí o no"),
        ("ubicacion", "por aca", "Ubicación"),
    ],
)
def test_bad_answers_say_what_is_expected(kind, text, expected_in_error):
    result = validate_answer(field(kind), text, ctx())
    assert not result.ok and expected_in_error in result.error


def test_text_length_limit():
    result = validate_answer(field("texto", max_length=20), "a" * 21, ctx())
    assert not result.ok and "menos de 20 caracteres" in result.error


def test_choice_by_number_text_or_typo():
    choice = field("opcion", options=["Perro", "Gato"])
    assert validate_answer(choice, "2", ctx()).value == "Gato"
    assert validate_answer(choice, "la 1", ctx()).value == "Perro"
    assert validate_answer(choice, "GATO", ctx()).value == "Gato"
    assert validate_answer(choice, "perrp", ctx()).value == "Perro"
    bad = validate_answer(choice, "tortuga", ctx())
    assert not bad.ok and "1) Perro" in bad.error


def test_an_amount_with_its_unit_chooses_the_range_it_falls_in():
    volume = field("opcion", options=["Menos de 1 m³", "Entre 1 y 3 m³", "Más de 3 m³"])
    assert validate_answer(volume, "como 2 metros cubicos", ctx()).value == "Entre 1 y 3 m³"
    assert validate_answer(volume, "medio metro, 0,5 m", ctx()).value == "Menos de 1 m³"
    assert validate_answer(volume, "unos 5 m3", ctx()).value == "Más de 3 m³"
    assert validate_answer(volume, "3", ctx()).value == "Más de 3 m³"  # a bare number is the option's


def test_location_shared_from_the_phone():
    loc = field("ubicacion")
    result = validate_answer(loc, "", ctx(location={"lat": -33.48, "lon": -70.54}))
    assert result.ok and result.value == {"lat": -33.48, "lon": -70.54}
    assert validate_answer(loc, "-33.4812, -70.5401", ctx()).ok
    assert not validate_answer(loc, "", ctx(location={"lat": 48.85, "lon": 2.35})).ok  # Paris


def test_address_can_be_a_shared_location_and_must_be_in_the_commune():
    address = field("direccion")
    assert validate_answer(address, "", ctx(location={"lat": -33.48, "lon": -70.54})).ok
    other = validate_answer(address, "Av. Pajaritos 123, Maipú", ctx(entities={"comuna": "Maipú"}))
    assert not other.ok and "Peñalolén" in other.error


@pytest.mark.parametrize(
    "address, commune",
    [
        ("pasaje rio palena 6231, lo hermida", "Palena"),
        ("esquina condell con rancagua", "Rancagua"),
        ("San Luis de Macul 5420, Penalolen", "Macul"),  # the served commune is named too
        ("Pasaje Lientur 231, poblacion Pedro Aguirre Cerda", "Pedro Aguirre Cerda"),  # a neighbourhood's name
    ],
)
def test_a_street_named_after_another_commune_is_an_address_here(address, commune):
    assert validate_answer(field("direccion"), address, ctx(entities={"comuna": commune})).ok


def test_optional_fields_can_be_skipped_required_cannot():
    assert validate_answer(field("email", required=False), "omitir", ctx()).value is None
    assert not validate_answer(field("email"), "omitir", ctx()).ok


@pytest.mark.parametrize(
    "declined", ["no, no es necesario q me llamen", "no gracias, prefiero que no me llamen", "mejor no lo dejo"]
)
def test_saying_it_is_not_needed_skips_an_optional_field(declined):
    result = validate_answer(field("telefono", required=False), declined, ctx())
    assert result.ok and result.value is None


@pytest.mark.parametrize("cannot", ["no puedo, ando en el trabajo", "ahora no puedo", "no tengo como, toy sin datos"])
def test_saying_it_cannot_be_given_now_skips_an_optional_location(cannot):
    result = validate_answer(field("ubicacion", required=False), cannot, ctx())
    assert result.ok and result.value is None


def test_a_long_answer_with_the_datum_is_not_a_skip():
    result = validate_answer(field("telefono", required=False), "no es necesario pero igual 987654321", ctx())
    assert result.ok and result.value == "+56987654321"
    said = "no se el numero, es frente a la plaza"
    assert validate_answer(field("texto", required=False), said, ctx()).value == said
    described = "no puedo abrir el porton porque las ramas lo tapan"
    assert validate_answer(field("texto", required=False), described, ctx()).value == described


def test_known_values_reuse_data_given_before():
    fields = [field("rut"), field("email"), field("nombre")]
    assert known_values(fields, {"rut": "12345678-5", "telefono": "+56987654321"}) == {"rut": "12345678-5"}


def test_a_location_may_be_written_as_the_question_offers():
    place = FormField("ubicacion", "ubicacion", "¿Puedes compartir la ubicación?", required=False)
    assert validate_answer(place, "Marchant Pereira 550, en la vereda del frente", ctx()).ok
    assert not validate_answer(place, "bolsas de basura y cajas, hace unas dos semanas", ctx()).ok


def test_a_bound_said_is_outside_the_range_and_none_tells_no_data():
    from bot.forms.fields import is_skip

    volume = FormField(
        name="volumen", type="opcion", question="?", options=["Menos de 1 m³", "Entre 1 y 3 m³", "Más de 3 m³"]
    )
    context = AnswerContext(today=date(2026, 11, 25), commune="Peñalolén")
    assert validate_answer(volume, "menos de 1 metro cubico, son unos 15 sacos", context).value == "Menos de 1 m³"
    assert validate_answer(volume, "mas de 3 metros", context).value == "Más de 3 m³"
    assert validate_answer(volume, "como 2 metros cubicos", context).value == "Entre 1 y 3 m³"
    assert is_skip("ah ya entonces no, no tengo correo")


def test_a_sound_before_the_name_and_an_unknown_email_or_phone():
    from bot.catalogue.model import FormField
    from bot.forms.fields import AnswerContext, validate_answer

    context = AnswerContext(today=date(2026, 12, 1), commune="Peñalolén")
    name = FormField("nombre", "nombre", "¿Cuál es tu nombre?")
    assert validate_answer(name, "ah, Felipe Arancibia Toro", context).value == "Felipe Arancibia Toro"
    assert validate_answer(name, "ya, me llamo Ana Soto", context).value == "Ana Soto"
    email = FormField("email", "email", "¿Tu correo?", required=False)
    unknown = validate_answer(email, "no se cual es mi correo, mi hija me lo hizo y no me acuerdo", context)
    assert unknown.ok and unknown.value is None
    reference = FormField("referencia", "texto", "¿Alguna referencia?", required=False, max_length=300)
    told = "no se el numero del poste, esta frente a una farmacia"
    assert validate_answer(reference, told, context).value == told  # a reference, though it starts "no se"


def test_a_required_description_cannot_be_passed_and_an_optional_one_can():
    from bot.catalogue.model import FormField
    from bot.forms.fields import AnswerContext, validate_answer

    context = AnswerContext(today=date(2026, 12, 1), commune="Angol")
    required = FormField("descripcion", "texto", "¿Cómo es el daño?", max_length=300)
    passed = validate_answer(required, "paso", context)
    assert not passed.ok and "no se puede saltar" in passed.error
    optional = FormField("referencia", "texto", "¿Alguna referencia?", required=False, max_length=300)
    assert validate_answer(optional, "paso", context).ok and validate_answer(optional, "paso", context).value is None
