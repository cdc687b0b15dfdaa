"""Keys the channels put in a message's metadata, read by actions and the staff console."""

from __future__ import annotations

from typing import Any, Optional

FULL_TEXT_KEY = "texto_completo"  # what the citizen wrote, uncut, when the channel cut a long message
# The name the citizen shows on the channel (WhatsApp ProfileName, Telegram first_name).
PROFILE_NAME_KEY = "nombre_perfil"
PROFILE_NAME_MAX_LENGTH = 60
# Set when the message is the transcript of a voice note (channels/voice.py): its length in seconds
# ("duracion_s") and the recogniser's confidence ("logprob_medio", "prob_sin_voz").
VOICE_NOTE_KEY = "nota_de_voz"


def profile_name(raw: Any) -> Optional[str]:
    """The channel's display name of the citizen as one short line (no control characters), or ``None``."""
    if not isinstance(raw, str):
        return None
    name = " ".join("".join(c if c.isprintable() else " " for c in raw).split())
    return name[:PROFILE_NAME_MAX_LENGTH] or None
