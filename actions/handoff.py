"""Handing the conversation to a person, silence while they attend it, and data deletion."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Text
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import input_channel, municipality, send
from actions.services import current_catalogue, database, run_blocking
from bot.answers import conversation
from bot.answers import handoff as replies
from bot.catalogue.model import Municipality
from bot.config import timezone_name
from bot.domain_names import Intent, Slot
from bot.forms.state import FormState
from bot.handoff import auto_assign, service
from bot.handoff.states import HandoffStatus

DELIVERABLE_CHANNELS = {"whatsapp", "telegram"}


def staff_can_reach(tracker: Tracker) -> bool:
    """Whether staff can write to this conversation later (its channel can push messages)."""
    return input_channel(tracker) in DELIVERABLE_CHANNELS


def now_local() -> datetime:
    """The current local time of the municipalities (naive, for office hours)."""
    return datetime.now(ZoneInfo(timezone_name())).replace(tzinfo=None)


async def start_handoff(
    dispatcher: CollectingDispatcher, tracker: Tracker, town: Municipality, reason: str
) -> List[Dict[Text, Any]]:
    """Hand the conversation to staff with its context, or give the contact when the channel can't."""
    if not staff_can_reach(tracker):
        send(dispatcher, [conversation.human_contact(town)])
        return [SlotSet(Slot.MUNICIPIO, town.slug)]
    db = database()
    events: List[Dict[Text, Any]] = [SlotSet(Slot.MUNICIPIO, town.slug), SlotSet(Slot.CON_FUNCIONARIO, True)]
    if tracker.active_loop.get("name"):
        events += [ActiveLoop(None), SlotSet(Slot.REQUESTED_SLOT, None)]
    if await run_blocking(service.open_handoff_id, db, town.slug, tracker.sender_id):
        send(dispatcher, [replies.already_waiting()])
        return events
    state = FormState.from_dict(tracker.get_slot(Slot.SOLICITUD))
    form_data = dict(state.displays) if state else None
    created = await run_blocking(
        service.create_handoff,
        db,
        municipality=town.slug,
        sender_id=tracker.sender_id,
        channel=input_channel(tracker),
        reason=reason,
        procedure=tracker.get_slot(Slot.TRAMITE) or (state.procedure if state else None),
        form_data=form_data,
    )
    if created is None:
        send(dispatcher, [replies.already_waiting()])
        return events
    await run_blocking(auto_assign.assign_if_enabled, db, town.slug)  # CONSOLE_AUTO_ASSIGN=1: to an agent on duty
    holidays = (await current_catalogue()).holidays_for(town.slug)
    send(dispatcher, [replies.handed_over(town, now_local(), holidays)])
    return events


def _waits_for_a_person(sender_id: str) -> bool:
    """Whether the conversation has a handoff nobody has taken yet (blocking)."""
    row = service.open_handoffs_of(database(), [sender_id]).get(sender_id)
    return row is not None and row.status == HandoffStatus.WAITING


def _last_words(tracker: Tracker) -> Optional[str]:
    """The text of the assistant's last message in the conversation, if any."""
    last = next((e for e in reversed(tracker.events) if e.get("event") == "bot"), None)
    return last.get("text") if last else None


def _acknowledged(tracker: Tracker) -> bool:
    """Whether the assistant's last words in the conversation were the waiting acknowledgement."""
    return _last_words(tracker) == replies.still_waiting().text


class ActionConFuncionario(Action):
    """The conversation is in staff's hands: the message reaches the console. While a staffer attends it
    the assistant says nothing; while nobody has taken it yet, it tells the citizen their message is kept,
    once (not again until the assistant has said something else). "borra mis datos" is never ignored: it
    asks for confirmation, and only a yes or no right after that question answers it (a "sí" meant for the
    staffer never deletes anything)."""

    def name(self) -> Text:
        return "action_con_funcionario"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == Intent.BORRAR_DATOS:
            return await ActionBorrarDatos().run(dispatcher, tracker, domain)
        if tracker.get_slot(Slot.CONFIRMAR_BORRADO):
            asked = _last_words(tracker) == replies.confirm_deletion().text
            if asked and intent == Intent.AFIRMAR:
                return await delete_confirmed(dispatcher, tracker)
            if asked and intent == Intent.NEGAR:
                send(dispatcher, [replies.not_deleted()])
                return [SlotSet(Slot.CONFIRMAR_BORRADO, False)]
            return [SlotSet(Slot.CONFIRMAR_BORRADO, False)]  # the question is over: anything else is for staff
        if not _acknowledged(tracker) and await run_blocking(_waits_for_a_person, tracker.sender_id):
            send(dispatcher, [replies.still_waiting()])
        return []


class ActionTerminarEspera(Action):
    """ "ya no, gracias" while waiting for a person: close the handoff."""

    def name(self) -> Text:
        return "action_terminar_espera"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        await run_blocking(service.end_wait, database(), tracker.sender_id)
        town = municipality(tracker, await current_catalogue())
        if town is not None:  # an agent who attended it has room for another conversation
            await run_blocking(auto_assign.assign_if_enabled, database(), town.slug)
        send(dispatcher, [replies.wait_ended()])
        return [SlotSet(Slot.CON_FUNCIONARIO, False)]


def _forget(sender_id: str) -> None:
    from bot.handoff.transcript import TranscriptReader, tracker_url
    from bot.storage.personal_data import delete_citizen_data

    delete_citizen_data(database(), TranscriptReader(tracker_url()), sender_id)


class ActionBorrarDatos(Action):
    """ "borra mis datos": ask for confirmation (ActionAfirmar performs it)."""

    def name(self) -> Text:
        return "action_borrar_datos"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        send(dispatcher, [replies.confirm_deletion()])
        return [SlotSet(Slot.CONFIRMAR_BORRADO, True)]


async def delete_confirmed(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Delete the citizen's data after "sí"."""
    # Rasa saves this turn right after the action; the tracker store sees the conversation emptied
    # meanwhile and does not store it again (bot/storage/tracker_store.py).
    await run_blocking(_forget, tracker.sender_id)
    send(dispatcher, [replies.deleted()])
    return [SlotSet(Slot.CONFIRMAR_BORRADO, False)]


async def handoff_for(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> Optional[List[Dict]]:
    """Start a handoff if the municipality is known; ``None`` otherwise."""
    catalogue = await current_catalogue()
    town = municipality(tracker, catalogue)
    if town is None:
        return None
    return await start_handoff(dispatcher, tracker, town, reason)
