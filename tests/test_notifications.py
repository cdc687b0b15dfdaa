"""Citizens' notices of status changes, sent for real to local stand-ins of Twilio and Telegram:
delivery per channel, retries with backoff, giving up, restarts, WhatsApp's 24-hour window,
claiming by several workers (SQLite and PostgreSQL) and the web application's background worker."""

import asyncio
import json
import threading
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from bot.app.notifications import Notifier, NotifierSettings, notice_text, notifier_from_env
from bot.app.web.app import create_app
from bot.app.web.openapi import API_PREFIX
from bot.storage import requests as store
from bot.storage.db import Database
from bot.storage.tables import ConversationActivityRow, NotificationRow, utcnow
from bot.storage.tokens import create_token
from channels.common import split_message
from channels.registry import ChannelRegistry
from channels.telegram_api import TelegramSender, TelegramSettings
from channels.whatsapp_api import WHATSAPP_LIMIT, TwilioSettings, WhatsAppSender
from tests.standins import TelegramStandIn, TwilioStandIn

MUNI_WA, CITIZEN_WA = "+56924868000", "+56987654321"
WA_SENDER = f"whatsapp:{MUNI_WA}:{CITIZEN_WA}"
TOKENS = {"penalolen": "111:PENALOLEN", "angol": "222:ANGOL"}
TEMPLATE = "HX0123456789abcdef0123456789abcdef"
WINDOW_REASON = "fuera de la ventana de 24 horas y sin plantilla aprobada configurada"


@pytest.fixture(params=["sqlite", "postgres"])
def db(request):
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture
def quick_twilio_retries(monkeypatch):
    """The sender's own retries (4 tries) without its half-second waits."""
    import channels.whatsapp_api

    monkeypatch.setattr(channels.whatsapp_api, "BACKOFF_SECONDS", 0.01)


@pytest.fixture
def quick_telegram_retries(monkeypatch):
    """The Telegram sender's own retries (4 tries) without their waits."""
    import channels.telegram_api

    monkeypatch.setattr(channels.telegram_api, "BACKOFF_SECONDS", 0.01)


@pytest.fixture(scope="module")
def standins():
    servers = TwilioStandIn().start(), TelegramStandIn().start()
    yield servers
    for server in servers:
        server.stop()


def fresh(standin):
    """The stand-in with no recorded requests and no pending simulated failures."""
    with standin._lock:
        standin.requests.clear()
        standin.failures.clear()
    return standin


@pytest.fixture
def twilio(standins):
    return fresh(standins[0])


@pytest.fixture
def telegram(standins):
    return fresh(standins[1])


def make_notifier(db, twilio=None, telegram=None, **settings) -> Notifier:
    """A notifier with real senders pointed at the stand-ins (build it inside the test's event loop)."""
    adapters = []
    if twilio:
        adapters.append(WhatsAppSender(TwilioSettings("ACprueba", "token-twilio", twilio.url)))
    if telegram:
        adapters.append(TelegramSender(TelegramSettings(dict(TOKENS), "secreto", telegram.url)))
    return Notifier(db, ChannelRegistry(adapters), NotifierSettings(**settings))


def submit(
    db,
    key,
    channel="whatsapp",
    sender_id=WA_SENDER,
    municipality="penalolen",
    code="PEN",
    procedure="retiro-voluminosos",
):
    return store.submit_request(
        db,
        key=key,
        municipality=municipality,
        code=code,
        procedure=procedure,
        fields={"nombre": "Ana Soto"},
        rut=None,
        channel=channel,
        sender_id=sender_id,
    ).folio


def wrote_hours_ago(db, sender_id, hours):
    with db.session() as session:
        session.add(ConversationActivityRow(sender_id=sender_id, last_inbound_at=utcnow() - timedelta(hours=hours)))


def notifications(db):
    with db.session() as session:
        return session.execute(select(NotificationRow).order_by(NotificationRow.id)).scalars().all()


def only_notification(db):
    rows = notifications(db)
    assert len(rows) == 1
    return rows[0]


def as_utc(value):
    from datetime import timezone

    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def delivered(twilio, citizen=CITIZEN_WA):
    """Messages Twilio accepted for a citizen (not the simulated failures)."""
    return twilio.matching(lambda r: r.get("To") == f"whatsapp:{citizen}" and "sid" in r)


def tg_delivered(telegram, chat_id):
    """sendMessage calls to a chat that Telegram accepted."""
    return [r for r in telegram.sent(chat_id) if "failed" not in r]


# ---------------- delivery per channel ----------------


async def test_whatsapp_status_change_reaches_the_citizen(db, twilio):
    folio = submit(db, "k1")
    wrote_hours_ago(db, WA_SENDER, 1)
    store.change_status(
        db, "penalolen", folio, "en_revision", "", "sistema-dom", procedure_name="Retiro de voluminosos"
    )
    notifier = make_notifier(db, twilio)
    try:
        assert await notifier.run_once() == 1
        assert await notifier.run_once() == 0  # nothing left
    finally:
        await notifier.close()
    sent = delivered(twilio)
    assert len(sent) == 1
    assert sent[0]["From"] == f"whatsapp:{MUNI_WA}" and sent[0]["To"] == f"whatsapp:{CITIZEN_WA}"
    assert folio in sent[0]["Body"] and "en revisión" in sent[0]["Body"] and "Retiro de voluminosos" in sent[0]["Body"]
    assert "ContentSid" not in sent[0]
    row = only_notification(db)
    assert row.state == "enviada" and row.sent_at is not None and row.attempts == 0


async def test_telegram_uses_the_bot_of_the_request_municipality(db, telegram):
    folio = submit(db, "k1", channel="telegram", sender_id="telegram:angol:424242", municipality="angol", code="ANG")
    store.change_status(db, "angol", folio, "en_terreno", "Cuadrilla el martes", "sistema-angol")
    notifier = make_notifier(db, telegram=telegram)
    try:
        assert await notifier.run_once() == 1
    finally:
        await notifier.close()
    sent = tg_delivered(telegram, 424242)
    assert len(sent) == 1 and sent[0]["token"] == TOKENS["angol"]
    assert folio in sent[0]["text"] and "en terreno" in sent[0]["text"] and "Cuadrilla el martes" in sent[0]["text"]
    assert only_notification(db).state == "enviada"


class FailingSecondPart(TwilioStandIn):
    """Refuses (400, not retried) the first message containing the marker."""

    refused = False

    async def create_message(self, request):
        form = dict(await request.post())
        if "MARCA-B" in form.get("Body", "") and not self.refused:
            self.refused = True
            self.record({"failed": 400, **form})
            return web.json_response({"code": 21617, "message": "rechazado", "status": 400}, status=400)
        sid = f"SM{len(self.requests) + 1:032d}"
        self.record({"sid": sid, **form})
        return web.json_response({"sid": sid, "status": "queued"}, status=201)


async def test_long_notice_is_split_and_a_failure_midway_does_not_resend_parts(sqlite_db):
    """A row with only its text (as stored before migration 0006) is sent as it is."""
    twilio = FailingSecondPart().start()
    try:
        text = "Parte A " + "a " * 700 + "\n\n" + "MARCA-B " + "b " * 700
        with sqlite_db.session() as session:
            session.add(NotificationRow(municipality="penalolen", channel="whatsapp", recipient=WA_SENDER, text=text))
        wrote_hours_ago(sqlite_db, WA_SENDER, 0)
        notifier = make_notifier(sqlite_db, twilio)
        now = utcnow()
        try:
            assert await notifier.run_once(now) == 1
            row = only_notification(sqlite_db)
            assert row.state == "pendiente" and row.attempts == 1 and "1 de 2 partes" in row.last_error
            assert await notifier.run_once(now + timedelta(minutes=5)) == 1
        finally:
            await notifier.close()
        bodies = [r["Body"] for r in delivered(twilio)]
        assert len(bodies) == 2 and all(len(b) <= WHATSAPP_LIMIT for b in bodies)
        assert bodies[0].startswith("Parte A") and bodies[1].startswith("MARCA-B")
        assert only_notification(sqlite_db).state == "enviada"
    finally:
        twilio.stop()


async def test_a_rendered_notice_failing_midway_keeps_only_the_undelivered_rest(db):
    folio = submit(db, "k1")
    note = "Parte A " + "a " * 700 + "\n\n" + "MARCA-B " + "b " * 200
    store.change_status(db, "penalolen", folio, "en_revision", note, "sistema-dom")
    whole = notice_text(None, "cambio_estado", only_notification(db).variables)
    assert len(split_message(whole, WHATSAPP_LIMIT)) == 2
    wrote_hours_ago(db, WA_SENDER, 0)
    twilio = FailingSecondPart().start()
    notifier = make_notifier(db, twilio)
    now = utcnow()
    try:
        assert await notifier.run_once(now) == 1
        row = only_notification(db)
        assert row.state == "pendiente" and "1 de 2 partes" in row.last_error
        assert row.text == split_message(whole, WHATSAPP_LIMIT)[1]  # the rest, as data: never resent whole
        assert await notifier.run_once(now + timedelta(minutes=5)) == 1
    finally:
        await notifier.close()
        twilio.stop()
    bodies = [r["Body"] for r in delivered(twilio)]
    assert bodies == split_message(whole, WHATSAPP_LIMIT) and "\n\n".join(bodies) == whole
    assert bodies[0].startswith(f"Tu solicitud {folio} (retiro-voluminosos) cambió a: en revisión.\nNota: Parte A")
    assert only_notification(db).state == "enviada"


# ---------------- failures, retries, giving up, restarts ----------------


async def test_whatsapp_failure_is_retried_with_backoff(db, twilio, quick_twilio_retries):
    folio = submit(db, "k1")
    wrote_hours_ago(db, WA_SENDER, 1)
    store.change_status(db, "penalolen", folio, "derivada", "", "sistema-dom")
    twilio.fail_next(500, 500, 500, 500)  # more than the sender's own quick retries
    notifier = make_notifier(db, twilio)
    now = utcnow()
    try:
        assert await notifier.run_once(now) == 1
        row = only_notification(db)
        assert row.state == "pendiente" and row.attempts == 1
        assert "500" in row.last_error
        assert as_utc(row.next_attempt_at) == now + timedelta(seconds=30)
        assert await notifier.run_once(now + timedelta(seconds=10)) == 0  # not due yet
        assert delivered(twilio) == []
        assert await notifier.run_once(now + timedelta(seconds=31)) == 1
    finally:
        await notifier.close()
    assert len(delivered(twilio)) == 1 and folio in delivered(twilio)[0]["Body"]
    row = only_notification(db)
    assert row.state == "enviada" and row.attempts == 1 and row.sent_at is not None


async def test_telegram_failures_back_off_exponentially_then_deliver(db, telegram, quick_telegram_retries):
    folio = submit(db, "k1", channel="telegram", sender_id="telegram:penalolen:777")
    store.change_status(db, "penalolen", folio, "en_revision", "", "sistema-dom")
    telegram.fail_next(*[500] * 4, *[502] * 4)  # each run exhausts the sender's own 4 tries
    notifier = make_notifier(db, telegram=telegram, backoff_seconds=10)
    now = utcnow()
    try:
        assert await notifier.run_once(now) == 1
        first = only_notification(db)
        assert first.attempts == 1 and as_utc(first.next_attempt_at) == now + timedelta(seconds=10)
        later = now + timedelta(seconds=11)
        assert await notifier.run_once(later) == 1
        second = only_notification(db)
        assert second.state == "pendiente" and second.attempts == 2
        assert as_utc(second.next_attempt_at) == later + timedelta(seconds=20)
        assert await notifier.run_once(later + timedelta(seconds=21)) == 1
    finally:
        await notifier.close()
    assert len(tg_delivered(telegram, 777)) == 1
    assert only_notification(db).state == "enviada"


def test_backoff_is_capped_at_one_hour():
    settings = NotifierSettings(backoff_seconds=30)
    assert [settings.backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]


async def test_gives_up_after_max_attempts_with_the_reason(db, telegram, quick_telegram_retries):
    folio = submit(db, "k1", channel="telegram", sender_id="telegram:penalolen:888")
    store.change_status(db, "penalolen", folio, "resuelta", "Retirado", "sistema-dom")
    telegram.fail_next(*[500] * 8)
    notifier = make_notifier(db, telegram=telegram, max_attempts=2)
    now = utcnow()
    try:
        assert await notifier.run_once(now) == 1
        assert only_notification(db).state == "pendiente"
        assert await notifier.run_once(now + timedelta(hours=2)) == 1
        row = only_notification(db)
        assert row.state == "fallida" and row.attempts == 2 and "Telegram" in row.last_error
        assert await notifier.run_once(now + timedelta(days=1)) == 0  # given up: never again
    finally:
        await notifier.close()
    assert tg_delivered(telegram, 888) == []


async def test_a_restart_sends_what_was_pending(db, twilio, quick_twilio_retries):
    folio = submit(db, "k1")
    wrote_hours_ago(db, WA_SENDER, 1)
    store.change_status(db, "penalolen", folio, "en_revision", "", "sistema-dom")
    twilio.fail_next(503, 503, 503, 503)
    now = utcnow()
    first = make_notifier(db, twilio)
    try:
        await first.run_once(now)
    finally:
        await first.close()  # the process stops with the notice pending
    assert only_notification(db).state == "pendiente"
    second = make_notifier(Database(db.url), twilio)  # a new process: new engine, new senders
    try:
        assert await second.run_once(now + timedelta(minutes=1)) == 1
    finally:
        await second.close()
        second.db.dispose()
    assert len(delivered(twilio)) == 1 and only_notification(db).state == "enviada"


async def test_a_notice_claimed_by_a_worker_that_died_is_sent_after_the_lease(db, twilio):
    folio = submit(db, "k1")
    wrote_hours_ago(db, WA_SENDER, 1)
    store.change_status(db, "penalolen", folio, "en_revision", "", "sistema-dom")
    now = utcnow()
    dead = make_notifier(db, twilio, lease_seconds=120)
    due = dead._due(now)
    assert dead._claim(due[0], now + timedelta(seconds=120))  # claimed, then the process died before sending
    alive = make_notifier(db, twilio, lease_seconds=120)
    try:
        assert await alive.run_once(now + timedelta(seconds=60)) == 0  # still leased
        assert await alive.run_once(now + timedelta(seconds=121)) == 1
    finally:
        await alive.close()
        await dead.close()
    assert len(delivered(twilio)) == 1 and only_notification(db).state == "enviada"


# ---------------- WhatsApp's 24-hour window ----------------


async def test_outside_the_window_the_approved_template_is_sent(db, twilio):
    folio = submit(db, "k1")
    wrote_hours_ago(db, WA_SENDER, 25)
    store.change_status(
        db,
        "penalolen",
        folio,
        "en_revision",
        "Revisaremos el lunes",
        "sistema-dom",
        procedure_name="Retiro de voluminosos",
    )
    notifier = make_notifier(db, twilio, whatsapp_template_sid=TEMPLATE)
    try:
        assert await notifier.run_once() == 1
    finally:
        await notifier.close()
    sent = delivered(twilio)
    assert len(sent) == 1 and "Body" not in sent[0]
    assert sent[0]["ContentSid"] == TEMPLATE and sent[0]["To"] == f"whatsapp:{CITIZEN_WA}"
    assert json.loads(sent[0]["ContentVariables"]) == {"1": folio, "2": "en revisión", "3": "Retiro de voluminosos"}
    assert only_notification(db).state == "enviada"


async def test_never_wrote_and_no_template_gives_up_with_the_window_reason(db, twilio):
    folio = submit(db, "k1")
    store.change_status(db, "penalolen", folio, "en_revision", "", "sistema-dom")
    notifier = make_notifier(db, twilio)
    try:
        assert await notifier.run_once() == 1
    finally:
        await notifier.close()
    row = only_notification(db)
    assert row.state == "fallida" and row.last_error == WINDOW_REASON
    assert twilio.requests == []


async def test_template_when_no_activity_is_known(sqlite_db, twilio):
    folio = submit(sqlite_db, "k1")
    store.change_status(sqlite_db, "penalolen", folio, "rechazada", "", "sistema-dom")
    notifier = make_notifier(sqlite_db, twilio, whatsapp_template_sid=TEMPLATE)
    try:
        await notifier.run_once()
    finally:
        await notifier.close()
    variables = json.loads(delivered(twilio)[0]["ContentVariables"])
    assert variables == {"1": folio, "2": "rechazada", "3": "retiro-voluminosos"}


async def test_template_variables_come_from_the_notice_data_never_from_its_text(sqlite_db, twilio):
    folio = submit(sqlite_db, "k1")
    tricky = "Poda (árboles) cambió a: urgente), que sigue en estado: resuelta"
    store.change_status(
        sqlite_db, "penalolen", folio, "recibida", "Falta una foto", "sistema-dom", procedure_name=tricky
    )
    with sqlite_db.session() as session:  # a text saying other values (as a rest sent in part would): not read
        session.execute(update(NotificationRow).values(text="Tu solicitud PEN-ZZZZZZ (Otro) cambió a: resuelta."))
    store.change_status(sqlite_db, "penalolen", folio, "en_terreno", "", "sistema-dom", procedure_name=tricky)
    wrote_hours_ago(sqlite_db, WA_SENDER, 25)
    notifier = make_notifier(sqlite_db, twilio, whatsapp_template_sid=TEMPLATE)
    try:
        assert await notifier.run_once() == 2
    finally:
        await notifier.close()
    assert [json.loads(r["ContentVariables"]) for r in delivered(twilio)] == [
        {"1": folio, "2": "recibida", "3": tricky},  # each notice its own status, not the request's current one
        {"1": folio, "2": "en terreno", "3": tricky},
    ]
    assert {row.state for row in notifications(sqlite_db)} == {"enviada"}


# ---------------- channels that cannot send ----------------


async def test_rest_channel_gives_up_at_once(db, twilio, telegram):
    folio = submit(db, "k1", channel="rest", sender_id="rest:local:vecino-1")
    store.change_status(db, "penalolen", folio, "en_revision", "", "sistema-dom")
    notifier = make_notifier(db, twilio, telegram)
    try:
        assert await notifier.run_once() == 1
    finally:
        await notifier.close()
    row = only_notification(db)
    assert row.state == "fallida" and row.last_error == "el canal rest no permite enviar avisos"
    assert twilio.requests == [] and telegram.requests == []


async def test_a_channel_not_configured_here_gives_up_at_once(sqlite_db, telegram):
    folio = submit(sqlite_db, "k1")
    store.change_status(sqlite_db, "penalolen", folio, "en_revision", "", "sistema-dom")
    other = submit(sqlite_db, "k2", channel="telegram", sender_id="telegram:santiago:5")
    store.change_status(sqlite_db, "penalolen", other, "en_revision", "", "sistema-dom")
    notifier = make_notifier(sqlite_db, telegram=telegram)  # no Twilio account; no bot for "santiago"
    try:
        assert await notifier.run_once() == 2
    finally:
        await notifier.close()
    wa, tg = notifications(sqlite_db)
    assert wa.state == "fallida" and "whatsapp no está configurado" in wa.last_error
    assert tg.state == "fallida" and "santiago" in tg.last_error
    assert telegram.requests == []


def test_notifier_from_env(sqlite_db, monkeypatch):
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TELEGRAM_BOT_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NOTIFY_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("WHATSAPP_STATUS_TEMPLATE_SID", TEMPLATE)
    bare = notifier_from_env(sqlite_db)
    assert bare.channels.get("whatsapp") is None and bare.channels.get("telegram") is None
    assert not bare.has_channels
    assert bare.settings.max_attempts == 3 and bare.settings.whatsapp_template_sid == TEMPLATE
    assert bare.settings.backoff_seconds == 30 and bare.settings.poll_seconds == 5
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC1")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "x")
    monkeypatch.setenv("TELEGRAM_BOT_TOKENS", "penalolen=1:A")
    full = notifier_from_env(sqlite_db)
    assert isinstance(full.channels.get("whatsapp"), WhatsAppSender)
    assert isinstance(full.channels.get("telegram"), TelegramSender)
    monkeypatch.setenv("NOTIFY_BACKOFF_SECONDS", "pronto")
    with pytest.raises(ValueError, match="NOTIFY_BACKOFF_SECONDS"):
        NotifierSettings.from_env()


# ---------------- several workers ----------------


async def test_two_workers_at_once_send_each_notice_once(db, twilio):
    wrote_hours_ago(db, WA_SENDER, 1)
    folios = [submit(db, f"k{i}") for i in range(6)]
    for folio in folios:
        store.change_status(db, "penalolen", folio, "en_revision", "", "sistema-dom")
    now = utcnow()
    workers = [make_notifier(db, twilio), make_notifier(Database(db.url), twilio)]
    try:
        counts = await asyncio.gather(*(w.run_once(now) for w in workers))
    finally:
        for worker in workers:
            await worker.close()
        workers[1].db.dispose()
    assert sum(counts) == len(folios)
    bodies = [r["Body"] for r in delivered(twilio)]
    assert len(bodies) == len(folios)
    assert sorted(next(f for f in folios if f in b) for b in bodies) == sorted(folios)
    assert {row.state for row in notifications(db)} == {"enviada"}


def test_two_replicas_in_threads_send_each_notice_once(db, twilio):
    wrote_hours_ago(db, WA_SENDER, 1)
    folios = [submit(db, f"k{i}") for i in range(8)]
    for folio in folios:
        store.change_status(db, "penalolen", folio, "en_terreno", "", "sistema-dom")
    now = utcnow()
    start = threading.Barrier(2)
    counts, errors = [], []

    def replica():
        async def work():
            replica_db = Database(db.url)
            notifier = make_notifier(replica_db, twilio)
            try:
                start.wait(10)
                counts.append(await notifier.run_once(now))
            finally:
                await notifier.close()
                replica_db.dispose()

        try:
            asyncio.run(work())
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(counts) == len(folios)
    assert len(delivered(twilio)) == len(folios)
    assert {row.state for row in notifications(db)} == {"enviada"}


# ---------------- the web application runs the worker ----------------


async def test_web_app_delivers_after_a_status_change_through_the_api(db, telegram, catalogue):
    folio = submit(db, "k1", channel="telegram", sender_id="telegram:penalolen:31337")
    token = create_token(db, "penalolen", "sistema-dom")
    notifier = make_notifier(db, telegram=telegram, poll_seconds=0.1)
    app = create_app(db, lambda: catalogue, notifier=notifier)
    async with TestClient(TestServer(app)) as client:
        async with client.post(
            f"{API_PREFIX}/solicitudes/{folio}/estado",
            headers={"Authorization": f"Bearer {token}"},
            json={"estado": "en_revision", "nota": "Llega el jueves"},
        ) as response:
            assert response.status == 200, await response.text()
        for _ in range(100):
            if tg_delivered(telegram, 31337):
                break
            await asyncio.sleep(0.1)
    sent = tg_delivered(telegram, 31337)
    assert len(sent) == 1 and sent[0]["token"] == TOKENS["penalolen"]
    name = catalogue.display_name("retiro-voluminosos") if hasattr(catalogue, "display_name") else ""
    assert folio in sent[0]["text"] and "en revisión" in sent[0]["text"] and name in sent[0]["text"]
    assert only_notification(db).state == "enviada"


async def test_web_app_without_notifier_leaves_notices_pending(sqlite_db, catalogue):
    folio = submit(sqlite_db, "k1", channel="telegram", sender_id="telegram:penalolen:1")
    token = create_token(sqlite_db, "penalolen", "sistema-dom")
    async with TestClient(TestServer(create_app(sqlite_db, lambda: catalogue))) as client:
        async with client.post(
            f"{API_PREFIX}/solicitudes/{folio}/estado",
            headers={"Authorization": f"Bearer {token}"},
            json={"estado": "en_revision"},
        ) as r:
            assert r.status == 200
    assert only_notification(sqlite_db).state == "pendiente"
