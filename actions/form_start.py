"""Starting a guided request: its first state, prefilled with what the citizen already gave."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.context import latest_intent
from bot.catalogue.model import Municipality, Procedure
from bot.config import timezone_name
from bot.dialogue.cues import accepts
from bot.dialogue.procedure_moves import asks_it_done
from bot.domain_names import Slot
from bot.forms.fields import AnswerContext, known_values, validate_answer
from bot.forms.opening import opening_answers
from bot.forms.state import FormState
from bot.forms.told import told_field, told_in_opening
from bot.message_metadata import attachments_of

ANSWER_SLOT = "respuesta_formulario"


def prefilled_state(
    town: Municipality, proc: Procedure, tracker: Tracker, first_answer: str = "", opening: Optional[str] = None
) -> FormState:
    """A new request for ``proc``, with the data already given stored: RUT, e-mail and phone from the slots,
    what its opening message surely holds, and ``first_answer``.

    ``first_answer``: a message that took up the offer by answering ahead ("Camila Vidal" to "¿Quieres
    hacer la solicitud?"): kept as the answer to the first question when it is a valid one. ``opening``: the
    words of the last message about this request (default: all of it).
    """
    entities = {name: tracker.get_slot(name) for name in ("rut", "email", "telefono") if tracker.get_slot(name)}
    context = answer_context(tracker, town)
    if opening is None:
        opening = str((tracker.latest_message or {}).get("text") or "")
    state = opening_state(town, proc, opening, known_values(proc.form, entities), context)
    first = state.field(proc.form)
    if first_answer and first is not None:
        result = validate_answer(first, first_answer, context)
        if result.ok:
            state.store(first, result.value, result.display)
            state.advance(proc.form)
    return state


def opening_state(
    town: Municipality, proc: Procedure, opening: str, known: Dict[str, Any], context: AnswerContext
) -> FormState:
    """A new request for ``proc`` with the ``known`` values and what the words that asked for it surely tell
    (``opening``: "quiero poner un reclamo porque…" is a «Reclamo», and its case is quoted when asked)."""
    # A button's payload tells nothing of the case, nor does the yes that took up an offer ("ya, pídanlo entonces").
    typed = not opening.startswith("/") and not accepts(opening) and not asks_it_done(opening)
    answered = opening_answers(proc.form, opening) if typed else {}
    state = new_form_state(town, proc, {**answered, **known}, context)
    described = told_field(proc.form)
    told = told_in_opening(proc.name, opening, answered) if described and typed else ""
    if described and told and described.name not in state.values and validate_answer(described, told, context).ok:
        state.told[described.name] = told  # quoted when its question comes: "Me contaste: «…»"
    return state


def start_form(state: FormState) -> List[Dict[str, Any]]:
    """Events that start the form with ``state`` (see ``prefilled_state``)."""
    return [SlotSet(Slot.SOLICITUD, state.to_dict()), SlotSet(Slot.FORMULARIO_LISTO, True), SlotSet(ANSWER_SLOT, None)]


def new_form_state(town: Municipality, proc: Procedure, known: Dict[str, Any], context: AnswerContext) -> FormState:
    """A request for ``proc`` with the valid ``known`` values stored, at its first missing field."""
    state = FormState(procedure=proc.slug, municipality=town.slug)
    for name, value in known.items():
        form_field = state.field(proc.form, name)
        if form_field is None:
            continue
        result = validate_answer(form_field, value, context)
        if result.ok:
            state.store(form_field, result.value, result.display)
    state.advance(proc.form)
    return state


def _today(now: Optional[datetime] = None) -> date:
    return (now or datetime.now(ZoneInfo(timezone_name()))).date()


def _entities(tracker: Tracker) -> Dict[str, str]:
    found: Dict[str, str] = {}
    for item in (tracker.latest_message or {}).get("entities") or []:
        if not item.get("role"):
            found.setdefault(item.get("entity"), item.get("value"))
    return found


def answer_context(tracker: Tracker, town: Municipality) -> AnswerContext:
    """What validating an answer needs to know: today, the commune, a shared location, the entities."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    confidence = ((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0
    intent = latest_intent(tracker) if confidence >= 0.6 else ""
    return AnswerContext(
        today=_today(),
        commune=town.comuna,
        location=metadata.get("location"),
        entities=_entities(tracker),
        intent=intent,
        attachments=attachments_of(metadata),
    )
