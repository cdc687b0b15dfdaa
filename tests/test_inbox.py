"""The inbox on its own (no Rasa): order, duplicates, waiting, replies kept for later, giving up.

The end-to-end behaviour (real webhooks, real faults, two replicas) is in test_faults.py and
test_replicas.py; here each rule is checked quickly and precisely.
"""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot import runtime
from bot.answers.channel import APOLOGY
from bot.storage.tables import InboundMessageRow, utcnow
from channels import inbox as inbox_module
from channels.inbox import GiveUp, Inbox, Message, NotReady
from channels.replies import UndeliveredReplies


@pytest.fixture
def db(sqlite_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_db.url)
    monkeypatch.delenv("REDIS_HOST", raising=False)
    runtime.reset()
    yield sqlite_db
    runtime.reset()


def rows(db):
    with db.session() as session:
        return [
            (r.message_id, r.status, r.attempts, r.payload)
            for r in session.execute(select(InboundMessageRow).order_by(InboundMessageRow.id)).scalars()
        ]


class Recorder:
    """A channel handler that records what it handled and fails as told."""

    def __init__(self):
        self.handled = []
        self.fail_with = {}

    async def __call__(self, message: Message):
        await asyncio.sleep(0.01 if message.message_id.endswith("1") else 0)  # the first is the slowest
        failure = self.fail_with.pop(message.message_id, None)
        if failure is not None:
            raise failure
        self.handled.append((message.message_id, message.retried, message.pending_replies))


async def test_messages_of_a_conversation_are_handled_once_in_arrival_order(db):
    recorder = Recorder()
    inbox = Inbox("whatsapp", recorder)
    for sid in ("m1", "m2", "m3"):
        assert await inbox.accept(sid, "vecino", {"Body": sid}) is True
    assert await inbox.accept("m2", "vecino", {"Body": "m2"}) is False  # Twilio retried the webhook
    await inbox.wait_idle()
    assert [h[0] for h in recorder.handled] == ["m1", "m2", "m3"]
    assert [(r[0], r[1], r[2], r[3]) for r in rows(db)] == [(s, "listo", 1, None) for s in ("m1", "m2", "m3")]


async def test_a_failed_message_holds_its_conversation_until_the_retry(db, monkeypatch):
    monkeypatch.setattr(inbox_module, "RETRY_AFTER", timedelta(hours=1))
    recorder = Recorder()
    recorder.fail_with["m1"] = UndeliveredReplies([{"text": "respuesta 1"}, {"text": "respuesta 2"}])
    inbox = Inbox("whatsapp", recorder)
    await inbox.accept("m1", "vecino", {"Body": "hola"})
    await inbox.accept("m2", "vecino", {"Body": "chao"})
    await inbox.accept("x1", "otra", {"Body": "hola"})  # other conversations go on
    await inbox.wait_idle()
    assert [h[0] for h in recorder.handled] == ["x1"]
    assert rows(db)[0][1:] == (
        "pendiente",
        1,
        {inbox_module.PENDING_REPLIES: [{"text": "respuesta 1"}, {"text": "respuesta 2"}]},
    )
    assert await inbox.sweep() == []  # not yet
    monkeypatch.setattr(inbox_module, "RETRY_AFTER", timedelta(0))  # time has passed
    assert await inbox.sweep() == ["vecino"]
    await inbox.wait_idle()
    # The retry delivers the kept replies without running the turn again, then the next message.
    assert recorder.handled[1:] == [("m1", True, [{"text": "respuesta 1"}, {"text": "respuesta 2"}]), ("m2", False, [])]
    assert [r[1] for r in rows(db)] == ["listo", "listo", "listo"]


async def test_not_ready_is_not_an_attempt(db, monkeypatch):
    monkeypatch.setattr(inbox_module, "NOT_READY_RETRY_SECONDS", 0.05)
    recorder = Recorder()
    recorder.fail_with["m1"] = NotReady("cargando el modelo")
    inbox = Inbox("telegram", recorder)
    await inbox.accept("m1", "vecino", {})
    await asyncio.sleep(0.3)
    await inbox.wait_idle()
    assert recorder.handled == [("m1", False, [])]
    assert rows(db)[0][1:3] == ("listo", 1)


async def test_an_unexpected_error_gives_up_after_three_attempts_and_frees_the_conversation(db, monkeypatch):
    monkeypatch.setattr(inbox_module, "RETRY_AFTER", timedelta(hours=1))
    recorder = Recorder()
    inbox = Inbox("whatsapp", recorder)
    recorder.fail_with["m1"] = ValueError("un error de programación")
    await inbox.accept("m1", "vecino", {})
    await inbox.accept("m2", "vecino", {})  # does not retry m1 at once
    await inbox.wait_idle()
    assert recorder.handled == [] and [r[1:3] for r in rows(db)] == [("pendiente", 1), ("pendiente", 0)]
    monkeypatch.setattr(inbox_module, "RETRY_AFTER", timedelta(0))
    for _ in range(2):
        recorder.fail_with["m1"] = ValueError("un error de programación")
        await inbox.sweep()
        await inbox.wait_idle()
    # The third failure gives it up: the citizen gets the apology (once), then m2 goes on.
    assert recorder.handled == [("m1", True, [{"text": APOLOGY}]), ("m2", False, [])]
    assert [r[1:3] for r in rows(db)] == [("fallido", 3), ("listo", 1)]
    assert rows(db)[0][3] is None  # what the citizen wrote is not kept


async def test_a_message_claimed_max_attempts_times_without_finishing_is_given_up(db, monkeypatch, caplog):
    """A turn that froze its process: every restart claimed it again and never finished it."""
    monkeypatch.setattr(inbox_module, "RETRY_AFTER", timedelta(seconds=30))
    recorder = Recorder()
    inbox = Inbox("whatsapp", recorder)
    with db.session() as session:
        session.add(
            InboundMessageRow(
                channel="whatsapp",
                message_id="m1",
                sender_id="vecino",
                payload={"Body": "x" * 1000},
                status="procesando",
                attempts=inbox_module.MAX_ATTEMPTS,
            )
        )
        session.add(
            InboundMessageRow(
                channel="whatsapp",
                message_id="m2",
                sender_id="vecino",
                payload={"Body": "hola"},
                status="pendiente",
                attempts=0,
            )
        )
    with db.session() as session:
        session.execute(update(InboundMessageRow).values(updated_at=utcnow() - timedelta(minutes=1)))
    assert await inbox.sweep() == ["vecino"]
    await inbox.wait_idle()
    # Not run again: only the apology is delivered, then the conversation goes on.
    assert recorder.handled == [("m1", True, [{"text": APOLOGY}]), ("m2", False, [])]
    assert [r[1] for r in rows(db)] == ["fallido", "listo"] and rows(db)[0][3] is None
    assert any(
        r.levelname == "ERROR" and "m1" in r.getMessage() and "fallido" in r.getMessage() for r in caplog.records
    )
    assert await inbox.sweep() == []  # and never again


async def test_the_apology_of_a_given_up_message_is_kept_when_the_channel_is_down(db, monkeypatch):
    monkeypatch.setattr(inbox_module, "RETRY_AFTER", timedelta(0))
    recorder = Recorder()
    inbox = Inbox("whatsapp", recorder)
    with db.session() as session:
        session.add(
            InboundMessageRow(
                channel="whatsapp",
                message_id="m1",
                sender_id="vecino",
                payload={},
                status="procesando",
                attempts=inbox_module.MAX_ATTEMPTS,
            )
        )
    recorder.fail_with["m1"] = UndeliveredReplies([{"text": APOLOGY}])
    await inbox.sweep()
    await inbox.wait_idle()
    assert recorder.handled == [] and rows(db)[0][1] == "pendiente"
    await inbox.sweep()
    await inbox.wait_idle()
    assert recorder.handled == [("m1", True, [{"text": APOLOGY}])] and rows(db)[0][1] == "fallido"


async def test_a_turn_past_its_time_limit_is_not_tried_again(db):
    recorder = Recorder()
    recorder.fail_with["m1"] = GiveUp("el turno duró más de 30 s")
    inbox = Inbox("telegram", recorder)
    await inbox.accept("m1", "vecino", {"text": "hola"})
    await inbox.accept("m2", "vecino", {"text": "chao"})
    await inbox.wait_idle()
    assert recorder.handled == [("m2", False, [])]
    assert [r[1:] for r in rows(db)] == [("fallido", 1, None), ("listo", 1, None)]


async def test_a_message_left_processing_by_a_stopped_worker_is_taken_again(db, monkeypatch):
    monkeypatch.setattr(inbox_module, "RETRY_AFTER", timedelta(seconds=30))
    recorder = Recorder()
    inbox = Inbox("whatsapp", recorder)
    with db.session() as session:
        session.add(
            InboundMessageRow(
                channel="whatsapp", message_id="m1", sender_id="vecino", payload={}, status="procesando", attempts=1
            )
        )
    assert await inbox.sweep() == []  # too recent: its worker may still be on it
    with db.session() as session:
        session.execute(update(InboundMessageRow).values(updated_at=utcnow() - timedelta(minutes=1)))
    assert await inbox.sweep() == ["vecino"]
    await inbox.wait_idle()
    assert recorder.handled == [("m1", True, [])] and rows(db)[0][1:3] == ("listo", 2)


async def test_a_message_the_database_refused_is_still_handled_once(db, monkeypatch):
    recorder = Recorder()
    inbox = Inbox("whatsapp", recorder)

    def broken(*_args):
        raise OSError("la base de datos no responde")

    monkeypatch.setattr(inbox_module, "_store", broken)
    with pytest.raises(inbox_module.InboxUnavailable):
        await inbox.accept("m1", "vecino", {})
    inbox.handle_unstored("m1", "vecino", {"Body": "hola"})
    await inbox.wait_idle()
    assert recorder.handled == [("m1", False, [])] and rows(db) == []
