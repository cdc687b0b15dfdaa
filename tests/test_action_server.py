"""The action server opens and migrates its database before serving, off the event loop, and a
database that is not there yet at start-up is tried again later."""

import threading

import pytest
from sanic import Sanic

from bot import runtime
from bot.app import action_server
from bot.storage import migrate


@pytest.fixture
def services(tmp_path, monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)  # one app per test in this process
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'municipal.db'}")
    runtime.reset()
    yield tmp_path
    runtime.reset()


async def test_the_database_is_migrated_in_a_worker_thread_before_serving(services, monkeypatch):
    threads = []
    real = runtime.database
    monkeypatch.setattr(runtime, "database", lambda: threads.append(threading.current_thread()) or real())
    app = action_server.build_app("secreto")
    server = await app.create_server(host="127.0.0.1", port=0, return_asyncio_server=True)
    try:
        await server.startup()
        await server.before_start()
        assert threads and all(t is not threading.main_thread() for t in threads)
        assert migrate.current_revision(real()) is not None
    finally:
        server.close()
        await server.wait_closed()


def test_a_database_missing_at_start_up_is_migrated_when_it_appears(services, monkeypatch, caplog):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{services / 'todavia-no' / 'municipal.db'}")
    action_server.prepare_services()  # logged, not raised: the action server still starts
    assert "no se pudo abrir o migrar la base de datos" in caplog.text
    (services / "todavia-no").mkdir()
    db = runtime.database()
    assert migrate.current_revision(db) is not None
