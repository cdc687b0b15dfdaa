"""Live conversations: a staffer takes a conversation the assistant is handling.

``GET /consola/conversaciones`` lists the municipality's conversations that wrote in the last
7 days (WhatsApp numbers and Telegram bot of the municipality, from ``ConversationActivityRow``),
masked as in the queue. ``POST /consola/conversaciones/tomar`` takes one: its open handoff is
assigned to the staffer, or a new one (reason "funcionario") is created already taken, and the
assistant is silenced through ``set_with_staff`` (``bot.app.web.console_assign``, which first warns
when another staffer attends it: the list shows who, with "Reasignar"). Another municipality's
conversation answers 404.
"""

from __future__ import annotations

import asyncio
from typing import Dict

from aiohttp import web

from bot.app.web.console_auth import session_of, staff_only
from bot.app.web.console_context import console
from bot.app.web.console_mask import masked_identity
from bot.app.web.console_pages import notices_from, page
from bot.app.web.console_render import CHANNEL_NAMES, STATUS_NAMES, Markup, fragment, local_time, render, table
from bot.handoff import queries
from bot.handoff.states import HandoffStatus
from bot.staff import accounts

CONVERSATION_COLUMNS = ("Vecino o vecina", "Canal", "Último mensaje", "Derivación abierta", "Acción")
_TAKE_FORM = (
    '<form method="post" action="/consola/conversaciones/tomar"><input type="hidden" name="csrf" '
    'value="$csrf"><input type="hidden" name="sender_id" value="$sender"><button type="submit" '
    'aria-label="$label conversación de $who">$text</button></form>'
)


ELSEWHERE_TEXT = "Sí, con otra municipalidad: el asistente no le responde mientras su equipo la atiende"


def _handoff_cell(row: queries.LiveConversation, names: Dict[str, str]) -> Markup:
    if row.elsewhere:
        return Markup(ELSEWHERE_TEXT)
    if row.handoff_id is None:
        return Markup("No")
    status = STATUS_NAMES.get(row.handoff_status or "", row.handoff_status or "")
    who = f", {names.get(row.assigned_to, row.assigned_to)}" if row.assigned_to else ""
    return fragment(
        'Sí: <a href="/consola/conversacion/$id">n.º $id</a> ($status$who)',
        id=row.handoff_id,
        status=status.lower(),
        who=who,
    )


def _action_cell(row: queries.LiveConversation, names: Dict[str, str], me: str, csrf: str, who: str) -> Markup:
    """Take it; nothing when I attend it; who attends it and "Reasignar" (through the warning) otherwise;
    nothing when another municipality's staff have it (a second handoff would talk over theirs)."""
    if row.elsewhere:
        return Markup("La atiende otra municipalidad")
    attended = row.handoff_status == HandoffStatus.ATTENDED.value and row.assigned_to
    if attended and row.assigned_to == me:
        return Markup("La atiendes tú")
    form = fragment(
        _TAKE_FORM,
        csrf=csrf,
        sender=row.sender_id,
        who=who,
        label="Reasignar" if attended else "Tomar",
        text="Reasignar" if attended else "Tomar conversación",
    )
    if not attended:
        return form
    return fragment(
        "<p>Atiende: $name</p>$form", name=names.get(row.assigned_to or "", row.assigned_to or ""), form=form
    )


@staff_only
async def live(request: web.Request) -> web.Response:
    """GET /consola/conversaciones: the municipality's recent conversations, each with a take button."""
    ctx, session = console(request), session_of(request)
    municipality = session.staffer.municipality
    rows, names = await asyncio.to_thread(
        lambda: (
            queries.recent_conversations(ctx.db, municipality, ctx.whatsapp_numbers(municipality)),
            {s.username: s.name for s in accounts.list_staff(ctx.db, municipality)},
        )
    )
    lines = []
    for r in rows:
        who = masked_identity(r.sender_id, r.form_data)
        lines.append(
            fragment(
                '<tr><td data-etiqueta="Vecino o vecina">$who</td><td data-etiqueta="Canal">$channel</td>'
                '<td data-etiqueta="Último mensaje"><time datetime="$iso">$at</time></td>'
                '<td data-etiqueta="Derivación abierta">$handoff</td><td data-etiqueta="Acción">$form</td></tr>',
                who=who,
                channel=CHANNEL_NAMES.get(r.channel, r.channel),
                iso=r.last_inbound_at.isoformat(),
                at=local_time(r.last_inbound_at),
                handoff=_handoff_cell(r, names),
                form=_action_cell(r, names, session.staffer.username, session.csrf_token, who),
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
