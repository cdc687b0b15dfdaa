"""Status of a citizen's requests: their own from this chat, or any by folio + RUT.

A folio + RUT mismatch and an unknown folio get the same neutral answer; failed lookups
are limited per conversation, per folio and per municipality (bot/storage/lookups.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import entity, input_channel, latest_text, municipality, send
from actions.handoff import start_handoff
from actions.services import current_catalogue, database, run_blocking
from bot.answers import status as replies
from bot.answers.conversation import upset
from bot.answers.municipality import ask_commune
from bot.catalogue.model import Municipality
from bot.dialogue.cues import names_a_person, sounds_upset
from bot.dialogue.message import Message
from bot.domain_names import Intent, Slot
from bot.folio import normalise_folio
from bot.nlu.entities import first_rut
from bot.storage.lookups import blocked, record_failure
from bot.storage.requests import FINAL_STATUSES, find_by_folio_and_rut, get_request, requests_for_sender

LOOKUP_SLOTS = ("folio_consulta", "rut_consulta")


async def status_turn(dispatcher: CollectingDispatcher, tracker: Tracker, town: Municipality) -> List[Dict[Text, Any]]:
    """Answer "¿en qué va mi solicitud?" for a known municipality; may start the lookup form."""
    catalogue = await current_catalogue()
    db = database()
    done = [SlotSet(Slot.MUNICIPIO, town.slug), SlotSet(Slot.CONSULTA_LISTA, False)]
    reason = await run_blocking(blocked, db, town.slug, tracker.sender_id)
    if reason:
        dispatcher.utter_message(text=replies.blocked(reason))
        return done
    own = await run_blocking(
        requests_for_sender, db, town.slug, input_channel(tracker), tracker.sender_id, open_only=False, limit=50
    )
    if sounds_upset(latest_text(tracker)):  # "hace un mes pedí… y nunca vinieron": heard, then looked up
        send(dispatcher, [replies.sorry_for_the_wait()])
    folio = entity(tracker, "folio") or normalise_folio(latest_text(tracker))
    if folio:
        if any(r["folio"] == folio for r in own):
            detail = await run_blocking(get_request, db, town.slug, folio)
            if detail is not None:  # the citizen's own request, read a moment ago
                send(dispatcher, [replies.request_detail(detail, catalogue.display_name)])
                return done
        reason = await run_blocking(blocked, db, town.slug, tracker.sender_id, folio)
        if reason:
            dispatcher.utter_message(text=replies.blocked(reason))
            return done
        # The lookup form asks the RUT, unless it came with the folio ("folio ang zzz997 rut 11.111.111-1") or the
        # folio corrects the lookup just not found ("ah capaz q lo anote mal, es ang 7kq2n9"): its RUT again.
        rut = entity(tracker, "rut") or first_rut(latest_text(tracker)) or rut_of_the_lookup_not_found(tracker)
        return [
            SlotSet(Slot.MUNICIPIO, town.slug),
            SlotSet(Slot.FOLIO_CONSULTA, folio),
            SlotSet(Slot.RUT_CONSULTA, rut),
            SlotSet(Slot.CONSULTA_LISTA, True),
        ]
    still_open = [r for r in own if r["status"] not in FINAL_STATUSES]
    if still_open:
        send(dispatcher, [replies.open_requests(still_open, catalogue.display_name)])
        return done
    latest = await run_blocking(get_request, db, town.slug, own[0]["folio"]) if own else None
    if latest is not None:
        send(dispatcher, [replies.request_detail(latest, catalogue.display_name)])
        return done
    return [
        SlotSet(Slot.MUNICIPIO, town.slug),
        SlotSet(Slot.FOLIO_CONSULTA, None),
        SlotSet(Slot.RUT_CONSULTA, None),
        SlotSet(Slot.CONSULTA_LISTA, True),
    ]


def rut_of_the_lookup_not_found(tracker: Tracker) -> Optional[str]:
    """The RUT this citizen gave for the lookup the assistant's last message did not find, if that was it."""
    said_last = next((e for e in reversed(tracker.events) if e.get("event") == "bot"), None)
    if said_last is None or said_last.get("text") != replies.NOT_FOUND:
        return None
    return next(
        (
            str(e["value"])
            for e in reversed(tracker.events)
            if e.get("event") == "slot" and e.get("name") == Slot.RUT_CONSULTA and e.get("value")
        ),
        None,
    )


class ActionConsultarEstado(Action):
    """``consultar_estado``: the citizen's requests, or a lookup by folio and RUT."""

    def name(self) -> Text:
        return "action_consultar_estado"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        catalogue = await current_catalogue()
        town = municipality(tracker, catalogue)
        if town is None:
            send(dispatcher, [ask_commune(catalogue.municipalities.values())])
            return [
                SlotSet(
                    Slot.PENDIENTE, {"intent": Intent.CONSULTAR_ESTADO, "text": latest_text(tracker), "tramite": None}
                ),
                SlotSet(Slot.CONSULTA_LISTA, False),
            ]
        return await status_turn(dispatcher, tracker, town)


class ValidateFormularioConsulta(FormValidationAction):
    """Checks the folio and the RUT of a lookup."""

    def name(self) -> Text:
        return "validate_formulario_consulta"

    async def validate_folio_consulta(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """The folio; a RUT written next to it ("PEN-7KX4M2 12.345.678-5") is taken too."""
        text = str(value or "")
        folio = entity(tracker, "folio") or normalise_folio(text)
        if folio is None and _was_asked(tracker, "folio_consulta"):
            left = await _leaves_the_lookup(dispatcher, tracker, text)
            if left is not None:
                return left
            send(dispatcher, [replies.bad_folio(await _folio_code(tracker))])
        if folio is None:
            return {"folio_consulta": None}
        rut = entity(tracker, "rut") or first_rut(text)
        return {"folio_consulta": folio, **({"rut_consulta": rut} if rut else {})}

    async def validate_rut_consulta(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "")
        rut = entity(tracker, "rut") or first_rut(text)
        if rut is None and _was_asked(tracker, "rut_consulta"):
            left = await _leaves_the_lookup(dispatcher, tracker, text)
            if left is not None:
                return left
            send(dispatcher, [replies.bad_rut()])
        return {"rut_consulta": rut}


# The lookup ends: no folio, no RUT, no question pending (the form is done, and its result says nothing).
_LOOKUP_LEFT = {"folio_consulta": None, "rut_consulta": None, Slot.REQUESTED_SLOT: None}


async def _leaves_the_lookup(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str
) -> Optional[Dict[Text, Any]]:
    """A person asked for ("si, con una persona") or anger ("ustedes nunca responden nada") instead of the folio or
    the RUT: the lookup ends, with the handoff or with the way out offered (never the format asked again)."""
    if Message.from_parse(tracker.latest_message).means(Intent.HABLAR_CON_FUNCIONARIO) or names_a_person(text):
        town = municipality(tracker, await current_catalogue())
        if town is not None:
            events = await start_handoff(dispatcher, tracker, town, "hablar_con_funcionario")
            return {**{e["name"]: e["value"] for e in events if e.get("event") == "slot"}, **_LOOKUP_LEFT}
    if sounds_upset(text):
        send(dispatcher, [upset()])
        return dict(_LOOKUP_LEFT)
    return None


async def _folio_code(tracker: Tracker) -> str:
    """The code the municipality's folios start with ("PEN"), or "" while the municipality is unknown."""
    town = municipality(tracker, await current_catalogue())
    return town.code if town else ""


def _was_asked(tracker: Tracker, slot: str) -> bool:
    """Whether the message answered the question for ``slot`` (not the one that started the lookup)."""
    return tracker.get_slot(Slot.REQUESTED_SLOT) == slot


class ActionAskFolioConsulta(Action):
    """Asks the folio."""

    def name(self) -> Text:
        return "action_ask_folio_consulta"

    async def run(self, dispatcher, tracker, domain):
        send(dispatcher, [replies.ask_folio(await _folio_code(tracker))])
        return []


class ActionAskRutConsulta(Action):
    """Asks the RUT."""

    def name(self) -> Text:
        return "action_ask_rut_consulta"

    async def run(self, dispatcher, tracker, domain):
        send(dispatcher, [replies.ask_rut()])
        return []


class ActionResultadoConsulta(Action):
    """Shows the request when folio and RUT belong together; otherwise the neutral answer."""

    def name(self) -> Text:
        return "action_resultado_consulta"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        reset = [SlotSet(name, None) for name in LOOKUP_SLOTS] + [
            SlotSet(Slot.CONSULTA_LISTA, False),
            SlotSet(Slot.REQUESTED_SLOT, None),
        ]
        catalogue = await current_catalogue()
        town = municipality(tracker, catalogue)
        folio, rut = tracker.get_slot(Slot.FOLIO_CONSULTA), tracker.get_slot(Slot.RUT_CONSULTA)
        if town is None or not folio or not rut:
            return reset
        db = database()
        reason = await run_blocking(blocked, db, town.slug, tracker.sender_id, folio)
        if reason:
            dispatcher.utter_message(text=replies.blocked(reason))
            return reset
        found: Optional[Dict[str, Any]] = await run_blocking(find_by_folio_and_rut, db, town.slug, folio, rut)
        if found is None:
            await run_blocking(record_failure, db, town.slug, tracker.sender_id, folio)
            dispatcher.utter_message(text=replies.NOT_FOUND)
            return reset
        send(dispatcher, [replies.request_detail(found, catalogue.display_name)])
        return reset
