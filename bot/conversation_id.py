"""The conversation id: which channel, whose line, which citizen. Built and parsed only here.

Every conversation Rasa keeps is named ``<channel>:<scope>:<address>``:

| channel | scope | address | example |
|---|---|---|---|
| ``whatsapp`` | the municipality's number | the citizen's number | ``whatsapp:+56225550100:+56987654321`` |
| ``telegram`` | the municipality's slug | the chat id | ``telegram:penalolen:123456789`` |
| ``rest`` | the integration's name | the id the integration gives | ``rest:local:vecino-1`` |

Only our own channels build these ids, from what the provider authenticated (the
signed ``From``/``To`` of Twilio, the bot a Telegram secret belongs to, the token of a
REST integration). Nothing a request body says can make one channel's id equal to
another's, so whatever reads the channel of a conversation reads it from here and
never from a message's ``input_channel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional
from urllib.parse import quote

WHATSAPP, TELEGRAM, REST = "whatsapp", "telegram", "rest"
CHANNELS = (WHATSAPP, TELEGRAM, REST)
UNKNOWN_CHANNEL = "desconocido"
MAX_LENGTH = 200


def _bare_number(number: object) -> str:
    """A WhatsApp number without Twilio's ``whatsapp:`` prefix."""
    return str(number).strip().removeprefix("whatsapp:").strip()


@dataclass(frozen=True)
class ConversationId:
    """A parsed conversation id."""

    channel: str
    scope: str
    address: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.scope}:{self.address}"

    @classmethod
    def parse(cls, text: str) -> "ConversationId":
        """The parts of a conversation id; ``ValueError`` if it is not one of ours."""
        parts = (text or "").split(":")
        if len(text or "") > MAX_LENGTH or len(parts) != 3 or parts[0] not in CHANNELS or not all(parts):
            raise ValueError(f"no es un id de conversación: {(text or '')[:MAX_LENGTH]!r}")
        return cls(*parts)

    @classmethod
    def parse_or_none(cls, text: str) -> Optional["ConversationId"]:
        """``parse``, or ``None`` for anything that is not one of our ids."""
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @classmethod
    def of_channel(cls, conversation: "ConversationId | str", channel: str) -> "ConversationId":
        """``conversation`` as a parsed id of ``channel``; ``ValueError`` for any other id or text."""
        parsed = conversation if isinstance(conversation, ConversationId) else cls.parse(conversation)
        if parsed.channel != channel:
            raise ValueError(f"no es una conversación de {channel}: {str(parsed)!r}")
        return parsed

    @classmethod
    def whatsapp(cls, municipality_number: str, citizen_number: str) -> "ConversationId":
        """A citizen writing to one municipality's WhatsApp number (Twilio's ``whatsapp:`` prefixes dropped)."""
        return cls(WHATSAPP, _bare_number(municipality_number), _bare_number(citizen_number))

    @classmethod
    def telegram(cls, municipality: str, chat_id: int | str) -> "ConversationId":
        """A Telegram chat with one municipality's bot."""
        return cls(TELEGRAM, municipality, str(chat_id))

    @classmethod
    def rest(cls, integration: str, user: str) -> "ConversationId":
        """A user of one REST integration."""
        return cls(REST, integration, user)

    @property
    def url_segment(self) -> str:
        """The id as one path segment of Rasa's HTTP API.

        ``:`` and ``+`` stay as they are: Rasa's Sanic routes do not percent-decode the id,
        so ``%2B569…`` would name another (empty) conversation.
        """
        return quote(str(self), safe=":+")

    def belongs_to(self, municipality: str, whatsapp_numbers: Iterable[object] = ()) -> bool:
        """Whether this is a conversation with ``municipality`` on WhatsApp or Telegram."""
        if not municipality:
            return False
        if self.channel == WHATSAPP:
            return self.scope in {_bare_number(n) for n in whatsapp_numbers or ()}
        return self.channel == TELEGRAM and self.scope == municipality


def prefixes_of(municipality: str, whatsapp_numbers: Iterable[object] = ()) -> List[str]:
    """The id prefixes of a municipality's WhatsApp and Telegram conversations (for ``LIKE`` queries)."""
    if not municipality:
        return []
    numbers = [_bare_number(n) for n in whatsapp_numbers or ()]
    return [f"{WHATSAPP}:{n}:" for n in numbers if n] + [f"{TELEGRAM}:{municipality}:"]


def channel_of(sender_id: str) -> str:
    """The channel of a conversation (``whatsapp``, ``telegram``, ``rest``) or ``desconocido``."""
    parsed = ConversationId.parse_or_none(sender_id)
    return parsed.channel if parsed else UNKNOWN_CHANNEL
