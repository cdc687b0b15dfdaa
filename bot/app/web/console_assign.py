"""Taking and assigning conversations, and the warning before taking one from another staffer.

``POST /consola/conversacion/{id}/tomar`` takes a handoff; ``POST /consola/conversacion/{id}/asignar``
gives it to a named active staffer of the municipality (``agente``); ``POST
/consola/conversaciones/tomar`` takes a live conversation. When someone else attends it, nothing
changes: a warning page names them and asks to confirm, and the confirmation (carrying ``actual``,
the person shown) reassigns it, audited as ``reasignar``. If meanwhile a third person took it, the
warning is shown again with their name. Every change is ``bot.handoff.service``'s; freeing a
staffer's capacity lets the automatic assignment (``bot.handoff.auto_assign``) run.
"""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional, Tuple, Union

from aiohttp import web

from bot.app.web.console_auth import session_of, staff_only
from bot.app.web.console_context import console
from bot.app.web.console_handoffs import _back, _id, _switch
from bot.app.web.console_pages import message_page, not_found
from bot.app.web.console_takeover import confirmed_holder, warning_page
from bot.handoff import auto_assign, queries, service
from bot.handoff.states import HandoffStatus
from bot.staff import accounts
from bot.staff.audit import record_audit
from bot.storage.tables import HandoffRow

ELSEWHERE: Any = object()  # take_live's answer when another municipality's staff have the conversation


def _audit_change(request: web.Request, handoff, previous: Optional[str], assignee: str, action: str) -> None:
    ctx, staffer = console(request), session_of(request).staffer
    if previous and previous != assignee:
        action, detail = "reasignar", f"de {previous} a {assignee}"
    else:
        detail = f"a {assignee}"
    record_audit(ctx.db, staffer.username, staffer.municipality, action, handoff.id, handoff.sender_id, detail)
    if previous and previous != assignee:  # the previous staffer has room for another conversation
        auto_assign.assign_if_enabled(ctx.db, staffer.municipality)


async def _assign(
    request: web.Request,
    handoff_id: int,
    assignee: str,
    action: str,
    warning: Tuple[str, str, str],
    **hidden: str,
) -> Union[web.Response, Tuple[HandoffRow, List[str]]]:
    """Give the handoff to ``assignee`` (audited as ``action``) and silence the assistant: ``(handoff, notice
    codes)``; the warning page when someone else attends it (``warning``: its form's action, question and
    confirmation, ``hidden`` its extra fields); 404 when not found; back to the conversation when closed."""
    ctx, staffer = console(request), session_of(request).staffer
    try:
        handoff, previous = await asyncio.to_thread(
            service.assign_handoff,
            ctx.db,
            staffer.municipality,
            handoff_id,
            staffer.username,
            assignee,
            confirmed_holder(request),
        )
    except service.AlreadyAttended as busy:
        return await warning_page(request, handoff_id, busy.assignee, *warning, **hidden)
    except service.HandoffStateError:
        raise _back(handoff_id, "estado") from None
    if handoff is None:
        return not_found(request)
    codes = []
    if not await _switch(ctx, handoff.sender_id, True):
        codes.append("sin_rasa")
    await asyncio.to_thread(_audit_change, request, handoff, previous, assignee, action)
    return handoff, codes


@staff_only
async def take(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversacion/{id}/tomar: assign to me (after the warning if someone else attends it)."""
    handoff_id = _id(request)
    warning = (f"/consola/conversacion/{handoff_id}/tomar", "¿Tomarla de todos modos?", "Sí, tomarla")
    done = await _assign(request, handoff_id, session_of(request).staffer.username, "tomar", warning)
    if isinstance(done, web.StreamResponse):
        return done
    handoff, codes = done
    raise _back(handoff.id, "tomada", *codes)


@staff_only
async def assign(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversacion/{id}/asignar: give the conversation to a named active staffer."""
    ctx, staffer, handoff_id = console(request), session_of(request).staffer, _id(request)
    wanted = str(request["console_form"].get("agente") or "").strip().lower()[:60]

    def work():
        found = queries.get_handoff(ctx.db, staffer.municipality, handoff_id)
        team = {s.username: s for s in accounts.list_staff(ctx.db, staffer.municipality) if s.active}
        return found, team.get(wanted)

    found, agent = await asyncio.to_thread(work)
    if found is None:
        return not_found(request)
    if agent is None:
        raise web.HTTPSeeOther("/consola?aviso=sin_agente")
    warning = (
        f"/consola/conversacion/{handoff_id}/asignar",
        f"¿Asignarla a {agent.name} de todos modos?",
        f"Sí, asignarla a {agent.name}",
    )
    done = await _assign(request, handoff_id, agent.username, "asignar", warning, agente=agent.username)
    if isinstance(done, web.StreamResponse):
        return done
    _handoff, codes = done
    raise web.HTTPSeeOther("/consola?" + "&".join(f"aviso={c}" for c in ["asignada", *codes]))


@staff_only
async def take_live(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversaciones/tomar: take a conversation of the staffer's municipality (404 otherwise),
    after the warning when another staffer attends it."""
    ctx, staffer = console(request), session_of(request).staffer
    sender_id = str(request["console_form"].get("sender_id") or "").strip()
    replacing = confirmed_holder(request)

    def work():
        channel = queries.conversation_channel(
            sender_id, staffer.municipality, ctx.whatsapp_numbers(staffer.municipality)
        )
        if channel is None or queries.conversation_last_inbound(ctx.db, sender_id) is None:
            return None
        elsewhere = service.open_handoffs_of(ctx.db, [sender_id]).get(sender_id)
        if elsewhere is not None and elsewhere.municipality != staffer.municipality:
            return ELSEWHERE
        previous_id = service.open_handoff_id(ctx.db, staffer.municipality, sender_id)
        previous = queries.get_handoff(ctx.db, staffer.municipality, previous_id) if previous_id else None
        handoff, created = service.take_conversation(
            ctx.db, staffer.municipality, sender_id, channel, staffer.username, replacing
        )
        record_audit(
            ctx.db,
            staffer.username,
            staffer.municipality,
            "tomar_conversacion",
            handoff.id,
            sender_id,
            "nueva derivación" if created else "derivación abierta",
        )
        attended = previous is not None and previous.status == HandoffStatus.ATTENDED.value
        holder = previous.assigned_to if attended else None
        if holder and holder != staffer.username:
            _audit_change(request, handoff, holder, staffer.username, "tomar")
        return handoff

    try:
        handoff = await asyncio.to_thread(work)
    except service.AlreadyAttended as busy:
        open_id = await asyncio.to_thread(service.open_handoff_id, ctx.db, staffer.municipality, sender_id)
        return await warning_page(
            request,
            open_id or 0,
            busy.assignee,
            "/consola/conversaciones/tomar",
            "¿Tomarla de todos modos?",
            "Sí, tomarla",
            sender_id=sender_id,
        )
    if handoff is None:
        return not_found(request)
    if handoff is ELSEWHERE:
        return message_page(
            request,
            409,
            "La atiende otra municipalidad",
            "Esta conversación espera o está en atención con el equipo de otra municipalidad: el asistente no le "
            "responde y no se puede tomar desde aquí.",
            "/consola/conversaciones",
            "Volver a las conversaciones",
        )
    codes = ["tomada"]
    if not await _switch(ctx, sender_id, True):
        codes.append("sin_rasa")
    raise _back(handoff.id, *codes)
