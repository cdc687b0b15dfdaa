"""The guided request form: one generic Rasa form for every procedure taken in chat.

The fields come from the catalogue. The form has a single required slot,
``respuesta_formulario``, filled with the text of each answer; validation moves the
``solicitud`` state (bot/forms/state.py) forward and the ask action asks whatever
field, or the confirmation, comes next. Questions in the middle are answered and
the same field is asked again.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.context import input_channel, latest_intent, looks_like_question, send
from actions.handoff import staff_can_reach, start_handoff
from actions.procedure_turns import procedure_question
from actions.services import current_catalogue, database, run_blocking
from bot.answers import conversation, forms as form_replies
from bot.answers.procedures import categories_list
from bot.answers.reply import Reply
from bot.catalogue.catalogue import Catalogue
from bot.catalogue.model import Municipality, Procedure
from bot.config import timezone_name
from bot.forms.fields import AnswerContext, known_values, validate_answer
from bot.forms.flow import handle_message
from bot.forms.state import CHOOSING, CONFIRMING, DONE, FormState
from bot.storage.requests import FolioExhausted, submit_request
from bot.text import normalise

FORM = "formulario_solicitud"
HANDED_OVER = "derivado"
# Failed answers to one field before a person takes over (help with an example comes at 2).
ATTEMPTS_BEFORE_HANDOFF = 3
ANSWER_SLOT = "respuesta_formulario"
QUESTION_INTENTS = {"consultar_tramite", "listar_tramites", "consultar_estado", "consultar_bot"}
FREE_TEXT_TYPES = {"nombre", "direccion", "texto"}


def start_form(catalogue: Catalogue, town: Municipality, proc: Procedure, tracker: Tracker) -> List[Dict[str, Any]]:
    """Events that start the form for ``proc``, prefilled with data already given."""
    state = FormState(procedure=proc.slug, municipality=town.slug)
    entities = {name: tracker.get_slot(name) for name in ("rut", "email", "telefono") if tracker.get_slot(name)}
    context = _context(tracker, town)
    for name, value in known_values(proc.form, entities).items():
        form_field = state.field(proc.form, name)
        result = validate_answer(form_field, value, context)
        if result.ok:
            state.store(form_field, result.value, result.display)
    state.advance(proc.form)
    return [SlotSet("solicitud", state.to_dict()), SlotSet("formulario_listo", True), SlotSet(ANSWER_SLOT, None)]


def _today(now: Optional[datetime] = None):
    return (now or datetime.now(ZoneInfo(timezone_name()))).date()


def _entities(tracker: Tracker) -> Dict[str, str]:
    found: Dict[str, str] = {}
    for item in (tracker.latest_message or {}).get("entities") or []:
        found.setdefault(item.get("entity"), item.get("value"))
    return found


def _context(tracker: Tracker, town: Municipality) -> AnswerContext:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    confidence = ((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0
    intent = latest_intent(tracker) if confidence >= 0.6 else ""
    return AnswerContext(today=_today(), commune=town.comuna, location=metadata.get("location"),
                         entities=_entities(tracker), intent=intent)


class ValidateFormularioSolicitud(FormValidationAction):
    """Validates each answer of the guided request."""

    def name(self) -> Text:
        return "validate_formulario_solicitud"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        """One generic slot while the request is not confirmed."""
        state = FormState.from_dict(tracker.get_slot("solicitud"))
        return [ANSWER_SLOT] if state and state.stage not in (DONE, HANDED_OVER) else []

    async def validate_respuesta_formulario(self, value: Any, dispatcher: CollectingDispatcher,
                                            tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        """Apply the citizen's message to the request."""
        state = FormState.from_dict(tracker.get_slot("solicitud"))
        catalogue = await current_catalogue()
        if state is None or state.municipality not in catalogue.municipalities:
            return {ANSWER_SLOT: None}
        town = catalogue.municipalities[state.municipality]
        proc = catalogue.procedure_for(town.slug, state.procedure)
        if proc is None:
            dispatcher.utter_message(text="Ese trámite ya no se puede pedir por aquí. Cancelé la solicitud.")
            return {ANSWER_SLOT: "cancelado", "solicitud": None}
        text = str(value or "")
        context = _context(tracker, town)
        interruption = self._interruption(catalogue, town, proc, state, text, context, tracker)
        if interruption is not None:
            send(dispatcher, interruption + [form_replies.still_open()])
            return {ANSWER_SLOT: None}
        chosen = context.entities.get("campo")
        step = handle_message(state, proc.form, "" if text.startswith("/") else text, context, chosen)
        if step.state.attempts >= ATTEMPTS_BEFORE_HANDOFF and staff_can_reach(tracker):
            events = await start_handoff(dispatcher, tracker, town, "formulario")
            slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
            step.state.stage = HANDED_OVER
            return {**slots, ANSWER_SLOT: HANDED_OVER, "solicitud": step.state.to_dict()}
        send(dispatcher, step.replies)
        answer = "listo" if step.state.stage == DONE else None
        return {ANSWER_SLOT: answer, "solicitud": step.state.to_dict()}

    def _interruption(self, catalogue: Catalogue, town: Municipality, proc: Procedure, state: FormState,
                      text: str, context: AnswerContext, tracker: Tracker) -> Optional[List[Reply]]:
        """Replies for a message that is not an answer (a question, a person), else ``None``."""
        intent = context.intent
        if intent == "hablar_con_funcionario":
            return [conversation.human_contact(town)]
        other = context.entities.get("tramite")
        if intent == "iniciar_tramite" and other and other != proc.slug:
            return [form_replies.finish_first(proc.name)]
        if intent not in QUESTION_INTENTS or text.startswith("/"):
            return None
        if state.stage in (CONFIRMING, CHOOSING):
            if normalise(text) in {"si", "no"} or context.entities.get("campo"):
                return None
        else:
            form_field = state.field(proc.form)
            if form_field is None:
                return None
            if form_field.type in FREE_TEXT_TYPES:
                if not looks_like_question(text):
                    return None
            elif validate_answer(form_field, text, context).ok:
                return None
        if intent == "listar_tramites":
            return [categories_list(town, catalogue.procedures_for(town.slug))]
        if intent == "consultar_bot":
            return [conversation.capabilities()]
        if intent == "consultar_estado":
            return [Reply("Cuando terminemos esta solicitud te ayudo con eso.")]
        turn = procedure_question(catalogue, town, text, other, proc.slug, context.entities.get("aspecto"))
        return turn.replies


class ActionAskRespuestaFormulario(Action):
    """Asks the current field, or shows the summary to confirm."""

    def name(self) -> Text:
        return "action_ask_respuesta_formulario"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        state = FormState.from_dict(tracker.get_slot("solicitud"))
        catalogue = await current_catalogue()
        proc = state and catalogue.procedure_for(state.municipality, state.procedure)
        if state is None or proc is None:
            return []
        if state.stage == CONFIRMING:
            send(dispatcher, [form_replies.summary(proc, state)])
        elif state.stage == CHOOSING:
            send(dispatcher, [form_replies.field_picker(proc)])
        else:
            form_field = state.field(proc.form)
            if form_field is not None:
                send(dispatcher, [form_replies.question(form_field)])
        return []


class ActionEnviarSolicitud(Action):
    """Registers the confirmed request and gives the folio; on failure keeps the answers."""

    def name(self) -> Text:
        return "action_enviar_solicitud"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        state = FormState.from_dict(tracker.get_slot("solicitud") or tracker.get_slot("solicitud_por_enviar"))
        reset = [SlotSet(ANSWER_SLOT, None), SlotSet("formulario_listo", False), SlotSet("requested_slot", None)]
        if state is None or state.stage != DONE:
            return [*reset, SlotSet("solicitud", None)]
        catalogue = await current_catalogue()
        town = catalogue.municipalities.get(state.municipality)
        proc = town and catalogue.procedure_for(town.slug, state.procedure)
        if proc is None:
            dispatcher.utter_message(text="Ese trámite ya no se puede pedir por aquí. No se envió nada.")
            return [*reset, SlotSet("solicitud", None), SlotSet("solicitud_por_enviar", None)]
        rut = next((state.values[f.name] for f in proc.form if f.type == "rut" and state.values.get(f.name)), None)
        try:
            result = await run_blocking(
                submit_request, database(), key=state.key, municipality=town.slug, code=town.code,
                procedure=proc.slug, fields=state.values, rut=rut, channel=input_channel(tracker),
                sender_id=tracker.sender_id,
            )
        except (SQLAlchemyError, FolioExhausted, OSError):
            send(dispatcher, [form_replies.storage_failed()])
            return [*reset, SlotSet("solicitud", None), SlotSet("solicitud_por_enviar", state.to_dict())]
        send(dispatcher, [form_replies.submitted(proc, result.folio)])
        return [*reset, SlotSet("solicitud", None), SlotSet("solicitud_por_enviar", None),
                SlotSet("tramite", proc.slug)]


class ActionCancelarSolicitud(Action):
    """"cancelar": stops a request in progress (nothing is sent), or whatever we were doing."""

    def name(self) -> Text:
        return "action_cancelar_solicitud"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        state = FormState.from_dict(tracker.get_slot("solicitud") or tracker.get_slot("solicitud_por_enviar"))
        if state is None:
            dispatcher.utter_message(text="Listo, lo dejamos hasta aquí. ¿Te ayudo con otra cosa?")
        else:
            catalogue = await current_catalogue()
            send(dispatcher, [form_replies.cancelled(catalogue.display_name(state.procedure))])
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(ANSWER_SLOT, None),
                SlotSet("solicitud", None), SlotSet("solicitud_por_enviar", None), SlotSet("formulario_listo", False),
                SlotSet("folio_consulta", None), SlotSet("rut_consulta", None), SlotSet("consulta_lista", False)]
