"""Running one citizen turn through Rasa, and telling the citizen when it went wrong.

The turn's replies are collected (channels/replies.py) and delivered when it is over.
A turn fails when Rasa raises (the tracker store is down), takes longer than
``TURN_TIMEOUT_SECONDS`` (a slow action server), runs an action that failed (Rasa
swallows an unreachable action server: it logs the error and carries on, which
would end in a misleading "no entendí"), or ends without a reply where one was due.
The citizen then gets only ``APOLOGY``. If the channel's API cannot take the replies
(or the apology), ``UndeliveredReplies`` propagates and the inbox keeps them for later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import UserUttered

from bot.answers.channel import APOLOGY
from bot.config import settings
from bot.rasa_internals.action_failures import watch_failed_actions
from bot.rasa_internals.server import agent_of
from bot.turn_state import begin_turn, end_turn, mark_failed
from channels.inbox import GiveUp, Message, NotReady

logger = logging.getLogger(__name__)

SILENCE_SLOT = "con_funcionario"  # while staff attend the conversation the assistant says nothing

# Rasa logs (and otherwise ignores) an action that raised or an action server that failed.
watch_failed_actions(lambda: mark_failed("accion"))


def turn_timeout() -> float:
    """Seconds a turn may take before the citizen is told something went wrong."""
    return settings().turn_timeout_seconds


def ready_agent(app: Any) -> Any:
    """Rasa's agent of this server, or ``NotReady`` while there is none (model still loading)."""
    agent = agent_of(app)
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


async def run_turn(
    agent: Any,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    output: Any,
    timeout: Optional[float] = None,
) -> None:
    """Run the turn with a collecting ``output``, then deliver its replies, or ``APOLOGY`` if it failed.

    A turn that ran past the time limit raises ``GiveUp`` once the apology is delivered: the
    message is not tried again (channels/inbox.py).
    """
    limit = timeout or turn_timeout()
    timed_out = False
    notes = len(output.replies)  # what the channel said before the turn (a long message cut, «Entendí: …»)
    state, token = begin_turn()
    try:
        await asyncio.wait_for(on_new_message(message), limit)
        failure = state.failure
        answered = len(output.replies) > notes
        if not failure and not answered and not await _silence_expected(agent, message.sender_id):
            failure = "sin respuesta"
    except asyncio.TimeoutError:
        failure, timed_out = f"más de {limit:.0f} s", True
    except Exception:
        logger.exception("falló el turno de %s", message.sender_id)
        failure = "error"
    finally:
        end_turn(token)
    if failure:
        logger.error("turno fallido de %s (%s): se envía una disculpa", message.sender_id, failure)
    await output.deliver(message.sender_id, [{"text": APOLOGY}] if failure else output.replies)
    if timed_out:
        raise GiveUp(f"el turno duró más de {limit:.0f} s")


Prepare = Callable[[Message, Any], Awaitable[Optional[UserMessage]]]


async def handle_stored(
    message: Message, output: Any, app: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]], prepare: Prepare
) -> None:
    """One message from a channel's inbox, with a collecting ``output``.

    Replies an earlier attempt could not deliver are delivered as they are; a message whose turn a
    stopped worker already finished is skipped; otherwise ``prepare`` turns the message into the
    assistant's ``UserMessage``, or answers it itself (a voice note, a stale button) and returns
    ``None``. When preparing fails the citizen gets ``APOLOGY``.
    """
    if message.pending_replies:
        await output.deliver(message.sender_id, message.pending_replies)
        return
    agent = ready_agent(app)
    if message.retried and await already_handled(agent, message.sender_id, message.message_id):
        return
    try:
        user_message = await prepare(message, output)
    except Exception:
        logger.exception("error preparando el mensaje %s de %s", message.message_id, message.sender_id)
        await output.deliver(message.sender_id, [{"text": APOLOGY}])
        return
    if user_message is None:
        await output.deliver(message.sender_id, output.replies)
    else:
        await run_turn(agent, on_new_message, user_message, output)
