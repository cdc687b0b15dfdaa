"""Running one citizen turn through Rasa, and telling the citizen when it went wrong.

A turn fails when Rasa raises (the tracker store is down), takes longer than
``TURN_TIMEOUT_SECONDS`` (a slow action server), or ends without a reply where one
was due (Rasa swallows an unreachable action server and just logs it). The citizen
then gets ``APOLOGY`` instead of silence. If even the apology cannot be sent (the
channel's API is down), the error propagates so the inbox retries the message later.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import UserUttered

from channels.common import APOLOGY
from channels.inbox import NotReady

logger = logging.getLogger(__name__)

SILENCE_SLOT = "con_funcionario"  # while staff attend the conversation the assistant says nothing


def turn_timeout() -> float:
    """Seconds a turn may take before the citizen is told something went wrong."""
    try:
        return max(1.0, float(os.environ.get("TURN_TIMEOUT_SECONDS") or 30))
    except ValueError:
        return 30.0


def ready_agent(app: Any) -> Any:
    """Rasa's agent of this server, or ``NotReady`` while there is none (model still loading)."""
    agent = getattr(getattr(app, "ctx", None), "agent", None) if app is not None else None
    if agent is None or not agent.is_ready():
        raise NotReady("el asistente aún no está listo")
    return agent


async def already_handled(agent: Any, sender_id: str, message_id: str) -> bool:
    """Whether the conversation already holds this message (a stopped worker finished its turn)."""
    tracker = await agent.tracker_store.retrieve(sender_id)
    if tracker is None:
        return False
    return any(isinstance(event, UserUttered) and event.message_id == message_id for event in tracker.events)


async def _silence_expected(agent: Any, sender_id: str) -> bool:
    try:
        tracker = await agent.tracker_store.retrieve(sender_id)
    except Exception:
        logger.exception("no se pudo leer la conversación %s", sender_id)
        return False
    return bool(tracker is not None and tracker.get_slot(SILENCE_SLOT))


async def run_turn(agent: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage,
                   output: Any, timeout: Optional[float] = None) -> None:
    """Run the turn; send ``APOLOGY`` when it failed. ``output.sent`` counts the replies sent."""
    try:
        await asyncio.wait_for(on_new_message(message), timeout or turn_timeout())
        if output.sent or await _silence_expected(agent, message.sender_id):
            return
        logger.error("la conversación %s no recibió respuesta (¿servidor de acciones caído?)", message.sender_id)
    except asyncio.TimeoutError:
        logger.error("la conversación %s tardó más de %.0f s", message.sender_id, timeout or turn_timeout())
    except Exception:
        logger.exception("falló el turno de %s", message.sender_id)
    await output.send_text_message(message.sender_id, APOLOGY)
