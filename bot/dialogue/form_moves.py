"""What a message means while a guided request waits for an answer.

The pending question has first claim on the message: an option by number, text or
a close spelling, a yes or no, a valid RUT, date or address is an answer, whatever
intent the NLU guessed. Only an explicit signal interrupts the form: a clear cancel
phrase, asking for a person, an upset message that answers nothing (acknowledged, with
a way out), or a question (or another request) that is not a valid answer to what was
asked. Pure: no Rasa objects, no I/O.
"""

from __future__ import annotations

import re
from typing import Optional

from bot.catalogue.model import FormField
from bot.dialogue.cues import (
    angry_at_the_asking,
    asks_to_repeat,
    is_stop,
    looks_like_question,
    names_a_person,
    sounds_upset,
)
from bot.dialogue.message import Message
from bot.dialogue.procedure_moves import asks_to_switch, changes_mind, explicit_request, reports_a_problem
from bot.domain_names import Intent
from bot.forms.fields import AnswerContext, validate_answer, yes_no
from bot.forms.flow import wants_to_correct
from bot.forms.schedule import is_schedule
from bot.forms.state import ASKING, CORRECTING
from bot.matching.aspects import asked_aspects
from bot.text import normalise

ANSWER = "respuesta"
CANCEL = "cancelar"
PERSON = "persona"
QUESTION = "pregunta"
OTHER_REQUEST = "otro_tramite"
ACKNOWLEDGED = "de_acuerdo"  # names the procedure being filled in, answers nothing: ask the question again
COURTESY = "cortesia"  # thanks or a goodbye while a free-text question waits: welcome, and ask it again
UPSET = "molestia"  # angry, and no answer: acknowledge it and offer a complaint, a person or to go on
ABOUT_THE_QUESTION = "sobre_la_pregunta"  # "es obligatorio el correo?", "pa q necesitan mi rut?": why, and if needed
REPEAT = "repetir"  # "q me preguntaste? no lo lei bien": the pending question (or the summary) again
MAX_ACKNOWLEDGING_WORDS = 4

# Types whose validation accepts almost any text: a question must look like one to interrupt them.
FREE_TEXT_TYPES = {"nombre", "direccion", "texto", "horario"}
# Free text that is a datum: never the answer an outburst or a question gives (a description may well be
# angry or ask something: it is kept).
DATUM_TEXT_TYPES = {"nombre", "direccion"}
QUESTION_INTENTS = {Intent.CONSULTAR_TRAMITE, Intent.LISTAR_TRAMITES, Intent.CONSULTAR_ESTADO, Intent.CONSULTAR_BOT}


MIN_STORY_WORDS = 8


def form_move(
    stage: str, form_field: Optional[FormField], message: Message, context: AnswerContext, current_procedure: str
) -> str:
    """ANSWER, CANCEL, PERSON, UPSET, QUESTION, OTHER_REQUEST, ACKNOWLEDGED, COURTESY, ABOUT_THE_QUESTION or REPEAT
    for a message in the form."""
    if message.is_button:
        if message.intent == Intent.CANCELAR:
            return CANCEL
        return PERSON if message.intent == Intent.HABLAR_CON_FUNCIONARIO else ANSWER
    text = message.text
    if is_stop(text):
        # "espera, mejor olvídalo, lo q necesito es el retiro de un colchón": not a cancel but another request
        other = other_procedure(message, current_procedure)
        changed_to = other and other != current_procedure and (explicit_request(text) or changes_mind(text))
        return OTHER_REQUEST if changed_to and stage in (ASKING, CORRECTING) else CANCEL
    if asks_to_repeat(text):
        return REPEAT
    if stage not in (ASKING, CORRECTING):
        return _summary_move(text, message)
    if form_field is not None and asks_about_the_question(text):
        return ABOUT_THE_QUESTION
    accepted = form_field is not None and validate_answer(form_field, text, context).ok
    if message.entities.get("folio") and (
        not accepted or (form_field is not None and _taken_as_any_text(form_field, text, context))
    ):
        return QUESTION  # "gracias. y el estado? folio pro3k9x7m…": about a request made, no «Otro: …» nor a name
    wants_person = message.means(Intent.HABLAR_CON_FUNCIONARIO)
    if wants_person and (not accepted or names_a_person(text)):
        return PERSON
    other = other_procedure(message, current_procedure)
    free_text = form_field is not None and form_field.type in FREE_TEXT_TYPES
    if sounds_upset(text) and (
        not accepted
        or (free_text and angry_at_the_asking(text))  # "q lata tanta pregunta…" asked why: no reason given
        or (form_field is not None and _taken_as_any_text(form_field, text, context))
    ):
        return UPSET  # "q lata tanta pregunta, llevo 3 meses pidiendo…" asked for the RUT
    if accepted and not free_text:
        if form_field is not None and looks_like_question(text) and _taken_as_any_text(form_field, text, context):
            return QUESTION  # "y cuanto se demora en llegar?" asked «¿Para qué…?»: no «Otro: …»
        return ANSWER
    if accepted and free_text and _only_courtesy(form_field, message):
        return COURTESY  # "Muy amable, que tenga buenas noches" asked when the noise happens: no schedule
    if form_field is not None and form_field.type in DATUM_TEXT_TYPES and _asks_without_data(text):
        return QUESTION  # "cuanto sale" or "y esto cuanto me va a salir?" is no name nor address
    # Only for an address: a description may well name its own procedure ("un hoyo grande").
    if (
        form_field is not None
        and form_field.type == "direccion"
        and other == current_procedure
        and _only_names_the_procedure(text)
    ):
        return ACKNOWLEDGED  # "primero el poste" after "veo dos solicitudes": this one first, so ask again
    # Another procedure: a description may name one ("las ramas tapan la luz") and wish it fixed
    # ("queremos q la arreglen"), so free text needs a request in the citizen's own name.
    # Not an answer at all, a change of mind that names another procedure is enough: "sabes q, mejor reporto
    # primero el poste…" asked for a phone.
    requested = asks_to_switch(text) if free_text and accepted else explicit_request(text)
    requested = requested or (not accepted and changes_mind(text))
    # A long story that names another procedure's word ("…la basura se acumula en la vereda") asks for it only
    # with a request or a report in its words, whatever the classifier guessed.
    guessed_request = message.means(Intent.INICIAR_TRAMITE) and (
        len(text.split()) < MIN_STORY_WORDS or explicit_request(text) or reports_a_problem(text)
    )
    if (
        other
        and other != current_procedure
        and (requested or (guessed_request and not accepted))
        and (not accepted or free_text)
    ):
        return OTHER_REQUEST
    if accepted and free_text and "?" in text and asked_aspects(text):
        return QUESTION  # "¿y en cuánto tiempo lo arreglan?" asked for a reference: no reference
    asks = message.intent in QUESTION_INTENTS and message.confidence >= 0.5
    # A description refused only for its length asks nothing: "no se bien, la recogi de la calle, debe tener como
    # un año" asked the pet's age is told to be shorter, not answered as a question about the procedure.
    only_too_long = form_field is not None and form_field.type == "texto" and not accepted
    if asks and (looks_like_question(text) or (not accepted and not only_too_long)):
        return QUESTION
    if not accepted and looks_like_question(text):
        return QUESTION
    return ANSWER


# Asking whether the pending question must be answered, or what for: "es obligatorio el correo?", "pa q necesitan
# mi rut?", "tengo q dar el telefono?".
_ABOUT_THE_QUESTION = re.compile(
    r"\b(?:es|sera) (?:obligatori[oa]|necesari[oa]|opcional)(?:$| (?:el|la|los|las|mi|mis|dar|poner|dejar|darlo"
    r"|darla|responder|contestar|eso|esto|este|esta)\b)|\b(?:tengo|tenemos|hay) que (?:dar|poner|dejar|darlo|darla"
    r"|darles|ponerlo|ponerla)\b|\b(?:para|por) que (?:lo |la |los |las )?(?:necesitan|necesita|quieren|quiere|piden"
    r"|pide|sirve|ocupan)\b"
)
MAX_ABOUT_THE_QUESTION_WORDS = 10


def asks_about_the_question(text: str) -> bool:
    """A short question about the pending question itself: must it be answered, and what for."""
    norm = normalise(text)
    return (
        looks_like_question(text)
        and len(norm.split()) <= MAX_ABOUT_THE_QUESTION_WORDS
        and bool(_ABOUT_THE_QUESTION.search(norm))
    )


def other_procedure(message: Message, current_procedure: str) -> Optional[str]:
    """The procedure a message names besides the one being requested ("las ratas vienen del basural…, mejor
    denuncio ese microbasural"), else the first it names."""
    return next((p for p in message.procedures if p != current_procedure), message.entities.get("tramite"))


MAX_COURTESY_WORDS = 10
COURTESY_CONFIDENCE = 0.8  # above Message.means's CONFIDENT: a free-text answer is not set aside lightly


def _only_courtesy(form_field: Optional[FormField], message: Message) -> bool:
    """Thanks or a goodbye, confidently, in a few words that say nothing of when: no free-text answer."""
    return (
        (message.means(Intent.DESPEDIRSE) or message.means(Intent.AGRADECER))
        and message.confidence >= COURTESY_CONFIDENCE
        and len(message.text.split()) <= MAX_COURTESY_WORDS
        and not (form_field is not None and form_field.type == "horario" and is_schedule(message.text))
    )


def _taken_as_any_text(form_field: FormField, text: str, context: AnswerContext) -> bool:
    """Accepted only because the field takes any words: a name, an address, or «Otro» with the text."""
    if form_field.type in DATUM_TEXT_TYPES:
        return True
    value = validate_answer(form_field, text, context).value
    return (
        form_field.type == "opcion"
        and isinstance(value, str)
        and value.startswith(tuple(f"{o}:" for o in form_field.options))
    )


def _asks_without_data(text: str) -> bool:
    """A question with no number in it: an address has one, a name never asks."""
    return looks_like_question(text) and not any(ch.isdigit() for ch in text)


def _only_names_the_procedure(text: str) -> bool:
    """A few words without a number: "primero el poste" names the request, it is no address nor description."""
    words = text.split()
    return len(words) <= MAX_ACKNOWLEDGING_WORDS and not any(ch.isdigit() for ch in text)


def _summary_move(text: str, message: Message) -> str:
    """On the summary or the field picker: a yes, a no, a field or a correction are answers."""
    if message.means(Intent.HABLAR_CON_FUNCIONARIO) and names_a_person(text):
        return PERSON
    if (
        looks_like_question(text)
        and yes_no(text, message.intent) is None
        and not wants_to_correct(text)
        and not message.entities.get("campo")
    ):
        return QUESTION
    return ANSWER
