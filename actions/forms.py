"""The guided request form: one generic Rasa form for every procedure taken in chat.

The fields come from the catalogue. The form has a single required slot,
``respuesta_formulario``, filled with the text of each answer; validation moves the
``solicitud`` state (bot/forms/state.py) forward and the ask action asks whatever
field, or the confirmation, comes next. Questions in the middle are answered and
the same field is asked again.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.context import input_channel, send
from actions.form_start import ANSWER_SLOT, answer_context, opening_state
from actions.handoff import staff_can_reach, start_handoff
from actions.procedure_turns import procedure_question, procedure_request
from actions.services import current_catalogue, database, run_blocking
from bot.answers import conversation
from bot.answers import forms as form_replies
from bot.answers.procedures import categories_list
from bot.answers.reply import Reply
from bot.catalogue.catalogue import Catalogue
from bot.catalogue.model import Municipality, Procedure
from bot.dialogue.cues import asks_how_it_goes, wants_to_go_on
from bot.dialogue.form_moves import (
    ABOUT_THE_QUESTION,
    ACKNOWLEDGED,
    CANCEL,
    COURTESY,
    OTHER_REQUEST,
    PERSON,
    QUESTION,
    REPEAT,
    UPSET,
    form_move,
    other_procedure,
)
from bot.dialogue.message import Message
from bot.dialogue.procedure_moves import asks_to_switch
from bot.domain_names import Intent, Slot
from bot.forms.fields import AnswerContext, name_before_data, photos, validate_answer, yes_no
from bot.forms.flow import correction_while_asking, detail_field, handle_message
from bot.forms.opening import cued_data
from bot.forms.state import ADDING, ASKING, CHOOSING, CONFIRMING, CORRECTING, DONE, FormState
from bot.message_metadata import MEDIA_ONLY_TEXT
from bot.storage.requests import FolioExhausted, submit_request
from bot.text import normalise

FORM = "formulario_solicitud"
HANDED_OVER = "derivado"
# Failed answers to one field before a person takes over (help with an example comes at 2).
ATTEMPTS_BEFORE_HANDOFF = 3
# Personal data worth carrying to another request when the citizen switches (not descriptions).
CARRIED_TYPES = {"nombre", "rut", "email", "telefono", "direccion"}
# The request an upset citizen is offered instead of the question again.
COMPLAINT = "reclamo-oirs"


STRUCTURED = ("rut", "email", "telefono")
# Words that introduce a datum ("mi rut es", "y mi cel"): nothing left for the question asked.
DATA_WORDS = {
    "mi",
    "rut",
    "es",
    "y",
    "correo",
    "email",
    "mail",
    "telefono",
    "celular",
    "cel",
    "fono",
    "numero",
    "el",
    "la",
    "de",
    "mis",
    "datos",
    "son",
    "e",
    "con",
    "run",
}


def _store_other_data(
    state: FormState, fields: List[Any], tracker: Tracker, context: AnswerContext
) -> Tuple[List[str], str]:
    """Store RUT, e-mail and phone written in the message into their unanswered fields (not the one asked).

    Returns the names of the fields filled and the text left for the field being asked, without those
    data and the words that introduced them ("mi rut es"); the text is "" when nothing is left.
    """
    asked = state.field(fields)
    message = tracker.latest_message or {}
    text, taken, stored = str(message.get("text") or ""), [], []
    for item in message.get("entities") or []:
        kind = item.get("entity")
        target = next((f for f in fields if f.type == kind and f.name not in state.values), None)
        if kind not in STRUCTURED or target is None or (asked is not None and target.name == asked.name):
            continue
        result = validate_answer(target, str(item.get("value")), context)
        if result.ok and isinstance(item.get("start"), int) and isinstance(item.get("end"), int):
            state.store(target, result.value, result.display)
            taken.append((item["start"], item["end"]))
            stored.append(target.name)
    if not taken:
        return [], ""
    name = name_before_data(text)
    named = next((f for f in fields if f.type == "nombre" and f.name not in state.values), None)
    if name and named is not None and asked is not None and asked.type not in ("nombre", "texto", "direccion"):
        # "Juan Carlos Pizarro Lagos, 14.789.632-8" asked for the kind of request: the name too
        result = validate_answer(named, name, context)
        if result.ok and text.startswith(name):
            state.store(named, result.value, result.display)
            taken.append((0, len(name)))
            stored.insert(0, named.name)
    words = _words_without(text, taken)
    meaningful = [w for w in words if normalise(w) not in DATA_WORDS]
    return stored, " ".join(words).strip(" .;-") if meaningful else ""


def _told_aside(state: FormState, fields: List[Any], text: str, context: AnswerContext) -> List[str]:
    """A name or an address told as such ("me llamo …", "vivo en …") while another question is asked, stored in
    its unanswered field; the names of the fields filled."""
    asked = state.field(fields)
    open_fields = [f for f in fields if f.name not in state.values and (asked is None or f.name != asked.name)]
    cued = cued_data(open_fields, text)
    stored = []
    for form_field in (f for f in open_fields if f.name in cued):
        result = validate_answer(form_field, cued[form_field.name], context)
        if result.ok:
            state.store(form_field, result.value, result.display)
            stored.append(form_field.name)
    return stored


MIN_DETAIL_WORDS_ASIDE = 8  # "el camion no pasa por mi calle hace 2 semanas…": a description, not a choice
# Asked fields whose answer is short and checked: a long story or a date told instead belongs elsewhere.
CHECKED_TYPES = ("opcion", "si_no", "telefono", "email", "rut")
# A day named surely: a weekday, a month or a numeric date (not "mañana te lo mando").
_A_DAY = re.compile(
    r"\b(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|enero|febrero|marzo|abril|mayo|junio|julio|agosto"
    r"|septiembre|octubre|noviembre|diciembre)\b|\b\d{1,2}[/-]\d{1,2}\b"
)


def _answer_aside(state: FormState, fields: List[Any], text: str, context: AnswerContext) -> Optional[str]:
    """An answer to another question told while a checked one is asked, kept in its field, not lost: a
    description ("el camión no pasa por calle Gamero hace 2 semanas…" asked «¿Qué quieres ingresar?») or a
    day ("el próximo martes en la mañana" asked the phone). The question asked is asked again.

    Returns the field it was stored in, or ``None``.
    """
    asked = state.field(fields)
    if asked is None or asked.type not in CHECKED_TYPES or validate_answer(asked, text, context).ok:
        return None
    target = detail_field(fields)
    if len(normalise(text).split()) < MIN_DETAIL_WORDS_ASIDE:
        target = next((f for f in fields if f.type == "fecha"), None) if _A_DAY.search(normalise(text)) else None
    if target is None or target.name in state.values:
        return None
    result = validate_answer(target, text.strip(), context)
    if not result.ok:
        return None
    state.store(target, result.value, result.display)
    return target.name


def _words_without(text: str, spans: List[Tuple[int, int]]) -> List[str]:
    """The words of ``text`` outside ``spans``, without the data words just before each ("mi rut es", "cel")."""
    words: List[str] = []
    cursor = 0
    for start, end in sorted(spans):
        before = text[cursor:start].replace(",", " ").split()
        while before and normalise(before[-1]) in DATA_WORDS:
            before.pop()
        words += before
        cursor = end
    return words + text[cursor:].replace(",", " ").split()


def carried_values(old: Procedure, state: FormState, new: Procedure) -> Dict[str, Any]:
    """Answers of a dropped request that the new one asks too (same name and type: RUT, name, phone...)."""
    old_types = {f.name: f.type for f in old.form}
    return {
        f.name: state.values[f.name]
        for f in new.form
        if old_types.get(f.name) == f.type and state.values.get(f.name) is not None and f.type in CARRIED_TYPES
    }


class ValidateFormularioSolicitud(FormValidationAction):
    """Validates each answer of the guided request."""

    def name(self) -> Text:
        return "validate_formulario_solicitud"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        """One generic slot while the request is not confirmed."""
        state = FormState.from_dict(tracker.get_slot(Slot.SOLICITUD))
        return [ANSWER_SLOT] if state and state.stage not in (DONE, HANDED_OVER) else []

    async def validate_respuesta_formulario(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Apply the citizen's message to the request: what it means is decided by ``form_move``."""
        state = FormState.from_dict(tracker.get_slot(Slot.SOLICITUD))
        catalogue = await current_catalogue()
        if state is None or state.municipality not in catalogue.municipalities:
            return {ANSWER_SLOT: None}
        town = catalogue.municipalities[state.municipality]
        proc = catalogue.procedure_for(town.slug, state.procedure)
        if proc is None:
            send(dispatcher, [form_replies.no_longer_offered(sent=False)])
            return {ANSWER_SLOT: "cancelado", "solicitud": None}
        if value is None:  # the form is starting: no answer yet (the message that started it is not one)
            return {ANSWER_SLOT: None}
        message = replace(Message.from_parse(tracker.latest_message), text=str(value))
        context = answer_context(tracker, town)
        attached = state.attach(photos(context))  # a photo sent during the request goes with it
        media = self._media(proc, state, message, context, dispatcher)
        if media is not None:
            return media
        if not state.switch_to:
            applied = await self._apply(catalogue, town, proc, state, message, context, dispatcher, tracker)
            if attached and "solicitud" not in applied:
                applied["solicitud"] = state.to_dict()
            return applied
        switched = self._answer_to_switch(catalogue, town, proc, state, message, context, dispatcher)
        if switched is not None:
            return switched
        # Neither yes nor no: the offer is withdrawn (so the question is asked again) and the message applied.
        applied = await self._apply(catalogue, town, proc, state, message, context, dispatcher, tracker)
        return {"solicitud": state.to_dict(), **applied}

    def _media(
        self,
        proc: Procedure,
        state: FormState,
        message: Message,
        context: AnswerContext,
        dispatcher: CollectingDispatcher,
    ) -> Optional[Dict[Text, Any]]:
        """A message of media without words: it answers the photo question, or is noted (a photo goes with the
        request) and what was pending is asked again; ``None``: not such a message (words go the usual way)."""
        if not context.attachments:
            return None
        asked = state.field(proc.form) if state.stage in (ASKING, CORRECTING) else None
        answers = asked is not None and asked.type == "foto"
        if message.text != MEDIA_ONLY_TEXT and not (answers and photos(context)):
            return None
        if answers:
            step = handle_message(state, proc.form, "", context)
            send(dispatcher, step.replies)
            return {ANSWER_SLOT: "listo" if step.state.stage == DONE else None, "solicitud": step.state.to_dict()}
        send(dispatcher, [form_replies.photo_attached() if photos(context) else form_replies.media_not_attached()])
        return {ANSWER_SLOT: None, "solicitud": state.to_dict()}

    async def _apply(
        self,
        catalogue: Catalogue,
        town: Municipality,
        proc: Procedure,
        state: FormState,
        message: Message,
        context: AnswerContext,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Dict[Text, Any]:
        """What the message does to the request, as ``form_move`` reads it."""
        # "no espera, en realidad lo q quiero reportar es un hoyo en la calle" asks for another request: no correction.
        other = other_procedure(message, proc.slug)
        switching = other not in (None, proc.slug) and asks_to_switch(message.typed)
        if state.stage in (ASKING, CORRECTING) and not message.is_button and not switching:
            corrected = correction_while_asking(state, proc.form, message.typed, context)
            if corrected is not None:  # "perdon, el rut q le pase esta malo, el mio es …": fixed, then go on
                send(dispatcher, corrected.replies)
                return {ANSWER_SLOT: None, "solicitud": corrected.state.to_dict()}
        move = form_move(state.stage, state.field(proc.form), message, context, proc.slug)
        if move == CANCEL:
            send(dispatcher, [form_replies.cancelled(proc.name)])
            return {
                ANSWER_SLOT: "cancelado",
                "solicitud": None,
                "solicitud_por_enviar": None,
                "tramite_siguiente": None,
            }
        if move == PERSON:
            return await self._hand_over(dispatcher, tracker, town, state, "hablar_con_funcionario")
        if move == OTHER_REQUEST:
            state.switch_to, state.switch_said = other_procedure(message, proc.slug), message.text
            send(dispatcher, [form_replies.offer_switch(proc.name, catalogue.display_name(state.switch_to or ""))])
            return {ANSWER_SLOT: None, "solicitud": state.to_dict()}
        if move == UPSET:
            return self._upset(catalogue, town, proc, state, dispatcher)
        if move == ACKNOWLEDGED:
            send(dispatcher, [form_replies.going_on()])
            return {ANSWER_SLOT: None}
        if move == REPEAT:
            send(dispatcher, [form_replies.repeating()])
            return {ANSWER_SLOT: None}
        if move == COURTESY:
            send(dispatcher, [form_replies.welcome_and_go_on()])
            return {ANSWER_SLOT: None}
        if move == ABOUT_THE_QUESTION:
            form_field = state.field(proc.form)
            if form_field is not None:
                send(dispatcher, [form_replies.about_the_question(form_field)])
            return {ANSWER_SLOT: None}
        if move == QUESTION:
            send(
                dispatcher, self._answer_question(catalogue, town, proc, message, context) + [form_replies.still_open()]
            )
            return {ANSWER_SLOT: None}
        text = message.typed
        if state.stage in (ASKING, CORRECTING):  # "Ana Soto, 12.345.678-5, ana@gmail.com": every datum to its field
            stored, rest = _store_other_data(state, proc.form, tracker, context)
            told = _told_aside(state, proc.form, rest or text, context)
            if told:  # "me llamo Verónica Paz" asked «¿Qué quieres ingresar?»: the name kept
                stored += told
                asked = state.field(proc.form)
                answers_too = asked is not None and validate_answer(asked, rest or text, context).ok
                rest = (rest or text) if answers_too else ""
            aside = None if stored else _answer_aside(state, proc.form, text, context)
            if aside:
                stored, rest = [aside], ""
            if stored and not rest:  # only data for other questions: noted, and the pending one is asked again
                send(dispatcher, [form_replies.noted([f for f in proc.form if f.name in stored])])
                return {ANSWER_SLOT: None, "solicitud": state.to_dict()}
            text = rest or text
        step = handle_message(state, proc.form, text, context, context.entities.get("campo"))
        if step.state.attempts >= ATTEMPTS_BEFORE_HANDOFF and staff_can_reach(tracker):
            return await self._hand_over(dispatcher, tracker, town, step.state, "formulario")
        send(dispatcher, step.replies)
        answer = "listo" if step.state.stage == DONE else None
        return {ANSWER_SLOT: answer, "solicitud": step.state.to_dict()}

    async def _hand_over(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, town: Municipality, state: FormState, reason: str
    ) -> Dict[Text, Any]:
        """Staff take the conversation (the form ends; its answers stay in the transcript)."""
        if not staff_can_reach(tracker):
            send(dispatcher, [conversation.human_contact(town), form_replies.still_open()])
            return {ANSWER_SLOT: None}
        events = await start_handoff(dispatcher, tracker, town, reason)
        slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        state.stage = HANDED_OVER
        return {**slots, ANSWER_SLOT: HANDED_OVER, "solicitud": state.to_dict()}

    def _upset(
        self,
        catalogue: Catalogue,
        town: Municipality,
        proc: Procedure,
        state: FormState,
        dispatcher: CollectingDispatcher,
    ) -> Dict[Text, Any]:
        """An outburst that answers nothing: acknowledged, with a complaint, a person or going on offered."""
        remaining = sum(1 for f in proc.form if f.name not in state.values) or 1
        complaint = catalogue.procedure_for(town.slug, COMPLAINT)
        if complaint is None or not complaint.chat_request or not complaint.form or proc.slug == COMPLAINT:
            send(dispatcher, [form_replies.upset_offer(proc.name, remaining, complaint=False)])
            return {ANSWER_SLOT: None}  # the question comes again, after the apology
        state.switch_to, state.upset = COMPLAINT, True
        send(dispatcher, [form_replies.upset_offer(proc.name, remaining, complaint=True)])
        return {ANSWER_SLOT: None, "solicitud": state.to_dict()}

    def _answer_to_switch(
        self,
        catalogue: Catalogue,
        town: Municipality,
        proc: Procedure,
        state: FormState,
        message: Message,
        context: AnswerContext,
        dispatcher: CollectingDispatcher,
    ) -> Optional[Dict[Text, Any]]:
        """The reply to "¿dejamos esta solicitud y pedimos la otra?"; ``None``: not a yes or no."""
        target, said, state.switch_to, state.switch_said = state.switch_to, state.switch_said, None, ""
        upset, state.upset = state.upset, False
        typed = message.typed or message.text
        answer = False if wants_to_go_on(typed) else yes_no(typed, message.intent)
        if answer is None:
            return None
        if answer is False:
            send(dispatcher, [form_replies.still_open()])
            return {ANSWER_SLOT: None, "solicitud": state.to_dict()}
        other = catalogue.procedure_for(town.slug, target or "")
        if other is None or not other.chat_request or not other.form:
            send(dispatcher, [form_replies.cancelled(proc.name)])
            turn = procedure_request(catalogue, town, "", target, None)
            send(dispatcher, turn.replies)
            return {ANSWER_SLOT: "cancelado", "solicitud": None, "tramite": target}
        new_state = opening_state(town, other, said, carried_values(proc, state, other), context)
        slots = {ANSWER_SLOT: None, "solicitud": new_state.to_dict(), "tramite": other.slug}
        replies = [form_replies.switched(proc.name), form_replies.introduction(other)]
        if upset:  # the complaint first; the dropped request is offered again after its folio
            replies.insert(1, form_replies.resumed_later(proc.name))
            slots[Slot.TRAMITE_SIGUIENTE] = proc.slug
        send(dispatcher, replies)
        return slots

    def _answer_question(
        self, catalogue: Catalogue, town: Municipality, proc: Procedure, message: Message, context: AnswerContext
    ) -> List[Reply]:
        """A question in the middle of the form, answered about the procedure in focus unless another is named."""
        if message.intent == Intent.LISTAR_TRAMITES:
            return [categories_list(town, catalogue.procedures_for(town.slug))]
        if message.intent == Intent.CONSULTAR_BOT:
            return [conversation.capabilities(town, catalogue.procedures_for(town.slug).values())]
        if message.intent == Intent.CONSULTAR_ESTADO and (
            message.entities.get("folio") or asks_how_it_goes(message.text)
        ):
            return [Reply("Cuando terminemos esta solicitud te ayudo con eso.")]
        # Else a question about this request's procedure: "mi denuncia es anonima o el vecino va a saber q fui yo?"
        turn = procedure_question(
            catalogue, town, message.text, message.entities.get("tramite"), proc.slug, message.entities.get("aspecto")
        )
        replies = turn.replies
        if len(replies) > 1 and replies[-1].buttons:
            # The form's question is what is pending: no "¿Quieres hacer la solicitud?" nor other follow-up menu.
            replies = replies[:-1]
        return replies


class ActionAskRespuestaFormulario(Action):
    """Asks the current field, or shows the summary to confirm."""

    def name(self) -> Text:
        return "action_ask_respuesta_formulario"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        state = FormState.from_dict(tracker.get_slot(Slot.SOLICITUD))
        catalogue = await current_catalogue()
        proc = catalogue.procedure_for(state.municipality, state.procedure) if state else None
        if state is None or proc is None:
            return []
        if state.stage == CONFIRMING:
            send(dispatcher, [form_replies.summary(proc, state)])
        elif state.stage == CHOOSING:
            send(dispatcher, [form_replies.field_picker(proc)])
        elif state.stage == ADDING:
            target = detail_field(proc.form)
            if target is not None:
                send(dispatcher, [form_replies.add_detail(target, state.addition or "")])
        elif not state.switch_to:  # else "¿dejamos esta solicitud?" was just asked
            form_field = state.field(proc.form)
            if form_field is not None:
                send(dispatcher, [form_replies.question(form_field, state.told.get(form_field.name, ""))])
        return []


class ActionEnviarSolicitud(Action):
    """Registers the confirmed request and gives the folio; on failure keeps the answers."""

    def name(self) -> Text:
        return "action_enviar_solicitud"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        state = FormState.from_dict(tracker.get_slot(Slot.SOLICITUD) or tracker.get_slot(Slot.SOLICITUD_POR_ENVIAR))
        reset = [SlotSet(ANSWER_SLOT, None), SlotSet(Slot.FORMULARIO_LISTO, False), SlotSet(Slot.REQUESTED_SLOT, None)]
        if state is None or state.stage != DONE:
            return [*reset, SlotSet(Slot.SOLICITUD, None)]
        catalogue = await current_catalogue()
        town = catalogue.municipalities.get(state.municipality)
        proc = catalogue.procedure_for(town.slug, state.procedure) if town else None
        if town is None or proc is None:
            send(dispatcher, [form_replies.no_longer_offered(sent=True)])
            return [*reset, SlotSet(Slot.SOLICITUD, None), SlotSet(Slot.SOLICITUD_POR_ENVIAR, None)]
        rut = next((state.values[f.name] for f in proc.form if f.type == "rut" and state.values.get(f.name)), None)
        try:
            result = await run_blocking(
                submit_request,
                database(),
                key=state.key,
                municipality=town.slug,
                code=town.code,
                procedure=proc.slug,
                fields=state.submitted_values(proc.form),
                rut=rut,
                attachments=state.attachments,
                channel=input_channel(tracker),
                sender_id=tracker.sender_id,
            )
        except (SQLAlchemyError, FolioExhausted, OSError):
            send(dispatcher, [form_replies.storage_failed()])
            return [*reset, SlotSet(Slot.SOLICITUD, None), SlotSet(Slot.SOLICITUD_POR_ENVIAR, state.to_dict())]
        send(dispatcher, [form_replies.submitted(proc, result.folio)])
        events = [
            *reset,
            SlotSet(Slot.SOLICITUD, None),
            SlotSet(Slot.SOLICITUD_POR_ENVIAR, None),
            SlotSet(Slot.TRAMITE, proc.slug),
        ]
        following = tracker.get_slot(Slot.TRAMITE_SIGUIENTE)
        next_proc = following and catalogue.procedure_for(town.slug, following)
        if next_proc:
            send(dispatcher, [form_replies.offer_next(next_proc)])
            events.append(SlotSet(Slot.TRAMITE_SIGUIENTE, None))
        return events


class ActionCancelarSolicitud(Action):
    """ "cancelar": stops a request in progress (nothing is sent), or whatever we were doing."""

    def name(self) -> Text:
        return "action_cancelar_solicitud"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        state = FormState.from_dict(tracker.get_slot(Slot.SOLICITUD) or tracker.get_slot(Slot.SOLICITUD_POR_ENVIAR))
        if state is None:
            send(dispatcher, [form_replies.nothing_to_cancel()])
        else:
            catalogue = await current_catalogue()
            send(dispatcher, [form_replies.cancelled(catalogue.display_name(state.procedure))])
        return [
            ActiveLoop(None),
            SlotSet(Slot.REQUESTED_SLOT, None),
            SlotSet(ANSWER_SLOT, None),
            SlotSet(Slot.SOLICITUD, None),
            SlotSet(Slot.SOLICITUD_POR_ENVIAR, None),
            SlotSet(Slot.FORMULARIO_LISTO, False),
            SlotSet(Slot.FOLIO_CONSULTA, None),
            SlotSet(Slot.RUT_CONSULTA, None),
            SlotSet(Slot.CONSULTA_LISTA, False),
            SlotSet(Slot.TRAMITE_SIGUIENTE, None),
        ]
