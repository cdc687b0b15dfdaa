"""Console tools beyond one conversation: search and the NLU candidates export (the team page: ``console_team``)."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Tuple

from aiohttp import web

from bot.app.web.console_auth import session_of, staff_only
from bot.app.web.console_context import console
from bot.app.web.console_mask import mask_text, masked_identity
from bot.app.web.console_pages import page
from bot.app.web.console_render import CHANNEL_NAMES, STATUS_NAMES, Markup, fragment, local_time, options, render, table
from bot.handoff import labels, queries, reviews
from bot.handoff.states import ALL as HANDOFF_STATUSES
from bot.staff.audit import record_audit
from bot.storage.tables import utcnow

RESULT_COLUMNS = ("Conversación", "Fecha", "Trámite", "Vecino o vecina", "Estado", "Resultado", "Canal", "Atendió")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PROCEDURE_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
_FOLIO_RE = re.compile(r"[A-Za-z0-9-]{1,16}")
SEARCH_LIMIT = 200
SEARCH_PARAMS = ("desde", "hasta", "tramite", "folio", "estado", "resultado", "etiqueta")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)  # search dates outside are refused (no overflow)


# --- Search -------------------------------------------------------------------------------------


def parse_day(value: str, label: str, problems: List[str]) -> Optional[date]:
    """The date of a form's ``AAAA-MM-DD`` field named ``label`` (``None`` when empty); a wrong or out-of-range
    date adds its Spanish problem to ``problems`` and gives ``None``."""
    if not value:
        return None
    try:
        if _DATE_RE.fullmatch(value):
            day = date.fromisoformat(value)
            if FIRST_DAY <= day <= LAST_DAY:
                return day
            problems.append(
                f"La fecha '{label}' está fuera de rango: usa una fecha entre "
                f"{FIRST_DAY.isoformat()} y {LAST_DAY.isoformat()}."
            )
            return None
    except ValueError:
        pass
    problems.append(f"La fecha '{label}' no es válida: usa el formato AAAA-MM-DD.")
    return None


def parse_search(query: Any) -> Tuple[Dict[str, Any], Dict[str, str], List[str]]:
    """``(search_handoffs keyword arguments, raw values for the form, problems)`` from the query string."""
    raw = {k: str(query.get(k, "")).strip()[:100] for k in SEARCH_PARAMS}
    problems: List[str] = []
    options_: Dict[str, Any] = {
        "date_from": parse_day(raw["desde"], "desde", problems),
        "date_to": parse_day(raw["hasta"], "hasta", problems),
    }
    if options_["date_from"] and options_["date_to"] and options_["date_from"] > options_["date_to"]:
        problems.append("'Desde' no puede ser posterior a 'hasta'.")
    if raw["tramite"]:
        if _PROCEDURE_RE.fullmatch(raw["tramite"]):
            options_["procedure"] = raw["tramite"]
        else:
            problems.append("Trámite no válido.")
    if raw["folio"]:
        if _FOLIO_RE.fullmatch(raw["folio"]):
            options_["folio"] = raw["folio"]
        else:
            problems.append("Folio no válido: por ejemplo PEN-7KX4M2.")
    if raw["estado"]:
        if raw["estado"] in HANDOFF_STATUSES:
            options_["status"] = raw["estado"]
        else:
            problems.append("Estado no válido.")
    if raw["resultado"]:
        options_["outcome"] = raw["resultado"]
    if raw["etiqueta"]:
        try:
            options_["label"] = labels.clean_label(raw["etiqueta"])
        except ValueError as exc:
            problems.append(str(exc))
    return {k: v for k, v in options_.items() if v is not None}, raw, problems


def _results_html(rows: Sequence[Any], names: Dict[str, str]) -> Markup:
    lines = [
        fragment(
            '<tr><td data-etiqueta="Conversación"><a href="/consola/conversacion/$id">Abrir conversación n.º $id</a>'
            '</td><td data-etiqueta="Fecha">$at</td><td data-etiqueta="Trámite">$procedure</td>'
            '<td data-etiqueta="Vecino o vecina">$who</td><td data-etiqueta="Estado">$status</td>'
            '<td data-etiqueta="Resultado">$outcome</td><td data-etiqueta="Canal">$channel</td>'
            '<td data-etiqueta="Atendió">$assigned</td></tr>',
            at=local_time(r.created_at),
            status=STATUS_NAMES.get(r.status, r.status),
            procedure=names.get(r.procedure or "", r.procedure or "Sin trámite"),
            channel=CHANNEL_NAMES.get(r.channel, r.channel),
            who=masked_identity(r.sender_id, r.form_data),
            outcome=mask_text(r.outcome or "—"),
            assigned=r.assigned_to or "—",
            id=r.id,
        )
        for r in rows
    ]
    if not lines:
        lines = [Markup('<tr><td colspan="8">No hay conversaciones con esos criterios.</td></tr>')]
    more = " (se muestran las más recientes)" if len(rows) >= SEARCH_LIMIT else ""
    return fragment(  # one card per result on a phone (consola.css)
        '<div class="tarjetas">$table</div>', table=table(f"Resultados: {len(rows)}{more}", RESULT_COLUMNS, lines)
    )


@staff_only
async def search(request: web.Request) -> web.Response:
    """GET /consola/buscar: the municipality's handoffs by dates, procedure, folio, status and outcome."""
    ctx, municipality = console(request), session_of(request).staffer.municipality
    criteria, raw, problems = parse_search(request.query)
    asked = any(raw.values())

    def work():
        known = labels.list_labels(ctx.db, municipality)
        names = ctx.procedures(municipality)
        rows = (
            queries.search_handoffs(ctx.db, municipality, limit=SEARCH_LIMIT, **criteria)
            if asked and not problems
            else []
        )
        return names, rows, known

    names, rows, known = await asyncio.to_thread(work)
    procedure_choices = sorted(names.items(), key=lambda item: item[1])
    if raw["tramite"] and raw["tramite"] not in names:
        procedure_choices.append((raw["tramite"], raw["tramite"]))
    content = render(
        "search.html",
        date_from=raw["desde"],
        date_to=raw["hasta"],
        folio=raw["folio"],
        outcome=raw["resultado"],
        procedures=options(procedure_choices, raw["tramite"], empty="Todos"),
        statuses=options(list(STATUS_NAMES.items()), raw["estado"], empty="Todos"),
        labels=options([(k.name, k.name) for k in known], raw["etiqueta"], empty="Todas"),
        results=_results_html(rows, names) if asked and not problems else Markup(""),
    )
    return page(request, "Buscar", content, status=400 if problems else 200, notices=[("error", p) for p in problems])


# --- NLU candidates -----------------------------------------------------------------------------


def _yaml_line(text: str) -> str:
    return " ".join(text.split())


def nlu_yaml(candidates: Sequence[Dict[str, Optional[str]]], municipality: str, when: str) -> str:
    """Candidates in Rasa's NLU format, one block per intent and procedure, with the procedure as a comment."""
    lines = [
        f"# Mensajes que el asistente no entendió, marcados en la consola ({municipality}, {when}).",
        "# Revísalos antes de agregarlos a nlu_data/ (los ejemplos de trámites llevan metadata tramite).",
        'version: "3.1"',
        "nlu:",
    ]
    groups: Dict[Tuple[str, str], List[str]] = {}
    without_intent: List[Dict[str, Optional[str]]] = []
    for item in candidates:
        if not item.get("intent"):
            without_intent.append(item)
            continue
        groups.setdefault((item["intent"] or "", item.get("tramite") or ""), []).append(_yaml_line(item["text"] or ""))
    for (intent, procedure), texts in groups.items():
        lines.append(f"# trámite: {procedure or '(ninguno)'}")
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines += [f"    - {text}" for text in texts]
    if not groups:
        lines[-1] = "nlu: []"
    if without_intent:
        lines.append("# Sin intención indicada (trámite entre paréntesis):")
        lines += [f"#   {_yaml_line(i['text'] or '')} ({i.get('tramite') or 'sin trámite'})" for i in without_intent]
    return "\n".join(lines) + "\n"


@staff_only
async def export_nlu(request: web.Request) -> web.Response:
    """GET /consola/revision/exportar: NLU candidates of the municipality as Rasa YAML (audited)."""
    ctx, staffer = console(request), session_of(request).staffer

    def work() -> List[Dict[str, Optional[str]]]:
        found = reviews.nlu_candidates(ctx.db, staffer.municipality, ctx.reader)
        record_audit(ctx.db, staffer.username, staffer.municipality, "exportar_nlu", detail=f"{len(found)} ejemplos")
        return found

    candidates = await asyncio.to_thread(work)
    body = nlu_yaml(candidates, staffer.municipality, local_time(utcnow()))
    return web.Response(
        text=body,
        content_type="text/plain",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="candidatos-nlu-{staffer.municipality}.yml"'},
    )
