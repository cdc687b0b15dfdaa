"""Typed text is text: a citizen cannot speak Rasa's ``/intent{...}`` syntax.

Rasa reads a message starting with "/" as an intent with entities. Only our buttons may
send that (their payloads are mapped by the channels); what a citizen types goes
through here first. Telegram's commands become the words they stand for.
"""
from __future__ import annotations

COMMANDS = {"start": "hola", "help": "ayuda", "ayuda": "ayuda", "menu": "ver tramites", "cancel": "cancelar",
            "cancelar": "cancelar"}


def typed_text(text: str) -> str:
    """``text`` safe for the NLU: "/start" -> "hola", "/iniciar_tramite{...}" -> "iniciar_tramite{...}"."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    command = stripped[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(stripped) > 1 else ""
    if command in COMMANDS:
        return COMMANDS[command]
    return stripped.lstrip("/").strip() or "hola"
