"""Starting the web process alone (``python -m bot web``) on a free port, over a prepared database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest

from bot.app.devtools.standins import free_port
from bot.config import PROJECT_ROOT


class WebProcess:
    """A running ``python -m bot web``: its base URL and process."""

    def __init__(self, database_url: str, var: Path, extra_env: Optional[Dict[str, str]] = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            PYTHONPATH=str(PROJECT_ROOT),
            DATABASE_URL=database_url,
            VAR_DIR=str(var),
            NOTIFY_DISABLED="1",
            TRACKER_DB=str(var / "rasa.db"),
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
        )
        env.update(extra_env or {})
        self.log = var / "web.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "web", "--port", str(self.port)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=open(self.log, "w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail("el proceso web terminó al iniciar:\n" + self.log.read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail("el proceso web no respondió a tiempo:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        """SIGTERM, and wait (killing what does not stop)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def web_process(database_url: str, var: Path, extra_env: Optional[Dict[str, str]] = None) -> Iterator[WebProcess]:
    """A generator for fixtures: the started process, stopped afterwards."""
    running = WebProcess(database_url, var, extra_env)
    try:
        yield running
    finally:
        running.stop()
