"""The team page (``/consola/equipo``): a municipality's administrators manage its staff.

Administrators (``admin_only``) add people, change their role (agent ↔ administrator), reset their
password (a temporary one they type, or one the console generates and shows once) and deactivate or
reactivate them, only within their own municipality (another municipality's staffer is a 404).
Deactivating, demoting and resetting a password ask for confirmation first (a page with a second
form, no script); none of them may leave the municipality without an active administrator
(``bot.staff.team.LastAdmin``). Every change is audited; deactivation and reset end the staffer's
sessions at once.
"""

from __future__ import annotations

import asyncio
from typing import Optional, Sequence, Tuple

from aiohttp import web

from bot.app.web.console_auth import COOKIE_PATH, LOGIN_PATH, SESSION_COOKIE, admin_only, session_of
from bot.app.web.console_canned import parse_id
from bot.app.web.console_context import console
from bot.app.web.console_pages import Notice, confirmation_page, forbidden, message_page, not_found, notices_from, page
from bot.app.web.console_render import Markup, fragment, join, render, table
from bot.staff import accounts, passwords, team
from bot.staff.accounts import Staffer
from bot.staff.audit import record_audit

TEAM_PATH = "/consola/equipo"
TEAM_COLUMNS = ("Usuario", "Nombre", "Rol", "Estado", "Acciones")
ROLE_NAMES = {"admin": "Administrador", "agente": "Agente"}


# --- The list -----------------------------------------------------------------------------------


def _button(csrf: str, member: Staffer, action: str, label: str, hidden: Optional[dict] = None) -> Markup:
    """One row action: a small POST form (with the CSRF token) to ``/consola/equipo/{id}/{action}``."""
    fields = join(
        fragment('<input type="hidden" name="$name" value="$value">', name=name, value=value)
        for name, value in (hidden or {}).items()
    )
    return fragment(
        '<form method="post" action="$path/$id/$action"><input type="hidden" name="csrf" value="$csrf">'
        '$fields<button type="submit" aria-label="$label: $username">$label</button></form>',
        path=TEAM_PATH,
        id=member.id,
        action=action,
        csrf=csrf,
        fields=fields,
        label=label,
        username=member.username,
    )


def _actions(member: Staffer, me: Staffer, csrf: str) -> Markup:
    """What an administrator can do with one member of the team (on themselves: role and deactivation)."""
    if not member.active:
        return _button(csrf, member, "reactivar", "Reactivar")
    buttons = [
        _button(csrf, member, "rol", "Cambiar a agente…", {"rol": "agente"})
        if member.is_admin
        else _button(csrf, member, "rol", "Hacer administrador", {"rol": "admin"})
    ]
    if member.id == me.id:
        buttons.append(Markup('<a href="/consola/clave">Cambiar mi contraseña</a>'))
    else:
        buttons.append(_button(csrf, member, "clave", "Restablecer contraseña…"))
    buttons.append(_button(csrf, member, "desactivar", "Desactivar…"))
    return fragment('<div class="acciones">$buttons</div>', buttons=join(buttons, ""))


def _row(member: Staffer, me: Staffer, csrf: str) -> Markup:
    return fragment(
        '<tr><td data-etiqueta="Usuario">$username$you</td><td data-etiqueta="Nombre">$name</td>'
        '<td data-etiqueta="Rol">$role</td><td data-etiqueta="Estado">$state</td>'
        '<td data-etiqueta="Acciones">$actions</td></tr>',
        username=member.username,
        you=" (tú)" if member.id == me.id else "",
        name=member.name,
        role=ROLE_NAMES.get(member.role, member.role),
        state=("Activo" if member.active else "Desactivado")
        + (" · contraseña temporal" if member.active and member.must_change_password else ""),
        actions=_actions(member, me, csrf),
    )


def _team_page(
    request: web.Request,
    members: Sequence[Staffer],
    notices: Sequence[Notice] = (),
    status: int = 200,
    username: str = "",
    name: str = "",
) -> web.Response:
    session = session_of(request)
    rows = [_row(member, session.staffer, session.csrf_token) for member in members]
    content = render(
        "team.html",
        table=table(f"Personas de la consola ({len(members)})", TEAM_COLUMNS, rows),
        csrf=session.csrf_token,
        username=username,
        name=name,
        min_password=passwords.MIN_LENGTH,
        password_rule=passwords.RULE,
    )
    return page(request, "Equipo", content, status=status, notices=notices)


async def _team_with(request: web.Request, notices: Sequence[Notice], status: int, **form: str) -> web.Response:
    members = await asyncio.to_thread(
        accounts.list_staff, console(request).db, session_of(request).staffer.municipality
    )
    return _team_page(request, members, notices, status, **form)


@admin_only
async def team_list(request: web.Request) -> web.Response:
    """GET /consola/equipo (administrators): the municipality's staff."""
    return await _team_with(request, notices_from(request.query), 200)


@admin_only
async def team_create(request: web.Request) -> web.StreamResponse:
    """POST /consola/equipo (administrators): add a staffer to their own municipality (audited)."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    if form.get("accion") != "crear":
        return message_page(
            request,
            400,
            "Acción no válida",
            "El formulario no indica una acción conocida.",
            TEAM_PATH,
            "Volver al equipo",
        )
    username, name = str(form.get("usuario") or "").strip(), str(form.get("nombre") or "").strip()
    role = str(form.get("rol") or "agente")

    def create() -> Optional[str]:
        try:
            created = accounts.create_staff(
                ctx.db, staffer.municipality, username, name, str(form.get("clave") or ""), role
            )
        except ValueError as exc:
            return str(exc)
        record_audit(
            ctx.db, staffer.username, staffer.municipality, "crear_funcionario", target=created.username, detail=role
        )
        return None

    problem = await asyncio.to_thread(create)
    if problem:
        return await _team_with(request, [("error", problem)], 400, username=username[:60], name=name[:120])
    raise web.HTTPSeeOther(TEAM_PATH + "?aviso=creado")


# --- Changes on one member ----------------------------------------------------------------------


async def _member(request: web.Request) -> Optional[Staffer]:
    """The staffer of the path's id in the administrator's municipality, or ``None`` (404)."""
    ctx, municipality = console(request), session_of(request).staffer.municipality
    staff_id = parse_id(request.match_info["id"])
    if staff_id is None:
        return None
    return await asyncio.to_thread(accounts.get_staff, ctx.db, municipality, staff_id)


def _confirmation(
    request: web.Request,
    member: Staffer,
    action: str,
    heading: str,
    consequence: str,
    confirm: str,
    fields: Optional[Markup] = None,
    notices: Sequence[Notice] = (),
    status: int = 200,
) -> web.Response:
    return confirmation_page(
        request,
        heading,
        f"{member.name} ({member.username}) · {ROLE_NAMES.get(member.role, member.role)}",
        consequence,
        f"/consola/equipo/{member.id}/{action}",
        confirm,
        "/consola/equipo",
        "No, volver al equipo",
        fields=fields,
        notices=notices,
        status=status,
    )


def _audit(request: web.Request, action: str, member: Staffer, detail: Optional[str] = None) -> None:
    staffer = session_of(request).staffer
    record_audit(
        console(request).db, staffer.username, staffer.municipality, action, target=member.username, detail=detail
    )


async def _last_admin(request: web.Request) -> web.Response:
    """The team page with the last-administrator refusal (409)."""
    return await _team_with(request, [("error", team.LAST_ADMIN_MESSAGE)], 409)


@admin_only
async def deactivate(request: web.Request) -> web.StreamResponse:
    """POST /consola/equipo/{id}/desactivar (administrators): confirm, then deactivate and end their sessions."""
    ctx, me = console(request), session_of(request).staffer
    member = await _member(request)
    if member is None:
        return not_found(request)
    if not member.active:
        raise web.HTTPSeeOther(TEAM_PATH)
    if await asyncio.to_thread(team.is_last_admin, ctx.db, member):
        return await _last_admin(request)
    myself = member.id == me.id
    if request["console_form"].get("confirmar") != "si":
        consequence = (
            "Tu sesión se cerrará y no podrás volver a ingresar hasta que otro administrador te reactive."
            if myself
            else "Sus sesiones abiertas se cierran ahora mismo y no podrá ingresar hasta que un administrador "
            "reactive su usuario. Sus conversaciones y su historial se conservan."
        )
        heading = "¿Desactivar tu propio usuario?" if myself else f"¿Desactivar a {member.name}?"
        return _confirmation(request, member, "desactivar", heading, consequence, "Sí, desactivar")

    def work() -> Optional[Staffer]:
        done = team.deactivate_staff(ctx.db, me.municipality, member.id)
        if done is not None:
            _audit(request, "desactivar_funcionario", done)
        return done

    try:
        if await asyncio.to_thread(work) is None:
            return not_found(request)
    except team.LastAdmin:
        return await _last_admin(request)
    if myself:
        response = web.HTTPSeeOther(LOGIN_PATH + "?aviso=te_desactivaste")
        response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        raise response
    raise web.HTTPSeeOther(TEAM_PATH + "?aviso=desactivado")


@admin_only
async def reactivate(request: web.Request) -> web.StreamResponse:
    """POST /consola/equipo/{id}/reactivar (administrators): let a deactivated staffer log in again (audited)."""
    ctx, me = console(request), session_of(request).staffer
    member = await _member(request)
    if member is None:
        return not_found(request)
    if member.active:
        raise web.HTTPSeeOther(TEAM_PATH)

    def work() -> Optional[Staffer]:
        done = team.reactivate_staff(ctx.db, me.municipality, member.id)
        if done is not None:
            _audit(request, "reactivar_funcionario", done)
        return done

    if await asyncio.to_thread(work) is None:
        return not_found(request)
    raise web.HTTPSeeOther(TEAM_PATH + "?aviso=reactivado")


@admin_only
async def change_role(request: web.Request) -> web.StreamResponse:
    """POST /consola/equipo/{id}/rol (administrators): ``rol`` agente (after confirmation) or admin (audited)."""
    ctx, me, form = console(request), session_of(request).staffer, request["console_form"]
    role = str(form.get("rol") or "")
    if role not in accounts.ROLES:
        return message_page(
            request, 400, "Rol no válido", "Elige agente o administrador.", TEAM_PATH, "Volver al equipo"
        )
    member = await _member(request)
    if member is None:
        return not_found(request)
    if not member.active:
        return message_page(
            request,
            409,
            "Usuario desactivado",
            "Reactiva a esta persona antes de cambiar su rol.",
            TEAM_PATH,
            "Volver al equipo",
        )
    if member.role == role:
        raise web.HTTPSeeOther(TEAM_PATH)
    myself = member.id == me.id
    if role == "agente":
        if await asyncio.to_thread(team.is_last_admin, ctx.db, member):
            return await _last_admin(request)
        if form.get("confirmar") != "si":
            heading = "¿Dejar de ser administrador?" if myself else f"¿Cambiar a {member.name} a agente?"
            consequence = (
                "Seguirás atendiendo conversaciones, pero ya no podrás gestionar el equipo ni las respuestas "
                "predefinidas (otro administrador tendría que devolverte el rol)."
                if myself
                else "Seguirá atendiendo conversaciones, pero ya no podrá gestionar el equipo ni las respuestas "
                "predefinidas."
            )
            fields = Markup('<input type="hidden" name="rol" value="agente">')
            return _confirmation(request, member, "rol", heading, consequence, "Sí, cambiar a agente", fields)

    def work() -> Optional[Staffer]:
        done = team.change_role(ctx.db, me.municipality, member.id, role)
        if done is not None:
            _audit(request, "cambiar_rol", done, f"{member.role} → {done.role}")
        return done

    try:
        if await asyncio.to_thread(work) is None:
            return not_found(request)
    except team.LastAdmin:
        return await _last_admin(request)
    if myself:
        raise web.HTTPSeeOther("/consola?aviso=rol_propio")
    raise web.HTTPSeeOther(TEAM_PATH + ("?aviso=rol_admin" if role == "admin" else "?aviso=rol_agente"))


def _password_fields(min_length: int) -> Markup:
    return fragment(
        '<p><label for="clave-temporal">Contraseña temporal (opcional)</label>'
        '<input id="clave-temporal" name="clave" type="password" minlength="$min" maxlength="200" '
        'autocomplete="new-password" aria-describedby="clave-temporal-ayuda"></p>'
        '<p id="clave-temporal-ayuda" class="ayuda">Si la dejas vacía, la consola genera una y te la muestra '
        "una sola vez. Si la escribes tú: $rule</p>",
        min=min_length,
        rule=passwords.RULE,
    )


@admin_only
async def reset_password(request: web.Request) -> web.StreamResponse:
    """POST /consola/equipo/{id}/clave (administrators): confirm, then set a temporary password and end
    the staffer's sessions (audited); a generated password is shown once."""
    ctx, me, form = console(request), session_of(request).staffer, request["console_form"]
    member = await _member(request)
    if member is None:
        return not_found(request)
    if member.id == me.id:
        return forbidden(request, "Para cambiar tu propia contraseña usa «Mi contraseña» (/consola/clave).")
    if not member.active:
        return message_page(
            request,
            409,
            "Usuario desactivado",
            "Reactiva a esta persona antes de restablecer su contraseña.",
            TEAM_PATH,
            "Volver al equipo",
        )
    heading = f"¿Restablecer la contraseña de {member.name}?"
    consequence = (
        "Su contraseña actual deja de servir y sus sesiones abiertas se cierran ahora mismo. Entrégale la "
        "contraseña temporal en persona o por teléfono: al ingresar con ella, la consola le pedirá elegir una propia."
    )
    fields = _password_fields(passwords.MIN_LENGTH)
    if form.get("confirmar") != "si":
        return _confirmation(request, member, "clave", heading, consequence, "Sí, restablecer", fields)
    typed = str(form.get("clave") or "")

    def work() -> Tuple[str, str]:
        """``("ok", password)``, ``("problem", Spanish message)`` or ``("not_found", "")``."""
        password = typed or passwords.generate_password(member.personal_words)
        try:
            done = team.reset_password(ctx.db, me.municipality, member.id, password)
        except ValueError as exc:
            return "problem", str(exc)
        if done is None:
            return "not_found", ""
        _audit(request, "restablecer_clave", done, "escrita por el administrador" if typed else "generada")
        return "ok", password

    outcome, value = await asyncio.to_thread(work)
    if outcome == "not_found":
        return not_found(request)
    if outcome == "problem":
        return _confirmation(
            request, member, "clave", heading, consequence, "Sí, restablecer", fields, [("error", value)], 400
        )
    if typed:
        raise web.HTTPSeeOther(TEAM_PATH + "?aviso=clave_restablecida")
    content = render("team_password.html", name=member.name, username=member.username, password=value)
    return page(request, "Contraseña temporal", content)
