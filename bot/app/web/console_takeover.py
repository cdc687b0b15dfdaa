"""The warning page (409) before acting on a conversation another staffer attends.

Taking, assigning (``bot.app.web.console_assign``) and replying (``bot.app.web.console_handoffs``) ask
first when someone else attends the conversation: the page names them and repeats the form with
``actual`` (the person shown), which the handler compares with who attends it when it comes back.
"""

from __future__ import annotations

import asyncio
from typing import Optional

from aiohttp import web

from bot.app.web.console_auth import session_of
from bot.app.web.console_context import console
from bot.app.web.console_pages import page
from bot.app.web.console_render import fragment, join, render
from bot.staff import accounts

TAKEOVER_CONSEQUENCE = "Si continúas, $current deja de tenerla a su cargo y el cambio queda registrado en la auditoría."


def confirmed_holder(request: web.Request) -> Optional[str]:
    """The staffer the warning named, when the form confirms (its ``actual`` field)."""
    value = str(request["console_form"].get("actual") or "").strip()
    return value[:60] or None


async def warning_page(
    request: web.Request,
    handoff_id: int,
    current: str,
    action: str,
    question: str,
    confirm: str,
    consequence: str = TAKEOVER_CONSEQUENCE,
    **hidden: str,
) -> web.Response:
    """The confirmation page (409): ``current`` (a username) attends the conversation; ``hidden`` fields
    go back with the confirmation, and ``$current`` in ``consequence`` is their name."""
    ctx, session = console(request), session_of(request)
    staff = await asyncio.to_thread(accounts.list_staff, ctx.db, session.staffer.municipality)
    who = {s.username: s.name for s in staff}.get(current, current)
    fields = join(
        fragment('<input type="hidden" name="$name" value="$value">', name=k, value=v) for k, v in hidden.items()
    )
    content = render(
        "takeover.html",
        id=handoff_id,
        current=who,
        current_username=current,
        question=question,
        consequence=consequence.replace("$current", who),
        confirm=confirm,
        action=action,
        csrf=session.csrf_token,
        fields=fields,
    )
    return page(request, "¿Tomar la conversación de otra persona?", content, status=409)
