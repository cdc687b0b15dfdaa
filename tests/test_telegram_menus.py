"""Telegram menus on their own (no Rasa): the callback data format, and what is current after
each kind of reply (channels/menus.py). Through the real webhooks: tests/test_channels_e2e.py."""

from typing import Any, Dict, List, Optional

import pytest
from sqlalchemy import select

from bot import runtime
from bot.answers.channel import APOLOGY, MEDIA_REPLIES, STALE_BUTTON
from bot.storage.tables import ChannelButtonsRow
from channels.menus import Question, forget_menu, pending_question
from channels.telegram import TelegramOutput
from channels.telegram_api import MAX_MENU_ID, Press, callback_data, keyboard, parse_callback_data

CHAT = "telegram:angol:4242"
YES_NO = [{"title": "Sí", "payload": "/afirmar"}, {"title": "No", "payload": "/negar"}]
FIELDS = [
    {"title": "Nombre", "payload": '/elegir{"campo": "nombre"}'},
    {"title": "Dirección", "payload": '/elegir{"campo": "direccion"}'},
]


# ---------- callback data ------------------------------------------------------------------


def test_callback_data_names_the_menu_and_the_button():
    assert callback_data(7, 2) == "m7.2"
    assert parse_callback_data("m7.2") == Press(7, 2)
    assert parse_callback_data(callback_data(MAX_MENU_ID, 99)) == Press(MAX_MENU_ID, 99)
    assert len(callback_data(MAX_MENU_ID, 99).encode()) <= 64  # Telegram's limit


@pytest.mark.parametrize(
    "data",
    [
        "",
        "b1",
        "b2",
        "b²",
        "m",
        "m1",
        "m1.",
        "m.1",
        "m0.1",
        "m1.0",
        "m01.1",
        "m1.01",
        "m1.100",
        "m1.1.1",
        "m-1.1",
        "m 1.1",
        "m1.1 ",
        "m1.1\n",
        "M1.1",
        "m².1",
        "m1.²",
        "m١.١",
        "m1234567890.1",
        "m" + "9" * 5000 + ".1",
    ],
)
def test_anything_else_is_not_a_press(data):
    assert parse_callback_data(data) is None


def test_the_keyboard_carries_its_menu_in_every_button():
    markup = keyboard(YES_NO, 12)
    assert [[b.text, b.callback_data] for row in markup.inline_keyboard for b in row] == [
        ["Sí", "m12.1"],
        ["No", "m12.2"],
    ]
    assert keyboard([], 12) is None


def test_a_press_is_a_payload_only_for_the_current_menu():
    question = Question("¿Confirmas?", 3, YES_NO)
    assert question.payload("m3.1") == "/afirmar" and question.payload("m3.2") == "/negar"
    assert question.payload("m2.1") is None  # an older message
    assert question.payload("m3.3") is None and question.payload("b1") is None
    assert Question("¿Cuál es tu dirección?").payload("m3.1") is None  # no current menu


# ---------- what is current ----------------------------------------------------------------


class FakeSender:
    """Records what TelegramOutput sends, with each message's menu id."""

    def __init__(self) -> None:
        self.sent: List[Dict[str, Any]] = []

    async def send_text(
        self,
        sender_id: str,
        text: str,
        buttons: Optional[List[Dict[str, Any]]] = None,
        menu: Optional[int] = None,
        share_location: bool = False,
    ) -> None:
        self.sent.append(
            {
                "text": text,
                "buttons": [b["title"] for b in buttons or []],
                "data": [callback_data(menu, i) for i in range(1, len(buttons or []) + 1)],
                **({"share_location": True} if share_location else {}),
            }
        )


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, monkeypatch):
    """The process's database (bot.runtime) on SQLite, and on PostgreSQL where rows are locked."""
    database = request.getfixturevalue(f"{request.param}_db")
    monkeypatch.setenv("DATABASE_URL", database.url)
    runtime.reset()
    yield database
    runtime.reset()


@pytest.fixture
def output(db):
    sender = FakeSender()
    telegram = TelegramOutput(sender)  # type: ignore[arg-type]
    telegram.sender = sender
    return telegram


async def turn(output, *replies):
    """The citizen wrote (the menu is forgotten), and the assistant answered ``replies``."""
    await forget_menu(CHAT)
    await output.deliver(CHAT, list(replies))


async def stale(output):
    """What a press of an old button sends (as the webhook does)."""
    before = len(output.sender.sent)
    collecting = TelegramOutput(output.sender, collect=True)
    await collecting.send_stale_button(CHAT, await pending_question(CHAT))
    await collecting.deliver(CHAT, collecting.replies)
    return output.sender.sent[before:]


async def test_each_message_with_buttons_is_a_new_menu_and_the_last_one_is_current(output):
    await turn(output, {"text": "Revisa tu solicitud", "buttons": YES_NO})
    await turn(output, {"text": "Listo."}, {"text": "¿Qué dato quieres corregir?", "buttons": FIELDS})
    assert [m["data"] for m in output.sender.sent] == [["m1.1", "m1.2"], [], ["m2.1", "m2.2"]]
    question = await pending_question(CHAT)
    assert (question.text, question.menu) == ("¿Qué dato quieres corregir?", 2)
    assert question.payload("m2.2") == '/elegir{"campo": "direccion"}' and question.payload("m1.1") is None


async def test_an_old_button_gets_the_note_and_the_current_menu_again_under_its_id(output):
    await turn(output, {"text": "Revisa tu solicitud", "buttons": YES_NO})
    await turn(output, {"text": "¿Qué dato quieres corregir?", "buttons": FIELDS})
    assert await stale(output) == [
        {"text": STALE_BUTTON, "buttons": [], "data": []},
        {"text": "¿Qué dato quieres corregir?", "buttons": ["Nombre", "Dirección"], "data": ["m2.1", "m2.2"]},
    ]
    question = await pending_question(CHAT)  # re-sending opened no menu
    assert question.menu == 2 and question.payload("m2.1") == '/elegir{"campo": "nombre"}'


async def test_text_after_the_menu_in_the_same_turn_keeps_it_current(output):
    await turn(output, {"text": "¿Te sirvió?", "buttons": YES_NO}, {"text": "También puedes escribirme."})
    question = await pending_question(CHAT)
    assert (question.text, question.menu) == ("¿Te sirvió?", 1)


async def test_a_turn_without_buttons_leaves_no_menu_and_its_last_message_is_the_question(output):
    await turn(output, {"text": "¿Qué dato quieres corregir?", "buttons": FIELDS})
    await turn(output, {"text": "Bien."}, {"text": "¿Cuál es la nueva dirección?"})
    question = await pending_question(CHAT)
    assert (question.text, question.menu, question.payload("m1.2")) == ("¿Cuál es la nueva dirección?", 0, None)
    assert await stale(output) == [
        {"text": STALE_BUTTON, "buttons": [], "data": []},
        {"text": "¿Cuál es la nueva dirección?", "buttons": [], "data": []},
    ]
    assert (await pending_question(CHAT)).text == "¿Cuál es la nueva dirección?"


async def test_notes_and_the_apology_are_not_the_question(output):
    await turn(output, {"text": "¿Cuál es tu nombre?"})
    collecting = TelegramOutput(output.sender, collect=True)
    await collecting.send_note(CHAT, MEDIA_REPLIES["audio"])
    await collecting.deliver(CHAT, collecting.replies)
    await turn(output, {"text": APOLOGY})
    assert (await pending_question(CHAT)).text == "¿Cuál es tu nombre?"


async def test_a_new_chat_has_no_question_and_gets_only_the_note(output):
    assert await pending_question(CHAT) is None
    assert await stale(output) == [{"text": STALE_BUTTON, "buttons": [], "data": []}]


async def test_rows_of_the_old_format_have_no_current_menu(output, db):
    with db.session() as session:  # as migration 0005 leaves them
        session.add(ChannelButtonsRow(sender_id=CHAT, buttons=YES_NO, menu_id=0, question=None))
    assert await pending_question(CHAT) is None
    await turn(output, {"text": "¿Confirmas?", "buttons": YES_NO})
    assert (await pending_question(CHAT)).menu == 1


async def test_menu_ids_start_again_after_the_largest(output, db):
    with db.session() as session:
        session.add(ChannelButtonsRow(sender_id=CHAT, buttons=[], menu_id=MAX_MENU_ID))
    await turn(output, {"text": "¿Confirmas?", "buttons": YES_NO})
    assert output.sender.sent[-1]["data"] == ["m1.1", "m1.2"]
    with db.session() as session:
        assert session.execute(select(ChannelButtonsRow.menu_id)).scalar_one() == 1
