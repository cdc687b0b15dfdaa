"""The staff console in a real browser (Playwright + Debian's Chromium, headless) against ``python -m bot web``.

An agent of Peñalolén logs in, opens the waiting WhatsApp conversation from the queue, answers it
(the Twilio stand-in receives the reply) and hands it back (the Rasa stand-in receives
``con_funcionario`` false); an agent of Angol does not see it in the queue and gets a 404 page at its
address. Screenshots: /tmp/console.png (conversation) and /tmp/console-phone.png (queue on a phone).
Peñalolén's administrator, on a phone, deactivates an agent through the confirmation page (the agent's
open session ends) and reactivates her; the team page has no horizontal scrolling at 390 px
(/tmp/console-team-phone.png). The metrics page of a seeded month loads its charts, on a desktop and on a
phone without horizontal scrolling (/tmp/console-metrics.png). A handoff created while the queue is open
appears in it without reloading, with the count in the title, and the queue fits a 390 px phone
(/tmp/console-queue-phone.png). A staffer adds an internal note and a label and closes the conversation: the
citizen gets the closing message and the satisfaction question, never the note.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

from bot.config import PROJECT_ROOT
from bot.handoff import service
from bot.handoff.transcript import TranscriptReader
from bot.rasa_internals.events_table import RASA_EVENTS
from bot.staff import accounts
from bot.storage.catalogue_store import load_catalogue_into
from bot.storage.db import Database
from bot.storage.tables import ConversationActivityRow
from tests.browser import CHROMIUM, CHROMIUM_ARGS, login, require_browser, until
from tests.standins import TwilioStandIn, free_port
from tests.test_console import PASSWORD, RasaStandIn, add_event, add_handoff, ago
from tests.test_console_metrics import CHARTS, MARCH, seed_month

CITIZEN = "+56987654321"
SENDER = f"whatsapp:+56229999999:{CITIZEN}"
REPLY = "Hola, soy Ana de la municipalidad. El permiso de moto se paga en línea hasta el 31 de marzo."
HAND_BACK = "Te devuelvo al asistente virtual. ¿En qué más te ayudo?"


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"python -m bot web terminó con código {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"python -m bot web no respondió en {url}")


@pytest.fixture
def site(tmp_path: Path, catalogue) -> Iterator[dict]:
    """``python -m bot web`` over temporary databases, with the Twilio and Rasa stand-ins."""
    db = Database(f"sqlite:///{tmp_path / 'municipal.db'}")
    db.create_schema()
    load_catalogue_into(db, catalogue, "tests")
    tracker_file = tmp_path / "rasa_tracker.db"
    reader = TranscriptReader(f"sqlite:///{tracker_file}")
    RASA_EVENTS.metadata.create_all(reader.engine)
    accounts.create_staff(db, "penalolen", "ana", "Ana Pérez", PASSWORD)
    accounts.create_staff(db, "angol", "pedro", "Pedro Soto", PASSWORD)
    accounts.create_first_admin(db, "penalolen", "jefa", "Marta Jefa", PASSWORD)
    start = ago(minutes=7)
    handoff_id = add_handoff(
        db,
        "penalolen",
        SENDER,
        "whatsapp",
        start,
        procedure="permiso-circulacion",
        form_data={"nombre": "Carla Rojas", "rut": "12345678-5", "patente": "ABCD12"},
    )
    add_event(
        reader,
        SENDER,
        "user",
        "hola cuanto sale el permiso pa la moto",
        start - timedelta(seconds=90),
        "consultar_tramite",
        0.93,
    )
    add_event(
        reader,
        SENDER,
        "bot",
        "El permiso de circulación de motos cuesta desde $25.000.",
        start - timedelta(seconds=88),
        buttons=["Requisitos", "Dónde pagar"],
    )
    add_event(
        reader,
        SENDER,
        "user",
        "no me sirve, quiero hablar con alguien <b>ya</b>",
        start - timedelta(seconds=30),
        "hablar_con_funcionario",
        0.97,
    )
    add_event(reader, SENDER, "bot", "Te comunico con una persona de la municipalidad.", start - timedelta(seconds=28))
    twilio, rasa = TwilioStandIn().start(), RasaStandIn().start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "TRACKER_DB_DIALECT": "sqlite",
        "TRACKER_DB": str(tracker_file),
        "TWILIO_ACCOUNT_SID": "ACprueba",
        "TWILIO_AUTH_TOKEN": "secreto",
        "TWILIO_API_BASE_URL": twilio.url,
        "RASA_URL": rasa.url,
        "RASA_API_TOKEN": "",
        "NOTIFY_DISABLED": "1",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("TRACKER_DB_URL", None)
    env.pop("CONSOLE_SECURE_COOKIES", None)
    log = open(tmp_path / "web.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "web", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/health", process)
        yield {
            "base": base,
            "handoff": handoff_id,
            "twilio": twilio,
            "rasa": rasa,
            "log": tmp_path / "web.log",
            "db": db,
            "reader": reader,
        }
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        twilio.stop()
        rasa.stop()
        reader.engine.dispose()
        db.dispose()


NO_SIDEWAYS_SCROLL = """() => {
  const root = document.documentElement;
  const scrolls = e => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
  const boxes = [...document.querySelectorAll("*")].filter(scrolls);
  return [root, ...boxes].filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.tagName + "." + e.className);
}"""


def _no_horizontal_scrolling(page) -> None:
    """Neither the page nor any box in it (such as a table's wrapper) scrolls sideways."""
    assert page.evaluate(NO_SIDEWAYS_SCROLL) == []


def test_console_in_a_browser(site):
    require_browser()
    from playwright.sync_api import sync_playwright

    base, handoff_id, twilio, rasa = site["base"], site["handoff"], site["twilio"], site["rasa"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, locale="es-CL")
            page = phone.new_page()
            login(page, base, "ana", "Peñalolén")
            page.screenshot(path="/tmp/console-phone.png", full_page=True)
            phone.close()

            ana = browser.new_context(viewport={"width": 1100, "height": 900}, locale="es-CL")
            page = ana.new_page()
            login(page, base, "ana", "Peñalolén")
            queue_text = page.locator("main").inner_text()
            assert "+56 9 **** 4321" in queue_text and CITIZEN not in queue_text and "Carla Rojas" not in queue_text
            page.get_by_role("link", name=f"Abrir conversación n.º {handoff_id}").click()
            page.get_by_role("heading", name=f"Conversación n.º {handoff_id}").wait_for()
            main = page.locator("main")
            assert "no me sirve, quiero hablar con alguien <b>ya</b>" in main.inner_text()  # shown as text
            assert page.locator("main b").count() == 0
            assert "consultar_tramite (confianza 0,93)" in main.inner_text()
            page.get_by_label("Mensaje para el vecino o vecina").fill(REPLY)
            page.get_by_role("button", name="Enviar respuesta").click()
            page.get_by_text("Mensaje enviado al vecino o vecina.").wait_for()
            assert twilio.wait_for(
                lambda r: r.get("Body") == REPLY and r.get("To") == f"whatsapp:{CITIZEN}", timeout=20
            )
            assert page.locator(".turno.funcionario", has_text=REPLY).count() == 1
            assert rasa.wait_for(lambda r: r.get("events", [{}])[0].get("value") is True, timeout=20)
            page.screenshot(path="/tmp/console.png", full_page=True)
            page.get_by_role("button", name="Devolver al asistente").click()
            page.get_by_text("Conversación devuelta al asistente virtual.").wait_for()
            found = rasa.wait_for(lambda r: r.get("events", [{}])[0].get("value") is False, timeout=20)
            assert found[0]["sender"] == SENDER
            assert found[0]["events"] == [{"event": "slot", "name": "con_funcionario", "value": False}]
            assert twilio.wait_for(lambda r: r.get("Body") == HAND_BACK, timeout=20)
            ana.close()

            angol = browser.new_context()
            page = angol.new_page()
            login(page, base, "pedro", "Angol")
            assert page.get_by_role("link", name=f"Abrir conversación n.º {handoff_id}").count() == 0
            assert "4321" not in page.locator("main").inner_text()
            response = page.goto(f"{base}/consola/conversacion/{handoff_id}")
            assert response.status == 404
            page.get_by_role("heading", name="No encontrada").wait_for()
            assert "Carla Rojas" not in page.content() and "moto" not in page.content()
            angol.close()
        finally:
            browser.close()


def test_team_page_in_a_browser(site):
    require_browser()
    from playwright.sync_api import sync_playwright

    base = site["base"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ana = browser.new_context(locale="es-CL").new_page()
            login(ana, base, "ana", "Peñalolén")
            phone = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, locale="es-CL")
            page = phone.new_page()
            login(page, base, "jefa", "Peñalolén")
            page.get_by_role("link", name="Equipo").click()
            page.get_by_role("heading", name="Equipo", exact=True).wait_for()
            _no_horizontal_scrolling(page)
            page.screenshot(path="/tmp/console-team-phone.png", full_page=True)

            page.get_by_role("button", name="Desactivar…: ana").click()
            page.get_by_role("heading", name="¿Desactivar a Ana Pérez?").wait_for()
            _no_horizontal_scrolling(page)
            page.get_by_role("button", name="Sí, desactivar").click()
            page.get_by_text("Usuario desactivado: sus sesiones se cerraron.").wait_for()
            row = page.locator("tbody tr", has_text="Ana Pérez")
            assert "Desactivado" in row.inner_text()
            ana.reload()  # her open session ended: the next page is the login page
            ana.get_by_role("button", name="Ingresar").wait_for()
            assert "/consola/ingresar" in ana.url

            page.get_by_role("button", name="Reactivar: ana").click()
            page.get_by_text("Usuario reactivado").wait_for()
            assert "Activo" in page.locator("tbody tr", has_text="Ana Pérez").inner_text()
            _no_horizontal_scrolling(page)
            login(ana, base, "ana", "Peñalolén")  # she can log in again
        finally:
            browser.close()


def _charts_loaded(page) -> list:
    """``naturalWidth`` of every chart image of the page, once all have finished loading."""
    deadline = time.monotonic() + 30  # polled from here: wait_for_function evaluates strings, which the CSP forbids
    while not page.evaluate("Array.from(document.images).every(i => i.complete)") and time.monotonic() < deadline:
        time.sleep(0.1)
    return page.eval_on_selector_all("main img", "images => images.map(i => i.naturalWidth)")


def test_metrics_page_in_a_browser(site):
    require_browser()
    from playwright.sync_api import sync_playwright

    seed_month(site["db"], site["reader"])
    base = site["base"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            desk = browser.new_context(viewport={"width": 1100, "height": 900}, locale="es-CL")
            page = desk.new_page()
            blocked: list = []
            page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
            login(page, base, "ana", "Peñalolén")
            page.get_by_role("link", name="Métricas").click()
            page.get_by_role("heading", name="Métricas del asistente").wait_for()
            page.get_by_label("Desde", exact=True).fill("2025-03-01")
            page.get_by_label("Hasta", exact=True).fill("2025-03-31")
            page.get_by_role("button", name="Ver el período").click()
            page.get_by_text("del 01-03-2025 al 31-03-2025 (31 días)").wait_for()
            widths = _charts_loaded(page)
            assert len(widths) == len(CHARTS) and all(w > 0 for w in widths), widths
            summary = page.locator("#resumen + dl").inner_text()
            assert "55,6 %" in summary and "44,4 %" in summary and "3,8 de 5 (5 respuestas)" in summary
            alt = page.get_by_role("img", name="Conversaciones por día del 01-03-2025 al 31-03-2025: 9 en total")
            assert alt.count() == 1
            page.get_by_text("Ver los datos").first.click()
            assert page.get_by_role("cell", name="10-03-2025").is_visible()
            assert blocked == []
            desk.close()

            phone = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, locale="es-CL")
            page = phone.new_page()
            login(page, base, "ana", "Peñalolén")
            page.goto(f"{base}/consola/metricas?{MARCH}")
            widths = _charts_loaded(page)
            assert len(widths) == len(CHARTS) and all(w > 0 for w in widths), widths
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"la página se desplaza {overflow} px a lo ancho en un teléfono"
            assert all(
                box["width"] <= 390
                for box in (page.locator("main img").nth(i).bounding_box() for i in range(len(CHARTS)))
            )
            page.screenshot(path="/tmp/console-metrics.png", full_page=True)
            phone.close()
        finally:
            browser.close()


LATE_SENDER = "whatsapp:+56229999999:+56955554444"


def test_queue_updates_live_and_fits_a_phone(site):
    """A handoff created while the queue is open appears without reloading, with the count in the title;
    at 390 px wide the queue needs no horizontal scrolling."""
    require_browser()
    from playwright.sync_api import sync_playwright

    base, db, reader = site["base"], site["db"], site["reader"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, locale="es-CL")
            page = phone.new_page()
            errors: list = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            login(page, base, "ana", "Peñalolén")
            assert page.title() == "(1) Cola · Consola municipal"
            assert page.locator("#cola-filas > li").count() == 1
            # The optional tone for a new conversation: off until the staffer turns it on, remembered.
            sound = page.locator("#cola-sonido")
            assert sound.inner_text() == "Sonido: desactivado" and sound.get_attribute("aria-pressed") == "false"
            sound.click()
            assert sound.inner_text() == "Sonido: activado" and sound.get_attribute("aria-pressed") == "true"
            assert page.evaluate("localStorage.getItem('consola.cola.sonido')") == "1"
            page.reload()
            page.get_by_role("button", name="Sonido: activado").wait_for()
            page.get_by_role("button", name="Sonido: activado").click()
            page.get_by_role("button", name="Sonido: desactivado").click()  # on again, with a click to start audio
            assert sound.get_attribute("data-sonidos") is None  # nothing new yet: silence
            marker = page.evaluate("window.__sin_recargar = 1")  # gone if the page reloads
            assert marker == 1
            # The citizen asks for a person (as the assistant stores the turn and opens the handoff).
            add_event(
                reader,
                LATE_SENDER,
                "user",
                "necesito ayuda con mi patente",
                ago(seconds=5),
                "hablar_con_funcionario",
                0.9,
            )
            created = add_handoff(
                db, "penalolen", LATE_SENDER, "whatsapp", ago(seconds=2), procedure="permiso-circulacion"
            )
            page.get_by_role("link", name=f"Abrir conversación n.º {created}").wait_for(timeout=20000)
            assert page.evaluate("window.__sin_recargar") == 1  # no reload happened
            until(lambda: page.title() == "(2) Cola · Consola municipal")  # the page's CSP forbids eval
            new_row = page.locator(f'#cola-filas > li[data-id="{created}"]')
            assert "necesito ayuda con mi patente" in new_row.inner_text()
            assert "A tiempo: menos de 1 min de horario sin respuesta (plazo 15 min)" in new_row.inner_text()
            assert "2 conversaciones abiertas" in page.locator("#cola-resumen").inner_text()
            assert sound.get_attribute("data-sonidos") == "1"  # the new conversation sounded, once
            # A new citizen message shows up in its row too.
            add_event(reader, LATE_SENDER, "user", "hola? sigo aca", ago(seconds=0), "saludar", 0.9)
            until(lambda: "sigo aca" in new_row.inner_text())
            assert "1 mensaje sin leer" in new_row.inner_text()
            assert sound.get_attribute("data-sonidos") == "1"  # a message in a known conversation: no tone
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path="/tmp/console-queue-phone.png", full_page=True)
            assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
            phone.close()
        finally:
            browser.close()


def _fits_390(page) -> None:
    """The page (and every box in it) needs no horizontal scrolling on a 390 px wide phone."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"{page.url}: {width} px de ancho en un teléfono de 390 px"
    _no_horizontal_scrolling(page)


def test_every_console_page_fits_a_phone(site):
    """At 390 px wide the queue, a conversation, the live conversations, the metrics and the team pages need
    no horizontal scrolling (screenshots: /tmp/console-<page>-390.png)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    seed_month(site["db"], site["reader"])
    base, handoff_id = site["base"], site["handoff"]
    with site["db"].session() as session:  # two recent conversations in the live list (one has a handoff open)
        for sender in ("whatsapp:+56924868000:+56911223344", "telegram:penalolen:7004"):
            session.add(ConversationActivityRow(sender_id=sender, last_inbound_at=ago(minutes=3)))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, locale="es-CL")
            page = phone.new_page()
            login(page, base, "jefa", "Peñalolén")
            for name, path, heading in (
                ("cola", "/consola", "Conversaciones en espera"),
                ("conversacion", f"/consola/conversacion/{handoff_id}", f"Conversación n.º {handoff_id}"),
                ("conversaciones", "/consola/conversaciones", None),
                ("metricas", f"/consola/metricas?{MARCH}", "Métricas del asistente"),
                ("equipo", "/consola/equipo", "Equipo"),
                ("busqueda", "/consola/buscar", None),
            ):
                response = page.goto(base + path)
                assert response.status == 200, path
                if heading:
                    page.get_by_role("heading", name=heading, exact=True).wait_for()
                if name == "metricas":
                    assert all(w > 0 for w in _charts_loaded(page))
                    for details in page.locator("details.datos-grafico").all():
                        details.locator("summary").click()  # the data tables open, and fit too
                if name == "conversaciones":
                    assert page.get_by_role("button", name="Tomar conversación de +56 9 **** 3344").is_visible()
                _fits_390(page)
                page.screenshot(path=f"/tmp/console-{name}-390.png", full_page=True)
            # Ana attends it: replying beside her asks first, and that page fits too; confirmed, it is sent.
            service.assign_handoff(site["db"], "penalolen", handoff_id, "ana", "ana")
            page.goto(f"{base}/consola/conversacion/{handoff_id}")
            page.get_by_label("Mensaje para el vecino o vecina").fill("Hola, soy Marta, la jefa del equipo.")
            page.get_by_role("button", name="Enviar respuesta").click()
            page.get_by_text(
                "Ana Pérez está atendiendo esta conversación. ¿Enviar tu respuesta de todos modos?"
            ).wait_for()
            _fits_390(page)
            page.screenshot(path="/tmp/console-aviso-390.png", full_page=True)
            page.get_by_role("button", name="Sí, enviar mi respuesta").click()
            page.get_by_text("Mensaje enviado al vecino o vecina.").wait_for()
            assert site["twilio"].wait_for(
                lambda r: r.get("Body") == "Hola, soy Marta, la jefa del equipo.", timeout=20
            )
        finally:
            browser.close()


def test_a_note_a_label_and_closing_with_the_survey_in_a_browser(site):
    """A staffer adds an internal note, attaches a label and closes: the citizen (inside WhatsApp's window)
    gets the closing message and the satisfaction question, never the note."""
    require_browser()
    from playwright.sync_api import sync_playwright

    from bot.answers.survey import CLOSING_TEXT, QUESTION_TEXT
    from bot.storage.tables import ConversationActivityRow

    base, handoff_id, twilio = site["base"], site["handoff"], site["twilio"]
    with site["db"].session() as session:  # the citizen wrote 30 s ago: inside the 24-hour window
        session.add(ConversationActivityRow(sender_id=SENDER, last_inbound_at=ago(seconds=30)))
    note = "Vecina pide que la llamen después de las 15:00."
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1100, "height": 900}, locale="es-CL").new_page()
            login(page, base, "ana", "Peñalolén")
            page.get_by_role("link", name=f"Abrir conversación n.º {handoff_id}").click()
            page.get_by_label("Nota para el equipo (el vecino o vecina no la ve)").fill(note)
            page.get_by_role("button", name="Guardar nota").click()
            page.get_by_text("Nota interna guardada: solo la ve el equipo.").wait_for()
            assert page.locator(".turno.nota", has_text="Nota interna de Ana Pérez").count() == 1
            page.get_by_label("Agregar etiqueta").fill("urgente")
            page.get_by_role("button", name="Agregar etiqueta").click()
            page.get_by_text("Etiqueta agregada.").wait_for()
            assert page.get_by_role("button", name="Quitar la etiqueta urgente").count() == 1
            page.get_by_label("Motivo del cierre").select_option("Resuelta")
            page.get_by_role("button", name="Cerrar").click()
            page.get_by_text(
                "Se envió al vecino o vecina el mensaje de cierre y la encuesta de satisfacción."
            ).wait_for()
            to_citizen = f"whatsapp:{CITIZEN}"
            assert twilio.wait_for(lambda r: r.get("Body") == CLOSING_TEXT and r.get("To") == to_citizen, timeout=20)
            [question] = twilio.wait_for(lambda r: str(r.get("Body", "")).startswith(QUESTION_TEXT), timeout=20)
            assert "5. Muy buena" in question["Body"]
            assert not twilio.matching(lambda r: note in str(r.get("Body", "")))
            page.goto(f"{base}/consola?etiqueta=urgente")
            assert page.get_by_role("link", name=f"Abrir conversación n.º {handoff_id}").count() == 0  # closed
        finally:
            browser.close()
