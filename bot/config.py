"""Settings from environment variables, with the embedded defaults of ``make run``.

| variable | default | meaning |
|---|---|---|
| ``DATABASE_URL`` | ``sqlite:///var/municipal.db`` | our tables (requests, catalogue, handoffs) |
| ``CATALOGUE_DIR`` | ``./catalogue`` | catalogue data folder |
| ``DEFAULT_MUNICIPIO`` | empty | municipality for channels that do not say (single-municipality deployments) |
| ``TZ_MUNICIPAL`` | ``America/Santiago`` | time zone of office hours |
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def catalogue_dir() -> Path:
    """The catalogue data folder."""
    return Path(os.environ.get("CATALOGUE_DIR") or PROJECT_ROOT / "catalogue")


def var_dir() -> Path:
    """Where runtime files (SQLite databases, logs) go by default."""
    path = Path(os.environ.get("VAR_DIR") or PROJECT_ROOT / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """SQLAlchemy URL of our own tables."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir() / 'municipal.db'}"


def default_municipality() -> str | None:
    """The municipality slug used when the channel does not tell (or ``None``)."""
    return os.environ.get("DEFAULT_MUNICIPIO") or None


def timezone_name() -> str:
    """Time zone of the municipalities' office hours."""
    return os.environ.get("TZ_MUNICIPAL") or "America/Santiago"
