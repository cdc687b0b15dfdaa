"""Typed text is text: a citizen cannot speak Rasa's ``/intent{...}`` syntax.

Rasa reads a message starting with "/" as an intent with entities. Only our buttons may
send that (their payloads are mapped by the channels); what a citizen types goes
through here first. Telegram's commands become the words they stand for.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

COMMANDS = {
    "start": "hola",
    "help": "ayuda",
    "ayuda": "ayuda",
    "menu": "ver tramites",
    "cancel": "cancelar",
    "cancelar": "cancelar",
}


def typed_text(text: str) -> str:
    """``text`` safe for the NLU: "/start" -> "hola", "/iniciar_tramite{...}" -> "iniciar_tramite{...}"."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    command = stripped[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(stripped) > 1 else ""
    if command in COMMANDS:
        return COMMANDS[command]
    return stripped.lstrip("/").strip() or "hola"


async def button_for_text(text: str, buttons: List[Dict[str, Any]]) -> Optional[str]:
    """The payload of the offered procedure a typed answer chooses in words ("el del auto"), if any.

    Numbers and button titles are mapped by each channel; this adds the procedure's own words
    (its name and aliases), so the pending "¿Cuál de estos trámites…?" has first claim on the answer, and a
    score or a comment typed to the satisfaction question ("4 muy amable", "cuatro": bot/dialogue/survey.py).
    """
    if not buttons or not text.strip():
        return None
    from bot.dialogue.choices import choice_payload
    from bot.dialogue.survey import asks_comment, asks_score, survey_payload
    from bot.runtime import current_catalogue

    if asks_score(buttons) or asks_comment(buttons):
        return survey_payload(text, buttons)

    return choice_payload(await current_catalogue(), text, buttons)
