"""SafeSQLTrackerStore: the remembered conversation is used only while the database still holds it
unchanged; a failed turn is never saved."""

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.config import PROJECT_ROOT
from bot.storage.tracker_store import SafeSQLTrackerStore
from bot.turn_state import begin_turn, end_turn, mark_failed


@pytest.fixture
def stores(tmp_path):
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    path = tmp_path / "rasa.db"
    first = SafeSQLTrackerStore(domain=domain, dialect="sqlite", db=str(path))
    second = SafeSQLTrackerStore(domain=domain, dialect="sqlite", db=str(path))  # another replica
    yield first, second, path
    first.engine.dispose()
    second.engine.dispose()


def turn(tracker, text_):
    tracker.update(UserUttered(text_, {"name": "saludo", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_listen"))


def new_tracker(store, sender="vecino"):
    tracker = DialogueStateTracker(sender, store.domain.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    return tracker


def test_the_saved_conversation_comes_back_without_rebuilding_while_unchanged(stores):
    first, _, _ = stores

    async def scenario():
        opened = new_tracker(first)
        turn(opened, "hola")
        await first.save(opened)
        # The session's first save holds an event from before the session start, which the database
        # does not return: that tracker is not remembered.
        tracker = await first.retrieve("vecino")
        assert tracker is not opened
        turn(tracker, "gracias")
        await first.save(tracker)
        again = await first.retrieve("vecino")
        assert again is tracker  # from memory
        rebuilt = await first.retrieve("vecino")  # handed out once: this one is read from the database
        assert rebuilt is not tracker and [e.as_dict() for e in rebuilt.events] == [e.as_dict() for e in tracker.events]

    asyncio.run(scenario())


def test_a_change_by_another_replica_or_a_deletion_is_seen(stores):
    first, second, path = stores

    async def scenario():
        opened = new_tracker(first)
        turn(opened, "hola")
        await first.save(opened)
        tracker = await first.retrieve("vecino")
        turn(tracker, "gracias")
        await first.save(tracker)  # remembered by the first replica
        other = await second.retrieve("vecino")
        turn(other, "cuanto cuesta la licencia")
        other.update(SlotSet("tramite", "licencia-conducir"))
        await second.save(other)
        seen = await first.retrieve("vecino")
        assert seen is not tracker and seen.get_slot("tramite") == "licencia-conducir"
        turn(seen, "ok")
        await first.save(seen)
        assert first._cache["vecino"][0] is seen  # remembered again, then deleted behind its back
        engine = create_engine(f"sqlite:///{path}")
        with engine.begin() as conn:  # "borra mis datos" deletes the events directly
            conn.execute(text("DELETE FROM events WHERE sender_id = 'vecino'"))
        engine.dispose()
        assert await first.retrieve("vecino") is None

    asyncio.run(scenario())


def test_a_failed_turn_is_not_saved_nor_remembered(stores):
    first, _, _ = stores

    async def scenario():
        tracker = new_tracker(first)
        turn(tracker, "hola")
        await first.save(tracker)
        current = await first.retrieve("vecino")
        state, token = begin_turn()
        try:
            turn(current, "si")  # e.g. the action server failed in this turn
            mark_failed("accion")
            await first.save(current)
        finally:
            end_turn(token)
        stored = await first.retrieve("vecino")
        assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["hola"]

    asyncio.run(scenario())


def test_a_tracker_changed_after_it_was_saved_is_not_reused(stores):
    """Rasa saves a new conversation and keeps using that object; if the turn then fails unsaved, the next
    turn must not see the failed turn's events."""
    first, _, _ = stores

    async def scenario():
        created = await first.create_tracker("vecino")  # saved with one action_listen, as Rasa does
        turn(created, "cuanto cuesta la licencia")  # the turn goes on in memory... and is never saved
        again = await first.retrieve("vecino")
        assert again is not created
        assert [e for e in again.events if isinstance(e, UserUttered)] == []

    asyncio.run(scenario())


@pytest.mark.parametrize("reader", ["same replica", "other replica"])
def test_a_conversation_deleted_during_its_turn_is_not_stored_again(stores, reader):
    """ "borra mis datos": the action deletes the stored events, then Rasa saves the tracker it holds,
    old events included. Rasa's own store would put them all back; ours stores nothing."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.handoff.transcript import TranscriptReader

    first, second, path = stores
    deleter = TranscriptReader(f"sqlite:///{path}")

    async def scenario():
        opened = new_tracker(first)
        turn(opened, "mi rut es 12.345.678-5")
        await first.save(opened)
        tracker = await first.retrieve("vecino")
        turn(tracker, "borra mis datos")
        await first.save(tracker)  # remembered by the first replica
        store = first if reader == "same replica" else second
        current = await store.retrieve("vecino")
        assert (current is tracker) == (reader == "same replica")
        turn(current, "si")
        assert deleter.delete_conversation("vecino") > 0  # the action, before Rasa saves the turn
        await store.save(current)
        assert await first.retrieve("vecino") is None and await second.retrieve("vecino") is None
        assert deleter.rasa_turns("vecino") == []
        # The citizen writes again: a new conversation, stored as usual.
        fresh = await store.create_tracker("vecino")
        turn(fresh, "hola")
        await store.save(fresh)
        assert [e.text for e in (await second.retrieve("vecino")).events if isinstance(e, UserUttered)] == ["hola"]

        # What Rasa's own store does in the same situation (why ours checks).
        plain = SQLTrackerStore(domain=first.domain, dialect="sqlite", db=str(path))
        kept = await plain.retrieve("vecino")
        turn(kept, "si")
        deleter.delete_conversation("vecino")
        await plain.save(kept)
        assert [t.text for t in deleter.rasa_turns("vecino") if t.who == "vecino"] == ["hola", "si"]
        plain.engine.dispose()

    asyncio.run(scenario())
    deleter.engine.dispose()


def test_a_deletion_of_another_conversation_changes_nothing(stores):
    first, _, path = stores
    from bot.handoff.transcript import TranscriptReader

    async def scenario():
        for sender in ("vecino", "vecina"):
            opened = new_tracker(first, sender)
            turn(opened, "hola")
            await first.save(opened)
        tracker = await first.retrieve("vecino")
        turn(tracker, "gracias")
        TranscriptReader(f"sqlite:///{path}").delete_conversation("vecina")
        await first.save(tracker)
        stored = await first.retrieve("vecino")
        assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["hola", "gracias"]

    asyncio.run(scenario())
