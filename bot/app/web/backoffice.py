"""Back-office API (``/api/v1``): the municipality's systems read requests and change their status.

``add_backoffice`` adds the routes to the web application of ``bot.app.web.app``. Every
route but ``openapi.json`` needs ``Authorization: Bearer <token>``; the token decides
the municipality, so one municipality never sees another's requests (a foreign folio
answers 404, exactly as an unknown one). Database work runs in threads
(``asyncio.to_thread``) to keep the event loop free. Every error under ``/api/v1`` is
JSON ``{"error": "<mensaje>"}``; bad input is never a 500.

The routes are added with their prefix to the main application rather than as an aiohttp
sub-application: with the installed yarl, aiohttp 3.9.5 sub-applications fail to route
any request whose ``Host`` carries a port (they build ``request.url``). For the same
reason nothing here reads ``request.url``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import date, datetime, time, timedelta
from functools import partial, wraps
from typing import Any, Awaitable, Callable, Dict, Optional, cast
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiMapping

from bot.app.web.openapi import API_PREFIX, AUTHOR_MAX_LENGTH, openapi_document
from bot.catalogue.catalogue import Catalogue
from bot.config import timezone_name
from bot.storage import requests as store
from bot.storage.db import Database
from bot.storage.tokens import is_well_formed, municipality_for_token
from channels.media import MediaFetcher, MediaTooLarge, MediaUnavailable

log = logging.getLogger(__name__)

CatalogueProvider = Callable[[], Catalogue]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DB_KEY = web.AppKey("backoffice_db", Database)  # keys of the main application
CATALOGUE_KEY = web.AppKey("backoffice_catalogue", object)  # Optional[CatalogueProvider]
MEDIA_KEY = web.AppKey("backoffice_media", MediaFetcher)

TOKEN_MAX_LENGTH = 512
FOLIO_MAX_LENGTH = 32
OFFSET_MAX = 1_000_000
DEFAULT_LIMIT = 50
LIST_PARAMS = ("estado", "tramite", "desde", "hasta", "limit", "offset")
CHANGE_FIELDS = ("estado", "nota", "autor")
_PROCEDURE_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER_RE = re.compile(r"\d{1,9}")

_HTTP_MESSAGES = {
    404: "No existe esa dirección en la API.",
    405: "Método no permitido en esta dirección.",
    413: "El cuerpo de la petición es demasiado grande (máximo 64 KiB).",
}

_dumps = partial(json.dumps, ensure_ascii=False)


class BadInput(ValueError):
    """A request parameter or body that the API refuses with 400."""


def json_error(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> web.Response:
    """``{"error": message}`` with this status."""
    return web.json_response({"error": message}, status=status, headers=headers, dumps=_dumps)


def json_ok(payload: Any) -> web.Response:
    """A 200 JSON answer (UTF-8, accents unescaped)."""
    return web.json_response(payload, dumps=_dumps)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under ``/api/v1``, turn aiohttp's HTTP errors (404, 405, 413…) and unexpected failures into JSON."""
    if request.path != API_PREFIX and not request.path.startswith(API_PREFIX + "/"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return json_error(exc.status, _HTTP_MESSAGES.get(exc.status, exc.reason), headers)
    except Exception:
        log.exception("error inesperado en %s %s", request.method, request.path)
        return json_error(500, "Error interno del servidor; inténtelo más tarde.")


def authenticated(handler: Handler) -> Handler:
    """Require a valid token; sets ``request["municipality"]`` and ``request["token_name"]``."""

    @wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        failure = await _authenticate(request)
        return failure if failure is not None else await handler(request)

    return checked


async def _authenticate(request: web.Request) -> Optional[web.Response]:
    """``None`` when ``Authorization: Bearer <token>`` is valid (caller stored in the request), else a 401."""
    challenge = {"WWW-Authenticate": 'Bearer realm="api"'}
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return json_error(401, "Falta el token: envíe el encabezado 'Authorization: Bearer <token>'.", challenge)
    if not is_well_formed(token):
        return json_error(401, "El token no es válido: solo puede tener letras, números y signos ASCII.", challenge)
    found = None
    if len(token) <= TOKEN_MAX_LENGTH:
        found = await asyncio.to_thread(municipality_for_token, request.app[DB_KEY], token)
    if found is None:
        return json_error(401, "El token no es válido o fue revocado.", challenge)
    request["municipality"], request["token_name"] = found
    return None


def _single(query: MultiMapping[str], name: str) -> Optional[str]:
    values = query.getall(name, [])
    if len(values) > 1:
        raise BadInput(f"El parámetro '{name}' va una sola vez.")
    return values[0].strip() if values else None


def _day(value: str, name: str) -> date:
    try:
        if not _DATE_RE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"Fecha no válida en '{name}': use AAAA-MM-DD (por ejemplo 2024-05-31).") from None


def _number(value: str, name: str, low: int, high: int) -> int:
    if not _NUMBER_RE.fullmatch(value) or not low <= int(value) <= high:
        raise BadInput(f"'{name}' debe ser un número entero entre {low} y {high}.")
    return int(value)


def parse_list_query(query: MultiMapping[str]) -> Dict[str, Any]:
    """The keyword arguments of ``list_requests`` from the query string; raises ``BadInput``."""
    unknown = sorted(set(query) - set(LIST_PARAMS))
    if unknown:
        raise BadInput(f"Parámetro desconocido: {', '.join(unknown)}. Se aceptan: {', '.join(LIST_PARAMS)}.")
    raw = {name: _single(query, name) for name in LIST_PARAMS}
    options: Dict[str, Any] = {"limit": DEFAULT_LIMIT, "offset": 0}
    if raw["estado"]:
        if raw["estado"] not in store.STATUSES:
            raise BadInput(f"Estado no válido: '{raw['estado']}'. Use uno de: {', '.join(store.STATUSES)}.")
        options["status"] = raw["estado"]
    if raw["tramite"]:
        if not _PROCEDURE_RE.fullmatch(raw["tramite"]):
            raise BadInput("Trámite no válido: use su identificador, por ejemplo 'retiro-voluminosos'.")
        options["procedure"] = raw["tramite"]
    zone = ZoneInfo(timezone_name())
    since = _day(raw["desde"], "desde") if raw["desde"] else None
    until = _day(raw["hasta"], "hasta") if raw["hasta"] else None
    if since and until and since > until:
        raise BadInput("'desde' no puede ser posterior a 'hasta'.")
    if since:
        options["since"] = datetime.combine(since, time(), tzinfo=zone)
    if until and until < date.max:
        options["until"] = datetime.combine(until + timedelta(days=1), time(), tzinfo=zone)
    if raw["limit"] is not None:
        options["limit"] = _number(raw["limit"], "limit", 1, store.MAX_LIST_LIMIT)
    if raw["offset"] is not None:
        options["offset"] = _number(raw["offset"], "offset", 0, OFFSET_MAX)
    return options


def parse_status_change(body: Any) -> Dict[str, Optional[str]]:
    """``{"estado", "nota", "autor"}`` checked for presence, type and length; raises ``BadInput``."""
    if not isinstance(body, dict):
        raise BadInput('El cuerpo debe ser un objeto JSON, por ejemplo {"estado": "en_revision", "nota": "..."}.')
    unknown = sorted(set(body) - set(CHANGE_FIELDS))
    if unknown:
        raise BadInput(f"Campo desconocido: {', '.join(unknown)}. Se aceptan: {', '.join(CHANGE_FIELDS)}.")
    status = body.get("estado")
    if not isinstance(status, str) or not status.strip():
        raise BadInput(f"Falta el campo 'estado' (uno de: {', '.join(store.STATUSES)}).")
    for name in ("nota", "autor"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise BadInput(f"El campo '{name}' debe ser texto.")
    note = (body.get("nota") or "").strip()
    author = (body.get("autor") or "").strip()
    if "\x00" in note or "\x00" in author:
        raise BadInput("La nota o el autor contienen caracteres no válidos.")
    if len(note) > store.NOTE_MAX_LENGTH:
        raise BadInput(f"La nota es demasiado larga (máximo {store.NOTE_MAX_LENGTH} caracteres).")
    if len(author) > AUTHOR_MAX_LENGTH:
        raise BadInput(f"El autor es demasiado largo (máximo {AUTHOR_MAX_LENGTH} caracteres).")
    return {"estado": status.strip(), "nota": note, "autor": author or None}


def _not_found(folio: str) -> web.Response:
    # Identical for a folio of another municipality and a folio that does not exist.
    return json_error(404, f"No se encontró la solicitud con folio '{folio[:FOLIO_MAX_LENGTH]}'.")


def _procedure_names(provider: Optional[CatalogueProvider]) -> Optional[Callable[[str], str]]:
    """``catalogue.display_name`` if the catalogue is at hand; else ``None`` (the slug is used)."""
    if provider is None:
        return None
    try:
        return provider().display_name
    except Exception:  # a missing catalogue must not stop a status change
        log.warning("catálogo no disponible; el aviso al vecino usará el identificador del trámite", exc_info=True)
        return None


@authenticated
async def list_handler(request: web.Request) -> web.Response:
    """GET /solicitudes"""
    try:
        options = parse_list_query(request.query)
    except BadInput as exc:
        return json_error(400, str(exc))
    found = await asyncio.to_thread(store.list_requests, request.app[DB_KEY], request["municipality"], **options)
    return json_ok({"solicitudes": found, "limit": options["limit"], "offset": options["offset"]})


@authenticated
async def detail_handler(request: web.Request) -> web.Response:
    """GET /solicitudes/{folio}"""
    folio = request.match_info["folio"]
    if len(folio) > FOLIO_MAX_LENGTH:
        return _not_found(folio)
    found = await asyncio.to_thread(store.get_request, request.app[DB_KEY], request["municipality"], folio)
    return json_ok(found) if found else _not_found(folio)


@authenticated
async def change_status_handler(request: web.Request) -> web.Response:
    """POST /solicitudes/{folio}/estado"""
    folio = request.match_info["folio"]
    try:
        body = await request.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return json_error(400, "El cuerpo no es JSON válido.")
    except RecursionError:  # e.g. [[[[…]]]] thousands deep: the decoder gives up
        return json_error(400, "El cuerpo JSON tiene demasiados niveles anidados.")
    try:
        change = parse_status_change(body)
    except BadInput as exc:
        return json_error(400, str(exc))
    if len(folio) > FOLIO_MAX_LENGTH:
        return _not_found(folio)
    token_name = request["token_name"]
    changed_by = f"{token_name} ({change['autor']})" if change["autor"] else token_name
    db, municipality, provider = request.app[DB_KEY], request["municipality"], request.app[CATALOGUE_KEY]

    def work() -> Dict[str, Any]:
        return store.change_status(
            db,
            municipality,
            folio,
            change["estado"] or "",
            change["nota"],
            changed_by,
            procedure_name=_procedure_names(cast(Optional[CatalogueProvider], provider)),
        )

    try:
        updated = await asyncio.to_thread(work)
    except LookupError:
        return _not_found(folio)
    except ValueError as exc:
        return json_error(400, str(exc))
    return json_ok(updated)


@authenticated
async def attachment_handler(request: web.Request) -> web.StreamResponse:
    """GET /solicitudes/{folio}/adjuntos/{n}: a photo sent with the request, fetched from the citizen's channel."""
    folio, number = request.match_info["folio"], request.match_info["n"]
    if len(folio) > FOLIO_MAX_LENGTH or not (number.isascii() and number.isdigit() and len(number) <= 3):
        return _not_found(folio)
    found = await asyncio.to_thread(
        store.request_attachment, request.app[DB_KEY], request["municipality"], folio, int(number)
    )
    if found is None:
        return json_error(404, f"La solicitud '{folio[:FOLIO_MAX_LENGTH]}' no tiene el adjunto {number}.")
    item, sender_id = found
    try:
        media = await request.app[MEDIA_KEY].fetch(sender_id, item)
    except MediaTooLarge:
        return json_error(413, "El adjunto supera el tamaño máximo que se entrega (MEDIA_MAX_BYTES).")
    except MediaUnavailable as exc:
        log.warning("adjunto %s de %s no disponible: %s", number, folio, exc)
        return json_error(502, "No se pudo traer el adjunto desde WhatsApp o Telegram. Intente más tarde.")
    return web.Response(
        body=media.content,
        content_type=media.served_type(),
        headers={
            "Content-Disposition": f'attachment; filename="{folio[:FOLIO_MAX_LENGTH]}-{number}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def openapi_handler(_request: web.Request) -> web.Response:
    """GET /openapi.json (no token)"""
    return json_ok(openapi_document())


def add_backoffice(
    app: web.Application,
    db: Database,
    catalogue_provider: Optional[CatalogueProvider] = None,
    media: Optional[MediaFetcher] = None,
) -> None:
    """Add the back-office API under ``/api/v1`` to ``app`` (before it starts); ``media`` fetches the photos
    sent with requests (default: from the channels' settings in the environment)."""
    app[DB_KEY] = db
    app[CATALOGUE_KEY] = catalogue_provider
    fetcher = app[MEDIA_KEY] = media or MediaFetcher.from_env()

    async def close_media(_app: web.Application) -> None:
        await fetcher.close()

    app.on_cleanup.append(close_media)  # type: ignore[arg-type]  # aiohttp 3.8 types Signal wrongly
    app.middlewares.append(json_errors)
    app.router.add_get(f"{API_PREFIX}/solicitudes", list_handler, name="api-solicitudes")
    app.router.add_get(f"{API_PREFIX}/solicitudes/{{folio}}", detail_handler, name="api-solicitud")
    app.router.add_post(f"{API_PREFIX}/solicitudes/{{folio}}/estado", change_status_handler, name="api-estado")
    app.router.add_get(f"{API_PREFIX}/solicitudes/{{folio}}/adjuntos/{{n}}", attachment_handler, name="api-adjunto")
    app.router.add_get(f"{API_PREFIX}/openapi.json", openapi_handler, name="api-openapi")
