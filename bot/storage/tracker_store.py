"""Rasa's SQL tracker store, made safe for database outages.

Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the database fails
it carries on with an empty conversation (the citizen would be greeted as new, a
form in progress forgotten) and may then save that empty conversation over the
real one once the database is back. This store

- checks pooled connections before use (``pool_pre_ping``), so a connection killed by
  an outage is replaced instead of failing the next turn;
- marks the turn failed when the database errors (bot/turn_state.py), so the channel
  drops the turn's replies and apologises;
- never saves the conversation of a failed turn.

endpoints.yml::

    tracker_store:
      type: bot.storage.tracker_store.SafeSQLTrackerStore
      dialect: ...  url: ...  db: ...   # as for Rasa's ``SQL`` type
"""
from __future__ import annotations

import logging
from typing import Any, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker

from bot.turn_state import mark_failed, turn_failed

logger = logging.getLogger(__name__)


class SafeSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that reconnects after outages and never saves a failed turn."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The conversation; on a database error the turn is marked failed and the error raised."""
        try:
            return await super().retrieve(sender_id)
        except Exception:
            mark_failed("conversacion")
            raise

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        """The conversation across sessions; errors as in ``retrieve``."""
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except Exception:
            mark_failed("conversacion")
            raise

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save, unless the turn failed (its events would overwrite or corrupt the conversation)."""
        if turn_failed():
            logger.warning("no se guarda el turno fallido de %s", tracker.sender_id)
            return
        try:
            await super().save(tracker)
        except Exception:
            mark_failed("conversacion")
            raise
