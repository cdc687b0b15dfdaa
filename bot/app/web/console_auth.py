"""Console login: cookies, CSRF tokens, and the checks every handler goes through.

- The session cookie (``consola_sesion``) holds a random token; the database keeps only its
  hash. It is HttpOnly, SameSite=Strict, limited to ``/consola`` and Secure when
  ``CONSOLE_SECURE_COOKIES=1``.
- Every POST carries the session's CSRF token in the ``csrf`` field (403 otherwise). The login
  form, before any session, uses a double-submit token: a random cookie that the form repeats.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from functools import wraps
from typing import Awaitable, Callable, List, Optional, Tuple

from aiohttp import web

from bot.app.web.client_address import client_address
from bot.app.web.console_context import console
from bot.app.web.console_pages import forbidden, notices_from, page
from bot.app.web.console_render import Markup, fragment, options, render
from bot.handoff import auto_assign
from bot.staff import accounts, sessions
from bot.staff.sessions import StaffSession

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SESSION_COOKIE = "consola_sesion"
LOGIN_COOKIE = "consola_ingreso"
COOKIE_PATH = "/consola"
LOGIN_PATH = "/consola/ingresar"
PASSWORD_PATH = "/consola/clave"
TEMPORARY_PASSWORD_TEXT = (
    "Tu contraseña es temporal: antes de seguir, elige una propia en «Mi contraseña» (/consola/clave)."
)


def _set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name, value, path=COOKIE_PATH, httponly=True, samesite="Strict", secure=console(request).secure_cookies
    )


def _same(given: object, expected: str) -> bool:
    return isinstance(given, str) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


async def load_session(request: web.Request) -> Optional[StaffSession]:
    """The request's valid session (also stored in the request for the layout), or ``None``."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    ctx = console(request)

    def work():
        found = sessions.get_session(ctx.db, token)
        return found, ctx.municipality_name(found.staffer.municipality) if found else ""

    session, town = await asyncio.to_thread(work)
    if session is not None:
        request["console_session"], request["console_municipality_name"] = session, town
    return session


def _session_required(handler: Handler, temporary_password_ok: bool) -> Handler:
    @wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        session = await load_session(request)
        if request.method == "POST":
            form = await request.post()
            if session is None:
                return forbidden(request, "Tu sesión terminó o no es válida: vuelve a ingresar.")
            if not _same(form.get("csrf"), session.csrf_token):
                return forbidden(
                    request, "El formulario venció o no es válido: recarga la página e inténtalo de nuevo."
                )
            request["console_form"] = form
        elif session is None:
            stale = bool(request.cookies.get(SESSION_COOKIE))
            redirect = web.HTTPSeeOther(LOGIN_PATH + ("?aviso=expirada" if stale else ""))
            if stale:
                redirect.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)
            raise redirect
        if session.staffer.must_change_password and not temporary_password_ok:
            if request.method == "POST":
                return forbidden(request, TEMPORARY_PASSWORD_TEXT)
            raise web.HTTPSeeOther(PASSWORD_PATH + "?aviso=clave_temporal")
        return await handler(request)

    return checked


def staff_only(handler: Handler) -> Handler:
    """Require a session: GETs without one go to the login page; POSTs need the session's CSRF token.

    A staffer logged in with a temporary password is sent to ``/consola/clave`` (GET) or refused (POST, 403)
    until they choose their own.
    """
    return _session_required(handler, temporary_password_ok=False)


def own_account(handler: Handler) -> Handler:
    """``staff_only``, also for a staffer whose password is temporary (their password page and logout)."""
    return _session_required(handler, temporary_password_ok=True)


def admin_only(handler: Handler) -> Handler:
    """``staff_only`` and the administrator role (403 otherwise)."""

    async def role_checked(request: web.Request) -> web.StreamResponse:
        if not request["console_session"].staffer.is_admin:
            return forbidden(request, "Solo un administrador de la municipalidad puede hacer esto.")
        return await handler(request)

    return staff_only(wraps(handler)(role_checked))


def session_of(request: web.Request) -> StaffSession:
    """The session that ``staff_only`` checked."""
    return request["console_session"]


def _municipality_field(towns: List[Tuple[str, str]], chosen: str) -> Markup:
    if not towns:  # no catalogue at hand: the slug is typed
        return fragment(
            '<input id="municipio" name="municipio" required maxlength="80" value="$chosen">', chosen=chosen
        )
    return fragment(
        '<select id="municipio" name="municipio" required>$choices</select>',
        choices=options(towns, chosen, empty="Elige tu municipalidad"),
    )


async def _login_page(
    request: web.Request,
    csrf: str,
    username: str = "",
    municipality: str = "",
    status: int = 200,
    error: Optional[str] = None,
) -> web.Response:
    towns = await asyncio.to_thread(console(request).municipalities)
    notices = notices_from(request.query) + ([("error", error)] if error else [])
    content = render("login.html", csrf=csrf, username=username, municipality=_municipality_field(towns, municipality))
    response = page(request, "Ingresar", content, status=status, notices=notices)
    _set_cookie(request, response, LOGIN_COOKIE, csrf)
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    """GET /consola/ingresar"""
    if await load_session(request) is not None:
        raise web.HTTPSeeOther("/consola")
    csrf = request.cookies.get(LOGIN_COOKIE, "")
    if not (20 <= len(csrf) <= 100):
        csrf = secrets.token_urlsafe(32)
    return await _login_page(request, csrf)


async def login(request: web.Request) -> web.StreamResponse:
    """POST /consola/ingresar (municipality, username and password; failures limited per client address)"""
    form = await request.post()
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not _same(form.get("csrf"), expected):
        return forbidden(request, "El formulario de ingreso venció: vuelve a abrir la página de ingreso.")
    municipality = str(form.get("municipio") or "").strip()[:80]
    username, password = str(form.get("usuario") or "").strip(), str(form.get("clave") or "")
    ctx = console(request)
    client = client_address(request, ctx.trusted_proxies)

    def work():
        if not (municipality and username and password):
            return None
        staffer = accounts.authenticate(ctx.db, municipality, username, password, client)
        if staffer is None:
            return None
        created = sessions.create_session(ctx.db, staffer)
        auto_assign.assign_if_enabled(ctx.db, staffer.municipality)  # one more agent on duty
        return created

    try:
        created = await asyncio.to_thread(work)
    except accounts.TooManyAttempts as exc:
        return await _login_page(request, expected, username[:60], municipality, status=429, error=str(exc))
    if created is None:
        return await _login_page(
            request,
            expected,
            username[:60],
            municipality,
            status=401,
            error="Municipalidad, usuario o contraseña incorrectos, o el usuario está desactivado.",
        )
    token, session = created
    response = web.HTTPSeeOther(
        PASSWORD_PATH + "?aviso=clave_temporal" if session.staffer.must_change_password else "/consola"
    )
    _set_cookie(request, response, SESSION_COOKIE, token)
    response.del_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    raise response


@own_account
async def logout(request: web.Request) -> web.StreamResponse:
    """POST /consola/salir"""
    await asyncio.to_thread(sessions.logout, console(request).db, request.cookies.get(SESSION_COOKIE, ""))
    response = web.HTTPSeeOther(LOGIN_PATH + "?aviso=salida")
    response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    raise response
