"""Live conversations: a staffer takes a conversation the assistant is handling.

``GET /consola/conversaciones`` lists the municipality's conversations that wrote in the last
7 days (WhatsApp numbers and Telegram bot of the municipality, from ``ConversationActivityRow``),
masked as in the queue. ``POST /consola/conversaciones/tomar`` takes one: its open handoff is
assigned to the staffer, or a new one (reason "funcionario") is created already taken, and the
assistant is silenced through ``set_with_staff``. Another municipality's conversation answers 404.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.app.web.console_auth import session_of, staff_only
from bot.app.web.console_context import console
from bot.app.web.console_handoffs import _back, _switch
from bot.app.web.console_mask import masked_identity
from bot.app.web.console_pages import not_found, notices_from, page
from bot.app.web.console_render import CHANNEL_NAMES, STATUS_NAMES, Markup, fragment, local_time, render, table
from bot.handoff import queries, service
from bot.staff.audit import record_audit

CONVERSATION_COLUMNS = ("Vecino o vecina", "Canal", "Último mensaje", "Derivación abierta", "Acción")
_TAKE_FORM = (
    '<form method="post" action="/consola/conversaciones/tomar"><input type="hidden" name="csrf" '
    'value="$csrf"><input type="hidden" name="sender_id" value="$sender"><button type="submit" '
    'aria-label="Tomar conversación de $who">Tomar conversación</button></form>'
)


def _handoff_cell(row: queries.LiveConversation) -> Markup:
    if row.handoff_id is None:
        return Markup("No")
    status = STATUS_NAMES.get(row.handoff_status or "", row.handoff_status or "")
    who = f", {row.assigned_to}" if row.assigned_to else ""
    return fragment(
        'Sí: <a href="/consola/conversacion/$id">n.º $id</a> ($status$who)',
        id=row.handoff_id,
        status=status.lower(),
        who=who,
    )


@staff_only
async def live(request: web.Request) -> web.Response:
    """GET /consola/conversaciones: the municipality's recent conversations, each with a take button."""
    ctx, session = console(request), session_of(request)
    municipality = session.staffer.municipality
    rows = await asyncio.to_thread(
        lambda: queries.recent_conversations(ctx.db, municipality, ctx.whatsapp_numbers(municipality))
    )
    lines = []
    for r in rows:
        who = masked_identity(r.sender_id, r.form_data)
        lines.append(
            fragment(
                '<tr><td>$who</td><td>$channel</td><td><time datetime="$iso">$at</time></td><td>$handoff</td>'
                "<td>$form</td></tr>",
                who=who,
                channel=CHANNEL_NAMES.get(r.channel, r.channel),
                iso=r.last_inbound_at.isoformat(),
                at=local_time(r.last_inbound_at),
                handoff=_handoff_cell(r),
                form=fragment(_TAKE_FORM, csrf=session.csrf_token, sender=r.sender_id, who=who),
            )
        )
    if not lines:
        lines = [Markup('<tr><td colspan="5">No hay conversaciones en los últimos 7 días.</td></tr>')]
    more = " (se muestran las más recientes)" if len(rows) >= queries.CONVERSATIONS_LIMIT else ""
    caption = ("1 conversación reciente" if len(rows) == 1 else f"{len(rows)} conversaciones recientes") + more
    return page(
        request,
        "Conversaciones",
        render("conversations.html", table=table(caption, CONVERSATION_COLUMNS, lines)),
        notices=notices_from(request.query),
    )


@staff_only
async def take_live(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversaciones/tomar: take a conversation of the staffer's municipality (404 otherwise)."""
    ctx, staffer = console(request), session_of(request).staffer
    sender_id = str(request["console_form"].get("sender_id") or "").strip()

    def work():
        channel = queries.conversation_channel(
            sender_id, staffer.municipality, ctx.whatsapp_numbers(staffer.municipality)
        )
        if channel is None or queries.conversation_last_inbound(ctx.db, sender_id) is None:
            return None
        handoff, created = service.take_conversation(ctx.db, staffer.municipality, sender_id, channel, staffer.username)
        record_audit(
            ctx.db,
            staffer.username,
            staffer.municipality,
            "tomar_conversacion",
            handoff.id,
            sender_id,
            "nueva derivación" if created else "derivación abierta",
        )
        return handoff

    handoff = await asyncio.to_thread(work)
    if handoff is None:
        return not_found(request)
    codes = ["tomada"]
    if not await _switch(ctx, sender_id, True):
        codes.append("sin_rasa")
    raise _back(handoff.id, *codes)
