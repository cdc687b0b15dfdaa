"""Rasa's ``SQLTrackerStore`` with the private parts our store uses, behind public names.

Rasa 3.6.21's ``SQLTrackerStore`` keeps its engine in ``engine`` and its session factory
in ``sessionmaker`` (built with ``create_engine_kwargs``), opens sessions with
``session_scope``, selects a conversation's latest session with ``_event_query``, and
``save`` adds the events ``_additional_events`` picks: those after as many as the
latest session already stores. ``RasaSQLTrackerStore`` wraps each of these.

Counting the latest session's events (twice a turn for the cache's check, once in ``save``)
through Rasa's ORM ``_event_query`` builds and compiles that query anew each time (~0.6 ms of
CPU, ten times the SQL itself). ``latest_session_statement`` is the same count as one Core
statement built once (same SQL conditions: the latest ``session_started`` timestamp of the
sender, or all its events when there is none); ``RASA_SPEEDUPS=0`` counts with Rasa's query.

``save`` writes the same rows as Rasa's (``event_row``) with one Core ``INSERT`` of all the turn's
events instead of an ORM object per event flushed by the unit of work; ``RASA_SPEEDUPS=0`` saves
with Rasa's ``save``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Dict, Iterable, Optional, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

import bot.rasa_internals  # noqa: F401  (checks the Rasa version)
from bot.config import settings
from bot.storage.db import sqlite_pool_options

StoredVersion = Tuple[int, Optional[int]]  # (events of the latest session, newest event id)


class RasaSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose engine, stored-events query and choice of events to save are public."""

    engine: Any  # set by SQLTrackerStore.__init__ (untyped there)
    sessionmaker: Any
    _latest_session: Any = None  # latest_session_statement(), built on first use

    def replace_engine(self, **options: Any) -> None:
        """Rebuild the engine and session factory on the same URL with Rasa's options plus ``options``
        (a SQLite file: its connections kept in a pool, ``bot.storage.db.sqlite_pool_options``)."""
        url = self.engine.url
        self.engine.dispose()
        options = {**sqlite_pool_options(url), **options}
        self.engine = sa.create_engine(url, **options, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def latest_session_statement(self) -> Any:
        """``SELECT count(id), max(id)`` of the events ``_event_query(..., fetch_events_from_all_sessions=False)``
        selects, for the bound ``sender_id``: built once, as Core (no ORM query to build per call)."""
        if self._latest_session is None:
            events = self.SQLEvent.__table__
            sender = sa.bindparam("sender_id")
            session_start = (
                sa.select(sa.func.max(events.c.timestamp))
                .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
                .scalar_subquery()
            )
            self._latest_session = sa.select(sa.func.count(events.c.id), sa.func.max(events.c.id)).where(
                events.c.sender_id == sender,
                sa.or_(events.c.timestamp >= session_start, session_start.is_(None)),
            )
        return self._latest_session

    def latest_session_version(self, session: "sa.orm.Session", sender_id: str) -> StoredVersion:
        """(events in the latest session, newest event id), read in ``session``."""
        if settings().rasa_speedups:
            count, newest = session.execute(self.latest_session_statement(), {"sender_id": sender_id}).one()
        else:  # Rasa's own query
            count, newest = (
                self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
                .order_by(None)
                .with_entities(sa.func.count(self.SQLEvent.id), sa.func.max(self.SQLEvent.id))
                .one()
            )
        return int(count), newest

    def stored_version(self, sender_id: str) -> StoredVersion:
        """(events in the latest session, newest event id) as stored: changes with any write or deletion.

        Blocking: from the event loop use ``read_stored_version``.
        """
        with self.session_scope() as session:
            return self.latest_session_version(session, sender_id)

    async def read_stored_version(self, sender_id: str) -> StoredVersion:
        """``stored_version`` in a worker thread, so the event loop goes on meanwhile.

        An in-memory SQLite database lives in one connection per thread: it is read in place.
        """
        if self.engine.url.get_backend_name() == "sqlite" and self.engine.url.database in (None, "", ":memory:"):
            return self.stored_version(sender_id)
        return await asyncio.to_thread(self.stored_version, sender_id)

    def unsaved_events(self, tracker: DialogueStateTracker, stored: int) -> Iterable[Event]:
        """The events ``save`` adds when the latest session already stores ``stored`` (Rasa's choice)."""
        return itertools.islice(tracker.events, stored, len(tracker.events))

    @staticmethod
    def event_row(sender_id: str, event: Event) -> Dict[str, Any]:
        """The row Rasa 3.6.21's ``save`` stores for ``event`` (its ``SQLEvent`` columns but the id)."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save``: stream the events, then store those not stored yet, in one ``INSERT``."""
        if not settings().rasa_speedups:
            return await super().save(tracker)
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [self.event_row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()

    def _additional_events(self, session: "sa.orm.Session", tracker: DialogueStateTracker) -> Iterable[Event]:
        # Rasa 3.6.21's ``save`` asks this for the events to add; the count is that of Rasa's own query.
        stored, _ = self.latest_session_version(session, tracker.sender_id)
        return self.unsaved_events(tracker, stored)
