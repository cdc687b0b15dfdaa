"""How one citizen message moves a guided request forward.

``handle_message`` is pure: given the state, the form's fields and the message, it
returns the new state and what to say. Questions in the middle of the form are
detected by the action, which answers them and asks the same field again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional

from rapidfuzz import fuzz, process

from bot.answers.forms import added_detail, give_value, not_added_detail
from bot.answers.reply import Reply
from bot.catalogue.model import FormField
from bot.forms.fields import (
    AnswerContext,
    FieldResult,
    example_for,
    is_skip,
    option_number,
    validate_answer,
    yes_no,
)
from bot.forms.state import ADDING, CHOOSING, CONFIRMING, CORRECTING, DONE, FormState, label, label_in_sentence
from bot.forms.told import takes_what_was_told
from bot.nlu.entities import Found, find_structured
from bot.text import normalise, strip_accents

# Words that name a field type when the citizen corrects a value: "no, mi correo es ...".
FIELD_WORDS = {
    "email": {"correo", "mail", "email", "e-mail"},
    "telefono": {"telefono", "celular", "cel", "fono", "numero"},
    "rut": {"rut"},
    "nombre": {"nombre", "llamo"},
    "direccion": {"direccion", "calle", "domicilio"},
    "fecha": {"fecha", "dia"},
    # By field name: the words a citizen uses for what the summary calls «Materia» or «Sexo mascota» (only words
    # that name the field and nothing else: "son cosas que están en el patio" corrects no «Objetos»).
    "materia": {"tema", "asunto", "materia"},
    "sexo_mascota": {"sexo"},
    "edad_mascota": {"edad"},
}
MAX_ATTEMPTS_BEFORE_HELP = 2
# Fields whose answer is a value: a "sí" means the citizen is willing to give it, not the value.
# A bare yes is no answer to these: "sí" to "¿Quieres dejar tu correo?" or "sí, envíalo" to "¿En qué horario…?".
VALUE_TYPES = {"nombre", "rut", "email", "telefono", "direccion", "fecha", "ubicacion", "texto", "horario", "foto"}
MAX_CORRECTION_WORDS = 6
MAX_BARE_CORRECTION_WORDS = 3  # "corregir", "quiero corregir algo": no description, though a text field takes it
NOTHING_TO_CORRECT = {"ninguno", "ninguna", "nada", "ninguno gracias", "esta bien", "todo bien", "volver"}


@dataclass
class Step:
    """The new state and the replies to send before the next question."""

    state: FormState
    replies: List[Reply] = field(default_factory=list)


def handle_message(
    state: FormState, fields: List[FormField], text: str, context: AnswerContext, chosen_field: Optional[str] = None
) -> Step:
    """Apply one message: an answer, a confirmation or a correction."""
    if state.stage == CONFIRMING:
        return _confirmation(state, fields, text, context, chosen_field)
    if state.stage == CHOOSING:
        return _choice_of_field(state, fields, text, context, chosen_field)
    if state.stage == ADDING:
        return _addition(state, fields, text, context, chosen_field)
    form_field = state.field(fields)
    if form_field is None:  # fields changed in the catalogue meanwhile
        state.advance(fields)
        return Step(state)
    told = state.told.get(form_field.name)
    if told and (yes_no(text, context.intent) is True or takes_what_was_told(text)):
        result = validate_answer(form_field, told, context)  # "sí" to "Me contaste: «…». Si es eso, responde «sí»"
        if result.ok:
            state.store(form_field, result.value, result.display)
            state.advance(fields)
            return Step(state)
    if form_field.type in VALUE_TYPES and yes_no(text) is True:  # "sí" to "¿Quieres dejar tu correo?"
        return Step(state, [give_value(form_field)])
    if (
        state.values
        and wants_to_correct(text)
        and (
            len(normalise(text).split()) <= MAX_BARE_CORRECTION_WORDS
            or not validate_answer(form_field, text, context).ok
        )
    ):
        state.stage = CHOOSING  # "corregir" before the summary: which answer, then back to this question
        return Step(state)
    declined = _declined_ahead(state, fields, form_field, text)
    if declined is not None:  # "no tengo correo" asked for the objects: no objects, and no e-mail to ask later
        state.store(declined, None, "(no indicado)")
        return Step(state, [Reply(f"Está bien, sin {label(declined).lower()}.")])
    result = validate_answer(form_field, text, context)
    if result.ok:
        state.store(form_field, result.value, result.display)
        state.advance(fields)
        return Step(state)
    return _failed(state, form_field, result)


# The words that name a contact field a citizen may decline ahead ("no tengo correo"); not "numero", which an
# address has too ("no tengo numero de casa").
_DECLINABLE_WORDS = {"email": {"correo", "mail", "email"}, "telefono": {"telefono", "celular", "cel", "fono"}}


# An answer given before, said to be wrong or given again: "el rut q le pase esta malo, el mio es …", "me equivoque
# en la direccion, es Maruri 1320 no 1230", "el fono ya se lo di antes: 9 4471 2036".
_GIVEN_WRONG = re.compile(
    r"\b(?:esta|estaba|era|iba) (?:malo|mala|mal|equivocado|equivocada|erroneo|erronea)\b"
    r"|\b(?:el|la) (?:mio|mia|correcto|correcta|bueno|buena|verdadero|verdadera) es\b|\bera otro\b|\bera otra\b"
)
_GIVEN_BEFORE = re.compile(r"\bya (?:se |te |le |les )?(?:lo|la|los|las) (?:di|dije|mande|pase|escribi|puse)\b")
# "Maruri 1320 no 1230": the old value, negated after the new one, is no part of it.
_OLD_VALUE_AFTER = re.compile(r"(?<![\s,;])[\s,;]+(?:y )?no(?: es| era)?\s+\S.*$", re.IGNORECASE)
# Fields whose value one message holds unmistakably, looked for in the whole message (``find_structured``).
_FOUND_TYPES = ("rut", "email", "telefono")
MAX_UNVALUED_CORRECTION_WORDS = 8  # "me equivoque en la direccion": that one, asked next


def correction_while_asking(
    state: FormState, fields: List[FormField], text: str, context: AnswerContext
) -> Optional[Step]:
    """An earlier answer corrected, or given again, while another question is asked; ``None`` when not so.

    The corrected field is named ("el rut", "la direccion") or its value is of a kind found surely in a message (a
    RUT, an e-mail, a phone); the words say the earlier one was wrong ("perdon", "me equivoque", "esta malo", "el
    mio es") or was given already ("ya se lo di"). The new value is stored and the pending question asked again;
    named without a value, that field is asked now, then the pending one.
    """
    asked = state.field(fields)
    norm = normalise(text)
    if asked is None or not (takes_back_an_answer(text) or _GIVEN_WRONG.search(norm) or _GIVEN_BEFORE.search(norm)):
        return None
    # Free text is corrected on the summary ("son mas cosas: una silla" is no new list of objects).
    answered = [f for f in fields if f.name in state.values and f.name != asked.name and f.type != "texto"]
    named = _field_named(answered, text)
    structured = find_structured(text)
    found = {f.name: [v.value for v in structured if v.entity == f.type] for f in answered if f.type in _FOUND_TYPES}
    target = named or next((f for f in answered if found.get(f.name)), None)
    if target is None:
        return None
    values = found.get(target.name) or ([_OLD_VALUE_AFTER.sub("", _new_value_after(text))] if named else [])
    results = [validate_answer(target, value, context) for value in values if value]
    results = [r for r in results if r.ok and r.value is not None]
    new = next((r for r in reversed(results) if r.value != state.values.get(target.name)), None)
    if new is not None:
        state.store(target, new.value, new.display)
        said = f"Listo, corregí: {label_in_sentence(target)}."
        return _with_the_answer_too(state, fields, asked, structured, context, said)
    if results:  # the same value again: nothing to change
        shown = state.displays.get(target.name) or str(state.values.get(target.name))
        return _with_the_answer_too(state, fields, asked, structured, context, f"Sí, ese dato ya lo tengo: {shown}.")
    if named and len(norm.split()) <= MAX_UNVALUED_CORRECTION_WORDS:
        state.current, state.stage, state.attempts = target.name, CORRECTING, 0  # "me equivoque en la direccion"
        return Step(state)
    return None


def _with_the_answer_too(
    state: FormState,
    fields: List[FormField],
    asked: FormField,
    structured: List[Found],
    context: AnswerContext,
    said: str,
) -> Step:
    """After a correction: the answer to the question asked, when the message holds one of a kind found surely ("el
    rut ya lo mande, y mi celu es 9 5512 0348" asked the phone), stored too; else that question is asked again."""
    for found in (f for f in structured if f.entity == asked.type and asked.type in _FOUND_TYPES):
        result = validate_answer(asked, found.value, context)
        if result.ok and result.value is not None:
            state.store(asked, result.value, result.display)
            state.advance(fields)
            break
    return Step(state, [Reply(said)])


def _declined_ahead(state: FormState, fields: List[FormField], asked: FormField, text: str) -> Optional[FormField]:
    """A later optional field the message declines by name, while another field is asked."""
    if not is_skip(text):
        return None
    words = set(normalise(text).split())
    for form_field in fields:
        named = words & _DECLINABLE_WORDS.get(form_field.type, set())
        if named and form_field is not asked and not form_field.required and form_field.name not in state.values:
            return form_field
    return None


def _failed(state: FormState, form_field: FormField, result: FieldResult) -> Step:
    state.attempts += 1
    if state.attempts < MAX_ATTEMPTS_BEFORE_HELP:
        return Step(state, [Reply(result.error)])
    return Step(
        state,
        [
            Reply(
                f"{result.error}\n{example_for(form_field)}\n"
                "Si prefieres, escribe «hablar con una persona» y te ayudamos, o «cancelar» para dejarlo."
            )
        ],
    )


_VALUE_INTRO = re.compile(r"\b(?:es|era|son|seria|sería|:)\s+", re.IGNORECASE)


def _field_named(fields: List[FormField], text: str) -> Optional[FormField]:
    words = set(normalise(text).split())
    for form_field in fields:
        if form_field.name in words or normalise(label(form_field)) in normalise(text):
            return form_field
        synonyms = FIELD_WORDS.get(form_field.type, set()) | FIELD_WORDS.get(form_field.name, set())
        if words & synonyms:
            return form_field
    return None


def _new_value_after(text: str) -> str:
    """ "no, la dirección es Los Aromos 12" -> "Los Aromos 12".

    The value is what follows the first "es", "era"… (or ":") after which only the last line is
    left. In linear time: one pass over the candidates, compared with the last line's start (the
    single pattern ``…\\s+(.+)$`` re-scanned the rest of the text after every candidate).
    """
    body = text[:-1] if text.endswith("\n") else text  # "$" also matches before a final newline
    last_line = body.rfind("\n")
    for match in _VALUE_INTRO.finditer(body):
        if match.end() > last_line:
            return body[match.end() :].strip()
    return ""


_CORRECTION_WORDS = (
    "corregir",
    "corrijo",
    "corrige",
    "corregir un dato",
    "cambiar",
    "cambio",
    "modificar",
    "editar",
    "arreglar",
    "error",
    "equivocado",
    "equivoque",
    "mal",
)


def wants_to_correct(text: str) -> bool:
    """The citizen wants to change an answer on the summary ("corregir", "quiero cambiar algo", "corejir")."""
    words = normalise(text).split()
    if len(words) > MAX_CORRECTION_WORDS:
        return False
    return any(
        process.extractOne(word, _CORRECTION_WORDS, scorer=fuzz.ratio, score_cutoff=80)
        for word in words
        if len(word) >= 5 or word == "mal"
    )


def _confirmation(
    state: FormState, fields: List[FormField], text: str, context: AnswerContext, chosen_field: Optional[str]
) -> Step:
    if chosen_field and state.field(fields, chosen_field):
        state.current, state.stage, state.attempts = chosen_field, CORRECTING, 0
        return Step(state)
    corrected = _correct_from_entities(state, fields, context)
    named = _field_named(fields, text)
    if named and not corrected:
        value = _new_value_after(text)
        if value:
            result = validate_answer(named, value, context)
            if result.ok:
                state.store(named, result.value, result.display)
                corrected.append(named)
            else:
                state.current, state.stage = named.name, CORRECTING
                return _failed(state, named, result)
        else:
            state.current, state.stage, state.attempts = named.name, CORRECTING, 0
            return Step(state)
    if corrected:
        names = ", ".join(label(f).lower() for f in corrected)
        return Step(state, [Reply(f"Listo, corregí: {names}.")])
    if wants_to_correct(text):  # "corregir", "quiero cambiar algo": the field picker comes next
        state.stage = CHOOSING
        return Step(state)
    answer = yes_no(text, context.intent)
    # A plain "sí" confirms, even where it would answer a yes/no field anew; "no espera, mejor el martes" corrects.
    told = (
        None if answer is not None and not takes_back_an_answer(text) else _new_value_told(state, fields, text, context)
    )
    if told is not None:  # "no espera, mejor el martes": the date, though no field was named
        return Step(state, [Reply(f"Listo, corregí: {label(told).lower()}.")])
    if takes_back_an_answer(text):  # "no espera, mejor otra cosa": which one, then
        state.stage = CHOOSING
        return Step(state)
    if answer is True:
        state.stage = DONE
        return Step(state)
    if answer is False:  # the field picker is asked next, as the only question (its buttons are the current ones)
        state.stage = CHOOSING
        return Step(state)
    if (
        detail_field(fields) is not None
        and len(normalise(text).split()) >= MIN_DETAIL_WORDS
        and not is_skip(text)
        and not takes_back_an_answer(text)
    ):
        state.stage, state.addition = ADDING, text.strip()  # "¿Lo agrego a «Motivo»?" is asked next
        return Step(state)
    return Step(state, [Reply("Responde «sí» para enviar la solicitud, o dime qué dato quieres corregir.")])


# "no espera, mejor el martes", "en verdad es pa la universidad": an answer taken back, and what follows is the
# new value (taking back a whole request is procedure_moves.changes_mind).
_TAKES_BACK = re.compile(
    r"\b(?:mejor|en verdad|en realidad|mas bien|perdon|me equivoque|me confundi|quise decir|no espera|espera)\b"
    r"(?:\s+(?:es|era|seria|para el|el|la))?\s*"
)
# Fields whose value a few words settle beyond doubt (never free text: a name, an address, a description).
_SETTLED_TYPES = ("opcion", "fecha", "si_no", "email", "telefono", "rut")
MAX_TOLD_VALUE_WORDS = 6


def takes_back_an_answer(text: str) -> bool:
    """The words take back an answer ("no espera…", "mejor…", "en verdad…")."""
    return bool(_TAKES_BACK.search(normalise(text)))


def _new_value_told(
    state: FormState, fields: List[FormField], text: str, context: AnswerContext
) -> Optional[FormField]:
    """The one field a correction in words gives a new value ("mejor el martes" -> the date), stored; or ``None``.

    The value is the words after the change of mind up to the next comma, or a short message alone; only fields
    whose answer cannot be mistaken (an option named by its words, a date...) are tried, and exactly one must
    take it with a value other than the stored one.
    """
    norm = strip_accents(text.lower())  # punctuation kept: the value ends at the next comma
    cues = list(_TAKES_BACK.finditer(norm))
    if cues:
        # After each change of mind, the words up to the next comma: "NO ESPERA ES HEMBRA, ME CONFUNDI…" names
        # «Hembra» after the first; "me equivoque, es Diagonal Las Torres 2050" gives the address after its comma.
        written = text if len(text) == len(norm) else norm  # the citizen's capitals, where the offsets agree
        told = [_AFTER_THE_CUE.sub("", written[cue.end() :]) for cue in cues]
        candidates = [re.split(r"[,;.]", said)[0].strip() for said in told]
    elif len(normalise(text).split()) <= MAX_TOLD_VALUE_WORDS:
        candidates = [text.strip()]
    else:
        return None
    for said in (c for c in candidates if c):
        taken = []
        for form_field in fields:
            if form_field.name not in state.values or not _settled_by(form_field, said):
                continue
            result = validate_answer(form_field, said, context)
            if not result.ok or result.value in (None, state.values.get(form_field.name)):
                continue
            if form_field.type == "opcion" and str(result.value).startswith(tuple(f"{o}:" for o in form_field.options)):
                continue  # «Otro: …» takes any words: no sign that this field was meant
            taken.append((form_field, result))
        if len(taken) == 1:
            form_field, result = taken[0]
            state.store(form_field, result.value, result.display)
            return form_field
    return None


# What may open the new value after a change of mind: "…, es Diagonal Las Torres 2050".
_AFTER_THE_CUE = re.compile(r"^[\s,;:]*(?:(?:es|era|seria|son)\s+)?", re.IGNORECASE)


def _settled_by(form_field: FormField, said: str) -> bool:
    """Words that settle this field beyond doubt: a value of a settled type, or an address with its number."""
    return form_field.type in _SETTLED_TYPES or (form_field.type == "direccion" and bool(re.search(r"\d", said)))


# Free-text fields that describe the case: a detail told on the summary belongs there, if the citizen says so.
DETAIL_FIELDS = ("descripcion", "motivo", "materia", "referencia")
MIN_DETAIL_WORDS = 4  # "esta seco entero y se le caen ramas": a detail; "mmm ya" is none


def detail_field(fields: List[FormField]) -> Optional[FormField]:
    """The form's one field describing the case ("Motivo", "Descripción"), if it has exactly one."""
    found = [f for f in fields if f.type == "texto" and f.name in DETAIL_FIELDS]
    return found[0] if len(found) == 1 else None


def _addition(
    state: FormState, fields: List[FormField], text: str, context: AnswerContext, chosen_field: Optional[str]
) -> Step:
    """The answer to "¿Lo agrego a «Motivo»?": yes adds the detail, no drops it; anything else is for the summary."""
    detail, target = state.addition or "", detail_field(fields)
    state.stage, state.addition = CONFIRMING, None
    answer = yes_no(text, context.intent) if not chosen_field else None
    if target is None or answer is None:
        return _confirmation(state, fields, text, context, chosen_field)
    if not answer:
        return Step(state, [not_added_detail()])
    before = state.values.get(target.name)
    value = f"{str(before).rstrip('. ')}. {detail}" if before else detail
    state.store(target, value, value)
    return Step(state, [added_detail(target)])


def _choice_of_field(
    state: FormState, fields: List[FormField], text: str, context: AnswerContext, chosen_field: Optional[str]
) -> Step:
    """The answer to the field picker: a field (by its option, its name or with the new value), or nothing."""
    number = option_number(text, len(fields))
    if not chosen_field and number:
        chosen_field = fields[number - 1].name  # "2" typed under the picker's buttons: its second field
    if chosen_field and state.field(fields, chosen_field):
        state.current, state.stage, state.attempts = chosen_field, CORRECTING, 0
        return Step(state)
    if _field_named(fields, text) or _correct_from_entities(state, fields, context):
        state.stage = CONFIRMING  # "el correo es …" or "el rut": as on the summary
        step = _confirmation(state, fields, text, context, None)
        if state.stage == CONFIRMING:
            state.advance(fields)  # asked before the summary: back to the question left pending
        return step
    if yes_no(text, context.intent) is not None or normalise(text) in NOTHING_TO_CORRECT:
        state.advance(fields)  # changed their mind: back to the summary, or to the question left pending
        return Step(state)
    return Step(
        state, [Reply("No reconocí ese dato. Elige uno de la lista, o escribe «ninguno» para volver al resumen.")]
    )


def _correct_from_entities(state: FormState, fields: List[FormField], context: AnswerContext) -> List[FormField]:
    corrected = []
    for form_field in fields:
        if form_field.type in ("rut", "email", "telefono") and context.entities.get(form_field.type):
            result = validate_answer(form_field, context.entities[form_field.type], context)
            if result.ok and state.values.get(form_field.name) != result.value:
                state.store(form_field, result.value, result.display)
                corrected.append(form_field)
    return corrected
