"""Fixtures shared by the console test modules that work conversations over a real server
(test_console_queue.py, test_console_working.py): test_console.py's databases, stand-ins, world and
browsers, the Telegram stand-in, a clock the tests can freeze, and the server with both channels.

A module takes them by name: ``db, reader, twilio, rasa, world, browsers, telegram, clock, server =
console_fixtures.SHARED`` (pytest finds fixtures among a module's names).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Optional

import pytest
from aiohttp.test_utils import TestServer

import tests.test_console as console_tests
from bot.app.web.app import create_app
from bot.app.web.console import add_console
from bot.handoff.with_staff import set_with_staff
from bot.storage.tables import utcnow
from channels.registry import ChannelRegistry
from channels.telegram_api import TelegramSender, TelegramSettings
from channels.whatsapp_api import TwilioSettings, WhatsAppSender
from tests.standins import TelegramStandIn


class Clock:
    """The console's now: the real time unless a test sets ``frozen``."""

    def __init__(self) -> None:
        self.frozen: Optional[datetime] = None

    def __call__(self) -> datetime:
        return self.frozen or utcnow()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def telegram():
    standin = TelegramStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
async def server(world, twilio, telegram, rasa, catalogue, clock):
    """The web process with the console, writing through the WhatsApp and Telegram stand-ins."""
    app = create_app(world["db"], lambda: catalogue)
    channels = ChannelRegistry(
        [
            WhatsAppSender(TwilioSettings("ACprueba", "secreto", twilio.url)),
            TelegramSender(TelegramSettings({"angol": "222:ANGOL"}, "s", telegram.url)),
        ]
    )
    add_console(
        app,
        world["db"],
        world["reader"],
        channels,
        set_with_staff=partial(set_with_staff, rasa_url=rasa.url),
        catalogue_provider=lambda: catalogue,
        clock=clock,
    )
    async with TestServer(app) as test_server:
        yield test_server


SHARED = (
    console_tests.db,
    console_tests.reader,
    console_tests.twilio,
    console_tests.rasa,
    console_tests.world,
    console_tests.browsers,
    telegram,
    clock,
    server,
)
