"""Local stand-ins of the Twilio and Telegram HTTP APIs: they live in bot/app/devtools/standins.py
(the benchmark uses them too); re-exported here for the tests."""

from bot.app.devtools.standins import StandIn, TelegramStandIn, TwilioStandIn, free_port  # noqa: F401
