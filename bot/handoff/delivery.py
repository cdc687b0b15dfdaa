"""Reaching a citizen outside a Rasa turn: staff replies and hand-backs.

Messages go out through the channel of the conversation, with the channels'
own sending code; the conversation's ``con_funcionario`` slot is changed through
Rasa's HTTP API (RASA_URL, RASA_API_TOKEN), with a timeout.
"""
from __future__ import annotations

import os
from typing import Optional
from urllib.parse import quote

import aiohttp

from channels.telegram_api import TelegramSender, TelegramSettings
from channels.whatsapp_api import TwilioSettings, WhatsAppSender

RASA_TIMEOUT_SECONDS = 10


class NotDeliverable(RuntimeError):
    """The conversation's channel cannot receive messages outside a turn (e.g. REST)."""


class Delivery:
    """Sends text to a conversation through its own channel."""

    def __init__(self, whatsapp: Optional[WhatsAppSender] = None, telegram: Optional[TelegramSender] = None) -> None:
        self.whatsapp = whatsapp
        self.telegram = telegram

    @classmethod
    def from_env(cls) -> "Delivery":
        """Senders for the channels configured in the environment."""
        twilio, telegram = TwilioSettings.from_env(), TelegramSettings.from_env()
        return cls(WhatsAppSender(twilio) if twilio.configured else None,
                   TelegramSender(telegram) if telegram.configured else None)

    async def send(self, sender_id: str, text: str) -> None:
        """Send ``text``; raises ``NotDeliverable`` when the channel cannot be reached."""
        if sender_id.startswith("whatsapp:") and self.whatsapp is not None:
            await self.whatsapp.send_text(sender_id, text)
        elif sender_id.startswith("telegram:") and self.telegram is not None:
            await self.telegram.send_text(sender_id, text)
        else:
            raise NotDeliverable("este canal no permite enviar mensajes fuera de una conversación")

    async def close(self) -> None:
        """Close HTTP sessions."""
        if self.whatsapp is not None:
            await self.whatsapp.close()


async def set_with_staff(sender_id: str, value: bool, rasa_url: Optional[str] = None,
                         token: Optional[str] = None) -> None:
    """Set the conversation's ``con_funcionario`` slot in Rasa (assistant silent while true)."""
    base = (rasa_url or os.environ.get("RASA_URL") or
            f"http://{os.environ.get('RASA_HOST', '127.0.0.1')}:{os.environ.get('RASA_PORT', '5005')}")
    token = token if token is not None else os.environ.get("RASA_API_TOKEN", "")
    # ":" and "+" stay as they are: Rasa's Sanic routes do not percent-decode the id ("%2B" is not "+").
    url = f"{base.rstrip('/')}/conversations/{quote(sender_id, safe=':+')}/tracker/events"
    params = {"token": token} if token else None
    events = [{"event": "slot", "name": "con_funcionario", "value": value}]
    timeout = aiohttp.ClientTimeout(total=RASA_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.post(url, json=events, params=params) as response:
            if response.status >= 400:
                raise RuntimeError(f"Rasa respondió {response.status} al cambiar con_funcionario")
