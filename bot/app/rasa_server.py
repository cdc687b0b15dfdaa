"""The Rasa server as ``python -m bot run`` starts it: ``python -m bot.app.rasa_server run …`` = ``rasa run …``.

Same arguments and behaviour as ``rasa run``, with the measured speed-ups of
bot/rasa_internals/speedups.py applied first (``RASA_SPEEDUPS=0`` turns them off), without
TensorFlow when the model uses none (bot/rasa_internals/without_tensorflow.py), and running the
custom actions of ``actions/`` in this process unless ``ACTIONS_IN_PROCESS=0``
(bot/rasa_internals/in_process_actions.py). Started as
worker ``RASA_WORKER`` of several, it shares its port with the others (bot/app/rasa_worker.py).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

from bot.config import settings


def served_model(argv: List[str]) -> Optional[Path]:
    """The model archive ``rasa run`` will load: ``--model`` (a file, or its newest archive), else ``models/``."""
    given = "models"
    for index, argument in enumerate(argv):
        if argument in ("--model", "-m") and index + 1 < len(argv):
            given = argv[index + 1]
        elif argument.startswith("--model="):
            given = argument.split("=", 1)[1]
    path = Path(given)
    if path.is_dir():
        archives = sorted(path.glob("*.tar.gz"), key=lambda archive: archive.stat().st_mtime)
        return archives[-1] if archives else None
    return path if path.is_file() else None


ACTIONS_PACKAGE = "actions"


def run_actions_here(log_level: str) -> None:
    """Serve ``actions/`` inside this process (bot/rasa_internals/in_process_actions.py), logging at ``log_level``."""
    import logging

    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME

    from bot.rasa_internals.in_process_actions import run_actions_in_process

    logging.getLogger(APPLICATION_ROOT_LOGGER_NAME).setLevel(log_level)
    run_actions_in_process(ACTIONS_PACKAGE)


def main() -> None:
    """Run Rasa's command line with our log redaction and speed-ups in place."""
    from bot import log_safety

    log_safety.install()  # before Rasa logs anything: no tokens nor personal data in its log
    if settings().rasa_without_tensorflow:
        from bot.rasa_internals.without_tensorflow import install_if_unused

        install_if_unused(served_model(sys.argv[1:]))  # before Rasa imports anything
    from bot.rasa_internals.speedups import apply_speedups  # refuses another Rasa version

    apply_speedups()
    values = settings()
    if values.actions_in_process and sys.argv[1:2] == ["run"]:
        run_actions_here(values.actions_log_level)
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    if values.rasa_worker:
        from bot.app.rasa_worker import serve_on_shared_port

        serve_on_shared_port(values.rasa_worker, values.var_path)
    token = values.rasa_api_token
    if sys.argv[1:2] == ["run"] and token and "--auth-token" not in sys.argv:
        # From the environment, so the token never shows in the process list.
        sys.argv.append(f"--auth-token={token}")  # "=": a token may start with "-"
    rasa_main()


if __name__ == "__main__":
    main()
