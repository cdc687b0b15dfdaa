"""The citizen gives data: a commune chooses the municipality and answers what was waiting."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import (
    attachments,
    entity,
    last_choice,
    latest_intent,
    latest_text,
    municipality,
    offered_request,
    pending,
    previous_text,
    send,
)
from actions.conversation import follow_up
from actions.procedure_turns import procedure_request
from actions.procedures import ActionIniciarTramite, ActionResponderTramite, answer_pending, category_named
from actions.requests import status_turn
from actions.services import current_catalogue
from actions.survey import answer_survey
from bot.answers.channel import MEDIA_REPLIES
from bot.answers.conversation import datum_without_request, option_not_offered
from bot.answers.municipality import ask_commune, commune_not_served, commune_set
from bot.answers.procedures import category_procedures
from bot.answers.reply import Reply
from bot.catalogue.catalogue import Catalogue
from bot.catalogue.model import Municipality
from bot.dialogue.cues import asks_about_town_hall, looks_like_question
from bot.dialogue.message import Message
from bot.dialogue.procedure_moves import DO, procedure_move
from bot.domain_names import Intent, Slot
from bot.matching.aspects import asked_aspects
from bot.message_metadata import MEDIA_ONLY_TEXT
from bot.text import typed_number

MAX_AREA_WORDS = 6  # "los de medio ambiente": an area named, not a story that holds its name


def _area_named(catalogue: Catalogue, town: Optional[Municipality], text: str) -> Optional[Reply]:
    """ "los de medio ambiente" after the areas were named in words: that area's procedures, if it names one."""
    if town is None or len(text.split()) > MAX_AREA_WORDS:
        return None
    procedures = catalogue.procedures_for(town.slug)
    area = category_named(text, procedures.values())
    return category_procedures(town, procedures, area) if area else None


class ActionRecibirDato(Action):
    """``informar``: use a commune; other data is only useful inside a request."""

    def name(self) -> Text:
        return "action_recibir_dato"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        no_form = [SlotSet(Slot.FORMULARIO_LISTO, False), SlotSet(Slot.CONSULTA_LISTA, False)]
        rated = await answer_survey(dispatcher, tracker)  # the satisfaction question's buttons carry informar
        if rated is not None:
            return rated + no_form
        media = attachments(tracker)
        if media and latest_text(tracker) == MEDIA_ONLY_TEXT:  # a photo or a voice note, no words
            send(dispatcher, [Reply(MEDIA_REPLIES[media[0]["kind"]])])
            return no_form
        catalogue = await current_catalogue()
        commune = entity(tracker, "comuna")
        if commune is None:
            answered = None if tracker.get_slot(Slot.PENDIENTE) else await follow_up(dispatcher, tracker)
            if answered is not None:  # "¿y el lunes?" right after the town hall's hours
                return answered + no_form
            if entity(tracker, "folio") and not tracker.get_slot(Slot.PENDIENTE):
                # "folio ang zzz997 rut 11.111.111-1": a folio on its own asks how the request is going.
                from actions.requests import ActionConsultarEstado

                found = await ActionConsultarEstado().run(dispatcher, tracker, domain)
                given = {e.get("name") for e in found}
                return found + [e for e in no_form if e["name"] not in given]
            if entity(tracker, "tramite") and not tracker.get_slot(Slot.PENDIENTE):
                # "quiero pedir el retiro de un colchón, mi rut es ...": data plus a procedure.
                # "escombros" alone is about it: only the words of a request start it.
                said = Message(latest_text(tracker), latest_intent(tracker), 0.0)
                handler = ActionIniciarTramite() if procedure_move(said) == DO else ActionResponderTramite()
                found = await handler.run(dispatcher, tracker, domain)
                given = {e.get("name") for e in found}
                return found + [e for e in no_form if e["name"] not in given]
            offered = offered_request(tracker)
            town = municipality(tracker, catalogue)
            if offered and town and not tracker.get_slot(Slot.PENDIENTE):
                # "camila fernanda vidal" to "¿Quieres hacer la solicitud ahora?": a yes that answers ahead.
                turn = procedure_request(catalogue, town, "", offered, None, tracker, latest_text(tracker))
                send(dispatcher, turn.replies)
                given = {e.get("name") for e in turn.events}
                return turn.events + [e for e in no_form if e["name"] not in given]
            choice = last_choice(tracker)
            if tracker.get_slot(Slot.PENDIENTE):
                send(dispatcher, [ask_commune(catalogue.municipalities.values())])
            elif choice is not None and typed_number(latest_text(tracker)) is not None:
                # "7" to two options: that option is not there; the question again, with its options.
                send(dispatcher, [option_not_offered(len(choice.buttons)), choice])
            else:
                send(dispatcher, [_area_named(catalogue, town, latest_text(tracker)) or datum_without_request()])
            return no_form
        town = catalogue.municipality_for_commune(commune)
        if town is None:
            known = next((c for c in catalogue.communes if c.name == commune), None)
            if known is not None:
                send(dispatcher, [commune_not_served(known, catalogue.municipalities.values())])
            return no_form
        send(dispatcher, [commune_set(town)])
        events: List[Dict[Text, Any]] = [SlotSet(Slot.MUNICIPIO, town.slug), SlotSet(Slot.PENDIENTE, None), *no_form]
        waiting = tracker.get_slot(Slot.PENDIENTE)
        focus, before = tracker.get_slot(Slot.TRAMITE), tracker.get_slot(Slot.MUNICIPIO)
        if not waiting and focus and before and before != town.slug and not _says_more(tracker):
            # "en verdad vivo en providencia" right after an answer for Peñalolén: that answer, for Providencia.
            waiting = pending(Intent.CONSULTAR_TRAMITE, previous_text(tracker), focus)
        if waiting:
            if waiting.get("intent") == Intent.HABLAR_CON_FUNCIONARIO:
                from actions.handoff import start_handoff

                events += await start_handoff(dispatcher, tracker, town, "hablar_con_funcionario")
            elif waiting.get("intent") == Intent.CONSULTAR_ESTADO:
                events += await status_turn(dispatcher, tracker, town)
            else:
                turn = answer_pending(catalogue, town, waiting, tracker.get_slot(Slot.TRAMITE), tracker)
                send(dispatcher, turn.replies)
                events += turn.events
        elif _says_more(tracker):  # "hola soy de providensia, q necesito pa la tarjeta…": answer it now
            text = latest_text(tracker)
            intent = (
                Intent.INICIAR_TRAMITE
                if procedure_move(Message(text, latest_intent(tracker), 0.9)) == DO
                else Intent.CONSULTAR_TRAMITE
            )
            turn = answer_pending(
                catalogue,
                town,
                {"intent": intent, "text": text, "tramite": entity(tracker, "tramite"), "aspecto": None},
                None,
                tracker,
            )
            send(dispatcher, turn.replies)
            events += turn.events
        return events


def _says_more(tracker: Tracker) -> bool:
    """The message with the commune also asks or requests something."""
    text = latest_text(tracker)
    return (
        bool(entity(tracker, "tramite"))
        or looks_like_question(text)
        or bool(asked_aspects(text))
        or asks_about_town_hall(text)
    )
