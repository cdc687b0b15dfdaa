"""How long a call to Twilio or Telegram may take before it counts as failed."""

from __future__ import annotations

from bot.config import settings


def channel_timeout() -> float:
    """``CHANNEL_TIMEOUT_SECONDS`` (10 by default): the timeout of each API call, retries apart."""
    return settings().channel_timeout_seconds
