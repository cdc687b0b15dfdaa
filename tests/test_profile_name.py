"""The citizen's name on the channel (WhatsApp's ProfileName, Telegram's first_name) reaches the message
metadata the staff console's queue reads (``bot.message_metadata.PROFILE_NAME_KEY``)."""

from __future__ import annotations

from telegram import Update

import channels.whatsapp as whatsapp
from bot.message_metadata import PROFILE_NAME_KEY
from channels.telegram import TelegramInput
from channels.telegram_api import TelegramSettings
from channels.whatsapp import WhatsAppInput
from channels.whatsapp_api import TwilioSettings


async def test_whatsapp_keeps_the_profile_name(monkeypatch, catalogue):
    async def current():
        return catalogue

    monkeypatch.setattr(whatsapp, "current_catalogue", current)
    channel = WhatsAppInput(TwilioSettings("ACprueba", "secreto"))
    form = {"To": "whatsapp:+56924868000", "From": "whatsapp:+56911112222", "ProfileName": " Carla\n Rojas "}
    metadata = await channel._metadata(form)
    assert metadata == {"municipio": "penalolen", PROFILE_NAME_KEY: "Carla Rojas"}
    assert PROFILE_NAME_KEY not in await channel._metadata({**form, "ProfileName": "  "})


async def test_telegram_keeps_the_first_name():
    channel = TelegramInput(TelegramSettings({}))
    update = Update.de_json(
        {
            "update_id": 1,
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": {"id": 77, "type": "private"},
                "from": {"id": 77, "is_bot": False, "first_name": "Pedro"},
                "location": {"latitude": -33.48, "longitude": -70.55},
            },
        },
        None,
    )
    text, metadata = await channel._incoming(update, "penalolen", "telegram:penalolen:77", None)
    assert text == "ubicacion" and metadata[PROFILE_NAME_KEY] == "Pedro" and metadata["municipio"] == "penalolen"
