"""The metrics page of the staff console against a known month (March 2025) of two municipalities.

Every number the page, its charts and its CSV show is checked against the seeded data: conversations
per day (one citizen's messages of one local day), containment and handoff rate, handoff reasons,
median and p90 time to the first staff reply, top procedures (the ``tramite`` slot the actions set),
messages not understood, requests per procedure and status, and satisfaction (average, answers, 1–5
distribution of the answered surveys); Angol's data never shows in
Peñalolén's page and the other way round; the charts are SVG documents; bad dates answer a 400 page.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

import tests.test_console as console_tests
from bot.answers.channel import HAND_BACK_TEXT
from bot.handoff import metrics
from bot.handoff.transcript import TranscriptReader
from bot.rasa_internals.events_table import RASA_EVENTS
from bot.storage.tables import RequestRow, StaffMessageRow, SurveyRow
from tests.test_console import add_event, add_handoff, audits

# The fixtures of the console over a real server (test_console.py), used here as they are there.
db, reader, twilio, rasa = console_tests.db, console_tests.reader, console_tests.twilio, console_tests.rasa
world, server, browsers = console_tests.world, console_tests.server, console_tests.browsers

ZONE = ZoneInfo("America/Santiago")
MARCH = "desde=2025-03-01&hasta=2025-03-31"
PEN_WA, ANGOL_WA, OTHER_WA = "+56924868000", "+56945299050", "+56229999999"
P1, P2, P5 = (f"whatsapp:{PEN_WA}:+5691111000{n}" for n in (1, 2, 5))
P3, P4, P6 = "telegram:penalolen:7003", "telegram:penalolen:7004", "telegram:penalolen:7006"
A1, A2 = "telegram:angol:8001", f"whatsapp:{ANGOL_WA}:+56922220001"
NOT_OURS = f"whatsapp:{OTHER_WA}:+56933330001"  # a number of no municipality: never counted
REST = "rest:local:vecina-9"
ANGOL_SECRET = "texto de angol que no se entiende"
FORMULA = '=HYPERLINK("http://malo")'
CHARTS = (
    "conversaciones",
    "contencion",
    "derivaciones",
    "respuesta",
    "tramites",
    "no-entendidos",
    "solicitudes",
    "satisfaccion",
)


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A moment of 2025 in Santiago's time (UTC-3 in March 2025)."""
    return datetime(2025, month, day, hour, minute, tzinfo=ZONE)


def add_slot(reader: TranscriptReader, sender: str, name: str, value: Any, at: datetime) -> None:
    """A slot event as Rasa 3.6's SQLTrackerStore stores it (the slot's name in ``action_name``)."""
    data = {"event": "slot", "timestamp": at.timestamp(), "name": name, "value": value}
    with reader.engine.begin() as conn:
        conn.execute(
            insert(RASA_EVENTS).values(
                sender_id=sender,
                type_name="slot",
                timestamp=at.timestamp(),
                intent_name=None,
                action_name=name,
                data=json.dumps(data),
            )
        )


def says(reader, sender: str, text: str, at: datetime, intent: str = "consultar_tramite", confidence: float = 0.9):
    add_event(reader, sender, "user", text, at, intent, confidence)
    add_event(reader, sender, "bot", "respuesta del asistente", at + timedelta(seconds=2))


def staff_message(db, handoff_id: int, sender: str, at: datetime, text: str = "Hola, te atiendo.") -> None:
    with db.session() as session:
        session.add(StaffMessageRow(handoff_id=handoff_id, sender_id=sender, staff="ana", text=text, created_at=at))


def add_request(db, municipality: str, procedure: str, status: str, at: datetime, n: int) -> None:
    with db.session() as session:
        session.add(
            RequestRow(
                folio=f"T{municipality[:2].upper()}{n:04d}",
                municipality=municipality,
                procedure=procedure,
                fields={},
                channel="whatsapp",
                sender_id=P1,
                status=status,
                idempotency_key=f"metricas-{municipality}-{n}",
                created_at=at,
                updated_at=at,
            )
        )


def add_survey(
    db,
    municipality: str,
    handoff_id: Optional[int],
    status: str,
    asked: datetime,
    score: Optional[int] = None,
    answered: Optional[datetime] = None,
) -> None:
    with db.session() as session:
        session.add(
            SurveyRow(
                handoff_id=handoff_id,
                municipality=municipality,
                sender_id=None,
                channel="whatsapp",
                status=status,
                not_sent_reason="fuera de la ventana de 24 horas" if status == "no_enviada" else None,
                score=score,
                asked_at=asked.astimezone(timezone.utc),  # as utcnow() stores them
                answered_at=answered.astimezone(timezone.utc) if answered else None,
            )
        )


@pytest.fixture
def month(world) -> Dict[str, int]:
    """The seeded month beside the console tests' world."""
    return seed_month(world["db"], world["reader"])


def seed_month(db, reader: TranscriptReader) -> Dict[str, int]:
    """March 2025: Peñalolén's conversations, handoffs and requests, Angol's beside them, and some outside."""
    # 03-03: P1 (two messages, one conversation) is handed off; P2 is not.
    says(reader, P1, "cuanto sale el permiso de circulacion", local(3, 10))
    add_slot(reader, P1, "tramite", "permiso-circulacion", local(3, 10, 0))
    says(reader, P1, "mi rut es 12.345.678-5 ayuda", local(3, 10, 5), "nlu_fallback", 0.2)
    add_slot(reader, P1, "tramite", "permiso-circulacion", local(3, 10, 5))  # the same conversation: once
    says(reader, P2, "xkcd qwpz", local(3, 11), "nlu_fallback", 0.1)
    add_slot(reader, P2, "tramite", "licencia-conducir", local(3, 11, 1))
    # 03-04: P1 again (contained, asks again: another conversation), P3 handed off.
    says(reader, P1, "y el permiso de circulacion se paga en linea?", local(4, 8))
    add_slot(reader, P1, "tramite", "permiso-circulacion", local(4, 8))
    says(reader, P3, "quiero un perrito", local(4, 8, 50), "fuera_de_alcance", 0.8)
    add_slot(reader, P3, "tramite", "reporte-bache", local(4, 8, 55))
    # 03-10: P4 and P6 contained, P5 and P2 handed off.
    says(reader, P4, "xkcd qwpz", local(10, 9), "nlu_fallback", 0.1)
    add_slot(reader, P4, "tramite", None, local(10, 9))  # a slot cleared is no procedure asked
    says(reader, P5, "hay un hoyo en la calle", local(10, 9, 30))
    add_slot(reader, P5, "tramite", "reporte-bache", local(10, 9, 30))
    says(reader, P5, FORMULA, local(10, 9, 40), "nlu_fallback", 0.2)
    says(reader, P2, "necesito hablar con alguien", local(10, 12), "hablar_con_funcionario", 0.95)
    says(reader, P6, "XKCD   qwpz", local(10, 13), "nlu_fallback", 0.15)
    add_slot(reader, P6, "tramite", "reporte-bache", local(10, 13))
    # 03-31 23:30 in Santiago is 04-01 in UTC: still March here.
    says(reader, P3, "gracias", local(31, 23, 30), "agradecer", 0.99)
    # Outside the period, on both sides.
    says(reader, P1, "hola", local(28, 23, 50, month=2), "saludar", 0.99)
    says(reader, P4, "hola de nuevo", local(1, 0, 30, month=4), "saludar", 0.99)
    add_slot(reader, P4, "tramite", "patente-alcoholes", local(1, 0, 31, month=4))
    # Not Peñalolén's: another number, the chat web (no municipality), and Angol.
    says(reader, NOT_OURS, "xkcd qwpz", local(3, 10), "nlu_fallback", 0.1)
    says(reader, REST, "xkcd qwpz", local(3, 10), "nlu_fallback", 0.1)
    for day in (3, 4, 5):
        says(reader, A1, ANGOL_SECRET, local(day, 15), "nlu_fallback", 0.1)
        add_slot(reader, A1, "tramite", "patente-comercial", local(day, 15))
        says(reader, A2, "patente comercial en angol", local(day, 16))
        add_slot(reader, A2, "tramite", "patente-comercial", local(day, 16))

    # Handoffs: waits 10, 30, 2, 60 and 5 min, and one never answered (only the hand-back text).
    h1 = add_handoff(
        db, "penalolen", P1, "whatsapp", local(3, 10, 6), procedure="permiso-circulacion", status="cerrada"
    )
    staff_message(db, h1, P1, local(3, 10, 16))
    staff_message(db, h1, P1, local(3, 10, 40))
    h3 = add_handoff(db, "penalolen", P3, "telegram", local(4, 9), reason="no_entendido", status="cerrada")
    staff_message(db, h3, P3, local(4, 9, 30))
    h5 = add_handoff(db, "penalolen", P5, "whatsapp", local(10, 9, 45), reason="formulario", status="cerrada")
    staff_message(db, h5, P5, local(10, 9, 47))
    h2 = add_handoff(db, "penalolen", P2, "whatsapp", local(10, 12, 1), status="devuelta")
    staff_message(db, h2, P2, local(10, 13), HAND_BACK_TEXT)
    hr = add_handoff(db, "penalolen", REST, "rest", local(12, 10), reason="no_entendido")
    staff_message(db, hr, REST, local(12, 11))
    # Taken from the console on a day P4 did not write: a reason and a wait, no conversation.
    h4 = add_handoff(db, "penalolen", P4, "telegram", local(20, 10), reason="funcionario", status="atendiendo")
    staff_message(db, h4, P4, local(20, 10, 5))
    early = add_handoff(db, "penalolen", P1, "whatsapp", local(27, 10, month=2), status="cerrada")
    staff_message(db, early, P1, local(27, 10, 1, month=2))
    angol = add_handoff(db, "angol", A1, "telegram", local(4, 15, 1), reason="formulario")
    staff_message(db, angol, A1, local(4, 15, 2))

    # Requests of March by procedure and status, and others outside the period or the municipality.
    for n, (procedure, status) in enumerate(
        [
            ("permiso-circulacion", "recibida"),
            ("permiso-circulacion", "recibida"),
            ("permiso-circulacion", "resuelta"),
            ("reporte-bache", "en_revision"),
        ]
    ):
        add_request(db, "penalolen", procedure, status, local(5 + n, 12), n)
    add_request(db, "penalolen", "reporte-bache", "recibida", local(2, 12, month=4), 10)
    for n in range(5):
        add_request(db, "angol", "patente-comercial", "recibida", local(6, 12), 20 + n)

    # Satisfaction answers of March: 5, 5, 4, 2 and a 3 late on the 31st (April in UTC) -> 19 / 5 = 3,8.
    for handoff_id, score, day in ((h1, 5, 3), (h3, 5, 4), (h5, 4, 10), (h2, 2, 10)):
        add_survey(db, "penalolen", handoff_id, "respondida", local(day, 18), score, local(day, 18, 5))
    add_survey(db, "penalolen", hr, "respondida", local(31, 23, 0), 3, local(31, 23, 30))
    # Not counted: asked in March but answered in April, never answered, not sent, and Angol's.
    add_survey(db, "penalolen", h4, "respondida", local(31, 22), 1, local(1, 0, 30, month=4))
    add_survey(db, "penalolen", h4, "enviada", local(20, 11))
    add_survey(db, "penalolen", None, "no_enviada", local(21, 11))
    add_survey(db, "angol", angol, "respondida", local(4, 16), 1, local(4, 16, 1))
    return {"h1": h1, "h2": h2, "h3": h3, "h4": h4, "h5": h5, "hr": hr}


def march() -> metrics.Period:
    return metrics.Period(datetime(2025, 3, 1).date(), datetime(2025, 3, 31).date())


# --- The numbers --------------------------------------------------------------------------------


def test_numbers_of_the_seeded_month(world, month):
    found = metrics.compute(world["db"], world["reader"], "penalolen", [PEN_WA], march())
    per_day = {d.day.day: (d.contained, d.handed_off) for d in found.conversations.per_day if d.total}
    assert per_day == {3: (1, 1), 4: (1, 1), 10: (2, 2), 31: (1, 0)}
    assert len(found.conversations.per_day) == 31
    c = found.conversations
    assert (c.total, c.contained, c.handed_off) == (9, 5, 4)
    assert round(c.containment, 1) == 55.6 and round(c.handoff_rate, 1) == 44.4
    assert [(r.key, r.count) for r in found.reasons] == [
        ("hablar_con_funcionario", 2),
        ("no_entendido", 2),
        ("formulario", 1),
        ("funcionario", 1),
    ]
    t = found.reply_times
    assert [w.total_seconds() / 60 for w in t.waits] == [2, 5, 10, 30, 60] and t.unanswered == 1
    assert t.median == timedelta(minutes=10) and t.p90 == timedelta(minutes=60)
    assert [(p.key, p.count) for p in found.procedures] == [
        ("reporte-bache", 3),
        ("permiso-circulacion", 2),
        ("licencia-conducir", 1),
    ]
    assert [(n.text, n.count) for n in found.not_understood] == [
        ("XKCD qwpz", 3),
        (FORMULA, 1),
        ("quiero un perrito", 1),
        ("mi rut es 12.345.678-5 ayuda", 1),
    ]
    links = {n.text: n.handoff_id for n in found.not_understood}
    assert links == {
        "XKCD qwpz": month["h4"],
        FORMULA: month["h5"],
        "quiero un perrito": month["h3"],
        **{"mi rut es 12.345.678-5 ayuda": month["h1"]},
    }
    assert [(r.procedure, r.status, r.count) for r in found.requests] == [
        ("permiso-circulacion", "recibida", 2),
        ("permiso-circulacion", "resuelta", 1),
        ("reporte-bache", "en_revision", 1),
    ]
    sat = found.satisfaction
    assert sat.distribution == (0, 1, 1, 1, 2) and sat.responses == 5 and sat.average == pytest.approx(3.8)
    assert sat.summary == "3,8 de 5 (5 respuestas)"
    assert metrics.Satisfaction().summary == "sin datos" and metrics.Satisfaction().average is None


def test_median_of_an_even_count_and_nearest_rank_p90():
    times = metrics.ReplyTimes(tuple(timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)), 0)
    assert times.median == timedelta(minutes=5, seconds=30)
    assert times.p90 == timedelta(minutes=9)
    assert metrics.ReplyTimes((), 3).median is None and metrics.ReplyTimes((), 3).p90 is None


def test_angol_sees_only_angol(world, month):
    found = metrics.compute(world["db"], world["reader"], "angol", [ANGOL_WA], march())
    c = found.conversations
    assert (c.total, c.contained, c.handed_off) == (6, 5, 1)
    assert [(p.key, p.count) for p in found.procedures] == [("patente-comercial", 6)]
    assert [(n.text, n.count) for n in found.not_understood] == [(ANGOL_SECRET, 3)]
    assert [(r.key, r.count) for r in found.reasons] == [("formulario", 1)]
    assert [(r.procedure, r.status, r.count) for r in found.requests] == [("patente-comercial", "recibida", 5)]
    assert found.satisfaction.distribution == (1, 0, 0, 0, 0) and found.satisfaction.summary == "1,0 de 5 (1 respuesta)"


def test_no_tracker_table_yet_means_no_conversations(world, tmp_path):
    empty = TranscriptReader(f"sqlite:///{tmp_path / 'sin_eventos.db'}")
    try:
        found = metrics.compute(world["db"], empty, "penalolen", [PEN_WA], march())
    finally:
        empty.engine.dispose()
    assert found.conversations.total == 0 and found.conversations.containment is None
    assert found.procedures == () and found.not_understood == ()


# --- The page -----------------------------------------------------------------------------------


def _alt(page: str, chart: str) -> str:
    import html
    import re

    found = re.search(r'<img src="/consola/metricas/grafico/' + chart + r'\.svg\?([^"]+)" alt="([^"]*)"', page)
    assert found, chart
    assert html.unescape(found.group(1)) == MARCH
    return html.unescape(found.group(2))


async def test_page_shows_every_number(browsers, month):
    ana = await browsers("ana")
    response, page = await ana.get(f"/consola/metricas?{MARCH}")
    assert response.status == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'none';") and "style-src 'self';" in policy and "unsafe" not in policy
    assert "del 01-03-2025 al 31-03-2025 (31 días)" in page
    assert '<a href="/consola/metricas">Métricas</a>' in page  # in the navigation
    summary = page[page.index('id="resumen"') : page.index("</section>", page.index('id="resumen"'))]
    for text in (
        "<dd>9</dd>",
        "55,6 %",
        "(5)",
        "44,4 %",
        "(4)",
        "<dd>10 min</dd>",
        "1 h 00 min",
        "5 respondidas, 1 sin respuesta aún",
        "<dd>3,8 de 5 (5 respuestas)</dd>",
    ):
        assert text in summary, text
    assert _alt(page, "conversaciones") == (
        "Conversaciones por día del 01-03-2025 al 31-03-2025: 9 en total, 5 resueltas sin persona y 4 derivadas "
        "a una persona; el día con más fue el 10-03-2025, con 4."
    )
    assert _alt(page, "contencion") == (
        "Contención: 55,6 % de 9 conversaciones resueltas sin persona (5); 44,4 % derivadas a una persona (4)."
    )
    assert _alt(page, "derivaciones") == (
        "Motivos de derivación (6 derivaciones): Pidió hablar con una persona: 2; El asistente no entendió: 2; "
        "Problema en un formulario: 1; Tomada por un funcionario desde la consola: 1."
    )
    assert _alt(page, "respuesta") == (
        "Tiempo hasta la primera respuesta del equipo: mediana 10 min, p90 1 h 00 min, 5 derivaciones respondidas "
        "y 1 sin respuesta aún. Por tramo: Menos de 5 min: 1; 5 a 15 min: 2; 15 a 60 min: 1; 1 a 4 h: 1; "
        "Más de 4 h: 0; Sin respuesta aún: 1."
    )
    assert _alt(page, "tramites") == (
        "Trámites más consultados (conversaciones): Reporte de baches y veredas en mal estado: 3; "
        "Permiso de circulación: 2; Licencia de conducir (primera licencia o cambio de clase): 1."
    )
    assert _alt(page, "no-entendidos") == (
        "Mensajes que el asistente no entendió (veces): XKCD qwpz: 3; " + FORMULA + ": 1; quiero un perrito: 1; "
        "mi rut es 12.***.***-5 ayuda: 1."
    )
    assert _alt(page, "solicitudes") == (
        "Solicitudes por trámite y estado: Permiso de circulación: 3 (Recibida 2, Resuelta 1); "
        "Reporte de baches y veredas en mal estado: 1 (En revisión 1)."
    )
    assert _alt(page, "satisfaccion") == (
        "Satisfacción de los vecinos y vecinas: 3,8 de 5 (5 respuestas). Por puntaje: 5 · Muy buena: 2; "
        "4 · Buena: 1; 3 · Regular: 1; 2 · Mala: 1; 1 · Muy mala: 0."
    )
    assert "<td>5 · Muy buena</td><td>2</td>" in page and "<td>1 · Muy mala</td><td>0</td>" in page
    # The data under each chart, in <details>; the not-understood ones link to where errors are marked.
    assert page.count('<details class="datos-grafico">') == len(CHARTS)
    assert "<td>10-03-2025</td><td>2</td><td>2</td><td>4</td>" in page
    assert f'<a href="/consola/conversacion/{month["h3"]}">Revisar en la conversación n.º {month["h3"]}</a>' in page
    assert '<a href="/consola/revision/exportar">' in page
    assert "12.345.678-5" not in page  # masked
    assert "<td>Permiso de circulación</td><td>Recibida</td><td>2</td>" in page
    assert "<td>1 a 4 h</td><td>1</td>" in page
    # Angol's data never shows.
    for text in (ANGOL_SECRET, "Patente comercial", "patente-comercial"):
        assert text not in page


async def test_charts_are_svg_documents(browsers, month):
    ana = await browsers("ana")
    for chart in CHARTS:
        response, body = await ana.get(f"/consola/metricas/grafico/{chart}.svg?{MARCH}")
        assert response.status == 200, chart
        assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
        assert "script" not in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        root = ET.fromstring(body.encode("utf-8"))
        assert root.tag == "{http://www.w3.org/2000/svg}svg", chart
        assert "<script" not in body
        texts = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert ANGOL_SECRET not in texts and "Patente comercial" not in texts
        assert "Sin datos en este período" not in texts, chart  # each chart computed the part it shows
        _, empty = await ana.get(f"/consola/metricas/grafico/{chart}.svg?desde=2024-01-01&hasta=2024-01-31")
        assert "Sin datos en este período" in empty, chart
        if chart == "tramites":
            assert "Reporte de baches y" in texts and "Permiso de circulación" in texts  # labels wrap
        if chart == "no-entendidos":
            assert "XKCD qwpz" in texts and "12.***.***-5" in texts and "12.345.678-5" not in texts
        if chart == "solicitudes":
            assert "Recibida" in texts and "En revisión" in texts
        if chart == "satisfaccion":
            assert "3,8 de 5" in texts and "5 · Muy buena" in texts and "1 · Muy mala" in texts
    response, _ = await ana.get(f"/consola/metricas/grafico/otro.svg?{MARCH}")
    assert response.status == 404
    nobody = await browsers()
    response, _ = await nobody.get(f"/consola/metricas/grafico/tramites.svg?{MARCH}")
    assert response.status == 303 and response.headers["Location"] == "/consola/ingresar"


def read_csv(body: bytes) -> List[List[str]]:
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


async def _csv(browser, query: str):
    async with browser.http.get(f"{browser.base}/consola/metricas.csv?{query}", allow_redirects=False) as response:
        return response, await response.read()


def _value(rows: List[List[str]], indicator: str, detail: str = "", state: str = "") -> Optional[str]:
    for row in rows:
        if row[:3] == [indicator, detail, state]:
            return row[3]
    return None


async def test_csv_has_every_number(browsers, world, month):
    jefa = await browsers("jefa")  # administrators too
    response, body = await _csv(jefa, MARCH)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="metricas-penalolen-2025-03-01-a-2025-03-31.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(body)
    assert rows[0] == ["indicador", "detalle", "estado", "valor"]
    assert all(len(row) == 4 for row in rows)
    expected = {
        ("municipalidad", "", ""): "Municipalidad de Peñalolén",
        ("período", "desde", ""): "2025-03-01",
        ("período", "hasta", ""): "2025-03-31",
        ("conversaciones", "total", ""): "9",
        ("conversaciones por día", "2025-03-10", "total"): "4",
        ("conversaciones por día", "2025-03-10", "sin persona"): "2",
        ("conversaciones por día", "2025-03-10", "con derivación"): "2",
        ("conversaciones por día", "2025-03-31", "total"): "1",
        ("conversaciones por día", "2025-03-01", "total"): "0",
        ("contención", "conversaciones resueltas sin persona", ""): "5",
        ("contención", "porcentaje", ""): "55,6",
        ("derivación", "conversaciones derivadas a una persona", ""): "4",
        ("derivación", "porcentaje", ""): "44,4",
        ("motivos de derivación", "Pidió hablar con una persona", ""): "2",
        ("motivos de derivación", "El asistente no entendió", ""): "2",
        ("motivos de derivación", "Problema en un formulario", ""): "1",
        ("motivos de derivación", "Tomada por un funcionario desde la consola", ""): "1",
        ("primera respuesta", "derivaciones respondidas", ""): "5",
        ("primera respuesta", "derivaciones sin respuesta", ""): "1",
        ("primera respuesta", "mediana (minutos)", ""): "10,0",
        ("primera respuesta", "p90 (minutos)", ""): "60,0",
        ("primera respuesta por tramo", "5 a 15 min", ""): "2",
        ("satisfacción", "resumen", ""): "3,8 de 5 (5 respuestas)",
        ("satisfacción", "respuestas", ""): "5",
        ("satisfacción", "promedio (1 a 5)", ""): "3,80",
        ("satisfacción por puntaje", "1 · Muy mala", ""): "0",
        ("satisfacción por puntaje", "2 · Mala", ""): "1",
        ("satisfacción por puntaje", "3 · Regular", ""): "1",
        ("satisfacción por puntaje", "4 · Buena", ""): "1",
        ("satisfacción por puntaje", "5 · Muy buena", ""): "2",
        ("trámites consultados", "Reporte de baches y veredas en mal estado", ""): "3",
        ("trámites consultados", "Permiso de circulación", ""): "2",
        ("trámites consultados", "Licencia de conducir (primera licencia o cambio de clase)", ""): "1",
        ("mensajes no entendidos", "XKCD qwpz", ""): "3",
        ("mensajes no entendidos", "'" + FORMULA, ""): "1",  # a formula is defused
        ("mensajes no entendidos", "mi rut es 12.***.***-5 ayuda", ""): "1",
        ("solicitudes", "Permiso de circulación", "Recibida"): "2",
        ("solicitudes", "Permiso de circulación", "Resuelta"): "1",
        ("solicitudes", "Reporte de baches y veredas en mal estado", "En revisión"): "1",
    }
    for key, value in expected.items():
        assert _value(rows, *key) == value, key
    assert len([r for r in rows if r[0] == "conversaciones por día"]) == 31 * 3
    assert len([r for r in rows if r[0] == "solicitudes"]) == 3
    text = body.decode("utf-8-sig")
    assert ANGOL_SECRET not in text and "Patente comercial" not in text and "12.345.678-5" not in text
    assert [a.detail for a in audits(world["db"], "exportar_metricas")] == ["2025-03-01 a 2025-03-31"]


async def test_another_municipality_sees_its_own_numbers_only(browsers, month):
    pedro = await browsers("pedro")
    response, page = await pedro.get(f"/consola/metricas?{MARCH}")
    assert response.status == 200
    assert "Patente comercial: 6" in page and ANGOL_SECRET in page
    for text in ("XKCD qwpz", "perrito", "Permiso de circulación: 2", "Reporte de baches"):
        assert text not in page, text
    _, body = await _csv(pedro, MARCH)
    rows = read_csv(body)
    assert _value(rows, "conversaciones", "total") == "6"
    assert "perrito" not in body.decode("utf-8-sig") and "XKCD" not in body.decode("utf-8-sig")
    _, svg = await pedro.get(f"/consola/metricas/grafico/no-entendidos.svg?{MARCH}")
    assert "XKCD" not in svg and "texto de angol que no se" in svg  # the label wraps


async def test_default_period_is_the_last_30_days(browsers, world):
    ana = await browsers("ana")
    today = metrics.local_today()
    response, page = await ana.get("/consola/metricas")
    assert response.status == 200
    first = today - timedelta(days=29)
    assert f"del {first:%d-%m-%Y} al {today:%d-%m-%Y} (30 días)" in page
    assert f'value="{first.isoformat()}"' in page and f'value="{today.isoformat()}"' in page
    assert f"grafico/conversaciones.svg?desde={first.isoformat()}&amp;hasta={today.isoformat()}" in page
    # The world's recent Peñalolén handoffs (a WhatsApp one and a chat-web one) are in the reasons.
    assert "Motivos de derivación (2 derivaciones)" in page


@pytest.mark.parametrize(
    "query, message",
    [
        ("desde=2025-02-30", "La fecha &#x27;desde&#x27; no es válida: usa el formato AAAA-MM-DD."),
        ("hasta=31-03-2025", "La fecha &#x27;hasta&#x27; no es válida: usa el formato AAAA-MM-DD."),
        ("desde=2025-04-01&hasta=2025-03-01", "&#x27;Desde&#x27; no puede ser posterior a &#x27;hasta&#x27;."),
        ("desde=2023-01-01&hasta=2025-03-01", "El período puede abarcar como máximo 366 días"),
        ("desde=1999-12-31", "La fecha &#x27;desde&#x27; está fuera de rango"),
    ],
)
async def test_bad_dates_answer_400_in_spanish(browsers, month, query, message):
    ana = await browsers("ana")
    response, page = await ana.get(f"/consola/metricas?{query}")
    assert response.status == 400
    assert message in page and 'lang="es"' in page
    assert "grafico/" not in page  # no charts for a bad period
    response, page = await ana.get(f"/consola/metricas/grafico/tramites.svg?{query}")
    assert response.status == 400 and message in page and response.headers["Content-Type"].startswith("text/html")
    response, body = await _csv(ana, query)
    assert response.status == 400 and message in body.decode("utf-8")


def test_reads_what_rasas_own_tracker_store_saves(sqlite_db, tmp_path):
    """The slot name in ``action_name`` and the intent in ``intent_name``, as Rasa 3.6.21 writes them."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.config import PROJECT_ROOT

    path = tmp_path / "rasa.db"
    store = SQLTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")), dialect="sqlite", db=str(path))
    at = local(10, 9).timestamp()
    tracker = DialogueStateTracker(P5, store.domain.slots)
    for event in (
        ActionExecuted("action_listen", timestamp=at),
        UserUttered("cuanto sale el permiso", {"name": "consultar_tramite", "confidence": 0.9}, timestamp=at + 1),
        SlotSet("tramite", "permiso-circulacion", timestamp=at + 2),
        UserUttered("xkcd qwpz", {"name": "nlu_fallback", "confidence": 0.1}, timestamp=at + 3),
    ):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    store.engine.dispose()
    reader = TranscriptReader(f"sqlite:///{path}")
    try:
        found = metrics.compute(sqlite_db, reader, "penalolen", [PEN_WA], march())
    finally:
        reader.engine.dispose()
    assert found.conversations.total == 1
    assert [(p.key, p.count) for p in found.procedures] == [("permiso-circulacion", 1)]
    assert [(n.text, n.count) for n in found.not_understood] == [("xkcd qwpz", 1)]
