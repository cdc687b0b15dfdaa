"""Keys the channels put in a message's metadata, read by actions and the staff console."""

from __future__ import annotations

FULL_TEXT_KEY = "texto_completo"  # what the citizen wrote, uncut, when the channel cut a long message
