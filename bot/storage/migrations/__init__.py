"""Alembic migrations of our tables (run with ``python -m bot db upgrade``; see ``bot.storage.migrate``)."""
