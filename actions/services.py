"""The action server's services: see bot/runtime.py (shared with the channels and the web app)."""

from bot.runtime import catalogue_cache, current_catalogue, database, reset, run_blocking

__all__ = ["catalogue_cache", "current_catalogue", "database", "reset", "run_blocking"]
