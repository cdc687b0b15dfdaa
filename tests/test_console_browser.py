"""The staff console in a real browser (Playwright + Debian's Chromium, headless) against ``python -m bot web``.

An agent of Peñalolén logs in, opens the waiting WhatsApp conversation from the queue, answers it
(the Twilio stand-in receives the reply) and hands it back (the Rasa stand-in receives
``con_funcionario`` false); an agent of Angol does not see it in the queue and gets a 404 page at its
address. Screenshots: /tmp/console.png (conversation) and /tmp/console-phone.png (queue on a phone).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

from bot.config import PROJECT_ROOT
from bot.handoff.transcript import TranscriptReader
from bot.rasa_internals.events_table import RASA_EVENTS
from bot.staff import accounts
from bot.storage.catalogue_store import load_catalogue_into
from bot.storage.db import Database
from tests.conftest import require
from tests.standins import TwilioStandIn, free_port
from tests.test_console import PASSWORD, RasaStandIn, add_event, add_handoff, ago

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
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


def _login(page, base: str, username: str, municipality: str) -> None:
    page.goto(base + "/consola/ingresar")
    page.get_by_label("Municipalidad").select_option(label=f"Municipalidad de {municipality}")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_role("heading", name="Conversaciones en espera").wait_for()


def test_console_in_a_browser(site):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "falta el paquete playwright (pip install playwright)")
    require(shutil.which(CHROMIUM) is not None, f"falta Chromium en {CHROMIUM} (apt-get install chromium)")
    base, handoff_id, twilio, rasa = site["base"], site["handoff"], site["twilio"], site["rasa"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, locale="es-CL")
            page = phone.new_page()
            _login(page, base, "ana", "Peñalolén")
            page.screenshot(path="/tmp/console-phone.png", full_page=True)
            phone.close()

            ana = browser.new_context(viewport={"width": 1100, "height": 900}, locale="es-CL")
            page = ana.new_page()
            _login(page, base, "ana", "Peñalolén")
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
            _login(page, base, "pedro", "Angol")
            assert page.get_by_role("link", name=f"Abrir conversación n.º {handoff_id}").count() == 0
            assert "4321" not in page.locator("main").inner_text()
            response = page.goto(f"{base}/consola/conversacion/{handoff_id}")
            assert response.status == 404
            page.get_by_role("heading", name="No encontrada").wait_for()
            assert "Carla Rojas" not in page.content() and "moto" not in page.content()
            angol.close()
        finally:
            browser.close()


def test_a_note_a_label_and_closing_with_the_survey_in_a_browser(site):
    """A staffer adds an internal note, attaches a label and closes: the citizen (inside WhatsApp's window)
    gets the closing message and the satisfaction question, never the note."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "falta el paquete playwright (pip install playwright)")
    require(shutil.which(CHROMIUM) is not None, f"falta Chromium en {CHROMIUM} (apt-get install chromium)")
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
            _login(page, base, "ana", "Peñalolén")
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
