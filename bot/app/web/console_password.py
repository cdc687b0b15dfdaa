"""«Mi contraseña» (``/consola/clave``): any staffer changes their own password, current one required.

It is also where a staffer logged in with a temporary password (reset by an administrator) is sent
until they choose their own (``console_auth.own_account``). Saving it ends the staffer's other sessions.
"""

from __future__ import annotations

import asyncio
from typing import Optional, Sequence, Tuple

from aiohttp import web

from bot.app.web.client_address import client_address
from bot.app.web.console_auth import SESSION_COOKIE, own_account, session_of
from bot.app.web.console_context import console
from bot.app.web.console_pages import Notice, notices_from, page
from bot.app.web.console_render import render
from bot.staff import accounts, passwords, sessions


def _password_page(request: web.Request, notices: Sequence[Notice] = (), status: int = 200) -> web.Response:
    session = session_of(request)
    content = render(
        "password.html",
        csrf=session.csrf_token,
        username=session.staffer.username,
        min_password=passwords.MIN_LENGTH,
        password_rule=passwords.RULE,
    )
    return page(request, "Mi contraseña", content, status=status, notices=notices)


@own_account
async def password_form(request: web.Request) -> web.Response:
    """GET /consola/clave: the form to change one's own password."""
    return _password_page(request, notices_from(request.query))


@own_account
async def change_password(request: web.Request) -> web.StreamResponse:
    """POST /consola/clave: check the current password, save the new one, end the other sessions (audited)."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    current, new = str(form.get("actual") or ""), str(form.get("nueva") or "")
    if new != str(form.get("repetida") or ""):
        return _password_page(
            request, [("error", "Las dos contraseñas nuevas no coinciden: escríbelas de nuevo.")], 400
        )
    client = client_address(request, ctx.trusted_proxies)
    token = request.cookies.get(SESSION_COOKIE, "")

    def work() -> Optional[Tuple[int, str]]:
        """``None`` when saved, else ``(HTTP status, Spanish message)``."""
        try:
            accounts.change_own_password(ctx.db, staffer, current, new, client)
        except accounts.TooManyAttempts as exc:
            return 429, str(exc)
        except ValueError as exc:
            return 400, str(exc)
        sessions.end_other_sessions(ctx.db, staffer.id, token)
        return None

    problem = await asyncio.to_thread(work)
    if problem:
        return _password_page(request, [("error", problem[1])], problem[0])
    raise web.HTTPSeeOther("/consola?aviso=clave_cambiada")
