"""The shape of a reply the channels know how to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List


@dataclass(frozen=True)
class Button:
    """A choice offered to the citizen; ``payload`` is what the assistant receives."""

    title: str
    payload: str


# A reply that asks for a place: Telegram adds a "share location" button (channels/telegram.py). Rasa passes
# the key from the action's message to the output channel's ``send_text_message`` keyword arguments.
ASKS_LOCATION_KEY = "pide_ubicacion"


@dataclass(frozen=True)
class Reply:
    """One message: text and, optionally, buttons; ``asks_location`` when it asks where something is."""

    text: str
    buttons: List[Button] = field(default_factory=list)
    asks_location: bool = False

    def as_dispatch(self) -> Dict[str, Any]:
        """Keyword arguments for rasa-sdk's ``dispatcher.utter_message``."""
        result: Dict[str, Any] = {"text": self.text}
        if self.buttons:
            result["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.asks_location:
            result[ASKS_LOCATION_KEY] = True
        return result


def intent_payload(intent: str, **entities: str) -> str:
    """A Rasa button payload that triggers ``intent`` with entities: ``/intent{"k":"v"}``."""
    if not entities:
        return f"/{intent}"
    import json

    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"
