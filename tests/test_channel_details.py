"""Details of the channels a citizen notices: WhatsApp lists sent once; Telegram's "escribiendo…" during a
turn and the "📍 Compartir ubicación" button when a question asks where (through the Telegram stand-in)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from bot.answers.procedures import categories_list, category_procedures
from bot.answers.reply import ASKS_LOCATION_KEY
from bot.catalogue.catalogue import Catalogue
from bot.storage import db as _db  # noqa: F401 - the process database is set per test below
from channels.replies import ReplyOutput
from channels.telegram import TelegramOutput
from channels.telegram_api import SHARE_LOCATION, TelegramSender, TelegramSettings
from channels.whatsapp import WhatsAppOutput
from tests.standins import TelegramStandIn

CHAT = "telegram:penalolen:4242"


class Recorder:
    """A WhatsApp sender that keeps the bodies it would send."""

    def __init__(self) -> None:
        self.bodies: List[str] = []

    async def send_text(self, _to: str, text: str) -> None:
        self.bodies.append(text)


@pytest.fixture
def process_db(sqlite_db, monkeypatch):
    from bot import runtime

    monkeypatch.setenv("DATABASE_URL", sqlite_db.url)
    runtime.reset()
    yield sqlite_db
    runtime.reset()


def as_reply(reply: Any) -> Dict[str, Any]:
    return {"text": reply.text, "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons]}


async def test_whatsapp_sends_an_areas_procedures_once(process_db, catalogue: Catalogue):
    """On main the area's reply listed its procedures in the text and again as the numbered buttons."""
    town = catalogue.municipalities["penalolen"]
    offered = catalogue.procedures_for("penalolen")
    for reply in (category_procedures(town, offered, "Tránsito"), categories_list(town, offered)):
        sender = Recorder()
        await WhatsAppOutput(sender).deliver_one("whatsapp:+56229999999:+56911112222", as_reply(reply))  # type: ignore[arg-type]
        body = "\n".join(sender.bodies)
        assert len(sender.bodies) == 1
        for button in reply.buttons:
            assert body.count(button.title) == 1, (button.title, body)
        assert "1. " in body


@pytest.fixture
def telegram():
    standin = TelegramStandIn().start()
    yield standin
    standin.stop()


async def test_telegram_offers_to_share_the_location_when_asked_where(process_db, telegram):
    sender = TelegramSender(TelegramSettings({"penalolen": "111:PEN"}, "s", telegram.url))
    output = TelegramOutput(sender)
    try:
        await output.deliver_one(CHAT, {"text": "¿Dónde está el bache?", ASKS_LOCATION_KEY: True})
        await output.deliver_one(CHAT, {"text": "¿Cuéntanos cómo es el daño?"})
        await output.deliver_one(
            CHAT, {"text": "¿Dónde?", ASKS_LOCATION_KEY: True, "buttons": [{"title": "Sí", "payload": "sí"}]}
        )
    finally:
        await sender.close()
    sent = telegram.sent(4242)
    assert sent[0]["reply_markup"] == {
        "keyboard": [[{"text": SHARE_LOCATION, "request_location": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    assert sent[1]["reply_markup"] == {"remove_keyboard": True}  # the address typed: the button goes away
    assert "inline_keyboard" in sent[2]["reply_markup"]  # buttons win: one keyboard per message


async def test_rasa_passes_the_hint_to_the_output_and_other_channels_ignore_it():
    class Collect(ReplyOutput):
        async def deliver_one(self, recipient_id: str, reply: Dict[str, Any]) -> None:  # pragma: no cover
            raise AssertionError("collecting")

    output = Collect(collect=True)
    await output.send_response(CHAT, {"text": "¿Dónde está?", ASKS_LOCATION_KEY: True, "buttons": []})
    assert output.replies == [{"text": "¿Dónde está?", ASKS_LOCATION_KEY: True}]
    recorder = Recorder()
    await WhatsAppOutput(recorder).deliver_one("whatsapp:+56229999999:+56911112222", output.replies[0])  # type: ignore[arg-type]
    assert recorder.bodies == ["¿Dónde está?"]


async def test_telegram_typing_is_best_effort(telegram):
    sender = TelegramSender(TelegramSettings({"penalolen": "111:PEN"}, "s", telegram.url))
    try:
        await sender.send_typing(CHAT)
        telegram.fail_next(400)
        await sender.send_typing(CHAT)  # refused: nothing raised, the turn goes on
        await sender.send_typing("telegram:angol:1")  # no bot for Angol here
    finally:
        await sender.close()
    calls = telegram.matching(lambda r: r.get("method") == "sendChatAction")
    assert calls[0]["action"] == "typing" and str(calls[0]["chat_id"]) == "4242" and len(calls) == 2
