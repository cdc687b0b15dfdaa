"""What the citizen gets when staff close a handoff: the closing message and the satisfaction question.

Both go out only where the channel lets us write now: never to a channel the console cannot reach, and on
a channel with a service window (WhatsApp) only within its hours after the citizen's last message. When
nothing is sent, the survey row keeps why (staff see it on the conversation page). The question needs the
assistant back on (it records the answer): when Rasa could not be told, only the closing message goes.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import List, Optional

from bot.answers.survey import CLOSING_TEXT, survey_question
from bot.app.web.console_context import ConsoleContext
from bot.config import settings
from bot.conversation_id import TELEGRAM, channel_of
from bot.handoff import queries, service, surveys
from bot.staff.accounts import Staffer
from bot.staff.audit import record_audit
from bot.storage.tables import HandoffRow, utcnow
from channels.adapter import NotDeliverable

log = logging.getLogger(__name__)

SENT, NOT_SENT, ONLY_CLOSING = "encuesta_enviada", "encuesta_no_enviada", "solo_cierre"


def _window_problem(ctx: ConsoleContext, handoff: HandoffRow) -> Optional[str]:
    """Why the conversation cannot be written to now (``None``: it can). Blocking."""
    if ctx.channels is None:
        return "no hay canales configurados en este servidor"
    try:
        adapter = ctx.channels.adapter(handoff.sender_id)
    except NotDeliverable as exc:
        return f"el canal no recibe mensajes desde la consola ({exc})"
    if not adapter.service_window:
        return None
    hours = settings().whatsapp_window_hours
    last = queries.conversation_last_inbound(ctx.db, handoff.sender_id)
    if last is None or utcnow() - last >= timedelta(hours=hours):
        return f"fuera de la ventana de {hours:g} horas de WhatsApp: el vecino o vecina no ha escrito desde entonces"
    return None


async def closing_messages(ctx: ConsoleContext, staffer: Staffer, handoff: HandoffRow, assistant_on: bool) -> List[str]:
    """Send the closing message and, with the assistant on, the satisfaction question; the notice codes."""
    problem = await asyncio.to_thread(_window_problem, ctx, handoff)
    if problem is None:
        try:
            assert ctx.channels is not None
            await ctx.channels.send_text(handoff.sender_id, CLOSING_TEXT)
            await asyncio.to_thread(service.add_staff_message, ctx.db, handoff, staffer.username, CLOSING_TEXT)
        except Exception as exc:  # network errors, refusals: the handoff stays closed, staff are told
            log.warning("no se pudo enviar el mensaje de cierre", exc_info=True)
            problem = f"no se pudo enviar el mensaje de cierre ({type(exc).__name__})"
    if problem is None and not assistant_on:
        problem = "el asistente virtual no respondió, así que no podría recibir la respuesta"
        await _not_sent(ctx, staffer, handoff, problem)
        return [ONLY_CLOSING]
    if problem is None:
        question = survey_question(numbered_buttons=channel_of(handoff.sender_id) == TELEGRAM)
        buttons = [{"title": b.title, "payload": b.payload} for b in question.buttons]
        try:
            assert ctx.channels is not None
            await ctx.channels.send_options(handoff.sender_id, question.text, buttons, ctx.db)
        except Exception as exc:
            log.warning("no se pudo enviar la encuesta de satisfacción", exc_info=True)
            await _not_sent(ctx, staffer, handoff, f"no se pudo enviar la encuesta ({type(exc).__name__})")
            return [ONLY_CLOSING]

        def save() -> None:
            service.add_staff_message(ctx.db, handoff, staffer.username, question.text)
            surveys.record_sent(ctx.db, handoff)
            record_audit(
                ctx.db, staffer.username, staffer.municipality, "encuesta_enviada", handoff.id, handoff.sender_id
            )

        await asyncio.to_thread(save)
        return [SENT]
    await _not_sent(ctx, staffer, handoff, problem)
    return [NOT_SENT]


async def _not_sent(ctx: ConsoleContext, staffer: Staffer, handoff: HandoffRow, reason: str) -> None:
    def save() -> None:
        surveys.record_not_sent(ctx.db, handoff, reason)
        record_audit(
            ctx.db, staffer.username, staffer.municipality, "encuesta_no_enviada", handoff.id, handoff.sender_id, reason
        )

    await asyncio.to_thread(save)
