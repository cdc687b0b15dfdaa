"""The command line an IT team uses: tokens, staff accounts, retention, deletion, catalogue."""

import pytest

from bot.app.cli import main
from bot.storage.db import Database
from bot.storage.tokens import municipality_for_token


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'municipal.db'}")
    monkeypatch.setenv("TRACKER_DB_DIALECT", "sqlite")
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("CONSOLE_PASSWORD", "una-clave-bien-larga-2026")
    return tmp_path


def test_token_create_and_revoke(env, capsys):
    assert main(["token", "create", "angol", "sistema-oirs"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    db = Database(f"sqlite:///{env / 'municipal.db'}")
    assert municipality_for_token(db, token) == ("angol", "sistema-oirs")
    assert main(["token", "revoke", "angol", "sistema-oirs"]) == 0
    assert municipality_for_token(db, token) is None
    assert main(["token", "create", "narnia", "x"]) == 1
    assert "municipalidad desconocida" in capsys.readouterr().err


def test_first_admin_only_once_and_unknown_municipality(env, capsys):
    assert main(["staff", "create", "angol", "jefa", "Jefa Angol", "--rol", "admin", "--primero"]) == 0
    assert main(["staff", "create", "angol", "otra", "Otra Jefa", "--rol", "admin", "--primero"]) == 1
    assert main(["staff", "create", "narnia", "x", "X"]) == 1


def test_retention_and_forget_run(env, capsys):
    assert main(["retention", "--dias", "30"]) == 0
    assert "30 días" in capsys.readouterr().out
    assert main(["forget", "whatsapp:+56924868000:+56987654321"]) == 0


def test_catalogue_load_is_idempotent(env, capsys):
    assert main(["catalogue", "load"]) == 0
    assert "cargado" in capsys.readouterr().out
    assert main(["catalogue", "load"]) == 0
    assert "sin cambios" in capsys.readouterr().out
