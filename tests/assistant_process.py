"""Starting the whole assistant (``python -m bot run``) on free ports for end-to-end tests.

The same start as the benchmark's (bot/app/devtools/processes.py), as a dictionary for the tests:
``base`` (Rasa's URL), ``process`` (the launcher), ``env`` and ``var``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from bot.app.devtools import processes
from tests.conftest import MODEL_PATH


def start_assistant(var: Path, extra_env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Start the assistant with its data in ``var``; fails the test if it does not come up."""
    if not MODEL_PATH.exists():
        pytest.fail("No hay modelo entrenado: ejecuta 'make train'.")
    try:
        running = processes.start_assistant(var, None, extra_env)
    except RuntimeError as exc:
        pytest.fail(f"el asistente no inició: {exc}")
    return {"base": running.base, "process": running.process, "env": running.env, "var": var, "running": running}


def stop_assistant(assistant: Dict[str, Any]) -> None:
    """SIGTERM, as Ctrl-C would, and wait (killing what does not stop)."""
    assistant["running"].stop()
