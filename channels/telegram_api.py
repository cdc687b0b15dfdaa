"""Talking to the Telegram Bot API with python-telegram-bot: one bot per municipality.

Configuration (environment variables, referenced from credentials.yml):

- ``TELEGRAM_BOT_TOKENS``: ``penalolen=123:AAA,angol=456:BBB`` (municipality slug = bot token);
- ``TELEGRAM_WEBHOOK_SECRET``: a long random string; each bot's webhook gets its own
  secret derived from it, so the ``X-Telegram-Bot-Api-Secret-Token`` header both
  authenticates the request and tells which bot (municipality) it is for;
- ``TELEGRAM_API_BASE_URL``: empty for Telegram itself (a local stand-in in tests).

Calls have a timeout (``CHANNEL_TIMEOUT_SECONDS``, 10 by default) and are retried
with exponential backoff on network errors, timeouts, 5xx and 429 (waiting what
Telegram asks); a refused request (400, 403) is not retried.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, List, NamedTuple, Optional, TypeVar

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.config import settings
from bot.conversation_id import TELEGRAM, ConversationId
from bot.telegram_secrets import parse_tokens, webhook_secret_for
from channels.adapter import SendError
from channels.timeouts import channel_timeout

logger = logging.getLogger(__name__)

TELEGRAM_LIMIT = 4000  # the API accepts 4096 characters
RETRIES = 4
BACKOFF_SECONDS = 0.5
MAX_RETRY_AFTER_SECONDS = 30
T = TypeVar("T")
MAX_MENU_ID = 999_999_999  # menu ids of a chat count up to here, then start at 1 again
_CALLBACK_DATA = re.compile(r"m([1-9][0-9]{0,8})\.([1-9][0-9]?)")  # m<menu>.<button>, as callback_data writes


class TelegramSendError(SendError):
    """Telegram did not take the call (after the retries, or refused: ``final``)."""


ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


@dataclass
class TelegramSettings:
    """Bot tokens by municipality, the webhook secret and the API address."""

    tokens: Dict[str, str] = field(default_factory=dict)
    webhook_secret: str = ""
    api_base_url: str = ""

    @classmethod
    def from_values(cls, tokens: str, secret: str, base_url: str) -> "TelegramSettings":
        """From the raw configuration strings."""
        return cls(parse_tokens(tokens), secret or "", base_url or "")

    @classmethod
    def from_env(cls) -> "TelegramSettings":
        """From TELEGRAM_BOT_TOKENS, TELEGRAM_WEBHOOK_SECRET and TELEGRAM_API_BASE_URL."""
        values = settings()
        return cls.from_values(values.telegram_bot_tokens, values.telegram_webhook_secret, values.telegram_api_base_url)

    @property
    def configured(self) -> bool:
        """Whether at least one bot and the secret are set."""
        return bool(self.tokens and self.webhook_secret)

    def secret_for(self, municipality: str) -> str:
        """The webhook secret of one municipality's bot (derived in bot/telegram_secrets.py)."""
        return webhook_secret_for(self.webhook_secret, municipality)

    def municipality_for_secret(self, secret: str) -> Optional[str]:
        """Which bot a webhook request is for, from its secret header (constant-time compare)."""
        found = None
        for municipality in self.tokens:
            if hmac.compare_digest(self.secret_for(municipality), secret or ""):
                found = municipality
        return found


class Press(NamedTuple):
    """A button press as its callback data tells: which menu (message) and which of its buttons."""

    menu: int
    number: int


def callback_data(menu: int, number: int) -> str:
    """``m<menu>.<number>``: the chat's menu id and the button's number (1 first); well under 64 bytes."""
    return f"m{menu}.{number}"


def parse_callback_data(data: str) -> Optional[Press]:
    """The press that ``callback_data`` wrote, or ``None`` for anything else (the old ``b<N>``, junk).

    Callback data is the client's to send: only ASCII digits without leading zeros, at most nine
    for the menu (``MAX_MENU_ID``) and two for the button, so nothing odd reaches ``int()``.
    """
    match = _CALLBACK_DATA.fullmatch(data or "")
    return Press(int(match.group(1)), int(match.group(2))) if match else None


def keyboard(buttons: List[Dict[str, Any]], menu: int) -> Optional[InlineKeyboardMarkup]:
    """Buttons as an inline keyboard, one per row; callback data names the menu and the button."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["title"][:64], callback_data=callback_data(menu, i))]
            for i, b in enumerate(buttons, 1)
        ]
    )


SHARE_LOCATION = "📍 Compartir ubicación"
TYPING_TIMEOUT_SECONDS = 2.0  # "escribiendo…" is a courtesy: it never holds the turn up longer


def location_keyboard() -> ReplyKeyboardMarkup:
    """A keyboard with one button that shares the phone's location (hidden once used)."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(SHARE_LOCATION, request_location=True)]], resize_keyboard=True, one_time_keyboard=True
    )


class TelegramSender:
    """One ``telegram.Bot`` per municipality, created once and reused (a ``ChannelAdapter``)."""

    channel = TELEGRAM
    text_limit = TELEGRAM_LIMIT
    service_window = False  # a bot may write to its chats at any time

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self._bots: Dict[str, Bot] = {}
        # Chats shown the "📍 Compartir ubicación" keyboard: a citizen who types the address instead
        # keeps it on screen, so the next message without buttons takes it away.
        self._location_keyboard_shown: set[ConversationId] = set()

    def bot(self, municipality: str) -> Bot:
        """The bot of a municipality (``KeyError`` when it has none)."""
        if municipality not in self._bots:
            token = self.settings.tokens[municipality]
            timeout = channel_timeout()
            request = HTTPXRequest(
                connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout
            )
            kwargs: Dict[str, Any] = {"request": request}
            if self.settings.api_base_url:
                kwargs["base_url"] = self.settings.api_base_url.rstrip("/") + "/bot"
                kwargs["base_file_url"] = self.settings.api_base_url.rstrip("/") + "/file/bot"
            self._bots[municipality] = Bot(token, **kwargs)
        return self._bots[municipality]

    def unreachable(self, conversation: ConversationId) -> Optional[str]:
        """Why a conversation cannot be written to (``None``: it can)."""
        if conversation.channel != TELEGRAM:
            return f"no es una conversación de Telegram: {conversation}"
        if conversation.scope not in self.settings.tokens:
            return f"no hay bot de Telegram configurado para {conversation.scope}"
        return None

    async def send_text(
        self,
        conversation: ConversationId | str,
        text: str,
        buttons: Optional[List[Dict[str, Any]]] = None,
        menu: Optional[int] = None,
        share_location: bool = False,
    ) -> None:
        """Send one message (at most ``TELEGRAM_LIMIT`` characters), with buttons if any: they need the
        message's ``menu`` id (channels/menus.py); ``share_location`` (without buttons): the keyboard's
        "📍 Compartir ubicación" button. ``TelegramSendError`` when Telegram does not take it."""
        if buttons and menu is None:
            raise ValueError("botones sin número de menú")
        target = ConversationId.of_channel(conversation, TELEGRAM)
        bot = self.bot(target.scope)
        markup: Any = keyboard(buttons or [], menu or 0)
        if markup is None and share_location:
            markup = location_keyboard()
        elif markup is None and target in self._location_keyboard_shown:
            markup = ReplyKeyboardRemove()
        try:
            await with_retries(lambda: bot.send_message(chat_id=target.address, text=text, reply_markup=markup))
        except (Forbidden, BadRequest) as exc:  # blocked bot, unknown chat: retrying will not help
            raise TelegramSendError(f"Telegram rechazó el mensaje: {exc}", final=True) from exc
        except TelegramError as exc:
            raise TelegramSendError(f"error de Telegram: {exc}") from exc
        if isinstance(markup, ReplyKeyboardMarkup):
            self._location_keyboard_shown.add(target)
        elif isinstance(markup, ReplyKeyboardRemove):
            self._location_keyboard_shown.discard(target)

    async def send_typing(self, conversation: ConversationId | str) -> None:
        """Show "escribiendo…" in the chat while the assistant works (best effort: a failure is only logged)."""
        target = ConversationId.of_channel(conversation, TELEGRAM)
        try:
            bot = self.bot(target.scope)
            await asyncio.wait_for(
                bot.send_chat_action(chat_id=target.address, action=ChatAction.TYPING), TYPING_TIMEOUT_SECONDS
            )
        except (TelegramError, asyncio.TimeoutError, KeyError) as exc:
            logger.info("Telegram: no se pudo mostrar «escribiendo…» (%s)", type(exc).__name__)

    async def send_media(self, conversation: ConversationId | str, url: str, caption: str = "") -> None:
        """Send a file Telegram fetches from ``url`` as a document, with ``caption`` under it."""
        target = ConversationId.of_channel(conversation, TELEGRAM)
        bot = self.bot(target.scope)
        try:
            await with_retries(lambda: bot.send_document(chat_id=target.address, document=url, caption=caption or None))
        except (Forbidden, BadRequest) as exc:
            raise TelegramSendError(f"Telegram rechazó el archivo: {exc}", final=True) from exc
        except TelegramError as exc:
            raise TelegramSendError(f"error de Telegram: {exc}") from exc

    async def send_template(self, conversation: ConversationId | str, template: str, variables: Dict[str, str]) -> None:
        """Telegram has no templates (and no window that needs them)."""
        raise TelegramSendError("Telegram no usa plantillas", final=True)

    async def close(self) -> None:
        """Shut down every bot's HTTP connections (best effort)."""
        for bot in list(self._bots.values()):
            try:
                await bot.request.shutdown()
            except Exception:  # noqa: BLE001 - at shutdown, nothing more to do
                logger.debug("no se pudo cerrar un bot de Telegram", exc_info=True)
        self._bots.clear()

    async def answer_callback(self, municipality: str, callback_id: str, text: Optional[str] = None) -> None:
        """Stop the button's loading spinner."""
        bot = self.bot(municipality)
        await with_retries(lambda: bot.answer_callback_query(callback_id, text=text))

    async def set_webhooks(self, url: str) -> Dict[str, bool]:
        """Point every bot's webhook at ``url`` with its own secret."""
        return {
            slug: await self.bot(slug).set_webhook(
                url=url, secret_token=self.settings.secret_for(slug), allowed_updates=ALLOWED_UPDATES
            )
            for slug in self.settings.tokens
        }


async def with_retries(call: Callable[[], Awaitable[T]]) -> T:
    """``call()`` retried on network errors, timeouts, 5xx and 429; ``TelegramSendError`` when it gives up."""
    delay = BACKOFF_SECONDS
    for attempt in range(1, RETRIES + 1):
        try:
            return await call()
        except RetryAfter as exc:
            after = exc.retry_after
            wait = after.total_seconds() if isinstance(after, timedelta) else float(after)
            wait, error = min(wait, MAX_RETRY_AFTER_SECONDS), f"Telegram pide esperar {wait:.0f} s"
        except BadRequest:
            raise
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            wait, error = delay, f"error de red con Telegram: {exc}"
            delay *= 2
        if attempt == RETRIES:
            raise TelegramSendError(error)
        logger.warning("reintentando llamada a Telegram (%s), intento %d", error, attempt)
        await asyncio.sleep(wait)
    raise TelegramSendError("sin intentos")  # pragma: no cover - the loop always returns or raises
