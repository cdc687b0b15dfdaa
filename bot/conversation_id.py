"""The conversation id: which channel, whose line, which citizen.

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

CHANNELS = ("whatsapp", "telegram", "rest")
UNKNOWN_CHANNEL = "desconocido"
MAX_LENGTH = 200


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
            raise ValueError(f"no es un id de conversación: {text[:MAX_LENGTH]!r}")
        return cls(*parts)


def channel_of(sender_id: str) -> str:
    """The channel of a conversation (``whatsapp``, ``telegram``, ``rest``) or ``desconocido``."""
    try:
        return ConversationId.parse(sender_id).channel
    except ValueError:
        return UNKNOWN_CHANNEL
