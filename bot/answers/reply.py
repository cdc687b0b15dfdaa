"""The shape of a reply the channels know how to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List


@dataclass(frozen=True)
class Button:
    """A choice offered to the citizen; ``payload`` is what the assistant receives."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message: text and, optionally, buttons."""

    text: str
    buttons: List[Button] = field(default_factory=list)

    def as_dispatch(self) -> Dict[str, Any]:
        """Keyword arguments for rasa-sdk's ``dispatcher.utter_message``."""
        result: Dict[str, Any] = {"text": self.text}
        if self.buttons:
            result["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        return result


def intent_payload(intent: str, **entities: str) -> str:
    """A Rasa button payload that triggers ``intent`` with entities: ``/intent{"k":"v"}``."""
    if not entities:
        return f"/{intent}"
    import json

    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"
