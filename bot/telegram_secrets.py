"""The Telegram secrets a configuration holds: each bot's token and each bot's webhook secret.

One home for how they derive from ``TELEGRAM_BOT_TOKENS`` and ``TELEGRAM_WEBHOOK_SECRET``,
below both users: channels/telegram_api.py (which authenticates webhooks with them) and
bot/log_safety.py (which keeps every one of them out of the logs). Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Dict, List

WEBHOOK_SECRET_LENGTH = 48  # hex characters; Telegram accepts up to 256


def parse_tokens(text: str) -> Dict[str, str]:
    """``"a=1:x,b=2:y"`` -> ``{"a": "1:x", "b": "2:y"}`` (blank entries ignored)."""
    tokens = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        slug, _, token = item.partition("=")
        if slug.strip() and token.strip():
            tokens[slug.strip()] = token.strip()
    return tokens


def webhook_secret_for(webhook_secret: str, municipality: str) -> str:
    """The webhook secret of one municipality's bot, derived from ``TELEGRAM_WEBHOOK_SECRET``."""
    digest = hmac.new(webhook_secret.encode(), municipality.encode(), hashlib.sha256).hexdigest()
    return digest[:WEBHOOK_SECRET_LENGTH]


def telegram_secrets(tokens: str, webhook_secret: str) -> List[str]:
    """Every secret of the configuration: the bot tokens and, with a webhook secret, each bot's derived one."""
    by_municipality = parse_tokens(tokens)
    found = list(by_municipality.values())
    if webhook_secret:  # the header each bot's webhook carries
        found += [webhook_secret_for(webhook_secret, slug) for slug in by_municipality]
    return found
