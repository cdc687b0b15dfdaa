"""Rasa's SQL tracker store table ``events``, declared again to read it without importing Rasa.

Same name and columns as ``rasa.core.tracker_store.SQLTrackerStore.SQLEvent`` in Rasa 3.6.21
(tests/test_rasa_internals.py compares them): the staff console, retention and "borra mis
datos" read and delete conversations here, in processes that do not load Rasa (~1.5 s).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

import bot.rasa_internals  # noqa: F401  (checks the Rasa version)

_metadata = MetaData()
RASA_EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
