"""Silencing the assistant while staff attend a conversation, and giving it back.

The conversation's ``con_funcionario`` slot is changed through Rasa's HTTP API
(RASA_URL, RASA_API_TOKEN), with a timeout. Messages to the citizen go out through the
conversation's channel adapter (channels/registry.py).
"""

from __future__ import annotations

from typing import Optional

import aiohttp

from bot.config import settings
from bot.conversation_id import ConversationId

RASA_TIMEOUT_SECONDS = 10


async def set_with_staff(
    sender_id: str, value: bool, rasa_url: Optional[str] = None, token: Optional[str] = None
) -> None:
    """Set the conversation's ``con_funcionario`` slot in Rasa (assistant silent while true)."""
    base = rasa_url or settings().rasa_base_url
    token = token if token is not None else settings().rasa_api_token
    url = f"{base.rstrip('/')}/conversations/{ConversationId.parse(sender_id).url_segment}/tracker/events"
    params = {"token": token} if token else None
    events = [{"event": "slot", "name": "con_funcionario", "value": value}]
    timeout = aiohttp.ClientTimeout(total=RASA_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.post(url, json=events, params=params) as response:
            if response.status >= 400:
                raise RuntimeError(f"Rasa respondió {response.status} al cambiar con_funcionario")
