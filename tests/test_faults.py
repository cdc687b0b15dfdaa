"""Faults, reproduced: the action server down or slow, the database unavailable for a while, Twilio
and Telegram answering 5xx or timing out, and the assistant killed in the middle of a turn.

What the citizen must see: the real answer once things recover, or an honest "Tuvimos un
problema, intenta de nuevo en unos minutos" when nothing else is possible; never silence, never
a duplicate, never a half-written request.

The assistant runs as ``python -m bot run`` with our tables and Rasa's tracker in PostgreSQL
(reached through a TCP proxy that can cut it off), the action server behind an HTTP proxy that
can make it down or slow, and the Twilio and Telegram stand-ins.
"""

import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from bot.answers.channel import APOLOGY
from bot.storage.tables import InboundMessageRow, RequestRow
from tests.assistant_process import start_assistant, stop_assistant
from tests.channel_clients import channel_env, citizen, new_chat, tg_message, tg_post, whatsapp
from tests.conftest import fresh_postgres
from tests.faults import ActionServerProxy, TcpCutter
from tests.standins import free_port

FAST_RECOVERY = {"TURN_TIMEOUT_SECONDS": "4", "INBOX_RETRY_SECONDS": "2", "CHANNEL_TIMEOUT_SECONDS": "1"}
COST_QUESTION = "cuanto cuesta el permiso de circulacion"


@pytest.fixture(scope="module")
def databases():
    """Two fresh PostgreSQL databases: ours and Rasa's tracker."""
    with fresh_postgres("faults", 2) as urls:
        yield urls


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, standins, databases):
    """The assistant with its database and action server behind fault injectors."""
    twilio, telegram = standins
    municipal, tracker = databases
    server = make_url(municipal)
    cutter = TcpCutter(server.host, server.port or 5432)
    through_cutter = {url: make_url(url).set(host="127.0.0.1", port=cutter.port) for url in databases}
    actions_port = free_port()
    proxy = ActionServerProxy(f"http://127.0.0.1:{actions_port}")
    running = start_assistant(
        tmp_path_factory.mktemp("var"),
        {
            **channel_env(twilio, telegram),
            **FAST_RECOVERY,
            "ACTIONS_PORT": str(actions_port),
            "ACTION_ENDPOINT_URL": proxy.url,
            "ACTIONS_IN_PROCESS": "0",  # the proxy stands between Rasa and an action server
            "DATABASE_URL": str(through_cutter[municipal]),
            "TRACKER_DB_URL": str(through_cutter[tracker]),
            "TRACKER_DB": make_url(tracker).database,
        },
    )
    direct = create_engine(municipal, future=True)
    yield {**running, "twilio": twilio, "telegram": telegram, "cutter": cutter, "proxy": proxy, "db": direct}
    cutter.restore()
    proxy.up()
    stop_assistant(running)
    direct.dispose()
    cutter.stop()
    proxy.stop()


def say(faulty, sender, body, wait=2.0, timeout=30):
    """Send a WhatsApp message and return the replies of this turn (those that arrive until a pause)."""
    twilio = faulty["twilio"]
    before = len(twilio.bodies_to(sender))
    assert whatsapp(faulty, sender, body)[0] == 200
    deadline = time.monotonic() + timeout
    while len(twilio.bodies_to(sender)) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    settled = len(twilio.bodies_to(sender))
    while True:  # the turn has ended when no reply came for ``wait`` seconds
        time.sleep(wait)
        now = len(twilio.bodies_to(sender))
        if now == settled:
            return twilio.bodies_to(sender)[before:]
        settled = now


def requests_of(faulty, sender):
    with faulty["db"].connect() as conn:
        return conn.execute(
            select(func.count()).select_from(RequestRow).where(RequestRow.sender_id.like(f"%{sender}"))
        ).scalar_one()


def inbox_statuses(faulty, sender):
    with faulty["db"].connect() as conn:
        return [
            row[0]
            for row in conn.execute(
                select(InboundMessageRow.status)
                .where(InboundMessageRow.sender_id.like(f"%{sender}"))
                .order_by(InboundMessageRow.id)
            )
        ]


# ---------------- the action server ----------------


def test_action_server_down_the_citizen_is_told_then_it_works_again(faulty):
    sender = citizen()
    faulty["proxy"].down()
    try:
        replies = say(faulty, sender, COST_QUESTION)
    finally:
        faulty["proxy"].up()
    assert replies == [APOLOGY]
    replies = say(faulty, sender, COST_QUESTION)
    assert any("Costo:" in r for r in replies) and APOLOGY not in replies


def test_slow_action_server_the_citizen_is_told_in_time(faulty):
    sender = citizen()
    faulty["proxy"].slow(10)
    started = time.monotonic()
    try:
        replies = say(faulty, sender, COST_QUESTION, wait=1.0)
        elapsed = time.monotonic() - started
    finally:
        faulty["proxy"].up()
    assert replies == [APOLOGY] and elapsed < 9  # TURN_TIMEOUT_SECONDS=4, not the 10 s of the slow server
    time.sleep(7)  # the slow call finishes in the background and must not answer late
    assert faulty["twilio"].bodies_to(sender) == [APOLOGY]
    replies = say(faulty, sender, COST_QUESTION)
    assert any("Costo:" in r for r in replies), replies


# ---------------- the database ----------------


def test_database_unavailable_for_a_while(faulty):
    sender = citizen()
    faulty["cutter"].cut()
    try:
        replies = say(faulty, sender, COST_QUESTION)
    finally:
        faulty["cutter"].restore()
    assert replies == [APOLOGY]
    replies = say(faulty, sender, COST_QUESTION)
    assert any("Costo:" in r for r in replies) and APOLOGY not in replies


def test_no_half_written_request_when_the_database_fails_at_the_folio(faulty):
    sender = citizen()
    for answer in (
        "quiero pedir el retiro de un colchon, mi rut es 12.345.678-5",
        "Juan Pérez",
        "pasaje los aromos 1234",
        "987654321",
        "un colchon de dos plazas",
    ):
        say(faulty, sender, answer, wait=1.5)
    summary = "\n".join(say(faulty, sender, "omitir"))
    assert "Revisa tu solicitud" in summary
    faulty["cutter"].cut()
    try:
        replies = say(faulty, sender, "si")
    finally:
        faulty["cutter"].restore()
    assert replies == [APOLOGY] and requests_of(faulty, sender) == 0
    done = "\n".join(say(faulty, sender, "si"))
    assert "folio PEN-" in done and requests_of(faulty, sender) == 1


def test_telegram_update_refused_while_the_database_is_down_is_taken_when_retried(faulty):
    chat = new_chat()
    update = tg_message(chat, COST_QUESTION)
    faulty["cutter"].cut()
    try:
        assert tg_post(faulty, update) == 503  # Telegram delivers it again later
    finally:
        faulty["cutter"].restore()
    assert tg_post(faulty, update) == 200
    texts = [
        r["text"]
        for r in faulty["telegram"].wait_for(
            lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat), 2
        )
    ]
    assert any("Costo:" in t for t in texts) and APOLOGY not in texts


# ---------------- Twilio and Telegram ----------------


def test_twilio_down_the_message_waits_and_is_answered_once_it_is_back(faulty):
    twilio, sender = faulty["twilio"], citizen()
    twilio.fail_next(*[503] * 8)  # the reply's 4 tries and the apology's 4 tries
    assert whatsapp(faulty, sender, "gracias")[0] == 200
    twilio.wait_for(lambda r: r.get("To") == f"whatsapp:{sender}" and "sid" in r, 2, timeout=60)
    time.sleep(3)
    delivered = twilio.bodies_to(sender)  # the first contact's greeting, then the answer: once each
    thanks = ("De nada", "Con gusto")  # utter_de_nada has two wordings, chosen at random
    assert len(delivered) == 2 and "asistente virtual" in delivered[0] and any(t in delivered[1] for t in thanks)
    assert len(twilio.matching(lambda r: r.get("To") == f"whatsapp:{sender}" and "failed" in r)) == 8
    assert inbox_statuses(faulty, sender) == ["listo"]


def test_twilio_timeouts_are_retried_without_duplicates(faulty):
    twilio, sender = faulty["twilio"], citizen()
    twilio.hang_next(2, 3)  # longer than CHANNEL_TIMEOUT_SECONDS=1
    replies = say(faulty, sender, COST_QUESTION, wait=3)
    assert any("Costo:" in r for r in replies) and len(replies) == len(set(replies)), replies


def test_telegram_5xx_and_timeouts_are_retried(faulty):
    telegram, chat = faulty["telegram"], new_chat()
    telegram.fail_next(502, 500)
    telegram.hang_next(1, 3)
    assert tg_post(faulty, tg_message(chat, COST_QUESTION)) == 200
    telegram.wait_for(lambda r: str(r.get("chat_id")) == str(chat) and "Costo:" in r.get("text", ""), 1)
    telegram.wait_for(
        lambda r: r.get("method") == "sendMessage" and str(r.get("chat_id")) == str(chat) and "failed" not in r, 3, 30
    )
    time.sleep(2)  # nothing more, nothing twice
    texts = [r["text"] for r in telegram.sent(chat) if "failed" not in r]
    assert len(texts) == len(set(texts)) == 3, texts  # greeting, answer, follow-up question: once each
    # The first failure falls on the turn's "escribiendo…" (sendChatAction, never retried: only a courtesy);
    # the answer's sendMessage then meets the 500 and the timeout, and is retried past both.
    failed = telegram.matching(lambda r: "failed" in r and str(r.get("chat_id")) == str(chat))
    assert [r["method"] for r in failed] == ["sendChatAction", "sendMessage", "sendMessage"]


# ---------------- a restart in the middle of a turn ----------------


def _rasa_pid(assistant):
    """The Rasa server started by this assistant's launcher."""
    children = subprocess.run(
        ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(assistant["process"].pid)], capture_output=True, text=True
    ).stdout.splitlines()
    found = [int(line.split()[0]) for line in children if "--enable-api" in line]  # only Rasa has it
    assert found, (
        f"no se encontró el proceso de Rasa entre {children}:\n"
        + (assistant["var"] / "assistant.log").read_text()[-3000:]
    )
    return found[0]


def test_a_message_in_flight_when_rasa_is_killed_is_answered_after_the_restart(tmp_path, standins):
    twilio, telegram = standins
    actions_port = free_port()
    proxy = ActionServerProxy(f"http://127.0.0.1:{actions_port}")
    env = {
        **channel_env(twilio, telegram),
        **FAST_RECOVERY,
        "TURN_TIMEOUT_SECONDS": "30",
        "ACTIONS_PORT": str(actions_port),
        "ACTION_ENDPOINT_URL": proxy.url,
        "ACTIONS_IN_PROCESS": "0",  # the proxy stands between Rasa and an action server
    }
    assistant = start_assistant(tmp_path, env)
    sender = citizen()
    try:
        proxy.slow(20)
        calls = proxy.calls
        assert whatsapp(assistant, sender, COST_QUESTION)[0] == 200
        deadline = time.monotonic() + 30
        while proxy.calls == calls and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proxy.calls > calls, "el turno no llegó al servidor de acciones"
        killed = _rasa_pid(assistant)
        os.kill(killed, signal.SIGKILL)  # mid-turn: the action is still running
        proxy.up()
        assert twilio.bodies_to(sender) == []
        # The launcher restarts Rasa (bot/app/launcher.py); the restarted one answers the message in flight.
        twilio.wait_for(lambda r: r.get("To") == f"whatsapp:{sender}" and "sid" in r, 2, timeout=180)
        time.sleep(3)
        replies = twilio.bodies_to(sender)
        assert any("Costo:" in r for r in replies) and APOLOGY not in replies
        assert len(replies) == len(set(replies))
        assert _rasa_pid(assistant) != killed and assistant["process"].poll() is None
    finally:
        stop_assistant(assistant)
        proxy.stop()
