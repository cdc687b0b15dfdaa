"""Starting the whole assistant (``python -m bot run``) on free ports for end-to-end tests."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from bot.config import PROJECT_ROOT
from bot.launcher import wait_until_up
from tests.conftest import MODEL_PATH
from tests.standins import free_port


def start_assistant(var: Path, extra_env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Start the assistant with its data in ``var``; fails the test if it does not come up."""
    if not MODEL_PATH.exists():
        pytest.fail("No hay modelo entrenado: ejecuta 'make train'.")
    env = dict(os.environ, VAR_DIR=str(var), RASA_PORT=str(free_port()), ACTIONS_PORT=str(free_port()),
               WEB_PORT=str(free_port()), PYTHONPATH=str(PROJECT_ROOT), RASA_TELEMETRY_ENABLED="false",
               DATABASE_URL="", TRACKER_DB="", ACTION_ENDPOINT_URL="")
    env.pop("DEFAULT_MUNICIPIO", None)
    env.update(extra_env or {})
    log = open(var / "assistant.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=PROJECT_ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['RASA_PORT']}"
    try:
        wait_until_up(base + "/", process, timeout=300)
    except Exception:
        process.kill()
        pytest.fail("el asistente no inició:\n" + (var / "assistant.log").read_text()[-3000:])
    return {"base": base, "process": process, "env": env, "var": var}


def stop_assistant(assistant: Dict[str, Any]) -> None:
    """SIGTERM, as Ctrl-C would, and wait."""
    process = assistant["process"]
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
