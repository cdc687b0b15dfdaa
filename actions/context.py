"""Reading the conversation: which municipality, which procedure, what was typed."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.answers.reply import Button, Reply
from bot.catalogue.catalogue import Catalogue
from bot.catalogue.model import Municipality
from bot.config import default_municipality
from bot.conversation_id import channel_of
from bot.domain_names import UNHELPED_INTENTS, Slot
from bot.message_metadata import attachments_of


def latest_text(tracker: Tracker) -> str:
    """What the citizen typed last (empty for a button without text)."""
    return (tracker.latest_message or {}).get("text") or ""


def previous_text(tracker: Tracker) -> str:
    """What the citizen wrote before the latest message ("" if nothing)."""
    said = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return said[-2] if len(said) > 1 else ""


def input_channel(tracker: Tracker) -> str:
    """The conversation's channel ("whatsapp", "telegram", "rest" or "desconocido").

    Read from the conversation id, which only our channels build: never from the
    message's ``input_channel``, which a caller of Rasa's API could choose.
    """
    return channel_of(tracker.sender_id)


def latest_intent(tracker: Tracker) -> str:
    """The intent of the citizen's last message."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def entity(tracker: Tracker, name: str) -> Optional[str]:
    """The first value of an entity in the last message."""
    return next(tracker.get_latest_entity_values(name), None)


def attachments(tracker: Tracker) -> List[Dict[str, Any]]:
    """What the citizen's last message carries (photos, voice notes, files: bot/message_metadata.py)."""
    return attachments_of((tracker.latest_message or {}).get("metadata") or {})


def _metadata(tracker: Tracker) -> Dict[str, Any]:
    latest = (tracker.latest_message or {}).get("metadata") or {}
    session = tracker.get_slot(Slot.SESSION_STARTED_METADATA) or {}
    return {**session, **latest}


def municipality(tracker: Tracker, catalogue: Catalogue) -> Optional[Municipality]:
    """The citizen's municipality: named in this message, chosen, given by the channel, configured, or the only one.

    A served commune named in the message ("soy de Peñalolén, ¿cuánto cuesta…?") wins, so the
    first message's question is answered for it without asking the commune again.
    """
    named = entity(tracker, "comuna")
    town = catalogue.municipality_for_commune(named) if named else None
    if town is not None:
        return town
    candidates = [
        tracker.get_slot(Slot.MUNICIPIO),
        _metadata(tracker).get("municipio"),
        default_municipality(),
    ]
    for slug in candidates:
        if slug and slug in catalogue.municipalities:
            return catalogue.municipalities[slug]
    if len(catalogue.municipalities) == 1:
        return next(iter(catalogue.municipalities.values()))
    return None


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the citizen's last messages in a row were not understood or out of scope."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") in UNHELPED_INTENTS:
            count += 1
        else:
            break
    return count


def send(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    """Send replies in order."""
    for reply in replies:
        dispatcher.utter_message(**reply.as_dispatch())


def pending(intent: str, text: str, slug: Optional[str]) -> Dict[str, Any]:
    """What to answer once the commune is known."""
    return {"intent": intent, "text": text, "tramite": slug}


def as_list(value: Any) -> List[Any]:
    """A slot value as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _last_bot_event(tracker: Tracker) -> Dict[str, Any]:
    """The assistant's last message since the citizen's last words (``{}`` when none)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            continue
        if event.get("event") == "bot":
            return event
    return {}


def last_buttons(tracker: Tracker) -> List[Dict[str, Any]]:
    """The buttons of the assistant's last message: what a "sí" or a number answers."""
    return list((_last_bot_event(tracker).get("data") or {}).get("buttons") or [])


def last_choice(tracker: Tracker) -> Optional[Reply]:
    """The assistant's last message when it offered options, to be asked again; else ``None``."""
    buttons = last_buttons(tracker)
    if not buttons:
        return None
    offered = [Button(str(b.get("title")), str(b.get("payload"))) for b in buttons]
    return Reply(str(_last_bot_event(tracker).get("text") or ""), offered)


def offered_request(tracker: Tracker) -> Optional[str]:
    """The procedure whose request the last message offered ("¿Quieres hacer la solicitud ahora?")."""
    for button in last_buttons(tracker):
        payload = str(button.get("payload") or "")
        if payload.startswith("/iniciar_tramite{"):
            try:
                return json.loads(payload[len("/iniciar_tramite") :]).get("tramite")
            except ValueError:
                return None
    return None
