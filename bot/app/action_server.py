"""The action server: rasa-sdk's app for ``actions/``, reachable only by our Rasa server.

rasa-sdk listens on 0.0.0.0 without authentication, and its ``/webhook`` runs any
action on any conversation it is told about. Ours listens on ``ACTIONS_HOST``
(127.0.0.1 unless set) and refuses every call but ``/health`` that lacks the
``X-Actions-Token`` header with ``ACTIONS_TOKEN`` (Rasa sends it: endpoints.yml).
Before it serves, it opens the database and applies pending migrations in a worker
thread, so no action waits for that on the event loop.

    python -m bot.app.action_server --port 5055
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request

from bot.config import settings

TOKEN_HEADER = "X-Actions-Token"
# Rasa sends the whole conversation on every call: more than the Rasa server's own cap
# (SANIC_REQUEST_MAX_SIZE, channels/limits.py), which would otherwise apply here too.
MAX_REQUEST_BYTES = 64 * 1024 * 1024
OPEN_PATHS = ("/health",)

logger = logging.getLogger(__name__)


def protect(app: Sanic, token: str) -> Sanic:
    """Refuse (401) every request but ``/health`` without the right token header."""
    if not token:
        raise ValueError("ACTIONS_TOKEN vacío: el action server no se inicia sin token")
    expected = token.encode()

    @app.middleware("request")
    async def require_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        presented = (request.headers.get(TOKEN_HEADER) or "").encode("utf-8", "replace")
        if not hmac.compare_digest(presented, expected):
            logger.warning("action server: llamada sin token válido desde %s a %s", request.ip, request.path)
            return response.json({"error": "token inválido"}, status=401)
        return None

    return app


def prepare_services() -> None:
    """Open the actions' database and migrate it (blocking); on failure the first action tries again."""
    from bot import runtime

    try:
        runtime.database()
    except Exception:
        logger.exception("action server: no se pudo abrir o migrar la base de datos al iniciar; se reintenta al usarla")


async def _prepare_services(app: Sanic, loop: Any) -> None:
    await asyncio.to_thread(prepare_services)


def build_app(token: str) -> Sanic:
    """The protected action server app for the ``actions`` package (services prepared before serving)."""
    app = create_app("actions", cors_origins=None)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    app.register_listener(_prepare_services, "before_server_start")
    return protect(app, token)


def main() -> None:
    """Run the action server on ACTIONS_HOST:--port with ACTIONS_TOKEN."""
    parser = argparse.ArgumentParser(description="action server del asistente")
    values = settings()
    parser.add_argument("--port", type=int, default=values.actions_port)
    parser.add_argument("--host", default=values.actions_host)
    args = parser.parse_args()
    utils.configure_colored_logging(values.actions_log_level)
    logging.getLogger(APPLICATION_ROOT_LOGGER_NAME).setLevel(values.actions_log_level)
    utils.update_sanic_log_level()
    app = build_app(values.actions_token)
    logger.info("action server en http://%s:%s", args.host, args.port)
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
