"""One citizen message as the dialogue reads it: text, intent, confidence, entities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

# Below this confidence the intent is only a hint: the dialogue state decides.
CONFIDENT = 0.6


@dataclass(frozen=True)
class Message:
    """What the NLU made of the citizen's last message."""

    text: str
    intent: str = ""
    confidence: float = 0.0
    entities: Dict[str, str] = field(default_factory=dict)
    # Every procedure the message names, in the order said (``entities`` holds the first).
    procedures: Tuple[str, ...] = ()

    @classmethod
    def from_parse(cls, parse: Optional[Dict[str, Any]]) -> "Message":
        """From Rasa's parse result (``tracker.latest_message``); first value of each entity."""
        parse = parse or {}
        intent = parse.get("intent") or {}
        entities: Dict[str, str] = {}
        procedures: List[str] = []
        for item in parse.get("entities") or []:
            if item.get("role"):  # a second procedure told apart ("siguiente"), not the one the message is about
                continue
            if item.get("entity") and item.get("value") is not None:
                entities.setdefault(str(item["entity"]), str(item["value"]))
                if item["entity"] == "tramite" and str(item["value"]) not in procedures:
                    procedures.append(str(item["value"]))
        return cls(
            text=str(parse.get("text") or ""),
            intent=str(intent.get("name") or ""),
            confidence=float(intent.get("confidence") or 0.0),
            entities=entities,
            procedures=tuple(procedures),
        )

    @property
    def is_button(self) -> bool:
        """A button's payload (``/intent{...}``), not typed text."""
        return self.text.startswith("/")

    @property
    def typed(self) -> str:
        """The typed text; empty for a button payload."""
        return "" if self.is_button else self.text

    def means(self, intent: str) -> bool:
        """The NLU is confident the message has this intent."""
        return self.intent == intent and self.confidence >= CONFIDENT
