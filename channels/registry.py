"""The channels this deployment can write to outside a turn, by channel name (see channels/adapter.py)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from bot.conversation_id import TELEGRAM, WHATSAPP, ConversationId
from bot.storage.db import Database
from channels.adapter import ChannelAdapter, NotDeliverable
from channels.common import numbered_list, remember_buttons, split_message
from channels.menus import open_menu
from channels.telegram_api import TelegramSender, TelegramSettings
from channels.whatsapp_api import TwilioSettings, WhatsAppSender

# What each channel that can write outside a turn needs in the environment.
REQUIRED_SETTINGS = {WHATSAPP: "faltan TWILIO_ACCOUNT_SID y TWILIO_AUTH_TOKEN", TELEGRAM: "falta TELEGRAM_BOT_TOKENS"}


class ChannelRegistry:
    """The adapters of the channels configured here, by channel."""

    def __init__(self, adapters: Iterable[ChannelAdapter] = ()) -> None:
        self._adapters: Dict[str, ChannelAdapter] = {a.channel: a for a in adapters}

    @classmethod
    def from_env(cls) -> "ChannelRegistry":
        """The adapters of the channels configured in the environment."""
        adapters: List[ChannelAdapter] = []
        twilio = TwilioSettings.from_env()
        if twilio.configured:
            adapters.append(WhatsAppSender(twilio))
        telegram = TelegramSettings.from_env()
        if telegram.tokens:  # sending needs only the bots' tokens (the secret is for receiving)
            adapters.append(TelegramSender(telegram))
        return cls(adapters)

    def get(self, channel: str) -> Optional[ChannelAdapter]:
        """The adapter of one channel, if it is configured here."""
        return self._adapters.get(channel)

    @property
    def has_channels(self) -> bool:
        """Whether at least one channel can send."""
        return bool(self._adapters)

    def adapter(
        self, conversation: ConversationId | str, what: str = "mensajes fuera de una conversación"
    ) -> ChannelAdapter:
        """The adapter that can write to ``conversation``; ``NotDeliverable`` (with the reason) otherwise.

        ``what`` names what is sent, for the reason a channel without an adapter gives.
        """
        parsed = (
            conversation if isinstance(conversation, ConversationId) else ConversationId.parse_or_none(conversation)
        )
        if parsed is None:
            raise NotDeliverable("no es una conversación de un canal conocido")
        adapter = self._adapters.get(parsed.channel)
        if adapter is None:
            reason = REQUIRED_SETTINGS.get(parsed.channel)
            raise NotDeliverable(
                f"el canal {parsed.channel} no está configurado ({reason})"
                if reason
                else f"el canal {parsed.channel} no permite enviar {what}"
            )
        problem = adapter.unreachable(parsed)
        if problem:
            raise NotDeliverable(problem)
        return adapter

    async def send_text(self, conversation: ConversationId | str, text: str) -> None:
        """Send one message through the conversation's channel (``NotDeliverable``, ``SendError``)."""
        await self.adapter(conversation).send_text(conversation, text)

    async def send_options(
        self,
        conversation: ConversationId | str,
        text: str,
        buttons: List[Dict[str, Any]],
        db: Optional[Database] = None,
    ) -> None:
        """Send a question with options as the assistant's own are shown: Telegram's buttons (a new menu),
        else a numbered list; the citizen's answer maps back to a button's payload (channels/common.py,
        channels/menus.py). ``db`` keeps the options (default: the process's database)."""
        parsed = conversation if isinstance(conversation, ConversationId) else ConversationId.parse(conversation)
        adapter = self.adapter(parsed)
        if parsed.channel == TELEGRAM:
            menu = await open_menu(str(parsed), text, buttons, db)
            await adapter.send_text(parsed, text, buttons, menu)  # type: ignore[call-arg]  # TelegramSender's own
            return
        await remember_buttons(str(parsed), buttons, db)
        for part in split_message(numbered_list(text, buttons), adapter.text_limit):
            await adapter.send_text(parsed, part)

    async def send_media(self, conversation: ConversationId | str, url: str, caption: str = "") -> None:
        """Send a file through the conversation's channel (``NotDeliverable``, ``SendError``)."""
        await self.adapter(conversation).send_media(conversation, url, caption)

    async def close(self) -> None:
        """Close every adapter's HTTP sessions."""
        for adapter in self._adapters.values():
            await adapter.close()
