"""Telegram menus: a button always means what its own message offered.

Each message sent to a Telegram chat with buttons is a *menu* with its own id, counted per chat
(1, 2, 3…), and its buttons' callback data is ``m<menu>.<n>`` (``channels/telegram_api.py``).
Per chat the table ``channel_buttons`` keeps the id of the last menu sent (``menu_id``), the
buttons of the current menu (``buttons``, empty when there is none) and the citizen's pending
question (``question``), so this survives restarts and works with several replicas.

What is current:

- The *current menu* is the last message with buttons the assistant sent in its latest turn.
  Any message of the citizen that reaches the assistant (typed text, a shared location, a button
  passed on) forgets it: the turn that answers decides what is current next. A turn that sends
  no buttons (a free-text question, say) therefore leaves no current menu, and every old button
  is stale. Messages without buttons after the menu in the same turn (a note below the options)
  do not end it: its options are still what the assistant asked for.
- The *pending question* is the current menu's text; with no current menu, the last message the
  assistant sent in its latest turn. The channel's own notes (a stale button, a voice note, a cut
  message) and the apology for a failed turn are not questions and change nothing.

A press of the current menu is its button's payload, as if the citizen had chosen it. Any other
press (a button of an older message, the ``b<N>`` data of the messages sent before menus
existed, malformed data) gets ``STALE_BUTTON`` and then the pending question again: the current
menu re-sent with its buttons under the same id (so both the new copy and the one above work),
or the question's text alone when there is no current menu, or nothing more when there is no
question at all (a new chat). Such a press never reaches the assistant.

WhatsApp has no messages to tell apart: there numbers and titles map to the last list the
citizen got (``channels/common.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from sqlalchemy.orm import Session

from bot.answers.channel import APOLOGY
from bot.runtime import database, run_blocking
from bot.storage.db import Database
from bot.storage.tables import ChannelButtonsRow
from channels.telegram_api import MAX_MENU_ID, parse_callback_data

if TYPE_CHECKING:  # only a type here: the web process sends menus without importing Rasa
    from channels.replies import Reply

NOTE_KEY = "nota"  # a reply made by the channel, not by the assistant: never the pending question
MENU_KEY = "menu"  # a reply that re-sends the current menu under its id (nothing to record)


@dataclass(frozen=True)
class Question:
    """What the citizen has pending: the current menu (its id and buttons), or a text alone."""

    text: str
    menu: int = 0  # 0: no current menu
    buttons: List[Dict[str, Any]] = field(default_factory=list)

    def payload(self, data: str) -> Optional[str]:
        """The payload of the button that ``data`` presses, if it is one of the current menu."""
        press = parse_callback_data(data)
        if press is None or not self.menu or press.menu != self.menu:
            return None
        return self.buttons[press.number - 1]["payload"] if press.number <= len(self.buttons) else None

    def again(self) -> Reply:
        """The question re-sent: the current menu with its buttons under its id, or the text as a note."""
        if self.menu:
            return {"text": self.text, "buttons": list(self.buttons), MENU_KEY: self.menu}
        return note(self.text)


# ---------- replies --------------------------------------------------------------------


def note(text: str) -> Reply:
    """A reply of the channel itself (a stale button, a voice note): it never becomes the question."""
    return {"text": text, NOTE_KEY: True}


def is_question(reply: Reply) -> bool:
    """Whether a reply without buttons is the assistant's, to be re-sent if an old button is pressed.

    The apology comes from the shared turn and inbox code (other channels' replies must not carry
    our marks), so it is told by its text.
    """
    return not reply.get(NOTE_KEY) and reply.get("text") != APOLOGY


# ---------- storage --------------------------------------------------------------------


def _row(session: Session, sender_id: str) -> ChannelButtonsRow:
    """The chat's row, locked until the transaction ends (created when missing)."""
    row = session.get(ChannelButtonsRow, sender_id, with_for_update=True)
    if row is None:
        row = ChannelButtonsRow(sender_id=sender_id, buttons=[], menu_id=0)
        session.add(row)
    return row


def _open(sender_id: str, text: str, buttons: List[Dict[str, Any]], db: Optional[Database] = None) -> int:
    with (db or database()).session() as session:
        row = _row(session, sender_id)
        row.menu_id = (row.menu_id or 0) % MAX_MENU_ID + 1
        row.buttons = [{"title": b["title"], "payload": b["payload"]} for b in buttons]
        row.question = text
        return row.menu_id


def _ask(sender_id: str, text: str) -> None:
    with database().session() as session:
        row = _row(session, sender_id)
        if not row.buttons:  # after the current menu, in the same turn: its text stays the question
            row.question = text


def _forget(sender_id: str) -> None:
    with database().session() as session:
        row = session.get(ChannelButtonsRow, sender_id, with_for_update=True)
        if row is not None and row.buttons:
            row.buttons = []


def _load(sender_id: str) -> Optional[Question]:
    with database().session() as session:
        row = session.get(ChannelButtonsRow, sender_id)
        if row is None or not row.question:
            return None
        current = bool(row.menu_id and row.buttons)
        return Question(row.question, row.menu_id if current else 0, list(row.buttons) if current else [])


async def open_menu(sender_id: str, text: str, buttons: List[Dict[str, Any]], db: Optional[Database] = None) -> int:
    """A new menu for a message about to be sent with ``buttons``: it becomes the current one; its id.
    ``db``: the database to keep it in (default: the process's)."""
    return await run_blocking(_open, sender_id, text, buttons, db)


async def record_question(sender_id: str, text: str) -> None:
    """The assistant sent ``text`` without buttons: the pending question, unless a menu is current."""
    await run_blocking(_ask, sender_id, text)


async def forget_menu(sender_id: str) -> None:
    """The citizen's message goes to the assistant: no menu is current until it answers."""
    await run_blocking(_forget, sender_id)


async def pending_question(sender_id: str) -> Optional[Question]:
    """The chat's pending question with its current menu, if any."""
    return await run_blocking(_load, sender_id)
