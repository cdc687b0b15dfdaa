"""Shared fixtures: the catalogue, databases, trackers and the trained model."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from bot.catalogue.catalogue import Catalogue
from bot.catalogue.files import load_catalogue
from bot.config import PROJECT_ROOT
from bot.storage.catalogue_store import load_catalogue_into
from bot.storage.db import Database

IN_CI = os.environ.get("CI", "").lower() == "true"
MODEL_PATH = PROJECT_ROOT / "models" / "asistente.tar.gz"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; in CI a missing service fails the run."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true y falta un servicio: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def own_var_dir(tmp_path_factory) -> Iterator[Path]:
    """Runtime files of code run in the test process (``VAR_DIR``: its default SQLite database, the
    joined voice model) go to a folder of this session, one per pytest-xdist worker: the tests never
    write the repository's var/, and two workers never share it."""
    with pytest.MonkeyPatch.context() as patch:
        var = tmp_path_factory.mktemp("var-de-la-sesion")
        patch.setenv("VAR_DIR", str(var))
        yield var


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The repository's catalogue, read from the files."""
    return load_catalogue(PROJECT_ROOT / "catalogue")


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """An empty SQLite database with our tables."""
    db = Database(f"sqlite:///{tmp_path / 'municipal.db'}")
    db.create_schema()
    yield db
    db.dispose()


POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_postgres(prefix: str, count: int = 1) -> Iterator[List[str]]:
    """URLs of ``count`` new, empty PostgreSQL databases on localhost, dropped afterwards."""
    from sqlalchemy import create_engine, text

    names = [f"{prefix}_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection problem means the service is missing
        require(False, f"PostgreSQL no disponible en {POSTGRES_ADMIN_URL}: {exc}")
    try:
        yield [POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}" for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def require_redis() -> None:
    """Fail (in CI) or skip (elsewhere) when Redis does not answer on localhost."""
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except Exception as exc:
        require(False, f"Redis no disponible: {exc}")


@pytest.fixture
def postgres_db() -> Iterator[Database]:
    """A fresh PostgreSQL database on localhost with our tables, dropped afterwards."""
    with fresh_postgres("municipal_test") as (url,):
        db = Database(url)
        db.create_schema()
        try:
            yield db
        finally:
            db.dispose()


@pytest.fixture(scope="module")
def standins():
    """Local stand-ins of the Twilio and Telegram APIs for one test module: ``(twilio, telegram)``."""
    from bot.app.devtools.standins import TelegramStandIn, TwilioStandIn

    twilio, telegram = TwilioStandIn().start(), TelegramStandIn().start()
    yield twilio, telegram
    twilio.stop()
    telegram.stop()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, standins):
    """The whole assistant (``python -m bot run``: Rasa, action server, web process) for one test module,
    its WhatsApp and Telegram channels pointed at the ``standins``."""
    from tests.assistant_process import start_assistant, stop_assistant
    from tests.channel_clients import channel_env

    twilio, telegram = standins
    running = start_assistant(tmp_path_factory.mktemp("var"), channel_env(twilio, telegram))
    yield running
    stop_assistant(running)


@pytest.fixture
def loaded_services(sqlite_db: Database, catalogue: Catalogue, monkeypatch) -> Database:
    """The action server's services pointed at a database with the catalogue loaded."""
    from actions import services

    load_catalogue_into(sqlite_db, catalogue, "tests")
    monkeypatch.setenv("DATABASE_URL", sqlite_db.url)
    monkeypatch.delenv("DEFAULT_MUNICIPIO", raising=False)
    services.reset()
    yield sqlite_db
    services.reset()


def user_event(
    text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None, metadata: Optional[Dict[str, Any]] = None
) -> Dict[str, Any]:
    """A tracker ``user`` event as Rasa sends it to the action server."""
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.99}, "entities": entities or [], "text": text},
        "metadata": metadata or {},
    }


def make_tracker(
    text: str,
    intent: str,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    sender: str = "vecino-test",
):
    """A rasa-sdk ``Tracker`` whose latest message is ``text`` with ``intent`` and ``entities``."""
    from rasa_sdk import Tracker

    latest = user_event(text, intent, entities, metadata)
    history = list(events or []) + [latest]
    return Tracker(
        sender_id=sender,
        slots=dict(slots or {}),
        latest_message={**latest["parse_data"], "metadata": latest["metadata"]},
        events=history,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def ent(name: str, value: str) -> Dict[str, Any]:
    """A minimal entity dictionary."""
    return {"entity": name, "value": value, "start": 0, "end": 0}


@pytest.fixture(scope="session")
def nlu_agent(tmp_path_factory):
    """The trained model (``make train``), loaded once for the NLU tests."""
    if not MODEL_PATH.exists():
        pytest.fail(f"No hay modelo entrenado en {MODEL_PATH}: ejecuta 'make train' (make test lo hace).")
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    # The model as trained: no database catalogue to follow (bot/nlu/live_catalogue.py).
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('sin-catalogo') / 'municipal.db'}"
    try:
        return Agent.load(str(MODEL_PATH))
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL")
        else:
            os.environ["DATABASE_URL"] = previous
