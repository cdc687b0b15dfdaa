"""Conversation basics: session start, greeting, help, fallback, yes/no, a person."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import (
    consecutive_fallbacks,
    entity,
    last_buttons,
    latest_text,
    municipality,
    offered_request,
    send,
)
from actions.procedure_turns import chosen_offer, procedure_question, procedure_request
from actions.services import current_catalogue
from bot.answers import conversation as replies
from bot.answers.municipality import ask_commune, office_named
from bot.config import settings
from bot.dialogue.cues import (
    accepts,
    asks_about_town_hall,
    asks_open_or_where,
    asks_town_hall_detail,
    gives_thanks,
    is_follow_up,
    is_short_follow_up,
    opens_as_follow_up,
)
from bot.dialogue.procedure_moves import explicit_request
from bot.domain_names import Intent, Slot
from bot.matching.aspects import asked_aspects

# A "sí" starts the form only when it accepted an offered request (the rules read this slot).
NO_FORM = [SlotSet(Slot.FORMULARIO_LISTO, False)]


def retention_days() -> int:
    """How long conversations are kept (the privacy notice says it)."""
    return settings().retention_days


class ActionSessionStart(Action):
    """Start a session: keep the municipality, take it from the channel, and at first contact
    introduce the assistant with the privacy notice, whatever the first message is."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = [SessionStarted()]
        keep = ("municipio", "aviso_privacidad")
        events += [SlotSet(name, tracker.get_slot(name)) for name in keep if tracker.get_slot(name) is not None]
        metadata = tracker.get_slot(Slot.SESSION_STARTED_METADATA) or {}
        catalogue = await current_catalogue()
        town_slug = metadata.get("municipio") or tracker.get_slot(Slot.MUNICIPIO)
        if metadata.get("municipio") in catalogue.municipalities:
            events.append(SlotSet(Slot.MUNICIPIO, metadata["municipio"]))
        if not tracker.get_slot(Slot.AVISO_PRIVACIDAD):
            town = catalogue.municipalities.get(town_slug or "") or municipality(tracker, catalogue)
            send(dispatcher, [replies.first_contact(town, retention_days())])
            events.append(SlotSet(Slot.AVISO_PRIVACIDAD, True))
        events.append(ActionExecuted("action_listen"))
        return events


class ActionSaludar(Action):
    """Greeting with a short introduction of what the assistant does."""

    def name(self) -> Text:
        return "action_saludar"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        catalogue = await current_catalogue()
        town = municipality(tracker, catalogue)
        earlier = [e for e in tracker.events if e.get("event") == "user"][:-1]
        send(dispatcher, [replies.greeting(town, just_introduced=not earlier)])
        return []


class ActionAyuda(Action):
    """Bot challenge and "¿qué puedes hacer?"."""

    def name(self) -> Text:
        return "action_ayuda"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        answered = await follow_up(dispatcher, tracker)  # "¿cómo me inscribo?" right after a procedure
        if answered is not None:
            return answered
        catalogue = await current_catalogue()
        town = municipality(tracker, catalogue)
        offered = catalogue.procedures_for(town.slug).values() if town else ()
        send(dispatcher, [replies.capabilities(town, offered)])
        return []


async def follow_up(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
    """An offered procedure chosen in words, or a short question about an aspect of the procedure in focus
    ("¿a q hora?"), answered; else ``None``.

    Such a message carries no procedure and few words, so the NLU may take it for small talk.
    """
    text, focus, topic = latest_text(tracker), tracker.get_slot(Slot.TRAMITE), tracker.get_slot(Slot.TEMA)
    catalogue = await current_catalogue()
    town = municipality(tracker, catalogue)
    if town is None:
        return None
    chosen = chosen_offer(catalogue, town, text, last_buttons(tracker))
    if chosen is not None:  # "los cachureos" after "¿Cuál de estos trámites…?"
        turn = procedure_question(catalogue, town, "", chosen[1], None, None)
        send(dispatcher, turn.replies)
        return [SlotSet(Slot.MUNICIPIO, town.slug), *turn.events]
    about_town_hall = (
        (bool(topic) and asks_town_hall_detail(text))
        or asks_about_town_hall(text)
        or (office_named(text, town) is not None and asks_open_or_where(text))
        # "y la dideco?" just after the town hall or an office was described: that office.
        or (bool(topic) and office_named(text, town) is not None and is_short_follow_up(text))
    )  # "y el telefono del juzgado"
    # A question that goes on from the answer just given asks about the procedure in focus, whatever it asks:
    # "¿a q hora?" (an aspect), or "y pa los jubilados?" after the fee of the waste collection.
    goes_on = is_follow_up(text) and bool(asked_aspects(text)) or (opens_as_follow_up(text) and "?" in text)
    if not about_town_hall and (not focus or not goes_on or _carries_a_datum(tracker)):
        return None
    turn = procedure_question(catalogue, town, text, None, focus, None, topic)
    send(dispatcher, turn.replies)
    return [SlotSet(Slot.MUNICIPIO, town.slug), *turn.events]


def _carries_a_datum(tracker: Tracker) -> bool:
    """The message gives a datum of a request (a RUT, a phone, an e-mail, a folio), not a question."""
    return any(entity(tracker, name) for name in ("rut", "telefono", "email", "folio"))


class ActionFallback(Action):
    """Ask to rephrase; after repeated misunderstanding, hand over to a person (or offer one)."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        from actions.handoff import handoff_for, staff_can_reach

        answered = await follow_up(dispatcher, tracker)
        if answered is not None:
            return answered
        misses = consecutive_fallbacks(tracker)
        if misses >= 2 and staff_can_reach(tracker):
            events = await handoff_for(dispatcher, tracker, "no_entendido")
            if events is not None:
                return events
        send(dispatcher, [replies.fallback(misses, latest_text(tracker))])
        return []


class ActionFueraDeAlcance(Action):
    """Out of scope: steer back to municipal topics; offer a person after repeated misses."""

    def name(self) -> Text:
        return "action_fuera_de_alcance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        answered = await follow_up(dispatcher, tracker)
        if answered is not None:
            return answered
        send(dispatcher, [replies.out_of_scope(consecutive_fallbacks(tracker), latest_text(tracker))])
        return []


class ActionHablarConFuncionario(Action):
    """The citizen wants a person: hand the conversation to staff (or give the contact)."""

    def name(self) -> Text:
        return "action_hablar_con_funcionario"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        catalogue = await current_catalogue()
        town = municipality(tracker, catalogue)
        if town is None:
            send(dispatcher, [ask_commune(catalogue.municipalities.values())])
            return [SlotSet(Slot.PENDIENTE, {"intent": Intent.HABLAR_CON_FUNCIONARIO, "text": "", "tramite": None})]
        from actions.handoff import start_handoff

        return await start_handoff(dispatcher, tracker, town, "hablar_con_funcionario")


class ActionAfirmar(Action):
    """ "Sí": to the last question asked (delete my data, retry, a suggested procedure, an offered request)."""

    def name(self) -> Text:
        return "action_afirmar"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        events = await self._answer(dispatcher, tracker, domain)
        if not any(e.get("name") == "formulario_listo" for e in events):
            events += NO_FORM
        return events

    async def _answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if tracker.get_slot(Slot.CONFIRMAR_BORRADO):
            from actions.handoff import delete_confirmed

            return await delete_confirmed(dispatcher, tracker)
        if tracker.get_slot(Slot.SOLICITUD_POR_ENVIAR):
            from actions.forms import ActionEnviarSolicitud

            return await ActionEnviarSolicitud().run(dispatcher, tracker, domain)
        catalogue = await current_catalogue()
        town = municipality(tracker, catalogue)
        offered = offered_request(tracker)
        if offered and town:
            # More than a yes ("una sujerencia" to the complaint form's offer) answers its first question ahead.
            said = latest_text(tracker)
            # "ya, pídanlo entonces" only says yes, in words: no answer ahead (it is nobody's name).
            only_yes = said.startswith("/") or accepts(said) or explicit_request(said)
            ahead = said if said and not only_yes else ""
            turn = procedure_request(catalogue, town, "", offered, None, tracker, ahead)
            send(dispatcher, turn.replies)
            return [SlotSet(Slot.MUNICIPIO, town.slug), *turn.events]
        suggested = tracker.get_slot(Slot.TRAMITE_SUGERIDO)
        if suggested and town:
            turn = procedure_question(catalogue, town, "", suggested, None, None)
            send(dispatcher, turn.replies)
            return [SlotSet(Slot.MUNICIPIO, town.slug), *turn.events]
        send(dispatcher, [replies.anything_else(after_yes=True, thanked=gives_thanks(latest_text(tracker)))])
        return []


class ActionNegar(Action):
    """ "No": rejects a suggested procedure, or just acknowledges."""

    def name(self) -> Text:
        return "action_negar"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if tracker.get_slot(Slot.CONFIRMAR_BORRADO):
            from bot.answers.handoff import not_deleted

            send(dispatcher, [not_deleted()])
            return [SlotSet(Slot.CONFIRMAR_BORRADO, False)]
        if tracker.get_slot(Slot.TRAMITE_SUGERIDO):
            send(dispatcher, [replies.other_words()])
            return [SlotSet(Slot.TRAMITE_SUGERIDO, None)]
        send(dispatcher, [replies.anything_else()])
        return []
