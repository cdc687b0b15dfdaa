"""Rasa's SQL tracker store, made safe for database outages.

Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the database fails
it carries on with an empty conversation (the citizen would be greeted as new, a
form in progress forgotten) and may then save that empty conversation over the
real one once the database is back. This store

- checks pooled connections before use (``pool_pre_ping``), so a connection killed by
  an outage is replaced instead of failing the next turn;
- marks the turn failed when the database errors (bot/turn_state.py), so the channel
  drops the turn's replies and apologises;
- never saves the conversation of a failed turn;
- keeps the conversations it saved last in memory (``TRACKER_CACHE_SIZE``, 2000 by
  default): the next turn gets the tracker back without reading and rebuilding every
  event, after one small query checks that nobody else (another replica, a deletion)
  changed the conversation meanwhile. A tracker is handed out once and comes back only
  when its turn is saved, so a failed turn never leaves its events in the cache;
- does not store again the events of a conversation deleted while its turn ran ("borra
  mis datos", the console, retention): Rasa would otherwise save the whole tracker it
  holds in memory back into the emptied conversation.

Rasa's private parts it needs are reached through bot/rasa_internals/tracker_store.py.

endpoints.yml::

    tracker_store:
      type: bot.storage.tracker_store.SafeSQLTrackerStore
      dialect: ...  url: ...  db: ...   # as for Rasa's ``SQL`` type
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from typing import Any, Dict, Iterable, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import settings
from bot.rasa_internals.tracker_store import RasaSQLTrackerStore, StoredVersion
from bot.storage.db import sqlite_pragmas
from bot.turn_state import mark_failed, turn_failed

logger = logging.getLogger(__name__)


class SafeSQLTrackerStore(RasaSQLTrackerStore):
    """``SQLTrackerStore`` that reconnects after outages and never saves a failed turn."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replace_engine(pool_pre_ping=self.engine.url.get_backend_name() != "sqlite")  # see bot.storage.db
        if self.engine.url.get_backend_name() == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            # Several Rasa workers (RASA_WORKERS) write this file at once.
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
        self._cache: "OrderedDict[str, Tuple[DialogueStateTracker, StoredVersion]]" = OrderedDict()
        self._cache_size = settings().tracker_cache_size
        # id(tracker) -> events of its latest session stored when it was read or last saved.
        self._known_stored: Dict[int, int] = {}

    def _remember_stored(self, tracker: DialogueStateTracker, count: int) -> None:
        key = id(tracker)
        if key not in self._known_stored:
            weakref.finalize(tracker, self._known_stored.pop, key, None)
        self._known_stored[key] = count

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The conversation; on a database error the turn is marked failed and the error raised."""
        try:
            cached = self._cache.pop(sender_id, None)
            # Unchanged in the database, and not changed in memory after it was saved (Rasa keeps using
            # the tracker it has just saved when it creates a conversation: a failed turn may follow).
            if (
                cached is not None
                and len(cached[0].events) == cached[1][0]
                and cached[1] == await self.read_stored_version(sender_id)
            ):
                tracker: Optional[DialogueStateTracker] = cached[0]
            else:
                tracker = await super().retrieve(sender_id)
        except Exception:
            mark_failed("conversacion")
            raise
        if tracker is not None:  # rebuilt from every stored event of its latest session
            self._remember_stored(tracker, len(tracker.events))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        """The conversation across sessions; errors as in ``retrieve``."""
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except Exception:
            mark_failed("conversacion")
            raise

    def unsaved_events(self, tracker: DialogueStateTracker, stored: int) -> Iterable[Event]:
        """Rasa's choice, or nothing if the conversation lost stored events since ``tracker`` was read
        (it was deleted meanwhile)."""
        known = self._known_stored.get(id(tracker))
        if known is not None and stored < known:
            logger.info("la conversación %s se borró durante el turno: no se vuelve a guardar", tracker.sender_id)
            return ()
        return super().unsaved_events(tracker, stored)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save, unless the turn failed (its events would overwrite or corrupt the conversation)."""
        if turn_failed():
            logger.warning("no se guarda el turno fallido de %s", tracker.sender_id)
            return
        try:
            await super().save(tracker)
            version = await self.read_stored_version(tracker.sender_id)
        except Exception:
            mark_failed("conversacion")
            raise
        self._remember_stored(tracker, version[0])
        if version[0] == len(tracker.events):  # exactly what retrieve() would rebuild
            self._cache[tracker.sender_id] = (tracker, version)
            self._cache.move_to_end(tracker.sender_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
