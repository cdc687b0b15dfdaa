"""Normalisation of chat Spanish and the structured entities citizens type."""

import pytest

from bot.nlu.entities import find_emails, find_folios, find_phones, find_ruts, find_structured, format_phone, format_rut
from bot.text import normalise, words_with_spans


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("¿Cuánto cuesta el Permiso de Circulación?", "cuanto cuesta el permiso de circulacion"),
        ("q necesito pa sacar patente", "que necesito para sacar patente"),
        ("holaaaaa, PEÑALOLÉN po", "holaa penalolen po"),
        ("xq la muni no responde", "porque la municipalidad no responde"),
        ("kiero sacar la licencia, kien atiende aki?", "quiero sacar la licencia quien atiende aqui"),
    ],
)
def test_normalise_chat_spanish(raw, expected):
    assert normalise(raw) == expected


def test_spans_point_at_the_original_text():
    text = "pal permiso"
    words = words_with_spans(text)
    assert [w for w, _, _ in words] == ["para", "el", "permiso"]
    assert text[words[2][1] : words[2][2]] == "permiso"


@pytest.mark.parametrize(
    "text, value",
    [
        ("mi rut es 12.345.678-5", "12345678-5"),
        ("12345678-5", "12345678-5"),
        ("rut 15.882.390-k", "15882390-K"),
        ("rut: 123456785", "12345678-5"),
        ("RUT 11.111.111-1 gracias", "11111111-1"),
    ],
)
def test_valid_ruts_are_normalised(text, value):
    assert [f.value for f in find_ruts(text)] == [value]


@pytest.mark.parametrize("text", ["mi rut es 12.345.678-4", "12345678-K", "tengo 123 años"])
def test_invalid_check_digit_is_not_a_rut(text):
    assert find_ruts(text) == []


def test_format_rut_rejects_garbage():
    assert format_rut("hola") is None
    assert format_rut("12.345.678-5") == "12345678-5"


@pytest.mark.parametrize(
    "text, value",
    [
        ("mi cel es 9 8765 4321", "+56987654321"),
        ("+56 9 8765 4321", "+56987654321"),
        ("llamame al 987654321", "+56987654321"),
        ("fono fijo 22 654 3000", "+56226543000"),
        # Any mobile: the library's table of allotted ranges lags behind ("912345678" is refused by it).
        ("mi cel es 912345678", "+56912345678"),
        ("+56 9 1111 2222", "+56911112222"),
    ],
)
def test_chilean_phones_in_e164(text, value):
    assert [f.value for f in find_phones(text)] == [value]


def test_format_phone_single_value():
    assert format_phone("987654321") == "+56987654321"
    assert format_phone("123") is None
    assert format_phone("912345678") == "+56912345678"
    assert format_phone("8123456") is None and format_phone("22345678") is None


def test_email_and_folio():
    assert [f.value for f in find_emails("escribeme a Juan.Perez@Gmail.com.")] == ["juan.perez@gmail.com"]
    assert [f.value for f in find_folios("mi folio es pen-7kx4m2")] == ["PEN-7KX4M2"]
    # 0 is not in the folio alphabet, but written with its dash it is meant as a folio: looked up, not found
    assert [f.value for f in find_folios("PEN-7KX4M0")] == ["PEN-7KX4M0"]
    assert find_folios("pen 7kx4m0") == []


@pytest.mark.parametrize(
    "text, folio",
    [
        ("el folio es pen 7kx 4m2 y mi rut 16.234.789-6", "PEN-7KX4M2"),  # read out in groups
        ("folio ind 9xk 2p7 rut 10.456.789-4, en q esta?", "IND-9XK2P7"),
        ("ind 9x-k2-p7", "IND-9XK2P7"),
        ("pen-7kx4m2 ya", "PEN-7KX4M2"),
        ("ang zzz997", "ANG-ZZZ997"),
        ("folio ang-7qx2lm rut 15.234.876-2", "ANG-7QX2LM"),  # a look-alike "l": still a folio to look up
    ],
)
def test_a_folio_written_in_groups_or_lower_case_is_found(text, folio):
    assert [f.value for f in find_folios(text)] == [folio]


@pytest.mark.parametrize(
    "text",
    [
        "son 2 casas",
        "que muchas",
        "hay 3 hoyos grandes",
        "tengo 2 perros 3 gatos",
        "cel 987 654 321",
        "mas 10dias",
        "poste apagado afuera del 2233 de san martin",  # an address, told with "del … de"
        "vivo en los 4455 al fondo",
    ],
)
def test_words_and_numbers_are_not_read_as_a_folio(text):
    assert find_folios(text) == []


def test_rut_digits_are_not_read_as_a_phone():
    found = find_structured("rut 12.345.678-5 y cel 987654321")
    assert [(f.entity, f.value) for f in found] == [("rut", "12345678-5"), ("telefono", "+56987654321")]


def test_a_folio_glued_to_its_code_counts_only_named_as_one():
    from bot.folio import folios_in

    assert [f for f, _, _ in folios_in("gracias. y el estado? folio pro3k9x7m rut 18234567-9")] == ["PRO-3K9X7M"]
    assert list(folios_in("quiero ayudarles con esto")) == [] and list(folios_in("abril2026")) == []
