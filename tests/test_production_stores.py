"""The production endpoints (deploy/endpoints.prod.yml) against the real PostgreSQL and Redis.

Rasa's own tracker store and lock store are built from the file exactly as
``rasa run --endpoints deploy/endpoints.prod.yml`` would, then used: a conversation
saved by one store object is read by another (another replica), and a lock held by
one blocks the other.
"""

import asyncio
import uuid

import pytest
from sqlalchemy.engine import make_url

from bot.config import PROJECT_ROOT
from tests.conftest import fresh_postgres, require_redis


@pytest.fixture
def production_env(monkeypatch):
    require_redis()
    with fresh_postgres("rasa_test") as (url,):
        name = make_url(url).database
        values = {
            "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
            "ACTIONS_TOKEN": "token-de-prueba-acciones",
            "TRACKER_DB_URL": url,
            "TRACKER_DB": name,
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": "6379",
            "REDIS_PASSWORD": "",
            "REDIS_LOCK_DB": "1",
        }
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        yield values


def test_two_replicas_share_conversations_and_locks(production_env):
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import read_endpoints_from_path
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    endpoints = read_endpoints_from_path(PROJECT_ROOT / "deploy" / "endpoints.prod.yml")
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    sender = f"replica-test-{uuid.uuid4().hex[:10]}"

    # Built outside the event loop, as Rasa does at start-up.
    replica_a = TrackerStore.create(endpoints.tracker_store, domain=domain)
    replica_b = TrackerStore.create(endpoints.tracker_store, domain=domain)
    locks_a, locks_b = LockStore.create(endpoints.lock_store), LockStore.create(endpoints.lock_store)

    async def scenario():
        tracker = DialogueStateTracker(sender, domain.slots)
        tracker.update(UserUttered("hola", {"name": "saludar", "confidence": 1.0}))
        await replica_a.save(tracker)
        seen = await replica_b.retrieve(sender)
        assert [e.text for e in seen.events if isinstance(e, UserUttered)] == ["hola"]

        assert type(locks_a).__name__ == "RedisLockStore"
        async with locks_a.lock(sender, wait_time_in_seconds=0.05):
            assert locks_b.is_someone_waiting(sender)  # replica B sees A's lock in Redis
        assert not locks_b.is_someone_waiting(sender)
        async with locks_b.lock(sender, wait_time_in_seconds=0.05):
            assert locks_a.is_someone_waiting(sender)

    asyncio.run(scenario())
