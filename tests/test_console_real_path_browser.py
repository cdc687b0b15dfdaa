"""The staff console in Chromium against the real assistant: handoffs that citizens start on WhatsApp and
Telegram through the signed webhooks, worked by two staffers.

The whole assistant runs once for the module (``python -m bot run``: Rasa with the trained model, the
action server and ``python -m bot web``), its channels pointed at the Twilio and Telegram stand-ins. A
citizen writes from a real WhatsApp id (``whatsapp:+569…``, the ``+`` included) or from a Telegram chat
(an update as the Bot API sends it, with the secret header); what the citizen reads is what the stand-ins
received. Nothing is seeded but the staff accounts and one canned response.
"""

from __future__ import annotations

import base64
import time
from typing import Callable, Dict, Iterator, List

import pytest

from bot.answers.channel import HAND_BACK_TEXT
from bot.answers.handoff import END_WAIT, still_waiting
from bot.answers.procedures import aspect_text
from bot.answers.survey import CLOSING_TEXT, QUESTION_TEXT
from bot.staff import accounts, canned
from bot.storage.db import Database
from tests.browser import CHROMIUM, CHROMIUM_ARGS, login, require_browser, until
from tests.channel_clients import TOKENS, citizen, new_chat, tg_message, tg_post, whatsapp
from tests.test_console import PASSWORD
from tests.voice_clips import clip, require_voice

ASK_FOR_A_PERSON = "quiero hablar con una persona"
CANNED_TITLE = "Saludo de atención"
CANNED_BODY = "Hola, te atiende el equipo de la Municipalidad de Peñalolén. ¿En qué te podemos ayudar?"
SILENT_SECONDS = 4  # after the citizen's message is stored: time the assistant would have had to answer
DESK = {"viewport": {"width": 1100, "height": 900}, "locale": "es-CL"}
# A real 1×1 image, so that the browser decodes what the console serves.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def console_site(assistant) -> Iterator[Dict]:
    """The assistant's own web process, with two agents of Peñalolén and a canned response of theirs."""
    db = Database(assistant["env"]["DATABASE_URL"])
    accounts.create_staff(db, "penalolen", "ana", "Ana Pérez", PASSWORD)
    accounts.create_staff(db, "penalolen", "luis", "Luis Toro", PASSWORD)
    canned.create_canned(db, "penalolen", CANNED_TITLE, CANNED_BODY, "ana")
    yield {"base": f"http://127.0.0.1:{assistant['env']['WEB_PORT']}", "db": db}
    db.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    """Debian's Chromium, headless, for the module (CI=true: fails when missing). Tests ask for it first, so
    that a missing browser is found before the assistant starts."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class WhatsAppCitizen:
    """A citizen writing to Peñalolén's WhatsApp number through the signed webhook."""

    def __init__(self, assistant, twilio, name: str) -> None:
        self.assistant, self.twilio, self.name, self.number = assistant, twilio, name, citizen()

    def say(self, text: str) -> None:
        status, _ = whatsapp(self.assistant, self.number, text, ProfileName=self.name)
        assert status == 200

    def received(self) -> List[str]:
        return self.twilio.bodies_to(self.number)

    def wait_for(self, check: Callable[[str], bool], after: int = 0, timeout: float = 60) -> str:
        """The first message received (from the ``after``-th on) that passes ``check``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [b for b in self.received()[after:] if check(b)]
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"el vecino no recibió lo esperado; recibió: {self.received()[after:]}")


class TelegramCitizen:
    """A citizen writing to Peñalolén's Telegram bot: updates with the webhook's secret header."""

    def __init__(self, assistant, telegram, name: str) -> None:
        self.assistant, self.telegram, self.name, self.chat = assistant, telegram, name, new_chat()

    def say(self, text: str) -> None:
        update = tg_message(self.chat, text)
        update["message"]["from"]["first_name"] = self.name
        assert tg_post(self.assistant, update, secret_for="penalolen") == 200

    def received(self) -> List[str]:
        return [str(r.get("text")) for r in self.telegram.sent(self.chat, TOKENS["penalolen"])]

    wait_for = WhatsAppCitizen.wait_for


def _row_of(page, name: str):
    """The queue row of the citizen called ``name``, once the live queue shows it (no reload)."""
    row = page.locator("#cola-filas > li", has_text=name)
    row.wait_for(timeout=30000)
    return row


def _no_error_notice(page) -> None:
    errors = page.locator(".aviso.error")
    assert errors.count() == 0, errors.all_inner_texts()


def _stays_silent(page, citizen_, text: str) -> None:
    """The citizen writes while a staffer attends: the message reaches the console, and no answer them."""
    before = len(citizen_.received())
    citizen_.say(text)

    def shown() -> bool:
        page.reload()
        return page.locator(".turno.vecino", has_text=text).count() == 1

    until(shown, 40, "el mensaje del vecino no llegó a la consola")
    time.sleep(SILENT_SECONDS)
    assert citizen_.received()[before:] == [], "el asistente respondió mientras una persona atendía"


def _open_with_live_queue(page, citizen_, base: str) -> int:
    """The citizen asks for a person while the staffer's queue is open: the row appears without reloading,
    with their name and last message; returns the handoff's id."""
    page.goto(base + "/consola")
    page.evaluate("window.__sin_recargar = 1")  # gone if the page reloads
    before = len(citizen_.received())
    citizen_.say(ASK_FOR_A_PERSON)
    assert END_WAIT in citizen_.wait_for(lambda b: END_WAIT in b, before)
    row = _row_of(page, citizen_.name)
    assert page.evaluate("window.__sin_recargar") == 1
    assert ASK_FOR_A_PERSON in row.inner_text() and "Atiende: Nadie" in row.inner_text()
    return int(row.get_attribute("data-id"))


def test_a_whatsapp_handoff_worked_from_the_console(chromium, assistant, standins, console_site, catalogue):
    """Live queue, taking and the takeover warning, a reply, silence while attended, hand-back; then a
    second handoff answered with a canned response and a catalogue answer, closed with the survey, whose
    answer shows on the conversation and in the metrics."""
    twilio, _ = standins
    base, carla = console_site["base"], WhatsAppCitizen(assistant, twilio, "Carla Rojas")
    ana_context, luis_context = chromium.new_context(**DESK), chromium.new_context(**DESK)
    ana, luis = ana_context.new_page(), luis_context.new_page()
    login(ana, base, "ana", "Peñalolén")
    login(luis, base, "luis", "Peñalolén")

    handoff_id = _open_with_live_queue(ana, carla, base)
    # Waiting: the citizen's next message is acknowledged, and shows in the queue as unread.
    before = len(carla.received())
    carla.say("hola? hay alguien?")
    assert carla.wait_for(lambda b: b == still_waiting().text, before)
    until(lambda: "1 mensaje sin leer" in _row_of(ana, carla.name).inner_text())
    assert "hola? hay alguien?" in _row_of(ana, carla.name).inner_text()
    ana.get_by_role("button", name=f"Tomar conversación n.º {handoff_id}").click()
    ana.get_by_text("Tomaste la conversación: el asistente no responderá mientras la atiendas.").wait_for()
    _no_error_notice(ana)

    # Luis opens it too: Ana attends it, so taking it asks first and names her.
    luis.goto(f"{base}/consola/conversacion/{handoff_id}")
    assert "Atiende\nAna Pérez" in luis.locator("dl.datos").inner_text()
    luis.get_by_role("button", name="Reasignar").click()
    luis.get_by_text("Ana Pérez está atendiendo esta conversación. ¿Tomarla de todos modos?").wait_for()
    luis.get_by_role("button", name="Sí, tomarla").click()
    luis.get_by_text("Tomaste la conversación").wait_for()
    _no_error_notice(luis)

    reply = "Hola Carla, soy Luis de la municipalidad. ¿En qué te ayudo?"
    luis.get_by_label("Mensaje para el vecino o vecina").fill(reply)
    luis.get_by_role("button", name="Enviar respuesta").click()
    luis.get_by_text("Mensaje enviado al vecino o vecina.").wait_for()
    assert carla.wait_for(lambda b: b == reply)
    _stays_silent(luis, carla, "necesito saber cuanto cuesta el permiso de circulacion")

    luis.get_by_role("button", name="Devolver al asistente").click()
    luis.get_by_text("Conversación devuelta al asistente virtual.").wait_for()
    _no_error_notice(luis)
    assert carla.wait_for(lambda b: b == HAND_BACK_TEXT)
    before = len(carla.received())
    carla.say("cuanto cuesta el permiso de circulacion")
    assert "Permiso de circulación" in carla.wait_for(lambda b: "Permiso de circulación" in b, before)

    # A second request for a person: Ana answers it with a canned response and a catalogue answer.
    second = _open_with_live_queue(ana, carla, base)
    assert second != handoff_id
    ana.get_by_role("link", name=f"Abrir conversación n.º {second}").click()
    ana.get_by_label("Respuesta predefinida").select_option(label=CANNED_TITLE)
    ana.locator("p", has=ana.get_by_label("Respuesta predefinida")).get_by_role("button", name="Insertar").click()
    ana.get_by_text("Texto insertado en el mensaje").wait_for()
    box = ana.get_by_label("Mensaje para el vecino o vecina")
    assert box.input_value() == CANNED_BODY
    ana.get_by_role("button", name="Enviar respuesta").click()
    ana.get_by_text("Mensaje enviado al vecino o vecina.").wait_for()
    assert carla.wait_for(lambda b: b == CANNED_BODY)

    ana.get_by_label("Trámite de tu municipalidad").select_option("permiso-circulacion")
    ana.get_by_label("Qué informar").select_option("costo")
    ana.locator("p", has=ana.get_by_label("Qué informar")).get_by_role("button", name="Insertar").click()
    ana.get_by_text("Texto insertado en el mensaje").wait_for()
    town = catalogue.municipalities["penalolen"]
    expected = aspect_text(town, catalogue.procedure_for("penalolen", "permiso-circulacion"), "costo")
    assert box.input_value() == expected  # the same facts the assistant gives
    ana.get_by_role("button", name="Enviar respuesta").click()
    ana.get_by_text("Mensaje enviado al vecino o vecina.").wait_for()
    assert carla.wait_for(lambda b: b == expected)

    before = len(carla.received())
    ana.get_by_label("Motivo del cierre").select_option("Resuelta")
    ana.get_by_role("button", name="Cerrar").click()
    ana.get_by_text("Se envió al vecino o vecina el mensaje de cierre y la encuesta de satisfacción.").wait_for()
    _no_error_notice(ana)
    assert carla.wait_for(lambda b: b == CLOSING_TEXT, before)
    question = carla.wait_for(lambda b: b.startswith(QUESTION_TEXT), before)
    assert "5. Muy buena" in question
    before = len(carla.received())
    carla.say("5")
    assert carla.wait_for(lambda b: "¡Gracias por tu evaluación!" in b, before)

    ana.reload()
    assert "Respondida: 5 de 5" in ana.locator("dl.datos").inner_text()
    ana.get_by_role("link", name="Métricas").click()
    ana.get_by_role("heading", name="Métricas del asistente").wait_for()
    assert "5,0 de 5 (1 respuesta)" in ana.locator("#resumen + dl").inner_text()
    ana_context.close()
    luis_context.close()


def test_a_telegram_handoff_worked_from_the_console(chromium, assistant, standins, console_site):
    """The same path for a Telegram chat: live in the queue with the citizen's first name, assigned to a
    named agent, answered (the Bot API stand-in gets it), silent while attended, answering again after the
    hand-back."""
    _, telegram = standins
    base, vecina = console_site["base"], TelegramCitizen(assistant, telegram, "Rosa")
    context = chromium.new_context(**DESK)
    ana = context.new_page()
    login(ana, base, "ana", "Peñalolén")

    handoff_id = _open_with_live_queue(ana, vecina, base)
    assert "Telegram" in _row_of(ana, vecina.name).inner_text()
    # Ana gives it to Luis from the queue; the row says so, and the live list shows who attends it.
    ana.get_by_label("Asignar a").select_option(label="Luis Toro")
    ana.get_by_role("button", name=f"Asignar conversación n.º {handoff_id}").click()
    ana.get_by_text("Conversación asignada: el asistente no responderá mientras esa persona la atienda.").wait_for()
    _no_error_notice(ana)
    assert "Atiende: Luis Toro" in _row_of(ana, vecina.name).inner_text()
    ana.get_by_role("link", name="Conversaciones", exact=True).click()
    live = ana.locator("tbody tr", has_text="Telegram").filter(has_text=f"n.º {handoff_id}")
    assert f"Sí: n.º {handoff_id} (en atención, Luis Toro)" in live.inner_text()
    assert "Atiende: Luis Toro" in live.inner_text() and live.get_by_role("button").inner_text() == "Reasignar"

    luis_context = chromium.new_context(**DESK)
    luis = luis_context.new_page()
    login(luis, base, "luis", "Peñalolén")
    luis.goto(f"{base}/consola/conversacion/{handoff_id}")
    reply = "Hola Rosa, soy Luis de la municipalidad. Cuéntame."
    luis.get_by_label("Mensaje para el vecino o vecina").fill(reply)
    luis.get_by_role("button", name="Enviar respuesta").click()
    luis.get_by_text("Mensaje enviado al vecino o vecina.").wait_for()
    assert vecina.wait_for(lambda b: b == reply)
    _stays_silent(luis, vecina, "hola? sigo esperando")

    luis.get_by_role("button", name="Devolver al asistente").click()
    luis.get_by_text("Conversación devuelta al asistente virtual.").wait_for()
    _no_error_notice(luis)
    assert vecina.wait_for(lambda b: b == HAND_BACK_TEXT)
    before = len(vecina.received())
    vecina.say("cuanto cuesta el permiso de circulacion")
    assert vecina.wait_for(lambda b: "Permiso de circulación" in b, before)
    context.close()
    luis_context.close()


def test_delete_my_data_while_waiting_for_a_person(chromium, assistant, standins, console_site):
    """«borra mis datos» while the conversation waits in the queue is not ignored: once confirmed, the data
    and the handoff are gone, and the row leaves the open queue without reloading."""
    twilio, _ = standins
    base, pedro = console_site["base"], WhatsAppCitizen(assistant, twilio, "Pedro Díaz")
    context = chromium.new_context(**DESK)
    ana = context.new_page()
    login(ana, base, "ana", "Peñalolén")
    _open_with_live_queue(ana, pedro, base)
    before = len(pedro.received())
    pedro.say("borra mis datos")
    assert pedro.wait_for(lambda b: "¿Quieres que borre tus datos?" in b, before)
    before = len(pedro.received())
    pedro.say("si")
    assert pedro.wait_for(lambda b: "borré tus datos" in b, before)
    until(lambda: ana.locator("#cola-filas > li", has_text=pedro.name).count() == 0)
    assert ana.evaluate("window.__sin_recargar") == 1
    context.close()


def test_a_photo_and_a_voice_note_are_visible_to_staff(chromium, assistant, standins, console_site):
    """A citizen sends a photo and a voice note over the signed webhook, then asks for a person: the staffer
    sees the photo (loaded through the console, from Twilio with the account's credentials), the voice
    note's transcript and a player that the console serves the audio to."""
    require_voice()
    twilio, _ = standins
    base, rosa = console_site["base"], WhatsAppCitizen(assistant, twilio, "Rosa Mella")
    photo = twilio.add_media(PNG, "image/png")
    before = len(rosa.received())
    status, _ = whatsapp(
        assistant, rosa.number, "", ProfileName=rosa.name, NumMedia="1", MediaContentType0="image/png", MediaUrl0=photo
    )
    assert status == 200
    rosa.wait_for(lambda b: "imagen" in b.lower() or "foto" in b.lower(), before)
    note = twilio.add_media(clip("cuanto cuesta el permiso de circulacion"), "audio/ogg")
    before = len(rosa.received())
    status, _ = whatsapp(
        assistant, rosa.number, "", ProfileName=rosa.name, NumMedia="1", MediaContentType0="audio/ogg", MediaUrl0=note
    )
    assert status == 200
    rosa.wait_for(lambda b: b.startswith("Entendí: «"), before)
    context = chromium.new_context(**DESK)
    ana = context.new_page()
    login(ana, base, "ana", "Peñalolén")
    handoff_id = _open_with_live_queue(ana, rosa, base)
    ana.goto(f"{base}/consola/conversacion/{handoff_id}")
    image = ana.locator(".turno.vecino figure.adjunto img").first
    image.wait_for()
    until(lambda: ana.evaluate("(img) => img.complete && img.naturalWidth > 0", image.element_handle()), 20)
    spoken = ana.locator(".turno.vecino", has_text="permiso de circulación")
    assert spoken.count() == 1 and spoken.locator("audio[controls]").count() == 1
    audio_url = spoken.locator("audio").get_attribute("src")
    served = ana.request.get(base + audio_url if audio_url.startswith("/") else audio_url)
    assert served.status == 200 and served.headers["content-type"].startswith("audio/ogg")
    assert served.body()[:4] == b"OggS"
    context.close()
