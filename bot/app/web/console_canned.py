"""Canned responses in the console: the administrators' page and the reply box's insertion controls.

Administrators (``admin_only``, as the team page) create, edit and delete their municipality's
canned responses (deletion asks for confirmation first); shared ones (``municipality`` NULL) are
listed but not editable here. In a conversation, the reply form offers the municipality's
procedures with their aspects and the canned responses: «Insertar» posts the form to
``/insertar`` (``bot.app.web.console_handoffs.insert``), which renders the page again with the
text in the reply box; nothing is sent until the staffer presses «Enviar respuesta». No script:
the console's CSP allows none.
"""

from __future__ import annotations

import asyncio
from typing import Dict, Optional, Sequence

from aiohttp import web

from bot.app.web.console_auth import admin_only, session_of
from bot.app.web.console_context import INSERTABLE_ASPECTS, console
from bot.app.web.console_pages import Notice, confirmation_page, message_page, not_found, notices_from, page
from bot.app.web.console_render import Markup, fragment, local_time, options, render, table
from bot.staff import canned
from bot.staff.audit import record_audit
from bot.staff.canned import CannedResponse
from bot.storage.tables import CANNED_BODY_MAX_LENGTH, CANNED_TITLE_MAX_LENGTH

CANNED_COLUMNS = ("Título", "Texto", "Municipalidad", "Creada por", "Acción")
SHARED_NAME = "Todas las municipalidades"
PREVIEW_LENGTH = 120


def parse_id(value: object) -> Optional[int]:
    """A row id from a form or path (ASCII digits, at most 9), or ``None``."""
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _preview(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"


# --- In the conversation page -------------------------------------------------------------------


def insertion_controls(
    handoff_id: int,
    procedures: Dict[str, str],
    responses: Sequence[CannedResponse],
    chosen: Optional[Dict[str, str]] = None,
) -> Markup:
    """The reply form's «Insertar» controls: catalogue answers and canned responses (no script needed)."""
    chosen = chosen or {}
    action = f"/consola/conversacion/{handoff_id}/insertar"
    parts = []
    if procedures:
        parts.append(
            fragment(
                '<p><label for="insertar-tramite">Trámite de tu municipalidad</label>'
                '<select id="insertar-tramite" name="tramite">$procedures</select> '
                '<label for="insertar-aspecto">Qué informar</label>'
                '<select id="insertar-aspecto" name="aspecto">$aspects</select> '
                '<button type="submit" name="insertar" value="catalogo" formaction="$action" formnovalidate>'
                "Insertar</button></p>",
                procedures=options(
                    sorted(procedures.items(), key=lambda item: item[1]), chosen.get("tramite"), "Elige un trámite"
                ),
                aspects=options(INSERTABLE_ASPECTS, chosen.get("aspecto")),
                action=action,
            )
        )
    if responses:
        choices = [(str(r.id), f"{r.title} (todas)" if r.shared else r.title) for r in responses]
        parts.append(
            fragment(
                '<p><label for="insertar-respuesta">Respuesta predefinida</label>'
                '<select id="insertar-respuesta" name="respuesta">$choices</select> '
                '<button type="submit" name="insertar" value="predefinida" formaction="$action" formnovalidate>'
                "Insertar</button></p>",
                choices=options(choices, chosen.get("respuesta"), "Elige una respuesta"),
                action=action,
            )
        )
    if not parts:
        return Markup("")
    return fragment(
        '<fieldset class="insertar"><legend>Insertar un texto en el mensaje</legend>'
        '<p class="ayuda">El texto se agrega al mensaje de abajo; no se envía hasta que presiones '
        "«Enviar respuesta».</p>$parts</fieldset>",
        parts=Markup("".join(parts)),
    )


# --- The administrators' page -------------------------------------------------------------------


def _list_page(
    request: web.Request,
    responses: Sequence[CannedResponse],
    notices: Sequence[Notice] = (),
    status: int = 200,
    title: str = "",
    body: str = "",
) -> web.Response:
    session = session_of(request)
    town = request.get("console_municipality_name", "") or session.staffer.municipality
    rows = []
    for item in responses:
        action = (
            Markup("—")
            if item.shared
            else fragment('<a href="/consola/respuestas/$id" aria-label="Editar $title">Editar</a>', **vars_of(item))
        )
        rows.append(
            fragment(
                "<tr><td>$title</td><td>$preview</td><td>$town</td><td>$by ($at)</td><td>$action</td></tr>",
                title=item.title,
                preview=_preview(item.body),
                town=SHARED_NAME if item.shared else town,
                by=item.created_by,
                at=local_time(item.created_at),
                action=action,
            )
        )
    if not rows:
        rows = [Markup('<tr><td colspan="5">Todavía no hay respuestas predefinidas.</td></tr>')]
    content = render(
        "canned.html",
        table=table(f"Respuestas predefinidas ({len(responses)})", CANNED_COLUMNS, rows),
        csrf=session.csrf_token,
        title=title,
        body=body,
        title_max=CANNED_TITLE_MAX_LENGTH,
        body_max=CANNED_BODY_MAX_LENGTH,
    )
    return page(request, "Respuestas predefinidas", content, status=status, notices=notices)


def vars_of(item: CannedResponse) -> Dict[str, str]:
    """The fields of a canned response as template values."""
    return {"id": str(item.id), "title": item.title, "body": item.body}


def _edit_page(
    request: web.Request,
    item: CannedResponse,
    notices: Sequence[Notice] = (),
    status: int = 200,
    title: Optional[str] = None,
    body: Optional[str] = None,
) -> web.Response:
    content = render(
        "canned_edit.html",
        id=item.id,
        heading=item.title,
        csrf=session_of(request).csrf_token,
        title=item.title if title is None else title,
        body=item.body if body is None else body,
        title_max=CANNED_TITLE_MAX_LENGTH,
        body_max=CANNED_BODY_MAX_LENGTH,
    )
    return page(request, "Editar respuesta predefinida", content, status=status, notices=notices)


def _own(item: Optional[CannedResponse]) -> Optional[CannedResponse]:
    """Only the municipality's own rows are managed here (shared ones are read-only)."""
    return item if item is not None and not item.shared else None


@admin_only
async def canned_list(request: web.Request) -> web.Response:
    """GET /consola/respuestas (administrators): the municipality's canned responses and the shared ones."""
    ctx, municipality = console(request), session_of(request).staffer.municipality
    responses = await asyncio.to_thread(canned.list_canned, ctx.db, municipality)
    return _list_page(request, responses, notices_from(request.query))


@admin_only
async def canned_create(request: web.Request) -> web.StreamResponse:
    """POST /consola/respuestas (administrators): add a canned response of their municipality (audited)."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    if form.get("accion") != "crear":
        return message_page(
            request,
            400,
            "Acción no válida",
            "El formulario no indica una acción conocida.",
            "/consola/respuestas",
            "Volver a las respuestas predefinidas",
        )
    title, body = str(form.get("titulo") or ""), str(form.get("texto") or "")

    def create() -> Optional[str]:
        try:
            created = canned.create_canned(ctx.db, staffer.municipality, title, body, staffer.username)
        except ValueError as exc:
            return str(exc)
        record_audit(
            ctx.db,
            staffer.username,
            staffer.municipality,
            "crear_respuesta",
            target=str(created.id),
            detail=created.title,
        )
        return None

    problem = await asyncio.to_thread(create)
    if problem:
        responses = await asyncio.to_thread(canned.list_canned, ctx.db, staffer.municipality)
        return _list_page(
            request,
            responses,
            [("error", problem)],
            400,
            title[:CANNED_TITLE_MAX_LENGTH],
            body[:CANNED_BODY_MAX_LENGTH],
        )
    raise web.HTTPSeeOther("/consola/respuestas?aviso=respuesta_creada")


@admin_only
async def canned_edit_form(request: web.Request) -> web.Response:
    """GET /consola/respuestas/{id} (administrators): edit one of their municipality's canned responses."""
    ctx, municipality = console(request), session_of(request).staffer.municipality
    canned_id = parse_id(request.match_info["id"])
    item = _own(await asyncio.to_thread(canned.get_canned, ctx.db, municipality, canned_id or 0))
    if item is None:
        return not_found(request)
    return _edit_page(request, item, notices_from(request.query))


@admin_only
async def canned_edit(request: web.Request) -> web.StreamResponse:
    """POST /consola/respuestas/{id}/editar (administrators): change the title and text (audited)."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    canned_id = parse_id(request.match_info["id"]) or 0
    title, body = str(form.get("titulo") or ""), str(form.get("texto") or "")
    item = _own(await asyncio.to_thread(canned.get_canned, ctx.db, staffer.municipality, canned_id))
    if item is None:
        return not_found(request)

    def update() -> Optional[str]:
        try:
            changed = canned.update_canned(ctx.db, staffer.municipality, canned_id, title, body)
        except ValueError as exc:
            return str(exc)
        if changed is None:
            return ""
        record_audit(
            ctx.db,
            staffer.username,
            staffer.municipality,
            "editar_respuesta",
            target=str(canned_id),
            detail=changed.title,
        )
        return None

    problem = await asyncio.to_thread(update)
    if problem == "":
        return not_found(request)
    if problem:
        return _edit_page(
            request, item, [("error", problem)], 400, title[:CANNED_TITLE_MAX_LENGTH], body[:CANNED_BODY_MAX_LENGTH]
        )
    raise web.HTTPSeeOther(f"/consola/respuestas/{canned_id}?aviso=respuesta_editada")


@admin_only
async def canned_delete(request: web.Request) -> web.StreamResponse:
    """POST /consola/respuestas/{id}/eliminar (administrators): ask for confirmation, then delete (audited)."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    canned_id = parse_id(request.match_info["id"]) or 0
    item = _own(await asyncio.to_thread(canned.get_canned, ctx.db, staffer.municipality, canned_id))
    if item is None:
        return not_found(request)
    if form.get("confirmar") != "si":
        return confirmation_page(
            request,
            "¿Eliminar esta respuesta predefinida?",
            item.title,
            "El equipo ya no podrá insertarla. Esta acción no se puede deshacer.",
            f"/consola/respuestas/{item.id}/eliminar",
            "Sí, eliminar",
            f"/consola/respuestas/{item.id}",
            details=fragment('<p class="texto">$body</p>', body=item.body),
            title="Eliminar respuesta predefinida",
        )

    def delete() -> bool:
        deleted = canned.delete_canned(ctx.db, staffer.municipality, canned_id)
        if deleted is not None:
            record_audit(
                ctx.db,
                staffer.username,
                staffer.municipality,
                "eliminar_respuesta",
                target=str(canned_id),
                detail=deleted.title,
            )
        return deleted is not None

    if not await asyncio.to_thread(delete):
        return not_found(request)
    raise web.HTTPSeeOther("/consola/respuestas?aviso=respuesta_eliminada")
