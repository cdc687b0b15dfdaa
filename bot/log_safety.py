"""No secret and no citizen's personal data in our processes' logs.

``install()`` (called first thing by ``python -m bot …``, the Rasa server and the action
server) does two things:

- httpx and httpcore log at WARNING: at INFO httpx logs every request URL, and a Telegram
  Bot API URL holds the bot's token (``/bot<token>/sendMessage``).
- Every formatted log line goes through ``redact``: the configured secrets (Twilio's auth
  token, the bot tokens, the Telegram webhook secret and each bot's derived secret, the
  Rasa API token, database and Redis passwords), anything shaped like a bot token,
  ``token=`` / ``signature=`` / ``password=`` values and URL passwords become ``***``;
  e-mails, RUTs and phone numbers (also inside conversation ids such as
  ``whatsapp:+562…:+569…``) are masked, keeping the last four digits of a phone.

The redaction wraps ``logging.Formatter.format`` because Rasa, Sanic and rasa-sdk each install
their own handlers and formatters after we start; every one of them ends in that method.
Every pattern here runs in linear time (a log line may quote a citizen's long message).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Callable, Dict, Iterable, List, Optional
from urllib.parse import urlsplit

from bot.nlu.entities import EMAIL_RE
from bot.telegram_secrets import telegram_secrets

QUIET_LOGGERS = ("httpx", "httpcore")
SECRET_VARIABLES = (
    "TWILIO_AUTH_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "RASA_API_TOKEN",
    "RASA_TOKEN",
    "REDIS_PASSWORD",
    "CONSOLE_PASSWORD",
    "TRACKER_DB_PASSWORD",
    "DB_PASSWORD",
)
URL_VARIABLES = ("DATABASE_URL", "TRACKER_DB_URL", "REDIS_URL")
MASK = "***"
_MIN_SECRET_LENGTH = 6  # shorter values would blank ordinary words

_BOT_TOKEN = re.compile(r"(?<![\d])\d{3,12}:[A-Za-z0-9_-]{20,}")
_BOT_URL = re.compile(r"/bot[^/\s'\"]{1,200}/")
_NAMED_SECRET = re.compile(
    r"(?i)\b(token|signature|secret|password|passwd|auth_token|api_key)"
    r"(=|\"?:\s?\"?)[^&\s\"',;]{1,500}"
)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]{0,100}:)[^@\s/]{1,200}@")
_RUT = re.compile(r"(?<![\w.])(?:\d{1,2}\.\d{3}\.\d{3}|\d{7,8})\s?-\s?[\dkK](?!\w)")
# +56 9 8765 4321, +56987654321, 987654321, 9 8765 4321 and any E.164 number.
_PHONE = re.compile(r"(?<![\w+])(?:\+?56[\s-]?)?9[\s-]?\d{4}[\s-]?\d{4}(?!\d)|(?<![\w+])\+\d{8,15}(?!\d)")

_original_format: Optional[Callable[[logging.Formatter, logging.LogRecord], str]] = None
_secrets: List[str] = []


def configured_secrets(env: Optional[Dict[str, str]] = None) -> List[str]:
    """Every secret value the environment configures, longest first."""
    env = dict(os.environ if env is None else env)
    found = [env.get(name, "") for name in SECRET_VARIABLES]
    found += telegram_secrets(env.get("TELEGRAM_BOT_TOKENS", ""), env.get("TELEGRAM_WEBHOOK_SECRET", ""))
    for name in URL_VARIABLES:
        try:
            found.append(urlsplit(env.get(name, "")).password or "")
        except ValueError:
            continue
    return sorted({s for s in found if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)


def _last_four(match: "re.Match[str]") -> str:
    digits = [c for c in match.group(0) if c.isdigit()]
    return ("+" if match.group(0).startswith("+") else "") + "*" * max(0, len(digits) - 4) + "".join(digits[-4:])


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without secrets (``***``) and with personal data masked."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _BOT_URL.sub("/bot" + MASK + "/", text)
    text = _BOT_TOKEN.sub(MASK, text)
    text = _NAMED_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = EMAIL_RE.sub(lambda m: m.group(0)[:1] + MASK + "@" + m.group(0).rpartition("@")[2], text)
    text = _RUT.sub(lambda m: MASK + "-" + m.group(0)[-1], text)
    return _PHONE.sub(_last_four, text)


def _safe_format(self: logging.Formatter, record: logging.LogRecord) -> str:
    assert _original_format is not None
    return redact(_original_format(self, record), _secrets)


def install(env: Optional[Dict[str, str]] = None) -> None:
    """Quiet httpx and redact every log line of this process (idempotent; re-reads the secrets)."""
    global _original_format
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    _secrets[:] = configured_secrets(env)
    if logging.Formatter.format is not _safe_format:  # never wrap twice (a wrapped wrapper would recurse)
        _original_format = logging.Formatter.format
        logging.Formatter.format = _safe_format  # type: ignore[method-assign]
