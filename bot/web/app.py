"""The municipalities' web application: health check and back-office API.

``create_app`` assembles the parts: each part adds its own prefixed routes with an
``add_<part>(app, …)`` function (the API's bearer-token check is per route, so it does
not reach other parts), and the staff console can join with one more call. ``run_web``
serves it. Parts are not aiohttp sub-applications: see ``bot.web.backoffice``.
"""
from __future__ import annotations

import logging
from typing import Callable, Optional

from aiohttp import web

from bot.catalogue.catalogue import Catalogue
from bot.config import database_url
from bot.storage.catalogue_store import CatalogueCache
from bot.storage.db import Database
from bot.web.backoffice import add_backoffice
from bot.web.openapi import API_PREFIX

MAX_BODY_BYTES = 64 * 1024
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080

log = logging.getLogger(__name__)


async def health(_request: web.Request) -> web.Response:
    """GET /health: the process answers."""
    return web.json_response({"status": "ok"})


def create_app(db: Database, catalogue_provider: Optional[Callable[[], Catalogue]] = None) -> web.Application:
    """The web application over ``db``; ``catalogue_provider`` gives procedure names for citizens' notices."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)  # applies to every mounted part
    app.router.add_get("/health", health, name="health")
    add_backoffice(app, db, catalogue_provider)
    return app


def run_web(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve the web application on ``host:port`` until interrupted (``DATABASE_URL`` from the environment)."""
    db = Database(database_url())
    db.create_schema()
    catalogue = CatalogueCache(db)
    app = create_app(db, catalogue.get)

    async def close_database(_app: web.Application) -> None:
        db.dispose()

    app.on_cleanup.append(close_database)
    log.info("API de solicitudes en http://%s:%s%s", host, port, API_PREFIX)
    web.run_app(app, host=host, port=port)
