"""The staff console (``/consola``): server-rendered HTML for municipal staff.

Staff log in, see the queue of conversations handed over by the assistant in their own
municipality, read a whole transcript, answer through the citizen's channel, take the
conversation (or, from the list of live conversations, one the assistant is still handling),
hand it back to the assistant or close it, mark misunderstood messages, search past
conversations and export transcripts and NLU candidates, insert catalogue answers and canned
responses into a reply, see their municipality's metrics as charts, and change their own password;
administrators manage their municipality's team (roles, activation, password resets) and canned responses.
Handoff work is ``bot.handoff`` (``service``: every status change; ``queries``, ``reviews``);
accounts, sessions, audit and canned responses are ``bot.staff``.

``add_console`` adds the routes with their prefix to the main application (not as a
sub-application, and nothing reads ``request.url``: see ``bot.app.web.backoffice``). Under
``/consola`` a middleware adds security headers (CSP ``default-src 'none'``; scripts and requests
only from the console itself, ``script-src 'self'`` and ``connect-src 'self'``: the queue's
``static/queue.js``, never inline code nor eval) and turns HTTP errors into HTML pages.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Optional

from aiohttp import web

from bot.app.web import (
    console_assign,
    console_auth,
    console_canned,
    console_conversations,
    console_handoffs,
    console_media,
    console_metrics,
    console_password,
    console_queue,
    console_team,
    console_tools,
)
from bot.app.web.client_address import trusted_proxies
from bot.app.web.console_context import CONSOLE_KEY, ConsoleContext, SetWithStaff, domain_intents
from bot.app.web.console_pages import message_page, not_found
from bot.app.web.console_render import STATIC_DIR
from bot.catalogue.catalogue import Catalogue
from bot.config import settings
from bot.handoff.transcript import TranscriptReader
from bot.handoff.with_staff import set_with_staff as rasa_set_with_staff
from bot.storage.db import Database
from bot.storage.tables import utcnow
from channels.media import MediaFetcher
from channels.registry import ChannelRegistry

log = logging.getLogger(__name__)

PREFIX = "/consola"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_ERROR_PAGES = {
    405: ("Método no permitido", "Esta dirección no acepta esa operación."),
    413: ("Demasiado grande", "El formulario enviado es demasiado grande."),
}


def _in_console(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


@web.middleware
async def console_errors(request: web.Request, handler) -> web.StreamResponse:
    """Under ``/consola``: HTML error pages and security headers; other paths pass untouched."""
    if not _in_console(request.path):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            exc.headers.update(SECURITY_HEADERS)
            raise
        if exc.status == 404:
            response = not_found(request)
        else:
            heading, text = _ERROR_PAGES.get(exc.status, ("Error", exc.reason))
            response = message_page(request, exc.status, heading, text)
            if "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        log.exception("error inesperado en la consola: %s %s", request.method, request.path)
        response = message_page(
            request,
            500,
            "Error interno",
            "Algo falló en el servidor. Inténtalo de nuevo; si se repite, avisa al equipo técnico.",
        )
    own_policy = response.headers.get("Content-Security-Policy")  # a chart's own (console_metrics)
    response.headers.update(SECURITY_HEADERS)
    if own_policy:
        response.headers["Content-Security-Policy"] = own_policy
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def stylesheet(_request: web.Request) -> web.Response:
    """GET /consola/estatico/consola.css"""
    css = (STATIC_DIR / "consola.css").read_text(encoding="utf-8")
    return web.Response(
        text=css, content_type="text/css", charset="utf-8", headers={"Cache-Control": "public, max-age=3600"}
    )


async def queue_script(_request: web.Request) -> web.Response:
    """GET /consola/estatico/queue.js (the live queue; the page works without it)"""
    script = (STATIC_DIR / "queue.js").read_text(encoding="utf-8")
    return web.Response(
        text=script,
        content_type="text/javascript",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


async def to_queue(_request: web.Request) -> web.Response:
    """GET /consola/ -> /consola"""
    raise web.HTTPSeeOther(PREFIX)


def add_console(
    app: web.Application,
    db: Database,
    reader: TranscriptReader,
    channels: Optional[ChannelRegistry],
    set_with_staff: Optional[SetWithStaff] = None,
    catalogue_provider: Optional[Callable[[], Catalogue]] = None,
    secure_cookies: Optional[bool] = None,
    clock: Optional[Callable[[], datetime]] = None,
    media: Optional[MediaFetcher] = None,
) -> None:
    """Add the staff console under ``/consola`` to ``app`` (before it starts).

    ``set_with_staff(sender_id, value)`` switches the assistant off or on for a conversation
    (default: Rasa's HTTP API from ``RASA_URL``); ``channels`` reach citizens (``None``: replies
    cannot be sent). Secure cookies follow ``CONSOLE_SECURE_COOKIES=1`` unless told; failed logins are
    counted per client address, taken from ``X-Forwarded-For`` only behind ``CONSOLE_TRUSTED_PROXIES``.
    ``clock`` is the queue's current time (default: the real one; tests freeze it); ``media`` fetches
    citizens' photos and voice notes (default: from the channels' settings in the environment).
    """
    db.create_schema()  # our tables, the staff console's included (migrations; idempotent)
    if secure_cookies is None:
        secure_cookies = settings().console_secure_cookies
    app[CONSOLE_KEY] = ConsoleContext(
        db,
        reader,
        channels,
        set_with_staff or rasa_set_with_staff,
        catalogue_provider,
        secure_cookies,
        domain_intents(),
        trusted_proxies(),
        clock or utcnow,
        media or MediaFetcher.from_env(),
    )
    app.middlewares.append(console_errors)

    fetcher = app[CONSOLE_KEY].media

    async def close_media(_app: web.Application) -> None:
        if fetcher is not None:
            await fetcher.close()

    app.on_cleanup.append(close_media)  # type: ignore[arg-type]  # aiohttp 3.8 types Signal wrongly
    if channels is not None:

        async def close_channels(_app: web.Application) -> None:
            await channels.close()

        app.on_cleanup.append(close_channels)  # type: ignore[arg-type]  # aiohttp 3.8 types Signal wrongly
    conversation = PREFIX + r"/conversacion/{id:\d{1,9}}"
    canned = PREFIX + r"/respuestas/{id:\d{1,9}}"
    member = PREFIX + r"/equipo/{id:\d{1,9}}"
    routes = [
        ("GET", PREFIX, console_queue.queue, "consola"),
        ("GET", PREFIX + "/cola.json", console_queue.queue_json, "consola-cola"),
        ("GET", PREFIX + "/", to_queue, None),
        ("GET", PREFIX + "/estatico/consola.css", stylesheet, "consola-css"),
        ("GET", PREFIX + "/estatico/queue.js", queue_script, "consola-js"),
        ("GET", PREFIX + "/ingresar", console_auth.login_form, "consola-ingresar"),
        ("POST", PREFIX + "/ingresar", console_auth.login, None),
        ("POST", PREFIX + "/salir", console_auth.logout, "consola-salir"),
        ("GET", PREFIX + "/conversaciones", console_conversations.live, "consola-conversaciones"),
        ("POST", PREFIX + "/conversaciones/tomar", console_assign.take_live, None),
        ("GET", conversation, console_handoffs.conversation, "consola-conversacion"),
        ("GET", conversation + r"/adjunto/{evento:\d{1,12}}/{n:\d{1,2}}", console_media.attachment, None),
        (
            "GET",
            conversation + r"/solicitud/{folio:[A-Za-z0-9-]{1,20}}/adjunto/{n:\d{1,2}}",
            console_media.request_attachment,
            None,
        ),
        ("POST", conversation + "/responder", console_handoffs.reply, None),
        ("POST", conversation + "/insertar", console_handoffs.insert, None),
        ("POST", conversation + "/tomar", console_assign.take, None),
        ("POST", conversation + "/asignar", console_assign.assign, None),
        ("POST", conversation + "/devolver", console_handoffs.hand_back, None),
        ("POST", conversation + "/cerrar", console_handoffs.close, None),
        ("POST", conversation + "/revisar", console_handoffs.review, None),
        ("POST", conversation + "/nota", console_handoffs.add_note, None),
        ("POST", conversation + "/etiquetas", console_handoffs.change_labels, None),
        ("GET", conversation + "/exportar", console_handoffs.export_transcript, None),
        ("GET", PREFIX + "/buscar", console_tools.search, "consola-buscar"),
        ("GET", PREFIX + "/revision/exportar", console_tools.export_nlu, "consola-nlu"),
        ("GET", PREFIX + "/equipo", console_team.team_list, "consola-equipo"),
        ("POST", PREFIX + "/equipo", console_team.team_create, None),
        ("POST", member + "/desactivar", console_team.deactivate, None),
        ("POST", member + "/reactivar", console_team.reactivate, None),
        ("POST", member + "/rol", console_team.change_role, None),
        ("POST", member + "/clave", console_team.reset_password, None),
        ("GET", PREFIX + "/clave", console_password.password_form, "consola-clave"),
        ("POST", PREFIX + "/clave", console_password.change_password, None),
        ("GET", PREFIX + "/respuestas", console_canned.canned_list, "consola-respuestas"),
        ("POST", PREFIX + "/respuestas", console_canned.canned_create, None),
        ("GET", canned, console_canned.canned_edit_form, None),
        ("POST", canned + "/editar", console_canned.canned_edit, None),
        ("POST", canned + "/eliminar", console_canned.canned_delete, None),
        ("GET", PREFIX + "/metricas", console_metrics.metrics_page, "consola-metricas"),
        ("GET", PREFIX + "/metricas.csv", console_metrics.export_csv, "consola-metricas-csv"),
        ("GET", PREFIX + r"/metricas/grafico/{name:[a-z-]{1,30}}.svg", console_metrics.chart, None),
    ]
    for method, path, handler, name in routes:
        app.router.add_route(method, path, handler, name=name)
