"""Two Rasa worker processes on one port (RASA_WORKERS=2), embedded mode: SQLite and no Redis.

The assistant is started as ``python -m bot run`` starts it. One citizen first holds the
conversation alone, message by message: the replies it gets are the reference. Then many
citizens write at once, each sending all its messages without waiting for replies, over new
connections that the kernel spreads over both workers. Every conversation must get exactly the
reference replies (complete, in order, none twice), Rasa must store each message once and in
order, and both workers must have handled messages (their health sockets count them). A worker
killed mid-service is restarted by the launcher while the other keeps answering.
"""

import http.client
import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from sqlalchemy import create_engine, select, text

from bot.answers.channel import APOLOGY
from bot.app.rasa_worker import health_socket, read_health
from bot.config import PROJECT_ROOT
from bot.storage.tables import InboundMessageRow
from tests.assistant_process import start_assistant, stop_assistant
from tests.channel_clients import channel_env, citizen, whatsapp

MESSAGES = ("hola", "cuanto cuesta el permiso de circulacion", "y donde queda?", "q papeles piden", "gracias")
CONVERSATIONS = 12
# Responses with several wordings (Rasa picks one at random) are compared by their name.
_DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
VARIANT_OF = {
    variant["text"]: name
    for name, variants in _DOMAIN["responses"].items()
    if len(variants) > 1
    for variant in variants
    if "text" in variant
}


def _replies(twilio, phone):
    return [VARIANT_OF.get(body, body) for body in twilio.bodies_to(phone)]


@pytest.fixture(scope="module")
def workers(tmp_path_factory, standins):
    twilio, telegram = standins
    running = start_assistant(tmp_path_factory.mktemp("var"), {**channel_env(twilio, telegram), "RASA_WORKERS": "2"})
    yield running, twilio
    stop_assistant(running)


def _health(running, worker):
    return read_health(health_socket(running["var"], worker))


def _inbox(running, phones):
    engine = create_engine(running["env"]["DATABASE_URL"], future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(InboundMessageRow.sender_id, InboundMessageRow.status)).all()
    finally:
        engine.dispose()
    return [row for row in rows if any(row.sender_id.endswith(phone) for phone in phones)]


def _wait_processed(running, phones, count, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _inbox(running, phones)
        if len(rows) == count and all(row.status == "listo" for row in rows):
            return
        time.sleep(0.5)
    pytest.fail(f"mensajes sin procesar: {_inbox(running, phones)}")


def _user_texts(running, phones):
    engine = create_engine(f"sqlite:///{running['var'] / 'rasa_tracker.db'}", future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id")).all()
    finally:
        engine.dispose()
    texts = {}
    for sender_id, data in rows:
        phone = next((p for p in phones if sender_id.endswith(p)), None)
        if phone:
            texts.setdefault(phone, []).append(json.loads(data)["text"])
    return texts


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


RETRIES_AFTER_RESET = 3


def _post(running, phone, body):
    """One webhook, sent again with the same MessageSid if its connection is reset, as Twilio retries on a
    connection failure (``#rc=`` in the webhook URL): a worker killed with connections in flight drops them,
    and the inbox takes the retried message once (the counts below check it)."""
    sid = f"SM{uuid.uuid4().hex}"
    for attempt in range(RETRIES_AFTER_RESET + 1):
        try:
            return whatsapp(running, phone, body, sid=sid)[0]
        except (ConnectionResetError, ConnectionRefusedError, http.client.RemoteDisconnected):
            if attempt == RETRIES_AFTER_RESET:
                raise
            time.sleep(0.5)
    return None


def _converse(running, phone):
    for body in MESSAGES:  # in order, without waiting for the replies
        assert _post(running, phone, body) == 200


def test_many_conversations_at_once_are_answered_completely_in_order_by_both_workers(workers):
    running, twilio = workers
    reference_phone = citizen()
    for number, body in enumerate(MESSAGES, start=1):
        assert whatsapp(running, reference_phone, body)[0] == 200
        _wait_processed(running, [reference_phone], number)
    reference = _replies(twilio, reference_phone)
    assert APOLOGY not in reference
    joined = "\n".join(reference)
    assert -1 < joined.find("Costo:") < joined.find("Dónde:") < joined.find("Requisitos:"), joined

    phones = [citizen() for _ in range(CONVERSATIONS)]
    with ThreadPoolExecutor(CONVERSATIONS) as pool:
        list(pool.map(lambda phone: _converse(running, phone), phones))
    _wait_processed(running, phones, CONVERSATIONS * len(MESSAGES))

    for phone in phones:
        assert _replies(twilio, phone) == reference, phone  # complete, in order, none twice
    texts = _user_texts(running, phones)
    assert texts == {phone: list(MESSAGES) for phone in phones}  # stored once each, in the order sent

    healths = [_health(running, n) for n in (1, 2)]
    assert all(healths), healths
    assert healths[0]["pid"] != healths[1]["pid"]
    handled = [h["handled"].get("whatsapp", 0) for h in healths]
    assert min(handled) > 0, handled  # both workers served turns
    assert sum(handled) == (CONVERSATIONS + 1) * len(MESSAGES), handled  # each message handled once


def test_the_workers_answered_without_loading_tensorflow(workers):
    """The model uses no TensorFlow, so no worker loads it (bot/rasa_internals/without_tensorflow.py)."""
    running, _ = workers
    for worker in (1, 2):
        pid = _health(running, worker)["pid"]
        with open(f"/proc/{pid}/maps") as handle:
            libraries = {line.split()[-1] for line in handle if line.rstrip().endswith(".so") or ".so." in line}
        assert any("sklearn" in library for library in libraries), "a worker with the model loaded"
        assert not [library for library in libraries if "tensorflow" in library]


def test_a_killed_worker_is_restarted_while_the_other_answers(workers):
    running, twilio = workers
    before = _health(running, 2)
    assert before is not None
    os.kill(before["pid"], signal.SIGKILL)
    while _alive(before["pid"]):  # its listening socket is closed once it is gone
        time.sleep(0.1)

    phones = [citizen() for _ in range(3)]
    with ThreadPoolExecutor(len(phones)) as pool:
        list(pool.map(lambda phone: _converse(running, phone), phones))
    _wait_processed(running, phones, len(phones) * len(MESSAGES))
    for phone in phones:
        assert APOLOGY not in "\n".join(twilio.bodies_to(phone))

    deadline = time.monotonic() + 300
    after = None
    while time.monotonic() < deadline:
        after = _health(running, 2)
        if after is not None and after["pid"] != before["pid"]:
            break
        time.sleep(1)
    assert after is not None and after["pid"] != before["pid"], "el launcher no reinició al proceso 2 de Rasa"
    assert running["process"].poll() is None
