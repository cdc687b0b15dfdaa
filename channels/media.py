"""A citizen's photo, voice note or file, fetched from its channel: for staff (console, back-office API)
and for the voice worker (channels/voice.py), the one way an incoming file is downloaded.

Files stay with the channel: a WhatsApp attachment is Twilio's media URL, fetched with the account's
credentials (HTTP Basic; Twilio answers with a redirect to the file, followed without the credentials);
a Telegram attachment is a ``file_id``, turned into a download link by ``getFile`` with the bot of the
conversation's municipality. Each call has the channel timeout (``CHANNEL_TIMEOUT_SECONDS``) and a size
limit (``MEDIA_MAX_BYTES``): a larger file is refused, not cut. Only URLs of the configured Twilio account
are ever fetched with its credentials. What the browser gets is shown inline only for images, audio and
video; anything else is a download (``application/octet-stream`` for HTML, SVG and the like).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import aiohttp

from bot.config import settings
from bot.conversation_id import TELEGRAM, WHATSAPP, ConversationId
from channels.telegram_api import TelegramSender, TelegramSettings
from channels.timeouts import channel_timeout
from channels.whatsapp_api import TwilioSettings

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
INLINE_KINDS = ("image/", "audio/", "video/")
VOICE_FETCH_TIMEOUTS = 3  # a voice note (up to VOICE_MAX_BYTES) may take this many channel timeouts to download
UNSAFE_TYPES = ("image/svg", "text/html", "application/xhtml", "application/xml", "text/xml")


class MediaUnavailable(RuntimeError):
    """The file cannot be fetched (channel not configured, gone, refused, timed out); the message says why."""


class MediaTooLarge(MediaUnavailable):
    """The file is larger than the limit of the fetch (``MEDIA_MAX_BYTES``, ``VOICE_MAX_BYTES``)."""


@dataclass(frozen=True)
class Media:
    """A fetched file and its MIME type."""

    content: bytes
    content_type: str

    @property
    def inline(self) -> bool:
        """Whether a browser may show it in the page (images, audio, video)."""
        return self.content_type.startswith(INLINE_KINDS) and not self.content_type.startswith(UNSAFE_TYPES)

    def served_type(self) -> str:
        """The Content-Type to serve it with: never one a browser would run (HTML, SVG)."""
        return self.content_type if not self.content_type.startswith(UNSAFE_TYPES) else "application/octet-stream"


def media_max_bytes() -> int:
    """``MEDIA_MAX_BYTES``: the largest file fetched for staff."""
    return settings().media_max_bytes


class MediaFetcher:
    """Fetches attachments from Twilio and Telegram."""

    def __init__(
        self,
        twilio: TwilioSettings,
        telegram: TelegramSettings | TelegramSender,
        max_bytes: Optional[int] = None,
        timeout: Optional[float] = None,
    ) -> None:
        """``telegram``: the bots' settings, or a channel's own ``TelegramSender`` (its bots are reused)."""
        self._twilio = twilio
        self._telegram = telegram if isinstance(telegram, TelegramSender) else TelegramSender(telegram)
        self.max_bytes = max_bytes if max_bytes is not None else media_max_bytes()
        self.timeout = timeout if timeout is not None else channel_timeout()

    @classmethod
    def from_env(cls) -> "MediaFetcher":
        """With the channels' settings from the environment."""
        return cls(TwilioSettings.from_env(), TelegramSettings.from_env())

    async def fetch(
        self, conversation: ConversationId | str, item: Dict[str, Any], max_bytes: Optional[int] = None
    ) -> Media:
        """The file of attachment ``item`` (bot/message_metadata.py's shape) that came in ``conversation``.

        ``MediaTooLarge`` past ``max_bytes`` (default ``self.max_bytes``), checked against the size the
        channel declares before anything is downloaded; ``MediaUnavailable`` when it cannot be had.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        declared_size = item.get("size")
        if isinstance(declared_size, int) and declared_size > limit:
            raise MediaTooLarge(f"el archivo pesa {declared_size} bytes (límite {limit})")
        parsed = ConversationId.parse_or_none(str(conversation))
        if parsed is None:
            raise MediaUnavailable("no es una conversación de un canal conocido")
        source, ref = item.get("source"), str(item.get("ref") or "")
        declared = str(item.get("content_type") or "")
        if parsed.channel == WHATSAPP and source == "twilio":
            url, auth = self._twilio_url(ref), aiohttp.BasicAuth(self._twilio.account_sid, self._twilio.auth_token)
            return await self._download(url, auth, declared, limit)
        if parsed.channel == TELEGRAM and source == "telegram":
            url, size = await self._telegram_url(parsed.scope, ref)
            if size is not None and size > limit:
                raise MediaTooLarge(f"el archivo pesa {size} bytes (límite {limit})")
            return await self._download(url, None, declared, limit)
        raise MediaUnavailable("el adjunto no corresponde al canal de la conversación")

    async def fetch_bytes(self, conversation: ConversationId | str, item: Dict[str, Any], max_bytes: int) -> bytes:
        """Only the content of ``fetch`` (a voice note for the transcriber)."""
        return (await self.fetch(conversation, item, max_bytes)).content

    def _twilio_url(self, url: str) -> str:
        if not self._twilio.configured:
            raise MediaUnavailable("WhatsApp no está configurado (faltan TWILIO_ACCOUNT_SID y TWILIO_AUTH_TOKEN)")
        base = (self._twilio.api_base_url or TWILIO_API).rstrip("/")
        if not url.startswith(f"{base}/2010-04-01/Accounts/{self._twilio.account_sid}/"):
            raise MediaUnavailable("el adjunto no es de la cuenta de Twilio configurada")
        return url

    async def _telegram_url(self, municipality: str, file_id: str) -> Tuple[str, Optional[int]]:
        if municipality not in self._telegram.settings.tokens:
            raise MediaUnavailable(f"no hay bot de Telegram configurado para {municipality}")
        try:
            found = await self._telegram.bot(municipality).get_file(file_id)
        except Exception as exc:  # python-telegram-bot: BadRequest for an unknown file, NetworkError, TimedOut
            raise MediaUnavailable(f"Telegram no entregó el archivo: {type(exc).__name__}") from None
        if not found.file_path:
            raise MediaUnavailable("Telegram no dio la dirección del archivo")
        return str(found.file_path), found.file_size

    async def _download(self, url: str, auth: Optional[aiohttp.BasicAuth], declared: str, limit: int) -> Media:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.get(url, auth=auth, allow_redirects=True, max_redirects=MAX_REDIRECTS) as answer:
                    if answer.status != 200:
                        raise MediaUnavailable(f"el canal respondió {answer.status}")
                    if (answer.content_length or 0) > limit:
                        raise MediaTooLarge(f"el archivo pesa {answer.content_length} bytes (límite {limit})")
                    content = bytearray()
                    async for chunk in answer.content.iter_chunked(CHUNK_BYTES):
                        content.extend(chunk)
                        if len(content) > limit:
                            raise MediaTooLarge(f"el archivo pesa más de {limit} bytes")
                    content_type = answer.content_type if answer.content_type != "application/octet-stream" else ""
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:  # the URL holds the bot's token: never logged
            raise MediaUnavailable(f"no se pudo traer el archivo ({type(exc).__name__})") from None
        return Media(bytes(content), (content_type or declared or "application/octet-stream").lower())

    async def close(self) -> None:
        """Close the Telegram bots' connections."""
        await self._telegram.close()
