"""The metrics page (``/consola/metricas``): is the assistant worth it, for one municipality.

Agents and administrators see their own municipality's numbers (``bot.handoff.metrics`` says what
each one means) for a period of local days: ``?desde=AAAA-MM-DD&hasta=AAAA-MM-DD``, by default the
last 30 days, at most 366; a bad date answers a 400 page that says why. Each chart is its own SVG
response (``/consola/metricas/grafico/<nombre>.svg`` with the same period), drawn by
``console_charts`` in a worker thread and shown with ``<img>``: matplotlib's SVG uses ``style``
attributes, which the page's CSP would block inline. Each image carries an alt text with its key
numbers, and its data sit in a ``<details>`` table under it.

``/consola/metricas.csv`` exports every number of the page (audited): UTF-8 with a byte order mark
and ``;`` between fields, with decimal commas, which is how Excel opens a CSV with Chilean regional
settings; cells that a spreadsheet would read as a formula are prefixed with ``'``. Citizen messages
are masked (RUT, phone, e-mail) on the page, in the charts and in the file.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, timedelta
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlencode

from aiohttp import web

from bot.answers.survey import SCORE_NAMES
from bot.app.web import console_charts as charts
from bot.app.web.console_auth import session_of, staff_only
from bot.app.web.console_context import ConsoleContext, console
from bot.app.web.console_mask import mask_text
from bot.app.web.console_pages import page
from bot.app.web.console_render import REASON_NAMES, Markup, duration, fragment, join, render, table
from bot.app.web.console_tools import parse_day
from bot.config import timezone_name
from bot.handoff import metrics
from bot.handoff.metrics import Metrics, Period
from bot.staff.audit import record_audit
from bot.storage.requests import STATUS_LABELS, STATUSES

PAGE_PATH = "/consola/metricas"
CHART_PATH = "/consola/metricas/grafico/"
CSV_PATH = "/consola/metricas.csv"
SVG_HEADERS = {
    # The chart's own policy (the console's middleware keeps it): its inline styles, nothing else.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'",
    "Cache-Control": "private, no-store",
}
REPLY_BUCKETS: Tuple[Tuple[str, Optional[timedelta]], ...] = (
    ("Menos de 5 min", timedelta(minutes=5)),
    ("5 a 15 min", timedelta(minutes=15)),
    ("15 a 60 min", timedelta(hours=1)),
    ("1 a 4 h", timedelta(hours=4)),
    ("Más de 4 h", None),
)
UNANSWERED = "Sin respuesta aún"
WITHOUT_PERSON, WITH_PERSON = "Resueltas sin persona", "Derivadas a una persona"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- Period -------------------------------------------------------------------------------------


def parse_period(query: Any, today: Optional[date] = None) -> Tuple[Period, Dict[str, str], List[str]]:
    """``(period, raw values for the form, problems in Spanish)`` from ``desde`` and ``hasta``.

    Without dates: the last 30 days. Only ``hasta``: the 30 days ending then; only ``desde``: up to today.
    """
    raw = {k: str(query.get(k, "")).strip()[:20] for k in ("desde", "hasta")}
    problems: List[str] = []
    first, last = parse_day(raw["desde"], "desde", problems), parse_day(raw["hasta"], "hasta", problems)
    default = Period.last_days(metrics.DEFAULT_DAYS, today or metrics.local_today())
    if last is None:
        last = default.last if first is None or first <= default.last else first
    if first is None:
        first = last - timedelta(days=metrics.DEFAULT_DAYS - 1)
    if not problems and first > last:
        problems.append("'Desde' no puede ser posterior a 'hasta'.")
    elif not problems and (last - first).days + 1 > metrics.MAX_DAYS:
        problems.append(f"El período puede abarcar como máximo {metrics.MAX_DAYS} días: acórtalo.")
    period = Period(first, last) if not problems else default
    return period, raw, problems


def _query(period: Period) -> str:
    return urlencode({"desde": period.first.isoformat(), "hasta": period.last.isoformat()})


def _day_text(day: date) -> str:
    return day.strftime("%d-%m-%Y")


# --- Numbers as people read them ---------------------------------------------------------------


def percent_text(value: Optional[float]) -> str:
    """``71,4 %``, or ``sin datos``."""
    return metrics.NO_DATA if value is None else f"{value:.1f} %".replace(".", ",")


def wait_text(value: Optional[timedelta]) -> str:
    """``12 min``, ``1 h 05 min``… or ``sin datos``."""
    return metrics.NO_DATA if value is None else duration(value)


def minutes(value: Optional[timedelta]) -> str:
    """Minutes with one decimal and a decimal comma (the CSV), or empty."""
    return "" if value is None else f"{value.total_seconds() / 60:.1f}".replace(".", ",")


def reason_name(reason: str) -> str:
    return REASON_NAMES.get(reason, reason)


def status_name(status: str) -> str:
    label = STATUS_LABELS.get(status, status)
    return label[:1].upper() + label[1:]


def _statuses(found: Sequence[metrics.RequestCount]) -> List[str]:
    present = {r.status for r in found}
    return [s for s in STATUSES if s in present] + sorted(present - set(STATUSES))


def _procedure_rows(found: Sequence[metrics.RequestCount]) -> List[str]:
    return list(dict.fromkeys(r.procedure for r in found))


def reply_buckets(times: metrics.ReplyTimes) -> List[Tuple[str, int]]:
    """Answered handoffs per wait bucket, then the unanswered ones."""
    counts = [0] * len(REPLY_BUCKETS)
    for wait in times.waits:
        index = next(i for i, (_, limit) in enumerate(REPLY_BUCKETS) if limit is None or wait < limit)
        counts[index] += 1
    return [(name, n) for (name, _), n in zip(REPLY_BUCKETS, counts, strict=True)] + [(UNANSWERED, times.unanswered)]


# --- Charts: (title, alt text, svg drawer) --------------------------------------------------------


Names = Dict[str, str]


def _listing(items: Sequence[Tuple[str, Any]]) -> str:
    return "; ".join(f"{name}: {value}" for name, value in items)


def conversations_chart(m: Metrics, names: Names) -> Tuple[str, Callable[[], str]]:
    c, days = m.conversations, m.conversations.per_day
    busiest = max(days, key=lambda d: (d.total, -d.day.toordinal()), default=None)
    alt = (
        f"Conversaciones por día del {_day_text(m.period.first)} al {_day_text(m.period.last)}: {c.total} en total, "
        f"{c.contained} resueltas sin persona y {c.handed_off} derivadas a una persona"
    )
    if busiest is not None and busiest.total:
        alt += f"; el día con más fue el {_day_text(busiest.day)}, con {busiest.total}"
    labels = [d.day.strftime("%d-%m") for d in days]
    return alt + ".", lambda: charts.stacked_days(
        "Conversaciones por día",
        labels,
        [
            (WITHOUT_PERSON, [d.contained for d in days], charts.BLUE),
            (WITH_PERSON, [d.handed_off for d in days], charts.ORANGE),
        ],
        charts.every(len(labels)),
    )


def containment_chart(m: Metrics, names: Names) -> Tuple[str, Callable[[], str]]:
    c = m.conversations
    alt = (
        f"Contención: {percent_text(c.containment)} de {c.total} conversaciones resueltas sin persona "
        f"({c.contained}); {percent_text(c.handoff_rate)} derivadas a una persona ({c.handed_off})."
    )
    return alt, lambda: charts.donut(
        "Resueltas sin persona",
        [(WITHOUT_PERSON, c.contained, charts.BLUE), (WITH_PERSON, c.handed_off, charts.ORANGE)],
    )


def reasons_chart(m: Metrics, names: Names) -> Tuple[str, Callable[[], str]]:
    items = [(reason_name(r.key), r.count) for r in m.reasons]
    total = sum(n for _, n in items)
    alt = f"Motivos de derivación ({total} derivaciones): " + (_listing(items) or metrics.NO_DATA) + "."
    return alt, lambda: charts.horizontal_bars("Motivos de derivación", items, charts.ORANGE)


def reply_chart(m: Metrics, names: Names) -> Tuple[str, Callable[[], str]]:
    t = m.reply_times
    items = reply_buckets(t)
    alt = (
        f"Tiempo hasta la primera respuesta del equipo: mediana {wait_text(t.median)}, p90 {wait_text(t.p90)}, "
        f"{t.answered} derivaciones respondidas y {t.unanswered} sin respuesta aún. Por tramo: {_listing(items)}."
    )
    title = f"Primera respuesta: mediana {wait_text(t.median)}, p90 {wait_text(t.p90)}"
    drawn = items if t.answered or t.unanswered else []  # no handoffs: the chart says there are no data
    return alt, lambda: charts.horizontal_bars(title, drawn, charts.GREEN)


def procedures_chart(m: Metrics, names: Names) -> Tuple[str, Callable[[], str]]:
    items = [(names.get(p.key, p.key), p.count) for p in m.procedures]
    alt = "Trámites más consultados (conversaciones): " + (_listing(items) or metrics.NO_DATA) + "."
    return alt, lambda: charts.horizontal_bars("Trámites más consultados", items)


def not_understood_chart(m: Metrics, names: Names) -> Tuple[str, Callable[[], str]]:
    items = [(mask_text(n.text), n.count) for n in m.not_understood]
    alt = "Mensajes que el asistente no entendió (veces): " + (_listing(items) or metrics.NO_DATA) + "."
    return alt, lambda: charts.horizontal_bars("Mensajes no entendidos", items, charts.GREY)


def requests_chart(m: Metrics, names: Names) -> Tuple[str, Callable[[], str]]:
    rows, statuses = _procedure_rows(m.requests), _statuses(m.requests)
    count = {(r.procedure, r.status): r.count for r in m.requests}
    parts = []
    for procedure in rows:
        each = ", ".join(f"{status_name(s)} {count[(procedure, s)]}" for s in statuses if (procedure, s) in count)
        parts.append(
            (names.get(procedure, procedure), f"{sum(count.get((procedure, s), 0) for s in statuses)} ({each})")
        )
    alt = "Solicitudes por trámite y estado: " + (_listing(parts) or metrics.NO_DATA) + "."
    segments = [(status_name(s), [count.get((p, s), 0) for p in rows]) for s in statuses]
    return alt, lambda: charts.stacked_bars(
        "Solicitudes por trámite y estado", [names.get(p, p) for p in rows], segments
    )


def score_name(score: int) -> str:
    """``4 · Buena``."""
    return f"{score} · {SCORE_NAMES[score - 1]}"


def satisfaction_items(found: metrics.Satisfaction) -> List[Tuple[str, int]]:
    """Answers per score, 5 (the best) first."""
    return [(score_name(score), n) for score, n in reversed(list(enumerate(found.distribution, 1)))]


def satisfaction_chart(m: Metrics, names: Names) -> Tuple[str, Callable[[], str]]:
    s = m.satisfaction
    items = satisfaction_items(s)
    alt = f"Satisfacción de los vecinos y vecinas: {s.summary}." + (
        f" Por puntaje: {_listing(items)}." if s.responses else ""
    )
    title = "Satisfacción: " + (s.summary if s.responses else "sin respuestas")
    return alt, lambda: charts.horizontal_bars(title, items if s.responses else [], charts.GREEN)


ChartBuilder = Callable[[Metrics, Names], Tuple[str, Callable[[], str]]]
# name in the URL -> (heading, the part of the metrics it needs, builder of its alt text and drawing)
CHARTS: Dict[str, Tuple[str, str, ChartBuilder]] = {
    "conversaciones": ("Conversaciones por día", "conversations", conversations_chart),
    "contencion": ("Resueltas sin persona (contención)", "conversations", containment_chart),
    "derivaciones": ("Motivos de derivación", "reasons", reasons_chart),
    "respuesta": ("Tiempo hasta la primera respuesta del equipo", "reply_times", reply_chart),
    "tramites": ("Trámites más consultados", "procedures", procedures_chart),
    "no-entendidos": ("Mensajes que el asistente no entendió", "not_understood", not_understood_chart),
    "solicitudes": ("Solicitudes por trámite y estado", "requests", requests_chart),
    "satisfaccion": ("Satisfacción con la atención del equipo", "satisfaction", satisfaction_chart),
}


# --- The page -----------------------------------------------------------------------------------


def _data_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> Markup:
    cells = [Markup("<tr>" + "".join(f"<td>{fragment('$v', v=c)}</td>" for c in row) + "</tr>") for row in rows]
    if not cells:
        cells = [fragment('<tr><td colspan="$n">$empty</td></tr>', n=len(headers), empty=empty)]
    return fragment(
        '<details class="datos-grafico"><summary>Ver los datos</summary>$table</details>',
        table=table(caption, headers, cells),
    )


def _tables(m: Metrics, names: Names) -> Dict[str, Markup]:
    none = "Sin datos en este período."
    c, t = m.conversations, m.reply_times
    count = {(r.procedure, r.status): r.count for r in m.requests}
    not_understood_rows = []
    for n in m.not_understood:
        review = (
            fragment('<a href="/consola/conversacion/$id">Revisar en la conversación n.º $id</a>', id=n.handoff_id)
            if n.handoff_id
            else "Sin derivación"
        )
        not_understood_rows.append((mask_text(n.text), n.count, review))
    return {
        "conversaciones": _data_table(
            "Conversaciones por día",
            ("Día", WITHOUT_PERSON, WITH_PERSON, "Total"),
            [(_day_text(d.day), d.contained, d.handed_off, d.total) for d in c.per_day],
            none,
        ),
        "contencion": _data_table(
            "Contención",
            ("Conversaciones", "Cantidad", "Porcentaje"),
            [
                (WITHOUT_PERSON, c.contained, percent_text(c.containment)),
                (WITH_PERSON, c.handed_off, percent_text(c.handoff_rate)),
            ],
            none,
        ),
        "derivaciones": _data_table(
            "Motivos de derivación",
            ("Motivo", "Derivaciones"),
            [(reason_name(r.key), r.count) for r in m.reasons],
            none,
        ),
        "respuesta": _data_table(
            "Tiempo hasta la primera respuesta", ("Tramo", "Derivaciones"), reply_buckets(t), none
        ),
        "tramites": _data_table(
            "Trámites más consultados",
            ("Trámite", "Conversaciones"),
            [(names.get(p.key, p.key), p.count) for p in m.procedures],
            none,
        ),
        "no-entendidos": _data_table(
            "Mensajes no entendidos", ("Mensaje", "Veces", "Revisión"), not_understood_rows, none
        ),
        "solicitudes": _data_table(
            "Solicitudes por trámite y estado",
            ("Trámite", "Estado", "Solicitudes"),
            [
                (names.get(p, p), status_name(s), count[(p, s)])
                for p in _procedure_rows(m.requests)
                for s in _statuses(m.requests)
                if (p, s) in count
            ],
            none,
        ),
        "satisfaccion": _data_table(
            "Respuestas a la encuesta de satisfacción",
            ("Puntaje", "Respuestas"),
            satisfaction_items(m.satisfaction) if m.satisfaction.responses else [],
            none,
        ),
    }


NOTES = {
    "satisfaccion": "Puntajes de 1 a 5 que dieron los vecinos y vecinas a la pregunta enviada al cerrar una "
    "conversación, respondidas en el período.",
    "tramites": "Cuenta las conversaciones en que el asistente respondió sobre el trámite o inició su solicitud.",
    "no-entendidos": Markup(
        "Los errores se marcan en la página de cada conversación derivada (botón «Marcar como error»); "
        'los mensajes marcados se descargan en <a href="/consola/revision/exportar">Exportar ejemplos NLU</a>.'
    ),
}


def _figures(m: Metrics, names: Names) -> Markup:
    query, tables, parts = _query(m.period), _tables(m, names), []
    for key, (title, _part, build) in CHARTS.items():
        alt, _draw = build(m, names)
        parts.append(
            fragment(
                '<section class="tarjeta grafico" aria-labelledby="g-$key"><h2 id="g-$key">$title</h2>'
                '<figure><img src="$src" alt="$alt"><figcaption class="ayuda">$note</figcaption></figure>'
                "$table</section>",
                key=key,
                title=title,
                src=f"{CHART_PATH}{key}.svg?{query}",
                alt=alt,
                note=NOTES.get(key, ""),
                table=tables[key],
            )
        )
    return join(parts)


def _summary(m: Metrics) -> Markup:
    c, t = m.conversations, m.reply_times
    return render(
        "metrics_summary.html",
        conversations=c.total,
        contained=c.contained,
        containment=percent_text(c.containment),
        handed_off=c.handed_off,
        handoff_rate=percent_text(c.handoff_rate),
        median=wait_text(t.median),
        p90=wait_text(t.p90),
        answered=t.answered,
        unanswered=t.unanswered,
        satisfaction=m.satisfaction.summary,
    )


def _compute(
    ctx: ConsoleContext, municipality: str, period: Period, parts: Optional[Sequence[str]] = None
) -> Tuple[Metrics, Names]:
    numbers = ctx.whatsapp_numbers(municipality)
    found = metrics.compute(ctx.db, ctx.reader, municipality, numbers, period, parts)
    return found, ctx.procedures(municipality)


@staff_only
async def metrics_page(request: web.Request) -> web.Response:
    """GET /consola/metricas: the municipality's metrics for the period, as charts."""
    ctx, municipality = console(request), session_of(request).staffer.municipality
    period, raw, problems = parse_period(request.query)
    body = Markup("")
    if not problems:
        found, names = await asyncio.to_thread(_compute, ctx, municipality, period)
        body = fragment(
            "$summary$figures",
            summary=_summary(found),
            figures=_figures(found, names),
        )
    content = render(
        "metrics.html",
        date_from=raw["desde"] or period.first.isoformat(),
        date_to=raw["hasta"] or period.last.isoformat(),
        period=f"del {_day_text(period.first)} al {_day_text(period.last)} ({period.length} días)"
        if not problems
        else "",
        zone=timezone_name(),
        csv=f"{CSV_PATH}?{_query(period)}",
        body=body,
    )
    return page(request, "Métricas", content, status=400 if problems else 200, notices=[("error", p) for p in problems])


def _bad_period(request: web.Request, problems: Sequence[str]) -> web.Response:
    return page(
        request,
        "Período no válido",
        fragment(
            '<h1>Período no válido</h1>$problems<p><a href="$path">Volver a las métricas</a></p>',
            problems=join(fragment("<p>$p</p>", p=p) for p in problems),
            path=PAGE_PATH,
        ),
        status=400,
    )


@staff_only
async def chart(request: web.Request) -> web.StreamResponse:
    """GET /consola/metricas/grafico/{nombre}.svg: one chart of the metrics page as SVG."""
    name = request.match_info["name"]
    if name not in CHARTS:
        raise web.HTTPNotFound()
    ctx, municipality = console(request), session_of(request).staffer.municipality
    period, _raw, problems = parse_period(request.query)
    if problems:
        return _bad_period(request, problems)

    def work() -> str:
        _title, part, build = CHARTS[name]
        found, names = _compute(ctx, municipality, period, [part])  # only what this chart shows
        _alt, draw = build(found, names)
        return draw()

    svg = await asyncio.to_thread(work)
    return web.Response(text=svg, content_type="image/svg+xml", charset="utf-8", headers=SVG_HEADERS)


# --- CSV ----------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_rows(m: Metrics, names: Names, municipality_name: str) -> List[Tuple[Any, ...]]:
    """Every number of the page as ``(indicador, detalle, estado, valor)`` rows, the header first."""
    c, t = m.conversations, m.reply_times
    rows: List[Tuple[Any, ...]] = [
        ("indicador", "detalle", "estado", "valor"),
        ("municipalidad", "", "", municipality_name),
        ("período", "desde", "", m.period.first.isoformat()),
        ("período", "hasta", "", m.period.last.isoformat()),
        ("conversaciones", "total", "", c.total),
    ]
    rows += [("conversaciones por día", d.day.isoformat(), "total", d.total) for d in c.per_day]
    rows += [("conversaciones por día", d.day.isoformat(), "sin persona", d.contained) for d in c.per_day]
    rows += [("conversaciones por día", d.day.isoformat(), "con derivación", d.handed_off) for d in c.per_day]
    rows += [
        ("contención", "conversaciones resueltas sin persona", "", c.contained),
        ("contención", "porcentaje", "", percent_text(c.containment).removesuffix(" %")),
        ("derivación", "conversaciones derivadas a una persona", "", c.handed_off),
        ("derivación", "porcentaje", "", percent_text(c.handoff_rate).removesuffix(" %")),
    ]
    rows += [("motivos de derivación", reason_name(r.key), "", r.count) for r in m.reasons]
    rows += [
        ("primera respuesta", "derivaciones respondidas", "", t.answered),
        ("primera respuesta", "derivaciones sin respuesta", "", t.unanswered),
        ("primera respuesta", "mediana (minutos)", "", minutes(t.median)),
        ("primera respuesta", "p90 (minutos)", "", minutes(t.p90)),
    ]
    rows += [("primera respuesta por tramo", name, "", n) for name, n in reply_buckets(t)[:-1]]
    sat = m.satisfaction
    rows += [
        ("satisfacción", "resumen", "", sat.summary),
        ("satisfacción", "respuestas", "", sat.responses),
        ("satisfacción", "promedio (1 a 5)", "", "" if sat.average is None else f"{sat.average:.2f}".replace(".", ",")),
    ]
    rows += [("satisfacción por puntaje", score_name(score), "", n) for score, n in enumerate(sat.distribution, 1)]
    rows += [("trámites consultados", names.get(p.key, p.key), "", p.count) for p in m.procedures]
    rows += [("mensajes no entendidos", mask_text(n.text), "", n.count) for n in m.not_understood]
    rows += [("solicitudes", names.get(r.procedure, r.procedure), status_name(r.status), r.count) for r in m.requests]
    return rows


def csv_text(rows: Sequence[Sequence[Any]]) -> str:
    """The rows as Excel (Chile) reads a CSV: ``;`` between fields, CRLF, formulas defused."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


@staff_only
async def export_csv(request: web.Request) -> web.StreamResponse:
    """GET /consola/metricas.csv: every number of the metrics page as CSV (audited)."""
    ctx, staffer = console(request), session_of(request).staffer
    period, _raw, problems = parse_period(request.query)
    if problems:
        return _bad_period(request, problems)

    def work() -> str:
        found, names = _compute(ctx, staffer.municipality, period)
        record_audit(
            ctx.db,
            staffer.username,
            staffer.municipality,
            "exportar_metricas",
            detail=f"{period.first.isoformat()} a {period.last.isoformat()}",
        )
        return csv_text(csv_rows(found, names, ctx.municipality_name(staffer.municipality)))

    body = await asyncio.to_thread(work)
    filename = f"metricas-{staffer.municipality}-{period.first.isoformat()}-a-{period.last.isoformat()}.csv"
    return web.Response(
        body=("\ufeff" + body).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
