"""WhatsApp through Twilio: webhook ``/webhooks/whatsapp/webhook``.

Every request must carry a valid ``X-Twilio-Signature`` (403 otherwise). The
message is stored in the inbox (channels/inbox.py) and Twilio gets its answer at
once; the message is then processed in the background, in order per conversation
and each ``MessageSid`` only once, even with several replicas. The ``To`` number
chooses the municipality. Replies go out through Twilio's Messages API (channels/whatsapp_api.py)
with buttons as a numbered list and long texts split.

credentials.yml::

    channels.whatsapp.WhatsAppInput:
      account_sid: ${TWILIO_ACCOUNT_SID}
      auth_token: ${TWILIO_AUTH_TOKEN}
      public_url: ${WHATSAPP_PUBLIC_URL}     # the webhook URL as Twilio calls it
      api_base_url: ${TWILIO_API_BASE_URL}   # empty: Twilio's own
"""

from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.answers.channel import CUT_NOTE
from bot.conversation_id import ConversationId
from bot.message_metadata import (
    ATTACHMENTS_KEY,
    FULL_TEXT_KEY,
    LOCATION_KEY,
    MAX_ATTACHMENTS,
    MEDIA_ONLY_TEXT,
    PROFILE_NAME_KEY,
    attachment,
    location,
    media_kind,
    profile_name,
)
from bot.runtime import current_catalogue
from channels import voice
from channels.common import (
    inbound_with_buttons,
    numbered_list,
    payload_for_reply,
    remember_buttons,
    split_message,
)
from channels.inbox import Inbox, InboxUnavailable, Message
from channels.limits import WHATSAPP_MAX_BODY_BYTES, WHATSAPP_MAX_CHARS, body_too_large, cap_text
from channels.media import VOICE_FETCH_TIMEOUTS, MediaFetcher
from channels.replies import Reply, ReplyOutput
from channels.telegram_api import TelegramSettings
from channels.timeouts import channel_timeout
from channels.turns import handle_stored
from channels.typed import button_for_text, typed_text
from channels.whatsapp_api import WHATSAPP_LIMIT, TwilioSettings, WhatsAppSender

logger = logging.getLogger(__name__)

_SID = re.compile(r"[A-Za-z0-9]{2,64}")  # Twilio's MessageSid: "SM" + 32 hex characters
_ADDRESS = re.compile(r"whatsapp:\+?\d{4,20}")  # "whatsapp:+56912345678"


class WhatsAppOutput(ReplyOutput):
    """Replies to a WhatsApp conversation: buttons as a numbered list, long texts split."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    def __init__(self, sender: WhatsAppSender, collect: bool = False) -> None:
        super().__init__(collect)
        self._sender = sender

    async def deliver_one(self, recipient_id: Text, reply: Reply) -> None:
        """Send one reply; the buttons' payloads are kept to map the citizen's answer."""
        text = reply["text"]
        if reply.get("buttons"):
            await remember_buttons(recipient_id, reply["buttons"])
            text = numbered_list(text, reply["buttons"])
        for part in split_message(text, WHATSAPP_LIMIT):
            await self._sender.send_text(recipient_id, part)


class WhatsAppInput(InputChannel):
    """Receives Twilio's WhatsApp webhooks."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WhatsAppInput":
        credentials = credentials or {}
        settings = TwilioSettings(
            str(credentials.get("account_sid") or ""),
            str(credentials.get("auth_token") or ""),
            str(credentials.get("api_base_url") or ""),
        )
        return cls(settings, str(credentials.get("public_url") or ""))

    def __init__(self, settings: TwilioSettings, public_url: str = "") -> None:
        self._settings = settings
        self._public_url = public_url
        self._sender = WhatsAppSender(settings)
        # Voice notes are fetched like staff's attachments (channels/media.py), with the voice limits.
        self._media = MediaFetcher(settings, TelegramSettings({}), timeout=channel_timeout() * VOICE_FETCH_TIMEOUTS)
        self._validator = RequestValidator(settings.auth_token) if settings.auth_token else None
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self.inbox = Inbox(self.name(), self._handle)

    def get_output_channel(self) -> OutputChannel:
        return WhatsAppOutput(self._sender)

    def _url(self, request: Request) -> str:
        """The URL Twilio signed: the configured public one, else rebuilt from proxy headers."""
        if self._public_url:
            query = f"?{request.query_string}" if request.query_string else ""
            return self._public_url + query if "?" not in self._public_url else self._public_url
        proto = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
        host = request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{proto}://{host}{request.path}{query}"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook", __name__)
        self._on_new_message = on_new_message

        self.inbox.bind(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self._settings.configured else "sin configurar"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self._validator is None:
                logger.error("WhatsApp: llegó un webhook pero Twilio no está configurado")
                return response.json({"error": "WhatsApp no está configurado"}, status=503)
            too_large = body_too_large(request, WHATSAPP_MAX_BODY_BYTES)
            if too_large is not None:
                logger.warning("WhatsApp: cuerpo de más de %d bytes rechazado", WHATSAPP_MAX_BODY_BYTES)
                return too_large
            # Parsed here, keeping blank values: Twilio signs "Body=" of a media message too.
            try:
                parsed = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                return response.json({"error": "cuerpo inválido"}, status=400)
            form = {key: values[0] for key, values in parsed.items()}
            signature = request.headers.get("X-Twilio-Signature", "")
            if not signature or not self._validator.validate(self._url(request), form, signature):
                logger.warning("WhatsApp: firma inválida desde %s", request.ip)
                return response.json({"error": "firma inválida"}, status=403)
            sid, origin, to = form.get("MessageSid", ""), form.get("From", ""), form.get("To", "")
            if not _SID.fullmatch(sid) or not _ADDRESS.fullmatch(origin) or not _ADDRESS.fullmatch(to):
                logger.warning("WhatsApp: mensaje sin MessageSid, From o To válidos: %s", sorted(form)[:20])
                return response.json({"error": "faltan MessageSid, From o To, o no son válidos"}, status=400)
            sender_id = str(ConversationId.whatsapp(to, origin))  # Twilio writes "whatsapp:+569…"
            try:
                await self.inbox.accept(sid, sender_id, form)
            except InboxUnavailable as exc:
                # Our database is down: handle it now, without the inbox, rather than lose it.
                logger.error("WhatsApp: no se pudo guardar %s (%s); se procesa sin bandeja", sid, exc)
                self.inbox.handle_unstored(sid, sender_id, form)
            return response.text("<Response/>", content_type="text/xml")

        return webhook

    def _on_message(self) -> Callable[[UserMessage], Awaitable[Any]]:
        """Rasa's handler of a new message (set when Rasa registers the webhook, before any message)."""
        assert self._on_new_message is not None, "el canal aún no está registrado en Rasa"
        return self._on_new_message

    async def _handle(self, message: Message) -> None:
        """One stored message (see channels/turns.py)."""
        await handle_stored(
            message, WhatsAppOutput(self._sender, collect=True), self.inbox.app, self._on_message(), self._user_message
        )

    async def _user_message(self, message: Message, output: "WhatsAppOutput") -> Optional[UserMessage]:
        """The message for the assistant (media without words too, as ``MEDIA_ONLY_TEXT``), or ``None`` when empty."""
        form, sender_id = message.payload, message.sender_id
        text, cut = cap_text((form.get("Body") or "").strip(), WHATSAPP_MAX_CHARS)
        # The citizen wrote (the 24-hour window), and the options last offered, which typed words answer.
        buttons = await inbound_with_buttons(sender_id, forget=bool(text))
        metadata = await self._metadata(form)
        if cut:
            metadata[FULL_TEXT_KEY] = (form.get("Body") or "").strip()
            await output.send_text_message(sender_id, CUT_NOTE)
        if LOCATION_KEY in metadata and not text:
            text = "ubicacion"
        attachments = metadata.get(ATTACHMENTS_KEY) or []
        audio = next((a for a in attachments if a.get("kind") == "audio"), None)
        if audio is not None and not text and voice.enabled():
            # A voice note: what the citizen said, transcribed here, is the message (the audio stays attached).
            heard, note = await voice.hear(
                lambda limit: self._media.fetch_bytes(sender_id, audio, limit),
                metadata.get("municipio"),
                metadata,
                WHATSAPP_MAX_CHARS,
            )
            await output.send_text_message(sender_id, note)
            if heard is None:
                return None
            text = heard
            await remember_buttons(sender_id, [])  # answered by voice: forgotten, as a typed answer's are
        elif attachments and not text:
            # Media without words: to the assistant all the same, so the transcript keeps it (staff see it),
            # a form can take the photo and the assistant says what it can do with it.
            return UserMessage(
                MEDIA_ONLY_TEXT,
                output,
                sender_id,
                input_channel=self.name(),
                message_id=message.message_id,
                metadata=metadata,
            )
        if not text:
            return None
        payload = payload_for_reply(text, buttons) or await button_for_text(text, buttons)
        return UserMessage(
            payload or typed_text(text),
            output,
            sender_id,
            input_channel=self.name(),
            message_id=message.message_id,
            metadata=metadata,
        )

    async def _metadata(self, form: Dict[str, str]) -> Dict[str, Any]:
        metadata: Dict[str, Any] = {}
        try:
            town = (await current_catalogue()).municipality_for_whatsapp(form.get("To", ""))
        except LookupError:
            town = None
        if town is not None:
            metadata["municipio"] = town.slug
        name = profile_name(form.get("ProfileName"))
        if name:
            metadata[PROFILE_NAME_KEY] = name
        if form.get("Latitude") and form.get("Longitude"):
            place = location(form["Latitude"], form["Longitude"], form.get("Address"), form.get("Label"))
            if place is None:
                logger.warning("WhatsApp: ubicación inválida (se ignora)")  # the coordinates are personal data
            else:
                metadata[LOCATION_KEY] = place
        media = twilio_media(form)
        if media:
            metadata[ATTACHMENTS_KEY] = media
        return metadata


def twilio_media(form: Dict[str, str]) -> List[Dict[str, Any]]:
    """The attachments of a Twilio webhook: ``NumMedia`` pairs of ``MediaUrl<n>`` and ``MediaContentType<n>``."""
    count = str(form.get("NumMedia") or "0")
    if not (count.isascii() and count.isdigit() and len(count) <= 3):  # "1" * 5000 is more than int() takes
        return []
    found = []
    for n in range(min(int(count), MAX_ATTACHMENTS)):
        url = str(form.get(f"MediaUrl{n}") or "")
        content_type = str(form.get(f"MediaContentType{n}") or "")
        if url.startswith(("https://", "http://")) and len(url) <= 500:
            found.append(attachment(media_kind(content_type), "twilio", url, content_type))
    return found
