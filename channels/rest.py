"""The REST channel: for development (``make shell``) and for a municipality's own integrations.

``POST /webhooks/rest/webhook`` with ``Authorization: Bearer <token>`` and
``{"sender": "vecino-1", "message": "hola"}``; the answer is the list of the
assistant's messages (``text``, ``buttons``), as Rasa's own REST channel gives.

Unlike Rasa's, this channel decides who the citizen is from the token, never from
the body: each token belongs to one integration, its conversations are
``rest:<integration>:<sender>`` (bot/conversation_id.py), so they can never be a
WhatsApp or Telegram conversation, and ``input_channel`` and ``metadata`` in the
body are ignored. An integration may be bound to one municipality
(``nombre@municipio=token``); otherwise the assistant asks the commune.

credentials.yml::

    channels.rest.RestInput:
      tokens: ${REST_CHANNEL_TOKENS}   # "sitio-web@penalolen=<token>,local=<token>"; empty: channel off

With no tokens the channel answers 503. ``make run`` creates a ``local`` token for the
developer's own use (bot/local_secrets.py) unless REST_CHANNEL_TOKENS is set.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.answers.channel import CUT_NOTE
from bot.answers.reply import ASKS_LOCATION_KEY
from bot.conversation_id import ConversationId
from bot.message_metadata import FULL_TEXT_KEY
from channels.common import last_buttons, remember_buttons
from channels.inbox import GiveUp, NotReady
from channels.limits import REST_MAX_BODY_BYTES, REST_MAX_CHARS, body_too_large, cap_text
from channels.replies import Reply, ReplyOutput
from channels.turns import ready_agent, run_turn
from channels.typed import button_for_text

logger = logging.getLogger(__name__)

_SENDER = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
OFF = "off"  # REST_CHANNEL_TOKENS=off: the channel is off and make run creates no local token


@dataclass(frozen=True)
class Integration:
    """A REST integration: its name (the conversations' scope) and, optionally, its municipality."""

    name: str
    municipality: Optional[str] = None


def parse_tokens(text: str) -> Dict[str, Integration]:
    """``"sitio-web@penalolen=tok1,local=tok2"`` -> {token: Integration}; ``ValueError`` if malformed."""
    tokens: Dict[str, Integration] = {}
    if (text or "").strip().lower() == OFF:
        return tokens
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        label, _, token = item.partition("=")
        name, _, municipality = label.strip().partition("@")
        if not _NAME.fullmatch(name) or len(token.strip()) < 16 or (municipality and not _NAME.fullmatch(municipality)):
            raise ValueError(
                "REST_CHANNEL_TOKENS: cada elemento es nombre=token o nombre@municipio=token "
                "(nombre en minúsculas, token de al menos 16 caracteres)"
            )
        tokens[token.strip()] = Integration(name, municipality or None)
    return tokens


class RestOutput(ReplyOutput):
    """Collects the turn's replies for the HTTP answer."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        super().__init__(collect=True)
        self.delivered: List[Dict[str, Any]] = []

    async def deliver_one(self, recipient_id: Text, reply: Reply) -> None:
        shown = {key: value for key, value in reply.items() if key != ASKS_LOCATION_KEY}  # a Telegram hint
        self.delivered.append({"recipient_id": recipient_id, **shown})


class RestInput(InputChannel):
    """Receives messages of authenticated integrations."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "RestInput":
        return cls(parse_tokens(str((credentials or {}).get("tokens") or "")))

    def __init__(self, tokens: Dict[str, Integration]) -> None:
        self._tokens = tokens

    def get_output_channel(self) -> OutputChannel:
        return RestOutput()

    def integration(self, request: Request) -> Optional[Integration]:
        """The integration whose token the request carries, if any."""
        scheme, _, presented = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return None
        presented_bytes = presented.strip().encode("utf-8", "replace")
        found = None
        for token, integration in self._tokens.items():  # compare with every token: no timing hint
            if hmac.compare_digest(token.encode(), presented_bytes):
                found = integration
        return found

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self._tokens else "sin configurar"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._tokens:
                return response.json({"error": "el canal REST no está habilitado"}, status=503)
            integration = self.integration(request)
            if integration is None:
                return response.json({"error": "falta un token válido (Authorization: Bearer …)"}, status=401)
            too_large = body_too_large(request, REST_MAX_BODY_BYTES)
            if too_large is not None:
                return too_large
            try:
                body = request.json
            except Exception:  # sanic raises InvalidUsage on bad JSON
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "el cuerpo debe ser un objeto JSON"}, status=400)
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not _SENDER.fullmatch(sender):
                return response.json({"error": "sender: de 1 a 64 letras, números o . _ @ + -"}, status=400)
            if not isinstance(text, str) or not text.strip():
                return response.json({"error": "message: un texto no vacío"}, status=400)
            try:
                agent = ready_agent(request.app)
            except NotReady:
                return response.json({"error": "el asistente aún no está listo"}, status=503)
            conversation = str(ConversationId(self.name(), integration.name, sender))
            metadata: Dict[str, Any] = {"municipio": integration.municipality} if integration.municipality else {}
            output = RestOutput()
            read, cut = cap_text(text.strip(), REST_MAX_CHARS)
            if cut:
                metadata[FULL_TEXT_KEY] = text.strip()
                output.delivered.append({"recipient_id": conversation, "text": CUT_NOTE})
            # An answer in words to the last buttons ("el del auto") is that button, as on WhatsApp.
            chosen = await button_for_text(read, await last_buttons(conversation))
            message = UserMessage(chosen or read, output, conversation, input_channel=self.name(), metadata=metadata)
            try:
                await run_turn(agent, on_new_message, message, output)
            except GiveUp:  # the turn ran past its time: the apology is already in the answer
                pass
            await remember_buttons(
                conversation, next((m["buttons"] for m in reversed(output.delivered) if m.get("buttons")), [])
            )
            return response.json(output.delivered)

        return webhook
