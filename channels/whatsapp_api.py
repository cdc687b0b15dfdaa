"""Sending WhatsApp messages through Twilio's Messages API, without blocking.

Used by the WhatsApp output channel and by anything else that writes to a citizen
(status notifications, staff replies). Requests have a timeout and are retried with
exponential backoff on 429, 5xx and network errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.config import settings
from bot.conversation_id import WHATSAPP, ConversationId
from channels.adapter import SendError
from channels.timeouts import channel_timeout

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
WHATSAPP_LIMIT = 1500  # Twilio accepts 1600 characters for WhatsApp; keep a margin
RETRIES = 4
BACKOFF_SECONDS = 0.5


class WhatsAppNotConfigured(RuntimeError):
    """TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN are not set."""


class WhatsAppSendError(SendError):
    """Twilio did not accept the message after the retries."""


@dataclass(frozen=True)
class TwilioSettings:
    """Twilio account and where its API lives (a local stand-in in tests)."""

    account_sid: str
    auth_token: str
    api_base_url: str = ""

    @classmethod
    def from_env(cls) -> "TwilioSettings":
        """From TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_API_BASE_URL."""
        values = settings()
        return cls(values.twilio_account_sid, values.twilio_auth_token, values.twilio_api_base_url)

    @property
    def configured(self) -> bool:
        """Whether an account is set."""
        return bool(self.account_sid and self.auth_token)


class WhatsAppSender:
    """Sends to WhatsApp conversations through Twilio, retrying transient failures (a ``ChannelAdapter``)."""

    channel = WHATSAPP
    text_limit = WHATSAPP_LIMIT
    service_window = True  # free text only within 24 hours of the citizen's last message

    def __init__(self, settings: TwilioSettings) -> None:
        self._settings = settings
        self._client: Optional[Client] = None

    def _twilio(self) -> Client:
        if not self._settings.configured:
            raise WhatsAppNotConfigured("Faltan TWILIO_ACCOUNT_SID y TWILIO_AUTH_TOKEN")
        if self._client is None:
            http = AsyncTwilioHttpClient(timeout=channel_timeout())
            self._client = Client(self._settings.account_sid, self._settings.auth_token, http_client=http)
            if self._settings.api_base_url:
                self._client.api.base_url = self._settings.api_base_url.rstrip("/")
        return self._client

    def unreachable(self, conversation: ConversationId) -> Optional[str]:
        """Why a conversation cannot be written to (``None``: it can)."""
        return None if conversation.channel == WHATSAPP else f"no es una conversación de WhatsApp: {conversation}"

    async def send_text(self, conversation: ConversationId | str, text: str) -> str:
        """Send one message (at most ``WHATSAPP_LIMIT`` characters); returns Twilio's message SID."""
        target = ConversationId.of_channel(conversation, WHATSAPP)
        return await self._create(from_=f"whatsapp:{target.scope}", to=f"whatsapp:{target.address}", body=text)

    async def send_template(self, conversation: ConversationId | str, template: str, variables: Dict[str, str]) -> str:
        """Send an approved template (Twilio Content SID ``HX…``) with its variables; returns the message SID.

        Outside WhatsApp's 24-hour window only approved templates are delivered.
        """
        target = ConversationId.of_channel(conversation, WHATSAPP)
        return await self._create(
            from_=f"whatsapp:{target.scope}",
            to=f"whatsapp:{target.address}",
            content_sid=template,
            content_variables=json.dumps(variables, ensure_ascii=False),
        )

    async def send_media(self, conversation: ConversationId | str, url: str, caption: str = "") -> str:
        """Send a file Twilio fetches from ``url`` (image, PDF, audio), with ``caption`` as its text."""
        target = ConversationId.of_channel(conversation, WHATSAPP)
        return await self._create(
            from_=f"whatsapp:{target.scope}", to=f"whatsapp:{target.address}", media_url=[url], body=caption
        )

    def _api_origin(self) -> str:
        parts = urlsplit(self._settings.api_base_url.rstrip("/") or TWILIO_API)
        return f"{parts.scheme}://{parts.netloc}"

    async def _create(self, **params: Any) -> str:
        """``messages.create`` with retries on 429, 5xx and network errors; returns the message SID."""
        client = self._twilio()
        delay = BACKOFF_SECONDS
        for attempt in range(1, RETRIES + 1):
            try:
                message = await client.messages.create_async(**params)
                return message.sid
            except TwilioRestException as exc:
                retryable = exc.status == 429 or exc.status >= 500
                error = f"Twilio respondió {exc.status}: {exc.msg}"
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                retryable, error = True, f"error de red con Twilio: {exc!r}"
            if not retryable or attempt == RETRIES:
                raise WhatsAppSendError(error)
            logger.warning("reintentando envío a WhatsApp (%s), intento %d", error, attempt)
            await asyncio.sleep(delay)
            delay *= 2
        raise WhatsAppSendError("sin intentos")  # pragma: no cover - the loop always returns or raises

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._client is not None:
            http = self._client.http_client
            if isinstance(http, AsyncTwilioHttpClient) and http.session is not None:
                await http.session.close()
            self._client = None
