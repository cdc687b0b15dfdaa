"""The live queue: ``GET /consola`` (the page) and ``GET /consola/cola.json`` (what its script polls).

Both show the staffer's municipality only, optionally one department (``?area=`` one of the
catalogue's categories of its procedures) and one of its labels (``?etiqueta=``, bot.handoff.labels). Each
conversation: the citizen's channel name and masked
identity, channel, last message (masked, short), unread messages, waiting time until the first staff
reply with its office minutes and SLA state (in words, not only colour), who attends it, its labels, and the
take / reassign / assign forms. Without JavaScript the page refreshes itself (``<noscript>``);
with it, ``static/queue.js`` replaces the rows that changed and the title's count.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

from aiohttp import web

from bot.app.web.console_auth import load_session, session_of, staff_only
from bot.app.web.console_context import ConsoleContext, console
from bot.app.web.console_labels import label_chips, label_filter, label_filter_form
from bot.app.web.console_mask import mask_text, masked_identity
from bot.app.web.console_pages import notices_from, page
from bot.app.web.console_render import (
    CHANNEL_NAMES,
    REASON_NAMES,
    STATUS_NAMES,
    Markup,
    duration,
    fragment,
    join,
    options,
    render,
)
from bot.handoff import labels
from bot.handoff.labels import Label
from bot.handoff.queue import QueueEntry, live_queue
from bot.handoff.sla import OfficeNow, OfficeStatus, SlaClock, SlaState, local
from bot.handoff.states import HandoffStatus
from bot.staff import accounts
from bot.staff.sessions import StaffSession

POLL_SECONDS = 5  # how often queue.js asks (data-cada of the list)
NO_SCRIPT_REFRESH_SECONDS = 30
PREVIEW_LENGTH = 120
SITE_TITLE = "Consola municipal"  # as base.html ends every title
SLA_NAMES = {
    SlaState.ON_TIME: "A tiempo",
    SlaState.WARNING: "Por vencer",
    SlaState.LATE: "Atrasada",
    SlaState.ANSWERED: "Respondida",
}
EMPTY_TEXT = "No hay conversaciones esperando. ¡Bien!"
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


@dataclass
class QueueView:
    """Everything the queue page and its JSON show."""

    entries: List[QueueEntry]
    shown: List[QueueEntry]  # those of the chosen area
    area: str  # "" for every one
    label: Optional[str]  # the label the queue is filtered by, if any
    tags: Dict[int, List[Label]]  # handoff id -> its labels
    known: List[Label]  # the municipality's labels
    areas: Dict[str, str]  # procedure slug -> category
    procedures: Dict[str, str]  # procedure slug -> name
    staff: Dict[str, str]  # username -> name, of the municipality
    active: List[Tuple[str, str]]  # (username, name) of the active staff, by name
    clock: SlaClock
    office: OfficeNow
    now: datetime


def _load(ctx: ConsoleContext, session: StaffSession, area: str, label: Optional[str] = None) -> QueueView:
    municipality = session.staffer.municipality
    clock, now = ctx.sla_clock(municipality), ctx.clock()
    entries = live_queue(ctx.db, ctx.reader, municipality, session.staffer.username, clock, now, label=label)
    areas = ctx.areas(municipality)
    area = area if area in set(areas.values()) else ""
    staff = accounts.list_staff(ctx.db, municipality)
    return QueueView(
        entries,
        [e for e in entries if not area or areas.get(e.handoff.procedure or "") == area],
        area,
        label,
        labels.labels_of(ctx.db, municipality, [e.handoff.id for e in entries]),
        labels.list_labels(ctx.db, municipality),
        areas,
        ctx.procedures(municipality),
        {s.username: s.name for s in staff},
        sorted(((s.username, s.name) for s in staff if s.active), key=lambda item: item[1]),
        clock,
        clock.office(now),
        now,
    )


# --- Texts --------------------------------------------------------------------------------------


def _when(moment: datetime, now: datetime) -> str:
    """``las 14:30``, ``mañana a las 08:30``, ``el lunes 05-01 a las 08:30`` (local times)."""
    at = moment.strftime("%H:%M")
    if moment.date() == now.date():
        return f"las {at}"
    if moment.date() == now.date() + timedelta(days=1):
        return f"mañana a las {at}"
    return f"el {WEEKDAYS[moment.weekday()]} {moment.strftime('%d-%m')} a las {at}"


def office_text(office: OfficeNow, clock: SlaClock, now: datetime) -> str:
    """The office-hours line at the top of the queue."""
    limit = f"{clock.limit_minutes} minutos de horario de atención"
    if office.status == OfficeStatus.OPEN:
        return f"Oficina abierta: corre el plazo de primera respuesta ({limit})."
    if office.status == OfficeStatus.UNKNOWN:
        return (
            f"Sin horario de atención en el catálogo: el plazo ({clock.limit_minutes} minutos) cuenta todas las horas."
        )
    until = f"hasta {_when(office.reopens, local(now))}" if office.reopens else "hasta que vuelva a abrir"
    heading = {
        OfficeStatus.LUNCH: "Hora de colación",
        OfficeStatus.HOLIDAY: "Feriado: oficina cerrada",
        OfficeStatus.CLOSED: "Oficina cerrada",
    }[office.status]
    return f"{heading}: el plazo de primera respuesta se detiene {until}."


def _minutes(value: float) -> str:
    return "menos de 1 min" if value < 1 else f"{int(value)} min"


def sla_text(entry: QueueEntry, clock: SlaClock) -> str:
    """``Atrasada: 18 min de horario sin respuesta (plazo 15 min)``."""
    name = SLA_NAMES[entry.sla]
    if entry.sla == SlaState.ANSWERED:
        return f"{name} tras {_minutes(entry.office_minutes)} de horario"
    return f"{name}: {_minutes(entry.office_minutes)} de horario sin respuesta (plazo {clock.limit_minutes} min)"


def _preview(text: Optional[str]) -> str:
    if not text:
        return "Sin mensajes guardados."
    short = " ".join(mask_text(text).split())
    return short if len(short) <= PREVIEW_LENGTH else short[: PREVIEW_LENGTH - 1].rstrip() + "…"


def _unread(count: int) -> str:
    return "" if count == 0 else "1 mensaje sin leer" if count == 1 else f"{count} mensajes sin leer"


def _unanswered(view: QueueView) -> int:
    return sum(1 for e in view.shown if e.first_reply_at is None)


def queue_title(view: QueueView) -> str:
    """``(2) Cola``: the count of conversations nobody has answered yet, for a background tab."""
    count = _unanswered(view)
    return f"({count}) Cola" if count else "Cola"


def _summary(view: QueueView) -> str:
    total, waiting = len(view.shown), _unanswered(view)
    opened = "1 conversación abierta" if total == 1 else f"{total} conversaciones abiertas"
    return opened + ("" if waiting == 0 else " · 1 sin respuesta" if waiting == 1 else f" · {waiting} sin respuesta")


# --- HTML ---------------------------------------------------------------------------------------

_TAKE = (
    '<form method="post" action="/consola/conversacion/$id/tomar"><input type="hidden" name="csrf" value="$csrf">'
    '<button type="submit" aria-label="$label conversación n.º $id">$label</button></form>'
)
_ASSIGN = (
    '<form method="post" action="/consola/conversacion/$id/asignar" class="asignar">'
    '<input type="hidden" name="csrf" value="$csrf"><label for="agente-$id">Asignar a</label>'
    '<select id="agente-$id" name="agente" required>$agents</select>'
    '<button type="submit" aria-label="Asignar conversación n.º $id">Asignar</button></form>'
)
_ROW = (
    '<li class="conversacion sla-$sla" data-id="$id"><p class="fila-titulo"><a href="/consola/conversacion/$id">'
    'Abrir conversación n.º $id</a> <span class="vecino">$name$who</span> · <span class="canal">$channel</span>'
    "$unread</p>"
    '<p class="ultimo"><span class="visualmente-oculto">Último mensaje: </span>$last</p>$tags'
    '<p class="meta"><span class="sla">$sla_text</span> · Espera: $waited · Trámite: $procedure · '
    'Motivo: $reason · Estado: $status · Atiende: <span class="atiende">$attends</span></p>'
    '<div class="acciones">$take$assign</div></li>'
)


def row_html(entry: QueueEntry, view: QueueView, session: StaffSession) -> Markup:
    """One conversation of the queue (also sent in the JSON, so the script and the page agree)."""
    h, me = entry.handoff, session.staffer.username
    attended = h.status == HandoffStatus.ATTENDED.value and h.assigned_to
    attends = view.staff.get(h.assigned_to or "", h.assigned_to or "") if attended else "Nadie"
    if not attended:
        take = fragment(_TAKE, id=h.id, csrf=session.csrf_token, label="Tomar")
    elif h.assigned_to == me:
        take, attends = Markup(""), "Tú"
    else:  # goes through the warning page (bot.app.web.console_assign)
        take = fragment(_TAKE, id=h.id, csrf=session.csrf_token, label="Reasignar")
    agents = [(u, n) for u, n in view.active if u != h.assigned_to or not attended]
    assign = (
        fragment(_ASSIGN, id=h.id, csrf=session.csrf_token, agents=options(agents, empty="Elige a una persona"))
        if agents
        else Markup("")
    )
    procedure = view.procedures.get(h.procedure or "", h.procedure or "Sin trámite")
    area = view.areas.get(h.procedure or "")
    unread = _unread(entry.unread)
    attached = view.tags.get(h.id, [])
    tags = (
        fragment(
            '<p class="etiquetas-fila"><span class="visualmente-oculto">Etiquetas: </span>$chips</p>',
            chips=label_chips(attached),
        )
        if attached
        else Markup("")
    )
    return fragment(
        _ROW,
        id=h.id,
        sla=entry.sla.value,
        name=f"{entry.citizen_name} · " if entry.citizen_name else "",
        who=masked_identity(h.sender_id, h.form_data),
        channel=CHANNEL_NAMES.get(h.channel, h.channel),
        unread=fragment(' · <strong class="no-leidos">$text</strong>', text=unread) if unread else Markup(""),
        last=_preview(entry.last_message),
        tags=tags,
        sla_text=sla_text(entry, view.clock),
        waited=duration(entry.waited) + ("" if entry.first_reply_at else " y sigue"),
        procedure=f"{procedure} ({area})" if area else procedure,
        reason=REASON_NAMES.get(h.reason, h.reason),
        status=STATUS_NAMES.get(h.status, h.status),
        attends=attends,
        take=take,
        assign=assign,
    )


def _query(area: str, label: Optional[str]) -> str:
    """``?area=…&etiqueta=…`` of the chosen filters, or ``""``."""
    pairs = [(name, value) for name, value in (("area", area), ("etiqueta", label or "")) if value]
    return ("?" + "&".join(f"{name}={quote(value)}" for name, value in pairs)) if pairs else ""


def _area_links(view: QueueView) -> Markup:
    categories = sorted(set(view.areas.values()))
    counts = {c: sum(1 for e in view.entries if view.areas.get(e.handoff.procedure or "") == c) for c in categories}
    links = [("", f"Todos ({len(view.entries)})")] + [(c, f"{c} ({counts[c]})") for c in categories]
    return join(
        fragment(
            '<li><a href="$href"$current>$label</a></li>',
            href="/consola" + _query(value, view.label),  # keeps the label filter
            current=Markup(' aria-current="page"') if value == view.area else Markup(""),
            label=label,
        )
        for value, label in links
    )


def _source(area: str, label: Optional[str]) -> str:
    return "/consola/cola.json" + _query(area, label)


# --- Handlers -----------------------------------------------------------------------------------


def _area(request: web.Request) -> str:
    return str(request.query.get("area") or "")[:80]


@staff_only
async def queue(request: web.Request) -> web.Response:
    """GET /consola: the live queue of the staffer's municipality."""
    ctx, session = console(request), session_of(request)
    view = await asyncio.to_thread(_load, ctx, session, _area(request), label_filter(request.query))
    rows = [row_html(e, view, session) for e in view.shown] or [
        fragment('<li class="vacia">$text</li>', text=EMPTY_TEXT)
    ]
    content = render(
        "queue.html",
        office_state=view.office.status.value,
        office=office_text(view.office, view.clock, view.now),
        areas=_area_links(view),
        labels=label_filter_form(view.known, view.label, keep={"area": view.area}),
        source=_source(view.area, view.label),
        every=str(POLL_SECONDS),
        empty=EMPTY_TEXT,
        summary=_summary(view),
        rows=join(rows),
        refresh=str(NO_SCRIPT_REFRESH_SECONDS),
    )
    head = (
        f'<noscript><meta http-equiv="refresh" content="{NO_SCRIPT_REFRESH_SECONDS}"></noscript>'
        '<script src="/consola/estatico/queue.js" defer></script>'
    )
    return page(request, queue_title(view), content, notices=notices_from(request.query), head=head)


def queue_data(view: QueueView, session: StaffSession) -> Dict[str, Any]:
    """The JSON of the queue: counts, office state, and each row's data with its HTML."""
    return {
        "titulo": f"{queue_title(view)} · {SITE_TITLE}",
        "sin_respuesta": _unanswered(view),
        "abiertas": len(view.shown),
        "resumen": _summary(view),
        "vacio": EMPTY_TEXT,
        "area": view.area,
        "etiqueta": view.label,
        "horario": {"estado": view.office.status.value, "texto": office_text(view.office, view.clock, view.now)},
        "filas": [
            {
                "id": e.handoff.id,
                "nombre": e.citizen_name,
                "vecino": masked_identity(e.handoff.sender_id, e.handoff.form_data),
                "canal": e.handoff.channel,
                "ultimo_mensaje": _preview(e.last_message) if e.last_message else None,
                "sin_leer": e.unread,
                "espera_minutos": int(e.waited.total_seconds() // 60),
                "minutos_en_horario": round(e.office_minutes, 1),
                "sla": e.sla.value,
                "sla_texto": sla_text(e, view.clock),
                "estado": e.handoff.status,
                "atiende": e.handoff.assigned_to if e.handoff.status == HandoffStatus.ATTENDED.value else None,
                "tramite": e.handoff.procedure,
                "area": view.areas.get(e.handoff.procedure or ""),
                "etiquetas": [label.name for label in view.tags.get(e.handoff.id, [])],
                "html": str(row_html(e, view, session)),
            }
            for e in view.shown
        ],
    }


async def queue_json(request: web.Request) -> web.Response:
    """GET /consola/cola.json: the queue as ``queue_data``; 401 (JSON) without a valid session."""
    session = await load_session(request)
    if session is None:
        return web.json_response({"error": "sesion"}, status=401)
    view = await asyncio.to_thread(_load, console(request), session, _area(request), label_filter(request.query))
    return web.json_response(queue_data(view, session))
