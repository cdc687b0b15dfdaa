"""Staff replies reach the citizen through the adapter of the conversation's channel (channels/registry.py)."""

import asyncio

import pytest

from bot.conversation_id import ConversationId
from channels.adapter import ChannelAdapter, NotDeliverable
from channels.registry import ChannelRegistry
from channels.telegram_api import TelegramSender, TelegramSettings
from channels.whatsapp_api import TwilioSettings, WhatsAppSender


def test_staff_reply_goes_out_on_whatsapp_and_telegram_and_not_on_rest(standins):
    twilio, telegram = standins

    async def scenario():
        channels = ChannelRegistry(
            [
                WhatsAppSender(TwilioSettings("ACx", "tok", twilio.url)),
                TelegramSender(TelegramSettings({"angol": "222:ANGOL"}, "s", telegram.url)),
            ]
        )
        await channels.send_text("whatsapp:+56945299050:+56987654321", "Hola, soy Ana de la municipalidad.")
        await channels.send_text(ConversationId.telegram("angol", 4242), "Hola, soy Pedro de la municipalidad.")
        with pytest.raises(NotDeliverable, match="rest no permite"):
            await channels.send_text("rest:local:vecino-1", "no llega")
        with pytest.raises(NotDeliverable, match="no hay bot de Telegram configurado para santiago"):
            await channels.send_text("telegram:santiago:5", "no llega")
        with pytest.raises(NotDeliverable):
            await channels.send_text("vecino-rest", "no llega")
        await channels.close()

    asyncio.run(scenario())
    assert twilio.bodies_to("+56987654321") == ["Hola, soy Ana de la municipalidad."]
    assert twilio.matching(lambda r: r.get("To") == "whatsapp:+56987654321")[0]["From"] == "whatsapp:+56945299050"
    [sent] = telegram.sent(4242)
    assert sent["text"] == "Hola, soy Pedro de la municipalidad." and sent["token"] == "222:ANGOL"


def test_unconfigured_channel_is_not_deliverable_and_says_what_is_missing():
    async def scenario():
        with pytest.raises(NotDeliverable, match="TWILIO_ACCOUNT_SID"):
            await ChannelRegistry().send_text("whatsapp:+56945299050:+56987654321", "x")

    asyncio.run(scenario())


def test_both_senders_are_channel_adapters():
    whatsapp = WhatsAppSender(TwilioSettings("ACx", "tok"))
    telegram = TelegramSender(TelegramSettings({"angol": "1:A"}, "s"))
    assert isinstance(whatsapp, ChannelAdapter) and isinstance(telegram, ChannelAdapter)
    assert (whatsapp.channel, whatsapp.service_window) == ("whatsapp", True)
    assert (telegram.channel, telegram.service_window) == ("telegram", False)


def test_a_file_goes_out_on_whatsapp_and_telegram_and_not_on_rest(standins):
    twilio, telegram = standins
    url = "https://municipalidad.ejemplo.cl/archivos/certificado.pdf"

    async def scenario():
        channels = ChannelRegistry(
            [
                WhatsAppSender(TwilioSettings("ACx", "tok", twilio.url)),
                TelegramSender(TelegramSettings({"angol": "222:ANGOL"}, "s", telegram.url)),
            ]
        )
        await channels.send_media("whatsapp:+56945299050:+56911112222", url, "Tu certificado")
        await channels.send_media("telegram:angol:4343", url, "Tu certificado")
        with pytest.raises(NotDeliverable):
            await channels.send_media("rest:local:vecino-1", url)
        await channels.close()

    asyncio.run(scenario())
    [whatsapp] = twilio.matching(lambda r: r.get("To") == "whatsapp:+56911112222" and "sid" in r)
    assert whatsapp["MediaUrl"] == url and whatsapp["Body"] == "Tu certificado"
    [document] = telegram.matching(lambda r: r.get("method") == "sendDocument")
    assert (
        document["document"] == url and document["caption"] == "Tu certificado" and str(document["chat_id"]) == "4343"
    )
