"""The launcher's settings: tokens made when the operator set none, refusals when a port would be exposed."""

import socket
import stat
import subprocess
import sys

import pytest

from bot.app.launcher import Child, UnsafeSettings, embedded_environment
from bot.config import PROJECT_ROOT
from channels.rest import parse_tokens


def test_tokens_are_made_once_and_kept_private(tmp_path):
    first = embedded_environment({"VAR_DIR": str(tmp_path)})
    again = embedded_environment({"VAR_DIR": str(tmp_path)})
    for name in ("RASA_API_TOKEN", "ACTIONS_TOKEN", "REST_CHANNEL_TOKENS"):
        assert first[name] and first[name] == again[name]
    assert len(first["RASA_API_TOKEN"]) >= 32 and first["RASA_API_TOKEN"] != first["ACTIONS_TOKEN"]
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    assert [i.name for i in parse_tokens(first["REST_CHANNEL_TOKENS"]).values()] == ["local"]
    other = embedded_environment({"VAR_DIR": str(tmp_path / "otra")})
    assert other["RASA_API_TOKEN"] != first["RASA_API_TOKEN"]


def test_the_operators_values_win(tmp_path):
    env = embedded_environment(
        {
            "VAR_DIR": str(tmp_path),
            "RASA_API_TOKEN": "elegido-por-ti-1234567890",
            "REST_CHANNEL_TOKENS": "off",
            "RASA_HOST": "0.0.0.0",
            "ACTIONS_HOST": "10.0.0.5",
            "ACTIONS_TOKEN": "otro-elegido-1234567890",
        }
    )
    assert env["RASA_API_TOKEN"] == "elegido-por-ti-1234567890" and parse_tokens(env["REST_CHANNEL_TOKENS"]) == {}
    assert env["ACTION_ENDPOINT_URL"] == "http://10.0.0.5:5055/webhook"


@pytest.mark.parametrize("host, token", [("RASA_HOST", "RASA_API_TOKEN"), ("ACTIONS_HOST", "ACTIONS_TOKEN")])
def test_an_exposed_port_needs_a_chosen_token(tmp_path, host, token):
    with pytest.raises(UnsafeSettings, match=token):
        embedded_environment({"VAR_DIR": str(tmp_path), host: "0.0.0.0"})
    assert embedded_environment({"VAR_DIR": str(tmp_path), host: "127.0.0.1"})[token]


@pytest.mark.parametrize("text", ["a=corto", "Mayus=1234567890123456", "a@Angol=1234567890123456", "=1234567890123456"])
def test_malformed_rest_tokens_are_refused(text):
    with pytest.raises(ValueError):
        parse_tokens(text)


def test_restart_waits_grow_for_a_process_that_keeps_dying():
    child = Child("x", ["true"], "http://127.0.0.1:1/", 1)
    waits = []
    for failures in range(1, 8):
        child.failures = failures
        waits.append(child.backoff())
    assert waits == [1, 2, 4, 8, 16, 30, 30]


def test_several_rasa_workers_refuse_a_port_another_server_listens_on(tmp_path):
    # The workers share their port (SO_REUSEPORT): a forgotten server there must not get half the messages.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(PROJECT_ROOT),
            "VAR_DIR": str(tmp_path),
            "RASA_WORKERS": "2",
            "RASA_PORT": str(taken.getsockname()[1]),
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 2
    assert f"el puerto {env['RASA_PORT']} de Rasa ya está en uso" in done.stderr
