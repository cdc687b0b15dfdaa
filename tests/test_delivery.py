"""Staff replies and hand-backs reach the citizen through each channel's own sending code."""
import asyncio

import pytest

from bot.handoff.delivery import Delivery, NotDeliverable
from channels.telegram_api import TelegramSender, TelegramSettings
from channels.whatsapp_api import TwilioSettings, WhatsAppSender

def test_staff_reply_goes_out_on_whatsapp_and_telegram_and_not_on_rest(standins):
    twilio, telegram = standins

    async def scenario():
        delivery = Delivery(WhatsAppSender(TwilioSettings("ACx", "tok", twilio.url)),
                            TelegramSender(TelegramSettings({"angol": "222:ANGOL"}, "s", telegram.url)))
        await delivery.send("whatsapp:+56945299050:+56987654321", "Hola, soy Ana de la municipalidad.")
        await delivery.send("telegram:angol:4242", "Hola, soy Pedro de la municipalidad.")
        with pytest.raises(NotDeliverable):
            await delivery.send("vecino-rest", "no llega")
        await delivery.close()

    asyncio.run(scenario())
    assert twilio.bodies_to("+56987654321") == ["Hola, soy Ana de la municipalidad."]
    assert twilio.matching(lambda r: r.get("To") == "whatsapp:+56987654321")[0]["From"] == "whatsapp:+56945299050"
    [sent] = telegram.sent(4242)
    assert sent["text"] == "Hola, soy Pedro de la municipalidad." and sent["token"] == "222:ANGOL"


def test_unconfigured_channel_is_not_deliverable():
    async def scenario():
        with pytest.raises(NotDeliverable):
            await Delivery().send("whatsapp:+56945299050:+56987654321", "x")

    asyncio.run(scenario())
