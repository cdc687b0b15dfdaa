"""The municipalities' web application: health check and back-office API.

``create_app`` assembles the parts: each part adds its own prefixed routes with an
``add_<part>(app, …)`` function (the API's bearer-token check is per route, so it does
not reach other parts), and the staff console can join with one more call. ``run_web``
serves it. Parts are not aiohttp sub-applications: see ``bot.app.web.backoffice``.

Given a ``Notifier``, the application also runs it in the background (citizens' notices
of status changes) from startup to cleanup.
"""

from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator, Callable, Optional

from aiohttp import web

from bot.app.notifications import Notifier, notifier_from_env
from bot.app.web.backoffice import add_backoffice
from bot.app.web.console import add_console
from bot.app.web.openapi import API_PREFIX
from bot.catalogue.catalogue import Catalogue
from bot.config import database_url, settings
from bot.handoff.transcript import TranscriptReader, tracker_url
from bot.storage.catalogue_store import CatalogueCache
from bot.storage.db import Database
from channels.media import MediaFetcher
from channels.registry import ChannelRegistry

MAX_BODY_BYTES = 64 * 1024
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
NOTIFIER_STOP_SECONDS = 15  # a send in progress may finish; then the worker is cancelled

NOTIFIER_KEY = web.AppKey("notifier", Notifier)

log = logging.getLogger(__name__)


async def health(_request: web.Request) -> web.Response:
    """GET /health: the process answers."""
    return web.json_response({"status": "ok"})


def _notifier_worker(notifier: Notifier) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context: ``notifier.run_forever`` from startup, stopped and closed on cleanup."""

    async def worker(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(notifier.run_forever(stop), name="notifier")
        yield
        stop.set()
        try:
            await asyncio.wait_for(task, NOTIFIER_STOP_SECONDS)  # cancels it when the time is up
        except asyncio.TimeoutError:
            log.warning("el envío de avisos no terminó a tiempo; se retomará al volver a iniciar")
        except Exception:
            log.exception("el envío de avisos terminó con un error")
        finally:
            await notifier.close()

    return worker


def create_app(
    db: Database,
    catalogue_provider: Optional[Callable[[], Catalogue]] = None,
    notifier: Optional[Notifier] = None,
    media: Optional[MediaFetcher] = None,
) -> web.Application:
    """The web application over ``db``; ``catalogue_provider`` gives procedure names for citizens' notices;
    ``media`` fetches the photos sent with requests (default: from the environment).

    With a ``notifier``, it sends the queued notices in the background while the application runs.
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES)  # applies to every mounted part
    app.router.add_get("/health", health, name="health")
    add_backoffice(app, db, catalogue_provider, media)
    if notifier is not None:
        app[NOTIFIER_KEY] = notifier
        app.cleanup_ctx.append(_notifier_worker(notifier))
    return app


def run_web(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve the web application on ``host:port`` until interrupted (``DATABASE_URL`` from the environment)."""
    db = Database(database_url())
    db.create_schema()
    catalogue = CatalogueCache(db)
    notifier = None
    if not settings().notify_disabled:
        notifier = notifier_from_env(db)
        if not notifier.has_channels:
            log.warning("sin WhatsApp ni Telegram configurados: los avisos de cambio de estado quedan pendientes")
            notifier = None
    app = create_app(db, catalogue.get, notifier)
    add_console(app, db, TranscriptReader(tracker_url()), ChannelRegistry.from_env(), catalogue_provider=catalogue.get)

    async def close_database(_app: web.Application) -> None:
        db.dispose()

    app.on_cleanup.append(close_database)  # type: ignore[arg-type]  # aiohttp 3.8 types Signal wrongly
    log.info("API de solicitudes en http://%s:%s%s", host, port, API_PREFIX)
    log.info("consola de funcionarios en http://%s:%s/consola", host, port)
    web.run_app(app, host=host, port=port)
