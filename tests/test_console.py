"""The staff console over a real server: login and sessions, CSRF, municipality isolation, the transcript,
replies through the WhatsApp stand-in, hand-back through a Rasa stand-in, search, exports, audit,
error marks, the team page, and the retention and deletion functions."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import insert, select, update

from bot.app.web.app import create_app
from bot.app.web.console import add_console
from bot.app.web.console_handoffs import HAND_BACK_TEXT
from bot.handoff import queries, reviews
from bot.handoff.transcript import TranscriptReader
from bot.handoff.with_staff import set_with_staff
from bot.message_metadata import FULL_TEXT_KEY
from bot.rasa_internals.events_table import RASA_EVENTS
from bot.staff import accounts, audit, sessions, team
from bot.storage import login_limits, personal_data
from bot.storage import requests as requests_store
from bot.storage.tables import (
    AuditRow,
    ChannelButtonsRow,
    ConversationActivityRow,
    HandoffRow,
    LoginFailureRow,
    RequestRow,
    ReviewRow,
    SessionRow,
    StaffMessageRow,
    StaffRow,
    utcnow,
)
from channels.limits import cap_text
from channels.registry import ChannelRegistry
from channels.whatsapp_api import TwilioSettings, WhatsAppSender
from tests.standins import StandIn, TwilioStandIn

PASSWORD = "clave-segura-123"
CITIZEN = "+56987654321"
WA_SENDER = f"whatsapp:+56229999999:{CITIZEN}"
TG_SENDER = "telegram:angol:55501234"
REST_SENDER = "vecino-web-7"
SCRIPT = "<script>alert(1)</script>"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


class RasaStandIn(StandIn):
    """Rasa's HTTP API: records POST /conversations/{id}/tracker/events (the con_funcionario switch)."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/conversations/{sender}/tracker/events", self.events)
        return app

    async def events(self, request: web.Request) -> web.Response:
        body = await request.json()
        # As Rasa's Sanic routes do: the id is the path segment as sent, not percent-decoded
        # ("%2B" would be another conversation than "+").
        sender = request.raw_path.split("?")[0].split("/")[2]
        failure = self.next_failure()
        if failure:
            self.record({"failed": failure, "sender": sender, "events": body})
            return web.json_response({"message": "falla simulada"}, status=failure)
        self.record({"sender": sender, "events": body, "token": request.query.get("token")})
        return web.json_response({"sender_id": sender, "events": body})

    def switches(self, sender: str) -> List[Any]:
        """Values of con_funcionario set for a conversation, in order."""
        return [
            event["value"]
            for r in self.matching(lambda r: r.get("sender") == sender and "failed" not in r)
            for event in r["events"]
            if event.get("name") == "con_funcionario"
        ]


# --- Fixtures and helpers -----------------------------------------------------------------------


def ago(**kwargs: float) -> datetime:
    return utcnow() - timedelta(**kwargs)


def add_event(
    reader: TranscriptReader,
    sender: str,
    kind: str,
    text: str,
    at: datetime,
    intent: Optional[str] = None,
    confidence: Optional[float] = None,
    buttons: Optional[List[Any]] = None,
) -> int:
    """Store an event the way Rasa's SQL tracker store does; returns its id. A button is its title (payload
    ``/<title>``) or ``(title, payload)``."""
    ts = at.timestamp()
    if kind == "user":
        data = {
            "event": "user",
            "timestamp": ts,
            "text": text,
            "input_channel": "whatsapp",
            "metadata": {},
            "parse_data": {
                "intent": {"name": intent, "confidence": confidence},
                "entities": [],
                "text": text,
                "intent_ranking": [{"name": intent, "confidence": confidence}],
            },
        }
    else:
        data = {
            "event": "bot",
            "timestamp": ts,
            "text": text,
            "metadata": {"utter_action": "utter_x"},
            "data": {
                "buttons": [
                    {"title": b[0], "payload": b[1]} if isinstance(b, tuple) else {"title": b, "payload": f"/{b}"}
                    for b in buttons or []
                ],
                "elements": None,
            },
        }
    with reader.engine.begin() as conn:
        result = conn.execute(
            insert(RASA_EVENTS).values(
                sender_id=sender,
                type_name=kind,
                timestamp=ts,
                intent_name=intent if kind == "user" else None,
                action_name=None,
                data=json.dumps(data),
            )
        )
        return result.inserted_primary_key[0]


def add_handoff(db, municipality: str, sender: str, channel: str, created: datetime, **values: Any) -> int:
    with db.session() as session:
        row = HandoffRow(
            municipality=municipality,
            sender_id=sender,
            channel=channel,
            created_at=created,
            reason=values.pop("reason", "hablar_con_funcionario"),
            **values,
        )
        session.add(row)
        session.flush()
        return row.id


def handoff(db, handoff_id: int) -> HandoffRow:
    with db.session() as session:
        return session.get(HandoffRow, handoff_id)


def audits(db, action: str) -> List[AuditRow]:
    with db.session() as session:
        return session.execute(select(AuditRow).where(AuditRow.action == action)).scalars().all()


@pytest.fixture
def reader(tmp_path):
    reader = TranscriptReader(f"sqlite:///{tmp_path / 'rasa_tracker.db'}")
    RASA_EVENTS.metadata.create_all(reader.engine)
    yield reader
    reader.engine.dispose()


@pytest.fixture
def twilio():
    standin = TwilioStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def rasa():
    standin = RasaStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request):
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture
def world(db, reader):
    """Peñalolén (agent, admin, a WhatsApp handoff with a request, a REST one, an old closed one) and Angol."""
    accounts.create_staff(db, "penalolen", "ana", "Ana Pérez", PASSWORD)
    accounts.create_first_admin(db, "penalolen", "jefa", "Marta Jefa", PASSWORD)
    accounts.create_staff(db, "angol", "pedro", "Pedro Angol", PASSWORD)
    off = accounts.create_staff(db, "penalolen", "ex", "Ex Funcionario", PASSWORD)
    team.deactivate_staff(db, "penalolen", off.id)
    start = ago(minutes=12)
    wa = add_handoff(
        db,
        "penalolen",
        WA_SENDER,
        "whatsapp",
        start,
        procedure="permiso-circulacion",
        form_data={"nombre": "Ana Soto", "rut": "12345678-5", "email": "ana.soto@gmail.com"},
    )
    events = {
        "hola": add_event(
            reader,
            WA_SENDER,
            "user",
            "cuanto sale el permiso pa la moto",
            start - timedelta(minutes=3),
            "consultar_tramite",
            0.93,
        ),
        "bot": add_event(
            reader,
            WA_SENDER,
            "bot",
            "El permiso de circulación cuesta según el vehículo.",
            start - timedelta(minutes=3, seconds=-2),
            buttons=["Costo", "Requisitos"],
        ),
        "script": add_event(reader, WA_SENDER, "user", SCRIPT, start - timedelta(minutes=2), "fuera_de_alcance", 0.41),
        "bot2": add_event(
            reader,
            WA_SENDER,
            "bot",
            "No entendí. ¿Quieres hablar con una persona?",
            start - timedelta(minutes=1, seconds=58),
        ),
    }
    with db.session() as session:  # an earlier staff message, shown in the transcript
        session.add(
            StaffMessageRow(
                handoff_id=wa,
                sender_id=WA_SENDER,
                staff="jefa",
                text="Hola, te atiendo ahora.",
                created_at=start - timedelta(seconds=30),
                delivered="enviado",
            )
        )
    folio = requests_store.submit_request(
        db,
        key="k-wa",
        municipality="penalolen",
        code="PEN",
        procedure="permiso-circulacion",
        fields={"nombre": "Ana Soto", "rut": "12345678-5"},
        rut="12345678-5",
        channel="whatsapp",
        sender_id=WA_SENDER,
    ).folio
    rest = add_handoff(
        db, "penalolen", REST_SENDER, "rest", ago(minutes=5), procedure="reporte-bache", reason="no_entendido"
    )
    add_event(reader, REST_SENDER, "user", "hay un hoyo en mi calle", ago(minutes=6), "informar", 0.5)
    old = add_handoff(
        db,
        "penalolen",
        "whatsapp:+56229999999:+56911112222",
        "whatsapp",
        ago(days=40),
        procedure="reporte-bache",
        status="cerrada",
        outcome="Resuelta: se envió cuadrilla",
        closed_at=ago(days=40),
        assigned_to="ana",
    )
    tg = add_handoff(db, "angol", TG_SENDER, "telegram", ago(minutes=3), procedure="permiso-circulacion")
    add_event(
        reader,
        TG_SENDER,
        "user",
        "necesito hablar con alguien de angol",
        ago(minutes=4),
        "hablar_con_funcionario",
        0.99,
    )
    return {
        "db": db,
        "reader": reader,
        "start": start,
        "wa": wa,
        "rest": rest,
        "old": old,
        "tg": tg,
        "events": events,
        "folio": folio,
    }


@pytest.fixture
async def server(world, twilio, rasa, catalogue):
    db = world["db"]
    app = create_app(db, lambda: catalogue)
    channels = ChannelRegistry([WhatsAppSender(TwilioSettings("ACprueba", "secreto", twilio.url))])
    add_console(
        app,
        db,
        world["reader"],
        channels,
        set_with_staff=partial(set_with_staff, rasa_url=rasa.url),
        catalogue_provider=lambda: catalogue,
    )
    async with TestServer(app) as test_server:
        yield test_server


TOWN_OF = {"pedro": "angol"}  # the municipality each test staffer logs in to (default Peñalolén)


class Browser:
    """One staffer's cookie jar against the test server."""

    def __init__(self, server: TestServer) -> None:
        self.base = f"http://{server.host}:{server.port}"
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""
        self.last_login: Optional[aiohttp.ClientResponse] = None

    async def get(self, path: str, **kwargs: Any):
        async with self.http.get(self.base + path, allow_redirects=False, **kwargs) as response:
            return response, await response.text()

    async def post(self, path: str, data: Dict[str, str], csrf: Optional[str] = "session", **kwargs: Any):
        form = dict(data)
        if csrf == "session":
            form["csrf"] = self.csrf
        elif csrf is not None:
            form["csrf"] = csrf
        async with self.http.post(self.base + path, data=form, allow_redirects=False, **kwargs) as response:
            return response, await response.text()

    async def login(self, username: str, password: str = PASSWORD, municipality: Optional[str] = None):
        _, body = await self.get("/consola/ingresar")
        form = {"municipio": municipality or TOWN_OF.get(username, "penalolen"), "usuario": username, "clave": password}
        response, text = await self.post("/consola/ingresar", form, csrf=CSRF_RE.search(body).group(1))
        self.last_login = response
        if response.status == 303:
            _, queue = await self.get("/consola")
            self.csrf = CSRF_RE.search(queue).group(1)
        return response, text

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def browsers(server):
    opened: List[Browser] = []

    async def open_as(username: Optional[str] = None) -> Browser:
        browser = Browser(server)
        opened.append(browser)
        if username:
            response, text = await browser.login(username)
            assert response.status == 303, text
        return browser

    yield open_as
    for browser in opened:
        await browser.close()


# --- Login, sessions and CSRF -------------------------------------------------------------------


async def test_login_success_and_failures(browsers, world):
    browser = await browsers()
    response, _ = await browser.get("/consola")
    assert response.status == 303 and response.headers["Location"] == "/consola/ingresar"
    for username, password in (("ana", "equivocada-123"), ("ex", PASSWORD), ("nadie", PASSWORD)):
        response, text = await browser.login(username, password)
        assert response.status == 401, username
        assert "Municipalidad, usuario o contraseña incorrectos" in text
        assert "consola_sesion" not in response.cookies
    response, _ = await browser.login("ana")
    assert response.status == 303 and response.headers["Location"] == "/consola"
    cookie = response.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("consola_sesion="))
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie and "Path=/consola" in session_cookie
    assert "Secure" not in session_cookie
    response, text = await browser.get("/consola")
    assert response.status == 200 and "Conversaciones en espera" in text and "Ana Pérez" in text
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["Cache-Control"] == "no-store"
    # The password is stored as a salted scrypt hash.
    with world["db"].session() as session:
        stored = session.execute(select(StaffRow.password_hash).where(StaffRow.username == "ana")).scalar()
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    assert len(audits(world["db"], "ingreso_fallido")) == 2  # wrong password and inactive user
    # Logging out ends the session at once.
    response, _ = await browser.post("/consola/salir", {})
    assert response.status == 303
    response, _ = await browser.get("/consola")
    assert response.status == 303


async def test_secure_cookie_when_configured(world, monkeypatch, catalogue):
    monkeypatch.setenv("CONSOLE_SECURE_COOKIES", "1")
    app = web.Application()
    add_console(app, world["db"], world["reader"], None)
    async with TestServer(app) as server:
        browser = Browser(server)
        try:
            response, _ = await browser.get("/consola/ingresar")
            assert "Secure" in response.headers["Set-Cookie"]
        finally:
            await browser.close()


async def test_login_form_needs_its_csrf_token(browsers):
    browser = await browsers()
    response, _ = await browser.post("/consola/ingresar", {"usuario": "ana", "clave": PASSWORD}, csrf=None)
    assert response.status == 403
    await browser.get("/consola/ingresar")  # the cookie is set, but the form must repeat it
    response, _ = await browser.post("/consola/ingresar", {"usuario": "ana", "clave": PASSWORD}, csrf="otro-valor" * 3)
    assert response.status == 403


async def test_session_expiry_and_idle(browsers, world, monkeypatch):
    db = world["db"]
    browser = await browsers("ana")
    assert (await browser.get("/consola"))[0].status == 200
    with db.session() as session:
        session.execute(update(SessionRow).values(expires_at=ago(seconds=1)))
    response, _ = await browser.get("/consola")
    assert response.status == 303 and "expirada" in response.headers["Location"]
    assert (await browser.post(f"/consola/conversacion/{world['wa']}/tomar", {}))[0].status == 403
    browser = await browsers("ana")
    with db.session() as session:
        session.execute(update(SessionRow).values(last_seen_at=ago(minutes=61)))
    assert (await browser.get("/consola"))[0].status == 303
    # Lifetime from CONSOLE_SESSION_MINUTES; expired rows are deleted.
    monkeypatch.setenv("CONSOLE_SESSION_MINUTES", "30")
    staffer = accounts.authenticate(db, "penalolen", "ana", PASSWORD)
    token, created = sessions.create_session(db, staffer)
    assert timedelta(minutes=29) < created.expires_at - utcnow() <= timedelta(minutes=30)
    assert sessions.get_session(db, token) is not None
    assert sessions.get_session(db, token, now=utcnow() + timedelta(minutes=31)) is None
    assert sessions.get_session(db, token) is None  # deleted when found expired


async def test_posts_need_the_session_csrf_token(browsers, world, rasa):
    browser = await browsers("ana")
    path = f"/consola/conversacion/{world['wa']}/tomar"
    assert (await browser.post(path, {}, csrf=None))[0].status == 403
    assert (await browser.post(path, {}, csrf="x" * 43))[0].status == 403
    other = await browsers("jefa")  # another session's token does not work either
    assert (await browser.post(path, {}, csrf=other.csrf))[0].status == 403
    assert handoff(world["db"], world["wa"]).status == "esperando"
    assert rasa.requests == []
    assert (await browser.post("/consola/salir", {}, csrf=None))[0].status == 403


# --- Queue, isolation, masking ------------------------------------------------------------------


async def test_queue_shows_own_municipality_masked(browsers, world):
    ana, pedro = await browsers("ana"), await browsers("pedro")
    _, text = await ana.get("/consola")
    assert f"/consola/conversacion/{world['wa']}" in text and f"/consola/conversacion/{world['rest']}" in text
    assert f"/consola/conversacion/{world['tg']}" not in text and f"/consola/conversacion/{world['old']}" not in text
    assert "2 conversaciones abiertas" in text and "Permiso de circulación" in text
    assert "+56 9 **** 4321" in text and "12.***.***-5" in text and "a***@gmail.com" in text and "A. S." in text
    for secret in (CITIZEN, "12345678-5", "ana.soto@gmail.com", "Ana Soto", "87654321"):
        assert secret not in text
    _, text = await pedro.get("/consola")
    assert f"/consola/conversacion/{world['tg']}" in text and f"/consola/conversacion/{world['wa']}" not in text
    assert "Telegram ···234" in text and "55501234" not in text


async def test_other_municipality_gets_404(browsers, world, twilio, rasa):
    pedro = await browsers("pedro")
    wa = world["wa"]
    missing_status, missing_page = await pedro.get("/consola/conversacion/999999")
    for path in (f"/consola/conversacion/{wa}", f"/consola/conversacion/{wa}/exportar"):
        response, text = await pedro.get(path)
        assert response.status == 404 and missing_status.status == 404
        assert "No encontrada" in text and "Ana Soto" not in text and SCRIPT not in text
    for action, data in (
        ("tomar", {}),
        ("devolver", {}),
        ("responder", {"texto": "hola"}),
        ("cerrar", {"motivo": "Resuelta"}),
        ("revisar", {"evento": str(world["events"]["bot"])}),
    ):
        response, _ = await pedro.post(f"/consola/conversacion/{wa}/{action}", data)
        assert response.status == 404, action
    assert handoff(world["db"], wa).status == "esperando"
    assert twilio.requests == [] and rasa.requests == []
    _, text = await pedro.get(f"/consola/buscar?folio={world['folio']}")
    assert f"/consola/conversacion/{wa}" not in text
    assert audits(world["db"], "ver_transcripcion") == []


# --- The conversation ---------------------------------------------------------------------------


async def test_transcript_view_escaped_and_audited(browsers, world):
    ana = await browsers("ana")
    response, text = await ana.get(f"/consola/conversacion/{world['wa']}")
    assert response.status == 200
    assert "cuanto sale el permiso pa la moto" in text and "consultar_tramite" in text and "0,93" in text
    assert "El permiso de circulación cuesta según el vehículo." in text and "Botones: Costo · Requisitos" in text
    assert "Hola, te atiendo ahora." in text and "Funcionario/a (jefa)" in text
    assert "fuera_de_alcance" in text and "0,41" in text
    assert "Ana Soto" in text and "ana.soto@gmail.com" in text and world["folio"] in text  # full view: as is
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script" not in text
    first = world["start"] - timedelta(minutes=3)  # the first citizen message, shown in America/Santiago
    assert first.astimezone(ZoneInfo("America/Santiago")).strftime("%d-%m-%Y %H:%M:%S") in text
    order = [
        text.index(s)
        for s in ("cuanto sale el permiso", "cuesta según", "&lt;script", "No entendí", "Hola, te atiendo")
    ]
    assert order == sorted(order)
    views = audits(world["db"], "ver_transcripcion")
    assert [(v.staff, v.municipality, v.handoff_id, v.target) for v in views] == [
        ("ana", "penalolen", world["wa"], WA_SENDER)
    ]


async def test_a_long_message_cut_for_the_assistant_is_shown_whole_to_staff(browsers, world):
    """The channel cut it for the NLU (channels/limits.py) and kept the whole text in the metadata."""
    full = "Quiero reclamar por el bache de mi calle. " * 60 + "FIN-DEL-MENSAJE"
    read, cut = cap_text(full, 1600)
    assert cut
    event_id = add_event(
        world["reader"], WA_SENDER, "user", read, world["start"] - timedelta(seconds=50), "informar", 0.8
    )
    with world["reader"].engine.begin() as conn:
        data = json.loads(conn.execute(select(RASA_EVENTS.c.data).where(RASA_EVENTS.c.id == event_id)).scalar_one())
        data["metadata"] = {FULL_TEXT_KEY: full}
        conn.execute(RASA_EVENTS.update().where(RASA_EVENTS.c.id == event_id).values(data=json.dumps(data)))
    ana = await browsers("ana")
    response, text = await ana.get(f"/consola/conversacion/{world['wa']}")
    assert response.status == 200 and "FIN-DEL-MENSAJE" in text
    assert f"el asistente leyó solo los primeros {len(read)} caracteres" in text


async def test_reply_reaches_citizen_and_transcript(browsers, world, twilio, rasa):
    ana = await browsers("ana")
    wa = world["wa"]
    response, _ = await ana.post(
        f"/consola/conversacion/{wa}/responder", {"texto": "Hola Ana, el permiso se paga en línea <b>hasta marzo</b>."}
    )
    assert response.status == 303 and "aviso=enviado" in response.headers["Location"]
    assert twilio.bodies_to(CITIZEN) == ["Hola Ana, el permiso se paga en línea <b>hasta marzo</b>."]
    sent = twilio.requests[0]
    assert sent["From"] == "whatsapp:+56229999999"
    row = handoff(world["db"], wa)
    assert row.status == "atendiendo" and row.assigned_to == "ana" and row.taken_at is not None
    assert rasa.switches(WA_SENDER) == [True]  # answering takes the conversation: the assistant goes silent
    _, text = await ana.get(response.headers["Location"])
    assert "Mensaje enviado" in text and "el permiso se paga en línea &lt;b&gt;hasta marzo&lt;/b&gt;." in text
    assert "Funcionario/a (ana)" in text
    assert "<dt>Atiende</dt><dd>Ana Pérez</dd>" in text  # by name, as the queue and the warning say it
    assert len(audits(world["db"], "responder")) == 1


async def test_reply_on_a_channel_that_cannot_receive(browsers, world, twilio):
    ana = await browsers("ana")
    response, text = await ana.post(f"/consola/conversacion/{world['rest']}/responder", {"texto": "Hola vecino"})
    assert response.status == 409
    assert "No se pudo enviar: esta conversación llegó por un canal que no recibe mensajes" in text
    assert ">Hola vecino</textarea>" in text  # the draft is kept
    with world["db"].session() as session:
        assert session.execute(select(StaffMessageRow).where(StaffMessageRow.sender_id == REST_SENDER)).first() is None
    assert len(audits(world["db"], "responder_fallido")) == 1
    response, text = await ana.post(f"/consola/conversacion/{world['wa']}/responder", {"texto": "   "})
    assert response.status == 400 and "Escribe el mensaje" in text
    twilio.fail_next(400)  # Twilio refuses (not retried)
    response, text = await ana.post(f"/consola/conversacion/{world['wa']}/responder", {"texto": "Hola"})
    assert response.status == 502 and "No se pudo enviar el mensaje" in text


async def test_take_keeps_assignment_when_rasa_is_down(browsers, world, rasa):
    ana = await browsers("ana")
    rasa.fail_next(500)
    response, _ = await ana.post(f"/consola/conversacion/{world['wa']}/tomar", {})
    assert response.status == 303
    _, text = await ana.get(response.headers["Location"])
    assert "No se pudo avisar al asistente virtual" in text
    row = handoff(world["db"], world["wa"])
    assert row.status == "atendiendo" and row.assigned_to == "ana"
    jefa = await browsers("jefa")  # another staffer may take it over, once warned
    response, text = await jefa.post(f"/consola/conversacion/{world['wa']}/tomar", {})
    assert response.status == 409 and "Ana Pérez está atendiendo esta conversación" in text
    response, _ = await jefa.post(f"/consola/conversacion/{world['wa']}/tomar", {"actual": "ana"})
    assert "sin_rasa" not in response.headers["Location"]
    assert handoff(world["db"], world["wa"]).assigned_to == "jefa" and rasa.switches(WA_SENDER) == [True]
    # With no Rasa at all (connection refused) it is the same.
    lonely = web.Application()
    add_console(
        lonely,
        world["db"],
        world["reader"],
        None,
        set_with_staff=partial(set_with_staff, rasa_url="http://127.0.0.1:9"),
    )
    async with TestServer(lonely) as server:
        browser = Browser(server)
        try:
            await browser.login("ana")
            response, _ = await browser.post(f"/consola/conversacion/{world['rest']}/tomar", {})
            assert "sin_rasa" in response.headers["Location"]
        finally:
            await browser.close()
    assert handoff(world["db"], world["rest"]).status == "atendiendo"


async def test_hand_back(browsers, world, twilio, rasa):
    ana = await browsers("ana")
    await ana.post(f"/consola/conversacion/{world['wa']}/tomar", {})
    response, _ = await ana.post(f"/consola/conversacion/{world['wa']}/devolver", {})
    assert response.status == 303 and response.headers["Location"].endswith("?aviso=devuelta")
    assert rasa.switches(WA_SENDER) == [True, False]
    assert twilio.bodies_to(CITIZEN) == [HAND_BACK_TEXT]
    row = handoff(world["db"], world["wa"])
    assert row.status == "devuelta" and row.closed_at is not None
    _, text = await ana.get(response.headers["Location"])
    assert "Conversación devuelta al asistente virtual" in text and HAND_BACK_TEXT in text
    assert 'action="/consola/conversacion/%d/responder"' % world["wa"] not in text  # closed: no reply box
    response, _ = await ana.post(f"/consola/conversacion/{world['wa']}/devolver", {})
    assert "aviso=estado" in response.headers["Location"]
    # A REST conversation is handed back too; the citizen just cannot be told.
    response, _ = await ana.post(f"/consola/conversacion/{world['rest']}/devolver", {})
    assert "sin_aviso" in response.headers["Location"] and handoff(world["db"], world["rest"]).status == "devuelta"


async def test_close_with_reason(browsers, world, rasa):
    ana = await browsers("ana")
    response, text = await ana.post(f"/consola/conversacion/{world['wa']}/cerrar", {"motivo": "Porque sí"})
    assert response.status == 400 and "Elige el motivo del cierre" in text
    response, _ = await ana.post(
        f"/consola/conversacion/{world['wa']}/cerrar",
        {"motivo": "Derivada a una oficina municipal", "detalle": "  a Tránsito,  piso 2 "},
    )
    assert response.status == 303
    row = handoff(world["db"], world["wa"])
    assert row.status == "cerrada" and row.outcome == "Derivada a una oficina municipal: a Tránsito, piso 2"
    assert rasa.switches(WA_SENDER) == [False]
    assert [a.detail for a in audits(world["db"], "cerrar")] == [row.outcome]


# --- Search and exports -------------------------------------------------------------------------


async def test_search(browsers, world):
    ana = await browsers("ana")
    wa, old, rest = (f'/consola/conversacion/{world[k]}"' for k in ("wa", "old", "rest"))

    async def found(query: str) -> str:
        response, text = await ana.get("/consola/buscar?" + query)
        assert response.status == 200, text
        return text

    _, form = await ana.get("/consola/buscar")
    assert '<label for="folio">Folio</label>' in form and "Resultados" not in form
    text = await found(f"desde={(utcnow() - timedelta(days=2)).date()}&hasta={(utcnow() + timedelta(days=1)).date()}")
    assert wa in text and rest in text and old not in text
    text = await found(f"hasta={(utcnow() - timedelta(days=30)).date()}")
    assert old in text and wa not in text
    text = await found("tramite=reporte-bache")
    assert old in text and rest in text and wa not in text
    text = await found(f"folio={world['folio'].lower()}")
    assert wa in text and rest not in text and old not in text
    text = await found("resultado=CUADRILLA")
    assert old in text and wa not in text and "Resuelta: se envió cuadrilla" in text
    text = await found("estado=cerrada")
    assert old in text and wa not in text
    text = await found("tramite=permiso-circulacion")
    assert f'/consola/conversacion/{world["tg"]}"' not in text  # Angol's is never found
    assert "+56 9 **** 4321" in text and CITIZEN not in text and "12.***.***-5" in text
    response, text = await ana.get("/consola/buscar?desde=31-12-2024")
    assert response.status == 400 and "no es válida" in text


COST_PAYLOAD = '/consultar_tramite{"tramite":"permiso-circulacion","aspecto":"costo"}'


async def test_button_presses_read_as_the_options_text(browsers, world):
    """A pressed button reaches the assistant as its payload; staff read the option they saw, in the page and
    in the export, also for an option no stored message offered and for the satisfaction question."""
    reader, ana = world["reader"], await browsers("ana")
    start = ago(minutes=1)
    add_event(
        reader,
        WA_SENDER,
        "bot",
        "¿Qué quieres saber del permiso?",
        start,
        buttons=[("Cuánto cuesta", COST_PAYLOAD), ("Hablar con una persona", "/hablar_con_funcionario")],
    )
    add_event(reader, WA_SENDER, "user", COST_PAYLOAD, start + timedelta(seconds=5), "consultar_tramite", 1.0)
    add_event(reader, WA_SENDER, "user", "/listar_tramites", start + timedelta(seconds=10), "listar_tramites", 1.0)
    add_event(reader, WA_SENDER, "user", '/informar{"puntaje":"4"}', start + timedelta(seconds=15), "informar", 1.0)
    _, page = await ana.get(f"/consola/conversacion/{world['wa']}")
    _, export = await ana.get(f"/consola/conversacion/{world['wa']}/exportar")
    for text in (page, export):
        assert "Cuánto cuesta" in text and "(eligió una opción del menú)" in text and "4 · Buena" in text
        assert "/consultar_tramite" not in text and "/listar_tramites" not in text and "/informar" not in text
        assert "{&#34;tramite&#34;" not in text and '{"tramite"' not in text and "puntaje" not in text


async def test_transcript_export_is_audited(browsers, world):
    ana = await browsers("ana")
    response, text = await ana.get(f"/consola/conversacion/{world['wa']}/exportar")
    assert response.status == 200 and response.content_type == "text/plain"
    assert response.headers["Content-Disposition"] == f'attachment; filename="conversacion-{world["wa"]}.txt"'
    assert "Vecino o vecina (intención consultar_tramite, confianza 0,93): cuanto sale el permiso pa la moto" in text
    assert SCRIPT in text and "Funcionario/a (jefa): Hola, te atiendo ahora." in text and world["folio"] in text
    exported = audits(world["db"], "exportar")
    assert [(a.staff, a.handoff_id, a.target) for a in exported] == [("ana", world["wa"], WA_SENDER)]
    assert audits(world["db"], "ver_transcripcion") == []


async def test_review_marks_and_nlu_export(browsers, world):
    ana = await browsers("ana")
    events, path = world["events"], f"/consola/conversacion/{world['wa']}/revisar"
    response, _ = await ana.post(
        path,
        {
            "evento": str(events["bot"]),
            "intencion": "consultar_tramite",
            "tramite": "permiso-circulacion",
            "comentario": "era moto",
        },
    )
    assert response.status == 303 and "aviso=marcada" in response.headers["Location"]
    await ana.post(path, {"evento": str(events["script"]), "intencion": "fuera_de_alcance"})
    response, text = await ana.post(path, {"evento": "123456", "intencion": "consultar_tramite"})
    assert response.status == 400 and "no pertenece" in text
    response, text = await ana.post(path, {"evento": "²", "intencion": "consultar_tramite"})  # a digit to Python
    assert response.status == 400 and "qué mensaje" in text
    response, text = await ana.post(path, {"evento": str(events["bot"]), "intencion": "Consultar Trámite"})
    assert response.status == 400
    _, text = await ana.get(f"/consola/conversacion/{world['wa']}")
    assert (
        "Marcado como error por ana · intención correcta: consultar_tramite · trámite correcto: "
        "permiso-circulacion · «era moto»" in text
    )
    candidates = reviews.nlu_candidates(world["db"], "penalolen", world["reader"])
    assert candidates == [
        {"text": "cuanto sale el permiso pa la moto", "intent": "consultar_tramite", "tramite": "permiso-circulacion"},
        {"text": SCRIPT, "intent": "fuera_de_alcance", "tramite": None},
    ]
    assert reviews.nlu_candidates(world["db"], "angol", world["reader"]) == []
    response, body = await ana.get("/consola/revision/exportar")
    assert response.status == 200 and "candidatos-nlu-penalolen.yml" in response.headers["Content-Disposition"]
    assert (
        "# trámite: permiso-circulacion\n- intent: consultar_tramite\n  examples: |\n"
        "    - cuanto sale el permiso pa la moto\n" in body
    )
    parsed = yaml.safe_load(body)
    assert parsed["nlu"][0] == {"intent": "consultar_tramite", "examples": "- cuanto sale el permiso pa la moto\n"}
    assert parsed["nlu"][1]["intent"] == "fuera_de_alcance"
    assert len(audits(world["db"], "exportar_nlu")) == 1 and len(audits(world["db"], "marcar_error")) == 2
    pedro = await browsers("pedro")
    _, angol = await pedro.get("/consola/revision/exportar")
    assert yaml.safe_load(angol)["nlu"] == [] and "moto" not in angol


# --- Team ---------------------------------------------------------------------------------------


async def test_team_page_is_for_admins_of_their_municipality(browsers, world):
    db = world["db"]
    ana, jefa = await browsers("ana"), await browsers("jefa")
    assert (await ana.get("/consola/equipo"))[0].status == 403
    assert (await ana.post("/consola/equipo", {"accion": "crear", "usuario": "x", "nombre": "X", "clave": PASSWORD}))[
        0
    ].status == 403
    response, text = await jefa.get("/consola/equipo")
    assert response.status == 200 and "ana" in text and "Ex Funcionario" in text and "pedro" not in text
    assert 'href="/consola/equipo"' in text
    response, text = await jefa.post(
        "/consola/equipo", {"accion": "crear", "usuario": "luis", "nombre": "Luis R", "clave": "corta", "rol": "agente"}
    )
    assert response.status == 400 and "al menos 10 caracteres" in text
    response, _ = await jefa.post(
        "/consola/equipo",
        {"accion": "crear", "usuario": "Luis", "nombre": "Luis R", "clave": PASSWORD, "rol": "agente"},
    )
    assert response.status == 303
    response, text = await jefa.post(
        "/consola/equipo", {"accion": "crear", "usuario": "ana", "nombre": "Otra", "clave": PASSWORD, "rol": "agente"}
    )
    assert response.status == 400 and "ya existe en esta municipalidad" in text
    # Angol's "pedro" is not Peñalolén's business: the same username is free here (nothing to discover).
    response, _ = await jefa.post(
        "/consola/equipo",
        {"accion": "crear", "usuario": "pedro", "nombre": "Pedro P", "clave": PASSWORD, "rol": "agente"},
    )
    assert response.status == 303
    response, text = await jefa.post(
        "/consola/equipo",
        {"accion": "crear", "usuario": "mario", "nombre": "Mario", "clave": "aaaaaaaaaa", "rol": "agente"},
    )
    assert response.status == 400 and "demasiado fácil de adivinar" in text and "«lápiz nube" in text
    luis = next(s for s in accounts.list_staff(db, "penalolen") if s.username == "luis")
    assert luis.role == "agente" and luis.municipality == "penalolen"
    luis_browser = await browsers("luis")
    assert (await luis_browser.get("/consola"))[0].status == 200
    pedro = next(s for s in accounts.list_staff(db, "angol") if s.username == "pedro")
    assert (await jefa.post(f"/consola/equipo/{pedro.id}/desactivar", {"confirmar": "si"}))[0].status == 404
    assert (await jefa.post("/consola/equipo", {"accion": "desactivar", "id": str(luis.id)}))[0].status == 400
    assert accounts.authenticate(db, "angol", "pedro", PASSWORD) is not None
    response, _ = await jefa.post(f"/consola/equipo/{luis.id}/desactivar", {"confirmar": "si"})
    assert response.status == 303
    assert (await luis_browser.get("/consola"))[0].status == 303  # the session ended
    assert (await luis_browser.login("luis"))[0].status == 401
    assert [a.target for a in audits(db, "crear_funcionario")] == ["luis", "pedro"]


def test_create_first_admin_refuses_a_second(db):
    first = accounts.create_first_admin(db, "penalolen", "jefa", "Marta", PASSWORD)
    assert first.role == "admin" and first.is_admin
    with pytest.raises(ValueError, match="ya tiene un administrador"):
        accounts.create_first_admin(db, "penalolen", "otra", "Otra", PASSWORD)
    assert accounts.create_first_admin(db, "angol", "jefe-angol", "Jefe", PASSWORD).municipality == "angol"
    with pytest.raises(ValueError, match="ya existe en esta municipalidad"):
        accounts.create_staff(db, "angol", "JEFE-ANGOL", "Duplicado", PASSWORD)
    assert accounts.create_staff(db, "angol", "JEFA", "Otra Jefa", PASSWORD).username == "jefa"  # per municipality


def test_login_failures_throttle_the_client_not_the_account(db):
    accounts.create_staff(db, "penalolen", "ana", "Ana", PASSWORD)
    attacker, office = "203.0.113.7", "198.51.100.20"
    for _ in range(login_limits.CLIENT_MAX_FAILURES):
        assert accounts.authenticate(db, "penalolen", "ana", "mala-clave-123", attacker) is None
    with pytest.raises(accounts.TooManyAttempts, match="desde este equipo"):
        accounts.authenticate(db, "penalolen", "ana", PASSWORD, attacker)  # the attacker waits, even with the right one
    assert accounts.authenticate(db, "penalolen", "ana", PASSWORD, office) is not None  # Ana, elsewhere, does not
    later = utcnow() + login_limits.WINDOW + timedelta(seconds=1)
    assert accounts.authenticate(db, "penalolen", "ana", PASSWORD, attacker, now=later) is not None


def test_guessing_spread_over_many_clients_locks_the_account(db):
    accounts.create_staff(db, "penalolen", "ana", "Ana", PASSWORD)
    for attempt in range(login_limits.ACCOUNT_MAX_FAILURES):
        client = f"10.0.{attempt // 200}.{attempt}"
        assert accounts.authenticate(db, "penalolen", "ana", "mala-clave-123", client) is None
    with pytest.raises(accounts.TooManyAttempts, match="Esta cuenta"):
        accounts.authenticate(db, "penalolen", "ana", PASSWORD, "198.51.100.20")
    assert accounts.authenticate(db, "angol", "ana", PASSWORD, "198.51.100.20") is None  # another account entirely
    with db.session() as session:  # clients are kept as keyed hashes, never as addresses
        keys = session.execute(select(LoginFailureRow.client_key)).scalars().all()
    assert keys and not any("10.0." in k for k in keys) and all(len(k) == 64 for k in keys)


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaa", "1234567890", "qwertyuiop", "contraseña123", "penalolen2024", "lápiz nube tranvía cerezo", "corta"],
)
def test_common_and_trivial_passwords_are_refused(db, password):
    with pytest.raises(ValueError, match="al menos 10 caracteres|demasiado fácil de adivinar"):
        accounts.create_staff(db, "penalolen", "ana", "Ana", password)


# --- Retention and deletion ---------------------------------------------------------------------


def test_retention_deletes_old_data_and_keeps_recent(world):
    db, reader = world["db"], world["reader"]
    old_sender = "whatsapp:+56229999999:+56911112222"
    add_event(reader, old_sender, "user", "bache en la esquina", ago(days=41), "informar", 0.8)
    with db.session() as session:
        session.add(
            StaffMessageRow(
                handoff_id=world["old"], sender_id=old_sender, staff="ana", text="Vamos", created_at=ago(days=40)
            )
        )
        session.add(
            AuditRow(
                staff="ana",
                municipality="penalolen",
                action="ver_transcripcion",
                handoff_id=world["old"],
                target=old_sender,
                at=ago(days=40),
            )
        )
    audit.record_audit(db, "ana", "penalolen", "ver_transcripcion", world["wa"], WA_SENDER)
    counts = personal_data.delete_older_than(db, reader, 30)
    assert counts["derivaciones"] == 1 and counts["mensajes_funcionarios"] == 1 and counts["auditoria"] == 1
    assert counts["eventos_rasa"] == 1
    assert handoff(db, world["old"]) is None and reader.rasa_turns(old_sender) == []
    assert handoff(db, world["wa"]) is not None and len(reader.rasa_turns(WA_SENDER)) == 4
    assert len(audits(db, "ver_transcripcion")) == 1
    with db.session() as session:
        assert session.execute(select(StaffMessageRow.text)).scalars().all() == ["Hola, te atiendo ahora."]
    with pytest.raises(ValueError):
        personal_data.delete_older_than(db, reader, 0)


def test_delete_citizen_data_only_that_sender(world):
    db, reader = world["db"], world["reader"]
    other_folio = requests_store.submit_request(
        db,
        key="k-tg",
        municipality="angol",
        code="ANG",
        procedure="permiso-circulacion",
        fields={"nombre": "Pedro"},
        rut="11111111-1",
        channel="telegram",
        sender_id=TG_SENDER,
    ).folio
    with db.session() as session:
        for sender in (WA_SENDER, TG_SENDER):
            session.add(ChannelButtonsRow(sender_id=sender, buttons=[{"title": "Sí"}]))
            session.add(ConversationActivityRow(sender_id=sender))
    handoff_row = queries.get_handoff(db, "penalolen", world["wa"])
    reviews.add_review(db, handoff_row, world["events"]["bot"], "ana", "consultar_tramite")
    audit.record_audit(db, "ana", "penalolen", "ver_transcripcion", world["wa"], WA_SENDER)
    counts = personal_data.delete_citizen_data(db, reader, WA_SENDER)
    assert counts["eventos_rasa"] == 4 and counts["derivaciones"] == 1 and counts["mensajes_funcionarios"] == 1
    assert reader.rasa_turns(WA_SENDER) == [] and len(reader.rasa_turns(TG_SENDER)) == 1
    with db.session() as session:
        for table in (ChannelButtonsRow, ConversationActivityRow):
            assert session.execute(select(table.sender_id)).scalars().all() == [TG_SENDER]
        assert session.execute(select(HandoffRow.sender_id).where(HandoffRow.sender_id == WA_SENDER)).first() is None
        assert session.execute(select(ReviewRow)).first() is None
        assert session.execute(select(StaffMessageRow)).first() is None
        mine = session.execute(select(RequestRow).where(RequestRow.folio == world["folio"])).scalar_one()
        other = session.execute(select(RequestRow).where(RequestRow.folio == other_folio)).scalar_one()
        assert (mine.fields, mine.rut, mine.status, mine.procedure) == ({}, None, "recibida", "permiso-circulacion")
        assert WA_SENDER not in (mine.sender_id,)
        assert other.fields == {"nombre": "Pedro"} and other.rut == "11111111-1" and other.sender_id == TG_SENDER
        assert WA_SENDER not in session.execute(select(AuditRow.target)).scalars().all()
    assert queries.get_handoff(db, "angol", world["tg"]) is not None


# --- Small parts --------------------------------------------------------------------------------


async def test_pages_and_errors_are_html(browsers):
    browser = await browsers()
    response, text = await browser.get("/consola/no-existe")
    assert response.status == 404 and "<h1>No encontrada</h1>" in text
    assert response.headers["X-Frame-Options"] == "DENY"
    response, text = await browser.get("/consola/estatico/consola.css")
    assert response.status == 200 and response.content_type == "text/css" and ".turno" in text
    response, text = await browser.get("/consola/ingresar")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert '<label for="usuario">Usuario</label>' in text and '<html lang="es">' in text
    response, _ = await browser.get("/health")
    assert response.status == 200 and "Content-Security-Policy" not in response.headers


def test_masking():
    from bot.app.web.console_mask import mask_email, mask_phone, mask_rut, mask_text, masked_identity

    assert mask_rut("12.345.678-5") == mask_rut("12345678-5") == "12.***.***-5"
    assert mask_rut("7654321-k") == "7.***.***-K"
    assert mask_phone("+56987654321") == "+56 9 **** 4321"
    assert mask_email("juan@gmail.com") == "j***@gmail.com"
    assert (
        mask_text("rut 12.345.678-5, fono 9 8765 4321, correo juan@gmail.com, el 2024-05-31")
        == "rut 12.***.***-5, fono +56 9 **** 4321, correo j***@gmail.com, el 2024-05-31"
    )
    assert masked_identity("telegram:angol:55501234") == "Telegram ···234"


# --- Taking a live conversation from the console ------------------------------------------------

PEN_LIVE = "whatsapp:+56924868000:+56911223344"  # Peñalolén's number in the catalogue
ANGOL_LIVE = "whatsapp:+56945299050:+56955667788"  # Angol's
PEN_TG_LIVE = "telegram:penalolen:77700123"
PEN_STALE = "whatsapp:+56924868000:+56900001111"  # wrote 8 days ago: not listed


@pytest.fixture
def live(world):
    with world["db"].session() as session:
        for sender, at in (
            (PEN_LIVE, ago(minutes=2)),
            (ANGOL_LIVE, ago(minutes=1)),
            (PEN_TG_LIVE, ago(hours=3)),
            (PEN_STALE, ago(days=8)),
        ):
            session.add(ConversationActivityRow(sender_id=sender, last_inbound_at=at))
    return world


async def test_live_conversations_list_own_municipality(browsers, live):
    ana = await browsers("ana")
    response, text = await ana.get("/consola")
    assert 'href="/consola/conversaciones"' in text
    response, text = await ana.get("/consola/conversaciones")
    assert response.status == 200, text
    assert f'value="{PEN_LIVE}"' in text and f'value="{PEN_TG_LIVE}"' in text
    assert ANGOL_LIVE not in text and PEN_STALE not in text and "+56 9 **** 7788" not in text
    assert "+56 9 **** 3344" in text and "Telegram ···123" in text and "Tomar conversación" in text
    assert text.index(PEN_LIVE) < text.index(PEN_TG_LIVE)  # newest first
    assert 'action="/consola/conversaciones/tomar"' in text and f'name="csrf" value="{ana.csrf}"' in text
    pedro = await browsers("pedro")
    _, text = await pedro.get("/consola/conversaciones")
    assert f'value="{ANGOL_LIVE}"' in text and PEN_LIVE not in text and PEN_TG_LIVE not in text


async def test_taking_a_live_conversation(browsers, live, rasa):
    db, ana = live["db"], await browsers("ana")
    response, _ = await ana.post("/consola/conversaciones/tomar", {"sender_id": PEN_LIVE})
    assert response.status == 303, response.headers
    location = response.headers["Location"]
    assert re.fullmatch(r"/consola/conversacion/\d+\?aviso=tomada", location)
    row = handoff(db, int(location.split("/")[-1].split("?")[0]))
    assert (row.municipality, row.sender_id, row.channel, row.reason, row.status, row.assigned_to) == (
        "penalolen",
        PEN_LIVE,
        "whatsapp",
        "funcionario",
        "atendiendo",
        "ana",
    )
    assert row.taken_at is not None
    assert rasa.switches(PEN_LIVE) == [True]
    assert [(a.staff, a.handoff_id, a.target) for a in audits(db, "tomar_conversacion")] == [("ana", row.id, PEN_LIVE)]
    _, text = await ana.get(location)
    assert "Tomaste la conversación" in text
    _, text = await ana.get("/consola/conversaciones")  # the list shows the open handoff
    assert f'href="/consola/conversacion/{row.id}"' in text and "en atención, Ana Pérez" in text
    assert "La atiendes tú" in text
    # Another staffer sees who attends it and "Reasignar", which warns first and changes nothing.
    jefa = await browsers("jefa")
    _, text = await jefa.get("/consola/conversaciones")
    assert "Atiende: Ana Pérez" in text and 'aria-label="Reasignar conversación de +56 9 **** 3344"' in text
    response, text = await jefa.post("/consola/conversaciones/tomar", {"sender_id": PEN_LIVE})
    assert response.status == 409 and "Ana Pérez está atendiendo esta conversación. ¿Tomarla de todos modos?" in text
    assert f'name="sender_id" value="{PEN_LIVE}"' in text and 'name="actual" value="ana"' in text
    assert handoff(db, row.id).assigned_to == "ana" and audits(db, "reasignar") == []
    # Confirmed, it takes the same open handoff (no second one is created), audited as a reassignment.
    response, _ = await jefa.post("/consola/conversaciones/tomar", {"sender_id": PEN_LIVE, "actual": "ana"})
    assert response.headers["Location"] == location
    assert handoff(db, row.id).assigned_to == "jefa"
    assert [(a.staff, a.handoff_id, a.detail) for a in audits(db, "reasignar")] == [("jefa", row.id, "de ana a jefa")]
    with db.session() as session:
        assert len(session.execute(select(HandoffRow).where(HandoffRow.sender_id == PEN_LIVE)).all()) == 1


NO_HANDOFF = '<td data-etiqueta="Derivación abierta">No</td>'


def _list_row(page: str, who: str) -> str:
    """The row of the conversations list that shows ``who``."""
    [found] = [r for r in page.split("<tr>") if f'<td data-etiqueta="Vecino o vecina">{who}</td>' in r]
    return found


async def test_the_list_shows_every_open_handoff_the_assistant_is_silent_for(browsers, live, rasa):
    from bot.handoff import service

    db, ana = live["db"], await browsers("ana")
    # The assistant opened one (the citizen asked for a person): waiting, the list says so and offers to take it.
    waiting = service.create_handoff(db, "penalolen", PEN_LIVE, "whatsapp", "hablar_con_funcionario")
    _, text = await ana.get("/consola/conversaciones")
    line = _list_row(text, "+56 9 **** 3344")
    assert f'Sí: <a href="/consola/conversacion/{waiting}">n.º {waiting}</a> (esperando)' in line
    assert ">Tomar conversación</button>" in line and NO_HANDOFF not in line
    # Someone else attends it: who, and Reasignar.
    service.assign_handoff(db, "penalolen", waiting, "jefa", "jefa")
    _, text = await ana.get("/consola/conversaciones")
    line = _list_row(text, "+56 9 **** 3344")
    assert "(en atención, Marta Jefa)" in line and "Atiende: Marta Jefa" in line and ">Reasignar</button>" in line
    # Handed back: no open handoff, the assistant answers again.
    service.hand_back(db, "penalolen", waiting, "jefa")
    _, text = await ana.get("/consola/conversaciones")
    assert NO_HANDOFF in _list_row(text, "+56 9 **** 3344")
    # The citizen wrote to Peñalolén's number but asked for Angol's staff: the assistant is silent for them, so
    # the list does not say "No"; nothing of Angol's handoff is shown, and it cannot be taken a second time.
    angol = service.create_handoff(db, "angol", PEN_TG_LIVE, "telegram", "hablar_con_funcionario")
    _, text = await ana.get("/consola/conversaciones")
    line = _list_row(text, "Telegram ···123")
    assert "Sí, con otra municipalidad" in line and "La atiende otra municipalidad" in line
    assert NO_HANDOFF not in line and f"n.º {angol}" not in line and "<button" not in line
    response, text = await ana.post("/consola/conversaciones/tomar", {"sender_id": PEN_TG_LIVE})
    assert response.status == 409 and "equipo de otra municipalidad" in text
    assert service.open_handoff_id(db, "penalolen", PEN_TG_LIVE) is None and rasa.switches(PEN_TG_LIVE) == []


async def test_taking_a_live_conversation_when_rasa_is_down(browsers, live, rasa):
    ana = await browsers("ana")
    rasa.fail_next(500)
    response, _ = await ana.post("/consola/conversaciones/tomar", {"sender_id": PEN_TG_LIVE})
    assert response.status == 303 and "aviso=sin_rasa" in response.headers["Location"]
    _, text = await ana.get(response.headers["Location"])
    assert "No se pudo avisar al asistente virtual" in text
    with live["db"].session() as session:
        row = session.execute(select(HandoffRow).where(HandoffRow.sender_id == PEN_TG_LIVE)).scalar_one()
    assert (row.channel, row.status, row.assigned_to) == ("telegram", "atendiendo", "ana")


async def test_taking_another_municipality_conversation_is_404(browsers, live, rasa):
    pedro = await browsers("pedro")
    for sender in (PEN_LIVE, PEN_TG_LIVE, "whatsapp:+56945299050:+56999999999", "vecino-web-7", ""):
        response, text = await pedro.post("/consola/conversaciones/tomar", {"sender_id": sender})
        assert response.status == 404, sender
        assert "No encontrada" in text
    with live["db"].session() as session:
        assert (
            session.execute(select(HandoffRow).where(HandoffRow.sender_id.in_([PEN_LIVE, PEN_TG_LIVE]))).first() is None
        )
    assert rasa.requests == [] and audits(live["db"], "tomar_conversacion") == []


async def test_taking_a_live_conversation_needs_csrf(browsers, live, rasa):
    ana = await browsers("ana")
    for csrf in (None, "x" * 43):
        response, _ = await ana.post("/consola/conversaciones/tomar", {"sender_id": PEN_LIVE}, csrf=csrf)
        assert response.status == 403
    with live["db"].session() as session:
        assert session.execute(select(HandoffRow).where(HandoffRow.sender_id == PEN_LIVE)).first() is None
    assert rasa.requests == []
