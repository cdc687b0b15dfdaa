"""Telegram with python-telegram-bot: webhook ``/webhooks/telegram/webhook``.

The ``X-Telegram-Bot-Api-Secret-Token`` header must match one bot's secret (403
otherwise) and tells which municipality's bot received the update. Updates are
stored in the inbox (channels/inbox.py), answered at once and processed in the
background, in order per chat and once per ``update_id``, even with several
replicas; if the database cannot store an update the webhook answers 503 and
Telegram delivers it again later. Buttons are inline keyboards; pressing one answers the callback and
continues the conversation; a button of an older message gets "esa opción ya no está
disponible" and the pending question again, and never reaches the assistant
(channels/menus.py says what is current). Photos, voice notes, documents and stickers get a
clear reply; a shared location is passed to the conversation; an edited message
is taken as the citizen's new message. While a turn runs the chat shows "escribiendo…"
(``sendChatAction``), and a question about a place comes with a "📍 Compartir ubicación" button.
No other Bot API call is made that the update does not need.

credentials.yml::

    channels.telegram.TelegramInput:
      bot_tokens: ${TELEGRAM_BOT_TOKENS}
      webhook_secret: ${TELEGRAM_WEBHOOK_SECRET}
      api_base_url: ${TELEGRAM_API_BASE_URL}
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Update

from bot.answers.channel import CUT_NOTE, MEDIA_REPLIES, STALE_BUTTON
from bot.answers.reply import ASKS_LOCATION_KEY
from bot.conversation_id import ConversationId
from bot.message_metadata import (
    ATTACHMENTS_KEY,
    FULL_TEXT_KEY,
    LOCATION_KEY,
    MEDIA_ONLY_TEXT,
    PROFILE_NAME_KEY,
    attachment,
    location,
    media_kind,
    profile_name,
)
from channels import voice
from channels.common import payload_for_reply, record_inbound, split_message
from channels.inbox import Inbox, InboxUnavailable, Message
from channels.limits import TELEGRAM_MAX_BODY_BYTES, TELEGRAM_MAX_CHARS, body_too_large, cap_text
from channels.media import VOICE_FETCH_TIMEOUTS, MediaFetcher
from channels.menus import (
    MENU_KEY,
    Question,
    forget_menu,
    is_question,
    note,
    open_menu,
    pending_question,
    record_question,
)
from channels.replies import Reply, ReplyOutput
from channels.telegram_api import TELEGRAM_LIMIT, TelegramSender, TelegramSettings
from channels.timeouts import channel_timeout
from channels.turns import handle_stored
from channels.typed import button_for_text, typed_text
from channels.whatsapp_api import TwilioSettings

logger = logging.getLogger(__name__)

MEDIA_FIELDS = (
    ("voice", "audio"),
    ("audio", "audio"),
    ("photo", "image"),
    ("video", "video"),
    ("video_note", "video"),
    ("animation", "video"),
    ("document", "document"),
    ("sticker", "sticker"),
    ("contact", "contact"),
)


class TelegramOutput(ReplyOutput):
    """Replies to a Telegram chat: buttons as an inline keyboard, long texts split."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, sender: TelegramSender, collect: bool = False) -> None:
        super().__init__(collect)
        self._sender = sender

    async def deliver_one(self, recipient_id: Text, reply: Reply) -> None:
        """Send one reply; the keyboard goes with its last part. A reply with buttons is a new menu
        (unless it re-sends the current one); one without is the pending question unless it is a note."""
        buttons = reply.get("buttons") or []
        menu = reply.get(MENU_KEY)
        if buttons and menu is None:
            menu = await open_menu(recipient_id, reply["text"], buttons)
        parts = split_message(reply["text"], TELEGRAM_LIMIT)
        for part in parts[:-1]:
            await self._sender.send_text(recipient_id, part)
        share = bool(reply.get(ASKS_LOCATION_KEY)) and not buttons  # "¿Dónde está…?": the location button
        await self._sender.send_text(recipient_id, parts[-1], buttons or None, menu, share_location=share)
        if not buttons and is_question(reply):
            await record_question(recipient_id, reply["text"])

    async def send_note(self, recipient_id: Text, text: Text) -> None:
        """A message of the channel itself (not the assistant's question)."""
        await self._add(recipient_id, note(text))

    async def send_stale_button(self, recipient_id: Text, question: Optional[Question]) -> None:
        """ "Esa opción ya no está disponible", then the pending question again (if there is one)."""
        await self.send_note(recipient_id, STALE_BUTTON)
        if question is not None:
            await self._add(recipient_id, question.again())


class TelegramInput(InputChannel):
    """Receives the webhooks of every municipality's Telegram bot."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramInput":
        credentials = credentials or {}
        return cls(
            TelegramSettings.from_values(
                str(credentials.get("bot_tokens") or ""),
                str(credentials.get("webhook_secret") or ""),
                str(credentials.get("api_base_url") or ""),
            )
        )

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self._sender = TelegramSender(settings)
        # Voice notes are fetched like staff's attachments (channels/media.py), with this channel's bots.
        self._media = MediaFetcher(
            TwilioSettings("", ""), self._sender, timeout=channel_timeout() * VOICE_FETCH_TIMEOUTS
        )
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self.inbox = Inbox(self.name(), self._handle)

    def get_output_channel(self) -> OutputChannel:
        return TelegramOutput(self._sender)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("telegram_webhook", __name__)
        self._on_new_message = on_new_message

        self.inbox.bind(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.configured else "sin configurar"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings.configured:
                logger.error("Telegram: llegó un webhook pero no hay bots configurados")
                return response.json({"error": "Telegram no está configurado"}, status=503)
            municipality = self.settings.municipality_for_secret(
                request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            )
            if municipality is None:
                logger.warning("Telegram: secreto inválido desde %s", request.ip)
                return response.json({"error": "secreto inválido"}, status=403)
            too_large = body_too_large(request, TELEGRAM_MAX_BODY_BYTES)
            if too_large is not None:
                logger.warning("Telegram: cuerpo de más de %d bytes rechazado", TELEGRAM_MAX_BODY_BYTES)
                return too_large
            try:
                data, update = parse_update(request.body or b"", self._sender.bot(municipality))
            except InvalidUpdate as exc:
                logger.warning("Telegram: actualización inválida: %s", exc)
                return response.json({"error": f"actualización inválida: {exc}"}, status=400)
            if update is None or update.effective_chat is None:
                return response.json({"status": "ignorado"})  # e.g. my_chat_member: nothing to answer
            sender_id = str(ConversationId.telegram(municipality, update.effective_chat.id))
            try:
                await self.inbox.accept(
                    f"{municipality}:{update.update_id}", sender_id, {"municipio": municipality, "update": data}
                )
            except InboxUnavailable as exc:
                logger.error("Telegram: no se pudo guardar el update %s (%s)", update.update_id, exc)
                return response.json({"error": "intente más tarde"}, status=503)  # Telegram retries
            return response.json({"status": "ok"})

        return webhook

    def _on_message(self) -> Callable[[UserMessage], Awaitable[Any]]:
        """Rasa's handler of a new message (set when Rasa registers the webhook, before any message)."""
        assert self._on_new_message is not None, "el canal aún no está registrado en Rasa"
        return self._on_new_message

    async def _handle(self, message: Message) -> None:
        """One stored update (see channels/turns.py)."""
        await handle_stored(
            message, TelegramOutput(self._sender, collect=True), self.inbox.app, self._on_message(), self._user_message
        )

    async def _user_message(self, message: Message, output: "TelegramOutput") -> Optional[UserMessage]:
        """The message for the assistant, or ``None`` when answered here (media, a stale button)."""
        municipality = message.payload["municipio"]
        update = Update.de_json(message.payload["update"], self._sender.bot(municipality))
        await record_inbound(message.sender_id)
        text, metadata = await self._incoming(update, municipality, message.sender_id, output)
        if text is None:
            return None
        await forget_menu(message.sender_id)
        await self._sender.send_typing(message.sender_id)  # a turn starts: "escribiendo…" meanwhile
        return UserMessage(
            text, output, message.sender_id, input_channel=self.name(), message_id=message.message_id, metadata=metadata
        )

    async def _incoming(
        self, update: Update, municipality: str, sender_id: str, output: TelegramOutput
    ) -> tuple[Optional[str], Dict[str, Any]]:
        """The text to pass to the assistant (``None``: already answered here) and its metadata."""
        metadata: Dict[str, Any] = {"municipio": municipality}
        name = profile_name(update.effective_user.first_name if update.effective_user else None)
        if name:
            metadata[PROFILE_NAME_KEY] = name
        callback = update.callback_query
        if callback is not None:
            await self._sender.answer_callback(municipality, callback.id)
            question = await pending_question(sender_id)
            payload = question.payload(callback.data or "") if question else None
            if payload is None:
                await output.send_stale_button(sender_id, question)
            return payload, metadata
        message = update.message or update.edited_message
        if message is None:
            return None, metadata
        place = shared_location(message)
        if place is not None:
            metadata[LOCATION_KEY] = place
            return "ubicacion", metadata
        media = telegram_media(message)
        if media:
            metadata[ATTACHMENTS_KEY] = media
        text = (message.text or message.caption or "").strip()
        if text:
            capped, cut = cap_text(text, TELEGRAM_MAX_CHARS)
            if cut:
                metadata[FULL_TEXT_KEY] = text
                await output.send_note(sender_id, CUT_NOTE)
            question = await pending_question(sender_id)
            # An option typed as on WhatsApp ("los de aseo y ornato", "2") or by its procedure's words ("el del auto").
            chosen = (
                payload_for_reply(capped, question.buttons) or await button_for_text(capped, question.buttons)
                if question and question.menu
                else None
            )
            return chosen or typed_text(capped), metadata
        note = next((item for item in media if item.get("kind") == "audio"), None)
        if note is not None and voice.enabled():
            heard, said = await voice.hear(
                lambda limit: self._media.fetch_bytes(sender_id, note, limit),
                municipality,
                metadata,
                TELEGRAM_MAX_CHARS,
            )
            await output.send_note(sender_id, said)
            return (typed_text(heard) if heard is not None else None), metadata
        if media:  # to the assistant all the same: the transcript keeps it and a form can take the photo
            return MEDIA_ONLY_TEXT, metadata
        kind = next((kind for name, kind in MEDIA_FIELDS if getattr(message, name, None)), "other")
        await output.send_note(sender_id, MEDIA_REPLIES[kind])
        return None, metadata


def shared_location(message: Any) -> Optional[Dict[str, Any]]:
    """A shared location (a venue's title and address too), in the shape of ``bot.message_metadata.location``."""
    venue = message.venue
    point = venue.location if venue is not None else message.location
    if point is None:
        return None
    return location(point.latitude, point.longitude, venue.address if venue else None, venue.title if venue else None)


def telegram_media(message: Any) -> List[Dict[str, Any]]:
    """The file a message carries (the largest size of a photo), as an attachment fetched by its ``file_id``."""
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.width or 0) * (size.height or 0))
        return [attachment("image", "telegram", largest.file_id, "image/jpeg", largest.file_size)]
    for name, kind in (("voice", "audio"), ("audio", "audio"), ("video", "video"), ("video_note", "video")):
        item = getattr(message, name, None)
        if item is not None:
            default = "audio/ogg" if name == "voice" else ("audio/mpeg" if kind == "audio" else "video/mp4")
            content_type = getattr(item, "mime_type", None) or default
            return [
                attachment(
                    kind, "telegram", item.file_id, content_type, item.file_size, getattr(item, "file_name", None)
                )
            ]
    document = message.document
    if document is not None:
        content_type = document.mime_type or "application/octet-stream"
        kind = media_kind(content_type)
        return [attachment(kind, "telegram", document.file_id, content_type, document.file_size, document.file_name)]
    return []


_MAX_ID = 2**53  # Telegram's ids fit in 52 bits (and in our message id column)


class InvalidUpdate(ValueError):
    """A webhook body that is not a Telegram update we can handle; the message says why (in Spanish)."""


def parse_update(body: bytes, bot: Any) -> tuple[Dict[str, Any], Update]:
    """The update's JSON and its ``Update``; ``InvalidUpdate`` for anything malformed.

    Whatever the body holds (invalid UTF-8, NaN, 30,000 nested arrays, a date in the year 10^12,
    a chat id that is not a number, a text that is not a string) the sender gets a 400, never a 500.
    """
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise InvalidUpdate("JSON demasiado anidado") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidUpdate("no es JSON válido") from exc
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise InvalidUpdate("falta update_id")
    if not 0 <= data["update_id"] < _MAX_ID:
        raise InvalidUpdate("update_id fuera de rango")
    try:
        update = Update.de_json(data, bot)
    except RecursionError:
        raise InvalidUpdate("JSON demasiado anidado") from None
    except Exception as exc:  # python-telegram-bot raises whatever a malformed field leads to
        raise InvalidUpdate("campos con formato inesperado") from exc
    chat = update.effective_chat if update is not None else None
    if chat is not None and (type(chat.id) is not int or not -_MAX_ID < chat.id < _MAX_ID):
        raise InvalidUpdate("chat.id no es un número válido")
    message = (update.message or update.edited_message) if update is not None else None
    if message is not None:
        for name in ("text", "caption"):
            if getattr(message, name, None) is not None and not isinstance(getattr(message, name), str):
                raise InvalidUpdate(f"{name} no es texto")
        location = message.location
        if location is not None and not all(type(v) in (int, float) for v in (location.latitude, location.longitude)):
            raise InvalidUpdate("la ubicación no tiene coordenadas numéricas")
    callback = update.callback_query if update is not None else None
    if callback is not None and callback.data is not None and not isinstance(callback.data, str):
        raise InvalidUpdate("callback_query.data no es texto")
    return data, update


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} no es JSON válido")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e400 is read as infinity, which JSON columns refuse
        raise ValueError("número fuera de rango")
    return value
