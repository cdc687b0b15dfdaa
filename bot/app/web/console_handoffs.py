"""The queue and one conversation: transcript, reply, take, hand back, close, error marks and export.

Every handler filters by the staffer's municipality: another municipality's handoff
answers the same 404 as one that does not exist. Database and tracker reads run in
threads; sending to the citizen and switching the assistant off or on are awaited with
the timeouts of the channel adapters and ``bot.handoff.with_staff``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlencode

from aiohttp import web

from bot.answers.channel import HAND_BACK_TEXT
from bot.app.web.console_auth import session_of, staff_only
from bot.app.web.console_canned import insertion_controls, parse_id
from bot.app.web.console_closing import closing_messages
from bot.app.web.console_context import INSERTABLE_ASPECTS, ConsoleContext, console
from bot.app.web.console_labels import label_chips, labels_section, note_form
from bot.app.web.console_media import folios_html, media_html
from bot.app.web.console_pages import NOTICES, Notice, not_found, notices_from, page
from bot.app.web.console_render import (
    CHANNEL_NAMES,
    REASON_NAMES,
    STATUS_NAMES,
    Markup,
    duration,
    fragment,
    join,
    local_time,
    options,
    render,
)
from bot.app.web.console_takeover import confirmed_holder, warning_page
from bot.config import timezone_name
from bot.handoff import auto_assign, labels, notes, queries, reviews, service, surveys
from bot.handoff.labels import Label
from bot.handoff.states import OPEN, HandoffStatus
from bot.handoff.transcript import Turn, transcript
from bot.staff import accounts, canned
from bot.staff.accounts import Staffer
from bot.staff.audit import record_audit
from bot.staff.canned import CannedResponse
from bot.storage.tables import HandoffRow, ReviewRow, utcnow
from channels.adapter import NotDeliverable

log = logging.getLogger(__name__)

CLOSE_REASONS = (
    "Resuelta",
    "Derivada a una oficina municipal",
    "Sin respuesta del vecino o vecina",
    "Fuera de competencia municipal",
    "Otro motivo",
)
REPLY_MAX_LENGTH = 1500
WHO = {"vecino": "Vecino o vecina", "asistente": "Asistente", "funcionario": "Funcionario/a", "nota": "Nota interna"}
NOT_DELIVERABLE_TEXT = (
    "No se pudo enviar: esta conversación llegó por un canal que no recibe mensajes desde la "
    "consola (por ejemplo, el chat web), o ese canal no está configurado en este servidor. "
    "Contacta al vecino o vecina por otro medio."
)
SEND_FAILED_TEXT = (
    "No se pudo enviar el mensaje: el servicio de WhatsApp o Telegram no respondió o lo rechazó. "
    "Tu texto sigue abajo; inténtalo de nuevo en unos minutos."
)
REPLY_CONSEQUENCE = (
    "Si continúas, tu mensaje llega al vecino o vecina junto a los de $current, que sigue a cargo de la "
    "conversación (para tomarla, usa «Reasignar»). El envío queda registrado en la auditoría."
)
_INTENT_RE = re.compile(r"[a-z][a-z0-9_]{0,79}")
_PROCEDURE_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


def _back(handoff_id: int, *codes: str) -> web.HTTPSeeOther:
    query = urlencode([("aviso", c) for c in codes])
    return web.HTTPSeeOther(f"/consola/conversacion/{handoff_id}" + (f"?{query}" if query else ""))


async def _switch(ctx: ConsoleContext, sender_id: str, value: bool) -> bool:
    """Set ``con_funcionario`` in Rasa; ``False`` (logged) when Rasa cannot be reached."""
    try:
        await ctx.set_with_staff(sender_id, value)
        return True
    except Exception:  # network errors, timeouts, Rasa's 4xx/5xx: the change stays, staff is told
        log.warning("no se pudo cambiar con_funcionario=%s de una conversación", value, exc_info=True)
        return False


async def _send(ctx: ConsoleContext, sender_id: str, text: str) -> None:
    """Send through the conversation's channel; ``NotDeliverable`` when it has none here."""
    if ctx.channels is None:
        raise NotDeliverable("no hay canales configurados en este servidor")
    await ctx.channels.send_text(sender_id, text)


def _confidence(value: Optional[float]) -> str:
    return f"{value:.2f}".replace(".", ",") if isinstance(value, (int, float)) else "sin dato"


def _procedure_label(names: Dict[str, str], slug: Optional[str]) -> str:
    if not slug:
        return "Sin trámite"
    return f"{names[slug]} ({slug})" if slug in names else slug


# --- One conversation ---------------------------------------------------------------------------


@dataclass
class Conversation:
    """What the conversation page shows."""

    handoff: HandoffRow
    turns: List[Turn]
    folios: List[str]
    procedures: Dict[str, str]
    reviews: Dict[int, List[ReviewRow]] = field(default_factory=dict)
    canned: List[CannedResponse] = field(default_factory=list)
    labels: List[Label] = field(default_factory=list)
    known_labels: List[Label] = field(default_factory=list)
    survey: Optional[surveys.Survey] = None
    staff_names: Dict[str, str] = field(default_factory=dict)  # username -> name, of the municipality
    request_media: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)  # folio -> its photos


def _load(ctx: ConsoleContext, staffer: Staffer, handoff_id: int, action: str) -> Optional[Conversation]:
    """The conversation of one handoff of the staffer's municipality (audited as ``action``), or ``None``."""
    handoff = queries.get_handoff(ctx.db, staffer.municipality, handoff_id)
    if handoff is None:
        return None
    turns = transcript(ctx.reader, ctx.db, handoff.sender_id) + [
        Turn(n.created_at, "nota", n.text, staff=n.staff_name)
        for n in notes.notes_for(ctx.db, staffer.municipality, handoff.id)
    ]
    found = Conversation(
        handoff,
        sorted(turns, key=lambda t: t.at),
        queries.folios_for(ctx.db, staffer.municipality, handoff.sender_id),
        ctx.procedures(staffer.municipality),
        canned=canned.list_canned(ctx.db, staffer.municipality),
        labels=labels.labels_of(ctx.db, staffer.municipality, [handoff.id]).get(handoff.id, []),
        known_labels=labels.list_labels(ctx.db, staffer.municipality),
        survey=surveys.survey_for(ctx.db, staffer.municipality, handoff.id),
        staff_names={s.username: s.name for s in accounts.list_staff(ctx.db, staffer.municipality)},
        request_media=queries.request_attachments_for(ctx.db, staffer.municipality, handoff.sender_id),
    )
    for review in reviews.reviews_for(ctx.db, staffer.municipality, handoff.id):
        found.reviews.setdefault(review.event_id, []).append(review)
    record_audit(ctx.db, staffer.username, staffer.municipality, action, handoff.id, target=handoff.sender_id)
    return found


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _form_data_html(data: Optional[Dict[str, Any]]) -> Markup:
    if not data:
        return Markup("<p>Sin datos de formulario.</p>")
    rows = join(
        fragment('<tr><th scope="row">$key</th><td>$value</td></tr>', key=k, value=_value_text(v))
        for k, v in data.items()
    )
    return fragment(
        '<div class="tabla"><table><caption>Datos del formulario</caption><tbody>$rows</tbody></table></div>', rows=rows
    )


def _turn_html(turn: Turn, conv: Conversation, csrf: str) -> Markup:
    if turn.who == "vecino":
        meta = f" · intención: {turn.intent or 'sin dato'} (confianza {_confidence(turn.confidence)})"
    else:
        meta = ""
    if turn.who == "nota":
        label = f"Nota interna de {turn.staff} (el vecino o vecina no la ve)"
    else:
        label = WHO.get(turn.who, turn.who) + (f" ({turn.staff})" if turn.staff else "")
    extra = []
    if turn.extra.get("buttons"):
        buttons = " · ".join(map(str, turn.extra["buttons"]))
        extra.append(fragment('<p class="meta">Botones: $buttons</p>', buttons=buttons))
    if turn.who == "vecino":
        extra.append(media_html(turn, conv.handoff.id))
    if turn.extra.get("leido"):
        extra.append(
            fragment(
                '<p class="meta">Mensaje largo: el asistente leyó solo los primeros $read caracteres.</p>',
                read=str(turn.extra["leido"]),
            )
        )
    for review in conv.reviews.get(turn.event_id or -1, []):
        said = [
            f"intención correcta: {review.intended_intent}" if review.intended_intent else "",
            f"trámite correcto: {review.intended_procedure}" if review.intended_procedure else "",
            f"«{review.comment}»" if review.comment else "",
        ]
        extra.append(
            fragment(
                '<p class="marca-error">Marcado como error por $by$said</p>',
                by=review.by,
                said="".join(f" · {s}" for s in said if s),
            )
        )
    if turn.event_id is not None and turn.who in ("vecino", "asistente"):
        extra.append(render("review.html", id=conv.handoff.id, csrf=csrf, event_id=turn.event_id))
    iso = turn.at.isoformat()
    return fragment(
        '<li class="turno $who"><p class="meta"><span class="quien">$label</span> · '
        '<time datetime="$iso">$at</time>$meta</p><p class="texto">$text</p>$extra</li>',
        who=turn.who,
        label=label,
        iso=iso,
        at=local_time(turn.at, seconds=True),
        meta=meta,
        text=turn.text,
        extra=join(extra),
    )


def _survey_text(survey: Optional[surveys.Survey]) -> str:
    if survey is None:
        return "—"
    if survey.status == surveys.NOT_SENT:
        return f"No enviada: {survey.not_sent_reason or 'sin motivo registrado'}"
    if survey.status == surveys.SENT:
        return f"Enviada el {local_time(survey.asked_at)}, sin respuesta aún"
    comment = f" · «{survey.comment}»" if survey.comment else ""
    return f"Respondida: {survey.score} de 5{comment}"


def _datalists(ctx: ConsoleContext, conv: Conversation) -> Markup:
    intents = join(fragment('<option value="$v">', v=i) for i in ctx.intents)
    procedures = join(
        fragment('<option value="$v">$name</option>', v=slug, name=name)
        for slug, name in sorted(conv.procedures.items(), key=lambda item: item[1])
    )
    return fragment(
        '<datalist id="intenciones">$i</datalist><datalist id="tramites">$p</datalist>', i=intents, p=procedures
    )


def _conversation_page(
    request: web.Request,
    conv: Conversation,
    notices: Sequence[Notice] = (),
    draft: str = "",
    status: int = 200,
    chosen: Optional[Dict[str, str]] = None,
    note_draft: str = "",
) -> web.Response:
    ctx, session, handoff = console(request), session_of(request), conv.handoff
    channel = CHANNEL_NAMES.get(handoff.channel, handoff.channel)
    if handoff.status in OPEN:
        attended = handoff.status == HandoffStatus.ATTENDED and bool(handoff.assigned_to)
        mine = attended and handoff.assigned_to == session.staffer.username
        take_form = (
            Markup("")
            if mine
            else fragment(  # someone else's: the warning page asks first (bot.app.web.console_assign)
                '<form method="post" action="/consola/conversacion/$id/tomar"><input type="hidden" name="csrf" '
                'value="$csrf"><button type="submit">$label</button></form>',
                id=handoff.id,
                csrf=session.csrf_token,
                label="Reasignar" if attended else "Tomar",
            )
        )
        actions = render(
            "actions.html",
            id=handoff.id,
            csrf=session.csrf_token,
            channel=channel,
            draft=draft,
            insert=insertion_controls(
                handoff.id,
                conv.procedures,
                conv.canned,
                chosen or {"tramite": handoff.procedure or ""},
            ),
            take=take_form,
            reasons=options([(r, r) for r in CLOSE_REASONS], empty="Elige un motivo"),
        )
    else:
        actions = fragment(
            '<section class="tarjeta" aria-labelledby="acciones"><h2 id="acciones">Acciones</h2>'
            "<p>Esta conversación está $status: ya no admite respuestas ni cambios.</p></section>",
            status=STATUS_NAMES.get(handoff.status, handoff.status).lower(),
        )
    content = render(
        "conversation.html",
        id=handoff.id,
        status=STATUS_NAMES.get(handoff.status, handoff.status),
        procedure=_procedure_label(conv.procedures, handoff.procedure),
        channel=channel,
        sender=handoff.sender_id,
        reason=REASON_NAMES.get(handoff.reason, handoff.reason),
        created=local_time(handoff.created_at),
        waiting=duration(queries.waiting_time(handoff)),
        assigned=conv.staff_names.get(handoff.assigned_to or "", handoff.assigned_to) or "Nadie",  # as the queue
        outcome=handoff.outcome or "—",
        folios=folios_html(handoff.id, conv.folios, conv.request_media),
        labels=label_chips(conv.labels),
        survey=_survey_text(conv.survey),
        form_data=_form_data_html(handoff.form_data),
        working=join(
            [
                labels_section(handoff.id, conv.labels, conv.known_labels, session.csrf_token),
                note_form(handoff.id, session.csrf_token, note_draft),
            ]
        ),
        zone=timezone_name(),
        turns=join(_turn_html(t, conv, session.csrf_token) for t in conv.turns)
        or Markup("<li>No hay mensajes guardados de esta conversación.</li>"),
        datalists=_datalists(ctx, conv),
        actions=actions,
    )
    return page(request, f"Conversación n.º {handoff.id}", content, status=status, notices=notices)


async def _show(
    request: web.Request,
    handoff_id: int,
    notices: Sequence[Notice] = (),
    draft: str = "",
    status: int = 200,
    chosen: Optional[Dict[str, str]] = None,
    note_draft: str = "",
) -> web.Response:
    ctx, staffer = console(request), session_of(request).staffer
    conv = await asyncio.to_thread(_load, ctx, staffer, handoff_id, "ver_transcripcion")
    if conv is None:
        return not_found(request)
    return _conversation_page(request, conv, notices, draft, status, chosen, note_draft)


@staff_only
async def conversation(request: web.Request) -> web.Response:
    """GET /consola/conversacion/{id}: the whole transcript (viewing it is audited)."""
    return await _show(request, _id(request), notices_from(request.query))


@staff_only
async def reply(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversacion/{id}/responder: send the staffer's text through the citizen's channel."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    text = str(form.get("texto") or "").replace("\r\n", "\n").strip()
    handoff = await asyncio.to_thread(queries.get_handoff, ctx.db, staffer.municipality, _id(request))
    if handoff is None:
        return not_found(request)
    problem = None
    if not text:
        problem = "Escribe el mensaje antes de enviarlo."
    elif len(text) > REPLY_MAX_LENGTH:
        problem = f"El mensaje es demasiado largo (máximo {REPLY_MAX_LENGTH} caracteres)."
    elif handoff.status not in OPEN:
        problem = "La conversación ya no está abierta: no se pueden enviar mensajes."
    if problem:
        return await _show(request, handoff.id, [("error", problem)], draft=text, status=400)
    holder = handoff.assigned_to if handoff.status == HandoffStatus.ATTENDED else None
    if holder and holder != staffer.username and confirmed_holder(request) != holder:
        return await warning_page(  # someone else attends it: ask before writing beside them
            request,
            handoff.id,
            holder,
            f"/consola/conversacion/{handoff.id}/responder",
            "¿Enviar tu respuesta de todos modos?",
            "Sí, enviar mi respuesta",
            REPLY_CONSEQUENCE,
            texto=text,
        )
    codes: List[str] = []
    if handoff.status == HandoffStatus.WAITING:  # answering takes the conversation: the assistant goes silent
        handoff = (
            await asyncio.to_thread(service.take_handoff, ctx.db, staffer.municipality, handoff.id, staffer.username)
            or handoff
        )
        codes.append("tomada")
        if not await _switch(ctx, handoff.sender_id, True):
            codes.append("sin_rasa")
    try:
        await _send(ctx, handoff.sender_id, text)
    except Exception as exc:
        undeliverable = isinstance(exc, NotDeliverable)
        if not undeliverable:
            log.warning("no se pudo enviar la respuesta de un funcionario", exc_info=True)
        await asyncio.to_thread(
            record_audit,
            ctx.db,
            staffer.username,
            staffer.municipality,
            "responder_fallido",
            handoff.id,
            handoff.sender_id,
            type(exc).__name__,
        )
        notices = [NOTICES[c] for c in codes] + [("error", NOT_DELIVERABLE_TEXT if undeliverable else SEND_FAILED_TEXT)]
        return await _show(request, handoff.id, notices, draft=text, status=409 if undeliverable else 502)

    def save() -> None:
        service.add_staff_message(ctx.db, handoff, staffer.username, text)
        beside = f"la atiende {holder}" if holder and holder != staffer.username else None
        record_audit(ctx.db, staffer.username, staffer.municipality, "responder", handoff.id, handoff.sender_id, beside)

    await asyncio.to_thread(save)
    raise _back(handoff.id, "enviado", *codes)


INSERTED_TEXT = "Texto insertado en el mensaje: revísalo y presiona «Enviar respuesta» para enviarlo."


@staff_only
async def insert(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversacion/{id}/insertar: the page again with a catalogue answer or a canned response
    added to the reply box (nothing is sent). Another municipality's canned response is a 404."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    draft = str(form.get("texto") or "").replace("\r\n", "\n").strip()[: REPLY_MAX_LENGTH * 2]
    chosen = {k: str(form.get(k) or "")[:100] for k in ("tramite", "aspecto", "respuesta")}
    handoff = await asyncio.to_thread(queries.get_handoff, ctx.db, staffer.municipality, _id(request))
    if handoff is None:
        return not_found(request)
    if handoff.status not in OPEN:
        closed = "La conversación ya no está abierta: no se pueden enviar mensajes."
        return await _show(request, handoff.id, [("error", closed)], status=400)
    text: Optional[str] = None
    problem: Optional[str] = None
    if form.get("insertar") == "catalogo":
        if chosen["aspecto"] not in dict(INSERTABLE_ASPECTS):
            problem = "Elige qué informar del trámite."
        elif not _PROCEDURE_RE.fullmatch(chosen["tramite"]):
            problem = "Elige un trámite."
        else:
            text = await asyncio.to_thread(
                ctx.procedure_text, handoff.municipality, chosen["tramite"], chosen["aspecto"]
            )
            if text is None:
                problem = "Ese trámite no se ofrece en tu municipalidad (o el catálogo no está disponible)."
    elif form.get("insertar") == "predefinida":
        canned_id = parse_id(chosen["respuesta"])
        if canned_id is None:
            problem = "Elige una respuesta predefinida."
        else:
            found = await asyncio.to_thread(canned.get_canned, ctx.db, handoff.municipality, canned_id)
            if found is None:
                return not_found(request)
            text = found.body
    else:
        problem = "Elige qué insertar."
    if text is None:
        return await _show(request, handoff.id, [("error", problem or "")], draft=draft, status=400, chosen=chosen)
    combined = f"{draft}\n\n{text}" if draft else text
    notices: List[Notice] = [("ok", INSERTED_TEXT)]
    if len(combined) > REPLY_MAX_LENGTH:
        notices.append(
            (
                "error",
                f"El mensaje quedó demasiado largo (máximo {REPLY_MAX_LENGTH} caracteres): acórtalo antes de enviarlo.",
            )
        )
    return await _show(request, handoff.id, notices, draft=combined, chosen=chosen)


async def _transition(request: web.Request, change: Any, *args: Any) -> Tuple[Optional[HandoffRow], bool]:
    """Run a status change of ``bot.handoff.service``; ``(None, False)`` if not found, ``(row, False)`` if refused."""
    ctx, staffer = console(request), session_of(request).staffer
    try:
        row = await asyncio.to_thread(change, ctx.db, staffer.municipality, _id(request), staffer.username, *args)
    except service.HandoffStateError:
        return await asyncio.to_thread(queries.get_handoff, ctx.db, staffer.municipality, _id(request)), False
    return row, row is not None


def _audit(request: web.Request, action: str, handoff: HandoffRow, detail: Optional[str] = None) -> Any:
    staffer = session_of(request).staffer
    return asyncio.to_thread(
        record_audit,
        console(request).db,
        staffer.username,
        staffer.municipality,
        action,
        handoff.id,
        handoff.sender_id,
        detail,
    )


@staff_only
async def hand_back(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversacion/{id}/devolver: back to the assistant, and the citizen is told."""
    ctx = console(request)
    handoff, changed = await _transition(request, service.hand_back)
    if handoff is None:
        return not_found(request)
    if not changed:
        raise _back(handoff.id, "estado")
    codes = [HandoffStatus.HANDED_BACK.value]
    if not await _switch(ctx, handoff.sender_id, False):
        codes.append("sin_rasa")
    try:
        await _send(ctx, handoff.sender_id, HAND_BACK_TEXT)
        await asyncio.to_thread(
            service.add_staff_message, ctx.db, handoff, session_of(request).staffer.username, HAND_BACK_TEXT
        )
    except Exception:
        log.warning("no se pudo avisar la devolución al vecino", exc_info=True)
        codes.append("sin_aviso")
    await _audit(request, "devolver", handoff)
    await asyncio.to_thread(auto_assign.assign_if_enabled, ctx.db, handoff.municipality)
    raise _back(handoff.id, *codes)


@staff_only
async def close(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversacion/{id}/cerrar: closed with a reason (the outcome)."""
    form = request["console_form"]
    reason = str(form.get("motivo") or "")
    detail = " ".join(str(form.get("detalle") or "").split())[:150]
    if reason not in CLOSE_REASONS:
        return await _show(request, _id(request), [("error", "Elige el motivo del cierre.")], status=400)
    outcome = f"{reason}: {detail}" if detail else reason
    handoff, changed = await _transition(request, service.close_handoff, outcome)
    if handoff is None:
        return not_found(request)
    if not changed:
        raise _back(handoff.id, "estado")
    codes = [HandoffStatus.CLOSED.value]
    assistant_on = await _switch(console(request), handoff.sender_id, False)  # the assistant answers again
    if not assistant_on:
        codes.append("sin_rasa")
    await _audit(request, "cerrar", handoff, outcome)
    codes += await closing_messages(console(request), session_of(request).staffer, handoff, assistant_on)
    await asyncio.to_thread(auto_assign.assign_if_enabled, console(request).db, handoff.municipality)
    raise _back(handoff.id, *codes)


@staff_only
async def add_note(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversacion/{id}/nota: an internal note (never sent to the citizen; audited)."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    raw = str(form.get("nota") or "")
    handoff = await asyncio.to_thread(queries.get_handoff, ctx.db, staffer.municipality, _id(request))
    if handoff is None:
        return not_found(request)
    try:
        text = notes.clean_note(raw)
    except ValueError as exc:
        return await _show(request, handoff.id, [("error", str(exc))], status=400, note_draft=raw[:2000])

    def save() -> None:
        notes.add_note(ctx.db, handoff, staffer.username, staffer.name, text)
        record_audit(ctx.db, staffer.username, staffer.municipality, "nota_interna", handoff.id, handoff.sender_id)

    await asyncio.to_thread(save)
    raise _back(handoff.id, "nota")


@staff_only
async def change_labels(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversacion/{id}/etiquetas: attach a label (created for the municipality if new) or
    remove one (audited). Another municipality's label is a 404."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    handoff = await asyncio.to_thread(queries.get_handoff, ctx.db, staffer.municipality, _id(request))
    if handoff is None:
        return not_found(request)
    if form.get("accion") == "agregar":
        try:
            name = labels.clean_label(str(form.get("nombre") or ""))
        except ValueError as exc:
            return await _show(request, handoff.id, [("error", str(exc))], status=400)

        def attach() -> None:
            if labels.attach(ctx.db, handoff, name, staffer.username):
                record_audit(
                    ctx.db, staffer.username, staffer.municipality, "etiquetar", handoff.id, handoff.sender_id, name
                )

        await asyncio.to_thread(attach)
        raise _back(handoff.id, "etiqueta_agregada")
    if form.get("accion") == "quitar":
        label_id = parse_id(str(form.get("etiqueta") or ""))
        if label_id is None:
            return await _show(request, handoff.id, [("error", "Etiqueta no válida.")], status=400)

        def detach() -> Optional[str]:
            name = labels.detach(ctx.db, handoff, label_id)
            if name is not None:
                record_audit(
                    ctx.db,
                    staffer.username,
                    staffer.municipality,
                    "quitar_etiqueta",
                    handoff.id,
                    handoff.sender_id,
                    name,
                )
            return name

        if await asyncio.to_thread(detach) is None:
            return not_found(request)
        raise _back(handoff.id, "etiqueta_quitada")
    return await _show(request, handoff.id, [("error", "Elige qué hacer con la etiqueta.")], status=400)


@staff_only
async def review(request: web.Request) -> web.StreamResponse:
    """POST /consola/conversacion/{id}/revisar: mark a citizen or assistant turn as misunderstood."""
    ctx, staffer, form = console(request), session_of(request).staffer, request["console_form"]
    event = str(form.get("evento") or "")
    intent = str(form.get("intencion") or "").strip()
    procedure = str(form.get("tramite") or "").strip()
    comment = " ".join(str(form.get("comentario") or "").split())[:500]
    handoff = await asyncio.to_thread(queries.get_handoff, ctx.db, staffer.municipality, _id(request))
    if handoff is None:
        return not_found(request)
    problem = None
    if intent and not _INTENT_RE.fullmatch(intent):
        problem = "La intención se escribe en minúsculas y con guiones bajos, por ejemplo consultar_tramite."
    elif procedure and not _PROCEDURE_RE.fullmatch(procedure):
        problem = "El trámite se indica con su identificador, por ejemplo permiso-circulacion."
    elif not (event.isascii() and event.isdigit()) or len(event) > 12:  # "²" is a digit to Python, not to int()
        problem = "No se indicó qué mensaje marcar."
    if problem is None:
        turns = await asyncio.to_thread(ctx.reader.rasa_turns, handoff.sender_id)
        if int(event) not in {t.event_id for t in turns}:
            problem = "Ese mensaje no pertenece a esta conversación."
    if problem:
        return await _show(request, handoff.id, [("error", problem)], status=400)

    def save() -> None:
        reviews.add_review(ctx.db, handoff, int(event), staffer.username, intent, procedure, comment)
        record_audit(
            ctx.db,
            staffer.username,
            staffer.municipality,
            "marcar_error",
            handoff.id,
            handoff.sender_id,
            f"evento {event}",
        )

    await asyncio.to_thread(save)
    raise _back(handoff.id, "marcada")


def transcript_text(conv: Conversation, staffer: Staffer) -> str:
    """The plain-text export of a conversation."""
    handoff = conv.handoff
    lines = [
        f"Conversación n.º {handoff.id} — {staffer.municipality}",
        f"Trámite: {_procedure_label(conv.procedures, handoff.procedure)}",
        f"Canal: {CHANNEL_NAMES.get(handoff.channel, handoff.channel)} · Conversación: {handoff.sender_id}",
        f"Estado: {STATUS_NAMES.get(handoff.status, handoff.status)} · Resultado: {handoff.outcome or '—'}",
        f"Folios: {', '.join(conv.folios) or '—'}",
        f"Exportada por {staffer.username} el {local_time(utcnow(), seconds=True)} (hora de {timezone_name()})",
        "",
    ]
    if handoff.form_data:
        lines.append("Datos del formulario:")
        lines += [f"  {k}: {_value_text(v)}" for k, v in handoff.form_data.items()]
        lines.append("")
    for turn in conv.turns:
        who = WHO.get(turn.who, turn.who)
        if turn.who == "vecino":
            who += f" (intención {turn.intent or 'sin dato'}, confianza {_confidence(turn.confidence)})"
        elif turn.who == "nota":
            who = f"Nota interna de {turn.staff} (solo para el equipo, el vecino o vecina no la vio)"
        elif turn.staff:
            who += f" ({turn.staff})"
        text = turn.text.replace("\r\n", "\n").replace("\n", "\n    ")
        lines.append(f"[{local_time(turn.at, seconds=True)}] {who}: {text}")
    return "\n".join(lines) + "\n"


@staff_only
async def export_transcript(request: web.Request) -> web.Response:
    """GET /consola/conversacion/{id}/exportar: the transcript as a text download (audited)."""
    ctx, staffer = console(request), session_of(request).staffer
    conv = await asyncio.to_thread(_load, ctx, staffer, _id(request), "exportar")
    if conv is None:
        return not_found(request)
    return web.Response(
        text=transcript_text(conv, staffer),
        content_type="text/plain",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="conversacion-{conv.handoff.id}.txt"'},
    )
