"""Production mode with two replicas: PostgreSQL (Rasa's tracker and our tables) and Redis (locks).

Two assistants (``python -m bot run`` with ``RASA_ENDPOINTS=deploy/endpoints.prod.yml``) share
the databases and Redis, as two servers behind nginx would. The messages of each conversation
arrive alternately at one replica and the other, without waiting for the replies: every message
must be processed exactly once and in the order it arrived.
"""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bot.answers.channel import APOLOGY
from bot.storage.tables import InboundMessageRow
from tests.assistant_process import start_assistant, stop_assistant
from tests.channel_clients import channel_env, citizen, whatsapp
from tests.conftest import fresh_postgres, require_redis

MESSAGES = ("hola", "cuanto cuesta el permiso de circulacion", "y donde queda?", "q papeles piden", "gracias")
CONVERSATIONS = 6


@pytest.fixture(scope="module")
def shared_services():
    """Fresh PostgreSQL databases (ours and Rasa's tracker) and Redis, shared by both replicas."""
    require_redis()
    with fresh_postgres("replicas", 2) as (municipal, tracker):
        yield {"municipal": municipal, "tracker": tracker, "tracker_name": make_url(tracker).database}


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, shared_services, standins):
    twilio, telegram = standins
    env = {
        **channel_env(twilio, telegram),
        "RASA_ENDPOINTS": "deploy/endpoints.prod.yml",
        "DATABASE_URL": shared_services["municipal"],
        "TRACKER_DB_URL": shared_services["tracker"],
        "TRACKER_DB": shared_services["tracker_name"],
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_PASSWORD": "",
        "REDIS_LOCK_DB": "1",
    }
    with ThreadPoolExecutor(2) as pool:  # both start at once, as after a deployment (migrations included)
        futures = [pool.submit(start_assistant, tmp_path_factory.mktemp(f"replica{n}"), env) for n in (1, 2)]
    started = [f.result() for f in futures if f.exception() is None]
    if len(started) < 2:
        for running in started:
            stop_assistant(running)
        raise next(f.exception() for f in futures if f.exception() is not None)
    yield started, twilio
    for running in started:
        stop_assistant(running)


def _user_texts(tracker_url, senders):
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id")).all()
    finally:
        engine.dispose()
    texts = {sender: [] for sender in senders}
    for sender_id, data in rows:
        if sender_id in texts:
            texts[sender_id].append(json.loads(data)["text"])
    return texts


def test_interleaved_messages_are_processed_once_and_in_order(replicas, shared_services):
    started, twilio = replicas
    citizens = [citizen() for _ in range(CONVERSATIONS)]
    for index, body in enumerate(MESSAGES):
        for number, phone in enumerate(citizens):  # message i of a conversation and i+1 go to different replicas
            assert whatsapp(started[(index + number) % 2], phone, body)[0] == 200

    engine = create_engine(shared_services["municipal"], future=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(InboundMessageRow.sender_id, InboundMessageRow.status, InboundMessageRow.attempts)
                ).all()
            mine = [r for r in rows if any(r.sender_id.endswith(phone) for phone in citizens)]
            if len(mine) == len(MESSAGES) * CONVERSATIONS and all(r.status == "listo" for r in mine):
                break
            time.sleep(1)
        assert len(mine) == len(MESSAGES) * CONVERSATIONS
        assert all(r.status == "listo" and r.attempts == 1 for r in mine), mine
    finally:
        engine.dispose()

    senders = {r.sender_id for r in mine}
    texts = _user_texts(shared_services["tracker"], senders)
    assert len(texts) == CONVERSATIONS
    for sender, seen in texts.items():
        assert seen == list(MESSAGES), (sender, seen)  # exactly once each, in the order sent

    time.sleep(2)
    for phone in citizens:
        replies = "\n".join(twilio.bodies_to(phone))
        assert APOLOGY not in replies
        cost, place, requirements = replies.find("Costo:"), replies.find("Dónde:"), replies.find("Requisitos:")
        assert -1 < cost < place < requirements, replies  # answers in the order of the questions
