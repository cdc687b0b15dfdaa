"""The Rasa server as ``python -m bot run`` starts it: ``python -m bot.app.rasa_server run …`` = ``rasa run …``.

Same arguments and behaviour as ``rasa run``, with the measured speed-ups of
bot/rasa_internals/speedups.py applied first (``RASA_SPEEDUPS=0`` turns them off). Started as
worker ``RASA_WORKER`` of several, it shares its port with the others (bot/app/rasa_worker.py).
"""

from __future__ import annotations

import sys

from bot.config import settings


def main() -> None:
    """Run Rasa's command line with our log redaction and speed-ups in place."""
    from bot import log_safety

    log_safety.install()  # before Rasa logs anything: no tokens nor personal data in its log
    from bot.rasa_internals.speedups import apply_speedups  # refuses another Rasa version

    apply_speedups()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    values = settings()
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
