"""How long a call to Twilio or Telegram may take before it counts as failed."""
from __future__ import annotations

import os

DEFAULT_TIMEOUT_SECONDS = 10.0


def channel_timeout() -> float:
    """``CHANNEL_TIMEOUT_SECONDS`` (10 by default): the timeout of each API call, retries apart."""
    try:
        return max(0.5, float(os.environ.get("CHANNEL_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS))
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS
