"""Every regular expression run on what a citizen writes, with 100 KB built to make it backtrack.

One long message once froze the whole service: the e-mail pattern retried from every
character of a long run ("aaaa…" with no "@"), 2.3 s for 16,000 characters, minutes for a
2 MB body. Here each entry point that runs a pattern on citizen text (entity finders, the
normaliser, aspects, form field validators, the correction parser, button replies, the
console's masking, the log redaction, the message cut) gets, for each pattern, inputs made of
long runs of the characters it repeats, and must finish within a generous budget, or, on a busy
machine, take no more than about four times as long as on a quarter of the text.
The channels also cut messages to 1,600 / 4,096 characters (channels/limits.py); this
checks that the code itself would survive without that cut.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Callable, Dict, List, Tuple

import pytest

from bot import log_safety
from bot.app.web.console_mask import mask_text
from bot.catalogue.model import FormField
from bot.dialogue import cues
from bot.dialogue.form_moves import asks_about_the_question
from bot.dialogue.message import Message
from bot.dialogue.procedure_moves import asks_it_done, asks_to_switch, procedure_move
from bot.folio import FOLIO_RE
from bot.forms import flow
from bot.forms.fields import COORDINATES, NAME_PREFIX, VALIDATORS, AnswerContext, validate_answer
from bot.forms.opening import opening_answers
from bot.forms.option_words import option_for_amount, option_named
from bot.forms.state import FormState
from bot.forms.told import takes_what_was_told, told_in_opening
from bot.matching.aspects import asked_aspects
from bot.matching.generic import names_the_request_in_focus, with_kind_of
from bot.matching.question_words import asks_what_if_not
from bot.nlu import entities
from bot.text import normalise, words_with_spans
from channels.common import payload_for_reply
from channels.limits import cap_text
from channels.typed import typed_text

SIZE = 100_000
BUDGET_SECONDS = 1.0  # generous: the quadratic e-mail pattern took about a minute on 100 KB

# Runs of the characters the patterns repeat, each alone and followed by a character that makes
# the match fail at the very end (the worst case for backtracking).
UNITS = [
    "a",
    "a@",
    "@a",
    "a.",
    ".a",
    "a-",
    "a+",
    "a@a.",
    "a@a",
    "1",
    "1.",
    "1-",
    "1 ",
    "-",
    " ",
    "\n",
    "\t",
    "11.111.111",
    "12.345.678-",
    "1234567",
    "k",
    "rut ",
    "rut",
    "+56 9",
    "9 8765 ",
    "+",
    "(1)",
    "es ",
    "es a\n",
    "es\n",
    ":",
    ": \n",
    "aaa ",
    "aaa-",
    "aaa -",
    "PEN-",
    "ab-",
    "-1.111",
    "1.111 ",
    "me llamo ",
    "si no ",
    "que ",
    "mejor ",
    "el de ",
    "pasaje 1 ",
    "ñ",
    "á",
    "🙂",
    "a\u0301",
    "bot",
    "/bot1",
    "token=",
    "://a:",
    "9",
    "56",
]


def adversarial_inputs() -> List[Tuple[str, str]]:
    """(label, 100 KB text) pairs."""
    found = []
    for unit in UNITS:
        run = (unit * (SIZE // len(unit) + 1))[:SIZE]
        found.append((repr(unit), run))
        found.append((repr(unit) + "+!", run[:-1] + "!"))
    found += [
        ("'es ' then two lines", "es " * (SIZE // 3) + "\nx\ny"),
        ("local part then one @", "a" * (SIZE - 3) + "@b!"),
        ("@ then a long domain", "a@" + "a" * (SIZE - 3) + "!"),
        ("@ then many dots", "a@" + ".a" * (SIZE // 2 - 2) + "!"),
        ("spaced digits", "1 " * (SIZE // 2 - 1) + "x"),
        ("folio prefix and spaces", "abc" + " " * (SIZE - 5) + "-x"),
        ("coordinates without separator", "-33." + "1" * (SIZE - 5) + "x"),
    ]
    return found


INPUTS = adversarial_inputs()
TODAY = date(2026, 11, 25)
CONTEXT = AnswerContext(today=TODAY, commune="Peñalolén")
BUTTONS = [{"title": "Sí, confirmar", "payload": "/afirmar"}, {"title": "No, corregir", "payload": "/negar"}]
SECRETS = log_safety.configured_secrets(
    {
        "TWILIO_AUTH_TOKEN": "token-de-prueba-twilio",
        "TELEGRAM_BOT_TOKENS": "penalolen=111:PENALOLEN",
        "TELEGRAM_WEBHOOK_SECRET": "secreto-de-webhook-de-prueba",
    }
)


VOLUMINOSOS_FORM = [
    FormField(name="nombre", type="nombre", question="?"),
    FormField(name="direccion", type="direccion", question="?"),
    FormField(name="horario", type="horario", question="?"),
    FormField(name="tipo", type="opcion", question="?", options=["Fiesta o música", "Otro"]),
]


def _field(kind: str) -> Callable[[str], object]:
    form_field = FormField(name="campo", type=kind, question="?", options=["Uno", "Dos"], max_length=500)
    return lambda text: validate_answer(form_field, text, CONTEXT)


ENTRY_POINTS: Dict[str, Callable[[str], object]] = {
    "find_ruts": entities.find_ruts,
    "first_rut": entities.first_rut,
    "find_emails": entities.find_emails,
    "find_phones": entities.find_phones,
    "find_folios": entities.find_folios,
    "find_structured": entities.find_structured,
    "FOLIO_RE": lambda text: list(FOLIO_RE.finditer(text)),
    "normalise": normalise,
    "words_with_spans": words_with_spans,
    "asked_aspects": asked_aspects,
    "new_value_after": flow._new_value_after,
    "NAME_PREFIX": lambda text: NAME_PREFIX.sub("", text),
    "COORDINATES": lambda text: COORDINATES.search(text),
    "payload_for_reply": lambda text: payload_for_reply(text, BUTTONS),
    "mask_text": mask_text,
    "log redact": lambda text: log_safety.redact(text, SECRETS),
    "cap_text": lambda text: cap_text(text, 1600),
    "is_stop": cues.is_stop,
    "names_a_person": cues.names_a_person,
    "asks_about_town_hall": cues.asks_about_town_hall,
    "sounds_upset": cues.sounds_upset,
    "procedure_move": lambda text: procedure_move(Message(text, "consultar_tramite", 0.9)),
    "wants_to_correct": flow.wants_to_correct,
    "option_named": lambda text: option_named(text, ["Fiesta o música", "Otro"]),
    "typed_text": typed_text,
    "looks_like_question": cues.looks_like_question,
    "asks_to_switch": asks_to_switch,
    "asks_what_if_not": asks_what_if_not,
    "with_kind_of": lambda text: with_kind_of(text, "Certificado de residencia"),
    "opening_answers": lambda text: opening_answers(VOLUMINOSOS_FORM, text),
    "told_in_opening": lambda text: told_in_opening("Reclamo o sugerencia (OIRS)", text, {"direccion": "Maruri 1300"}),
    "takes_what_was_told": takes_what_was_told,
    "tells_own_detail": cues.tells_own_detail,
    "gives_own_data": cues.gives_own_data,
    "asks_how_it_goes": cues.asks_how_it_goes,
    "asks_it_done": asks_it_done,
    "asks_about_the_question": asks_about_the_question,
    "option_for_amount": lambda text: option_for_amount(text, ["Menos de 1 m³", "Entre 1 y 3 m³", "Más de 3 m³"]),
    "names_the_request_in_focus": names_the_request_in_focus,
    "asks_to_repeat": cues.asks_to_repeat,
    "correction_while_asking": lambda text: flow.correction_while_asking(
        FormState(
            "retiro-voluminosos", "penalolen", values={"nombre": "Ana Soto", "direccion": "Maruri 1"}, current="horario"
        ),
        VOLUMINOSOS_FORM,
        "perdon, me equivoque en la direccion, es " + text,
        CONTEXT,
    ),
    # Every form field type except dates (dateparser, not our patterns; fed at most 4,096 characters).
    **{f"field {kind}": _field(kind) for kind in sorted(VALIDATORS) if kind != "fecha"},
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_entry_point_is_linear_on_adversarial_100kb(name):
    run = ENTRY_POINTS[name]
    slow = []
    for label, text in INPUTS:
        elapsed = _seconds(run, text)
        if elapsed <= BUDGET_SECONDS:
            continue
        # Over the budget on a busy machine is no proof: backtracking also grows faster than the text.
        quarter = _seconds(run, text[: len(text) // 4])
        if elapsed > QUADRATIC_RATIO * max(quarter, 1e-3):
            slow.append(f"{label}: {elapsed:.2f} s (un cuarto del texto: {quarter:.2f} s)")
    assert not slow, f"{name} tardó más de {BUDGET_SECONDS} s y más que lineal con: {slow}"


# Four times the text takes about four times as long when linear, sixteen when quadratic.
QUADRATIC_RATIO = 9.0


def _seconds(run: Callable[[str], object], text: str) -> float:
    started = time.perf_counter()
    run(text)
    return time.perf_counter() - started


def test_dates_are_parsed_in_time_at_the_longest_message_a_channel_lets_through():
    """dateparser is not ours; the channels give it at most 4,096 characters."""
    run = _field("fecha")
    for label, text in INPUTS[::4]:
        started = time.perf_counter()
        run(text[:4096])
        assert time.perf_counter() - started < 2 * BUDGET_SECONDS, label


@pytest.mark.parametrize(
    "text, expected",
    [
        ("no, la dirección es Los Aromos 12", "Los Aromos 12"),
        ("el correo era: ana@gmail.com", "ana@gmail.com"),
        ("la dirección es\nLos Aromos 12", "Los Aromos 12"),
        ("es uno\nes dos", "dos"),
        ("es uno\nes dos\n", "dos"),
        ("es ", ""),
        ("nada que ver", ""),
    ],
)
def test_the_correction_parser_keeps_its_behaviour(text, expected):
    assert flow._new_value_after(text) == expected


def test_the_email_finder_keeps_its_behaviour():
    assert [f.value for f in entities.find_emails("escribe a Ana.Soto+muni@Gmail.com. o a x@y.cl")] == [
        "ana.soto+muni@gmail.com",
        "x@y.cl",
    ]
    assert entities.find_emails("#ana@gmail.com")[0].start == 1
    assert entities.find_emails("a" * 50 + " sin arroba") == []


@pytest.mark.parametrize(
    "text, limit, expected, cut",
    [
        ("hola", 10, "hola", False),
        ("uno dos tres cuatro", 10, "uno dos", True),
        ("x" * 30, 10, "x" * 10, True),
        ("palabra\notra linea larga", 12, "palabra", True),
    ],
)
def test_cap_text_cuts_at_a_word_boundary(text, limit, expected, cut):
    assert cap_text(text, limit) == (expected, cut)


@pytest.mark.parametrize("text", ["²", "1" * 5000, "٣", "¹²³"])
def test_digit_like_answers_to_a_choice_never_crash(text):
    """ "²".isdigit() is true but int("²") raises; 5,000 digits exceed Python's int() limit."""
    result = _field("opcion")(text)
    assert result.ok or result.error
