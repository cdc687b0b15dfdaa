"""What both channels share: buttons as text, long replies, duplicates, order, media replies.

- Buttons: WhatsApp has none, so they become a numbered list; a reply "2", "la 2"
  or the option's text maps back to the payload of the last list sent. The last
  buttons of each conversation are stored, so this survives restarts. Telegram
  keeps buttons, and each message with buttons is a menu of its own, so an old
  button never acts on a newer question (channels/menus.py).
- Long replies are split below the channel's limit, at paragraphs, lines or words.
- Duplicates and order are the inbox's job (channels/inbox.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional

from rapidfuzz import fuzz, process

from bot.answers.channel import how_to_answer
from bot.runtime import database, run_blocking
from bot.storage.db import Database
from bot.storage.tables import ChannelButtonsRow, ConversationActivityRow, utcnow
from bot.text import FILLER_WORDS, normalise, typed_number

logger = logging.getLogger(__name__)

MAX_OPTION_WORDS = 4  # a longer message says more than which option
_COUNT = re.compile(r"\(\d+\)")  # "Tránsito (1)": how many procedures the area has


# ---------- buttons ----------------------------------------------------------------


def numbered_list(text: str, buttons: List[Dict[str, Any]]) -> str:
    """The text followed by the buttons as a numbered list, for channels without buttons."""
    if not buttons:
        return text
    answer = how_to_answer(len(buttons))
    lines = [f"{i}. {b['title']}" for i, b in enumerate(buttons, 1)]
    return f"{text}\n\n" + "\n".join(lines) + f"\n{answer}"


def payload_for_reply(text: str, buttons: List[Dict[str, Any]]) -> Optional[str]:
    """The payload of the button the citizen chose by number or by its text, if any."""
    if not buttons:
        return None
    index = typed_number(text)
    if index is not None:
        return buttons[index - 1]["payload"] if 1 <= index <= len(buttons) else None
    titles = [normalise(b["title"]) for b in buttons]
    best = process.extractOne(normalise(text), titles, scorer=fuzz.ratio, score_cutoff=85)
    if best:
        return buttons[best[2]]["payload"]
    # "los de transito" for "Tránsito (1)", "las de rentas" for "Rentas y Patentes (2)": every telling word
    # said is (closely) a word of one title only.
    said = _telling_words(text)
    if not said or len(said) > MAX_OPTION_WORDS:
        return None
    fitting = [
        b
        for b in buttons
        if all(
            process.extractOne(w, _telling_words(_COUNT.sub(" ", b["title"])), scorer=fuzz.ratio, score_cutoff=85)
            for w in said
        )
    ]
    return fitting[0]["payload"] if len(fitting) == 1 else None


def _telling_words(text: str) -> List[str]:
    """The words of ``text`` that tell an option apart: no articles nor prepositions."""
    return [w for w in normalise(text).split() if w not in FILLER_WORDS]


def _save_buttons(sender_id: str, buttons: List[Dict[str, Any]], db: Optional[Database] = None) -> None:
    with (db or database()).session() as session:
        row = session.get(ChannelButtonsRow, sender_id)
        if row is None:
            session.add(ChannelButtonsRow(sender_id=sender_id, buttons=buttons))
        else:
            row.buttons = buttons


def _load_buttons(sender_id: str) -> List[Dict[str, Any]]:
    with database().session() as session:
        row = session.get(ChannelButtonsRow, sender_id)
        return list(row.buttons) if row else []


async def remember_buttons(sender_id: str, buttons: List[Dict[str, Any]], db: Optional[Database] = None) -> None:
    """Store the buttons just shown (an empty list forgets the previous ones); ``db``: default the process's."""
    await run_blocking(_save_buttons, sender_id, [{"title": b["title"], "payload": b["payload"]} for b in buttons], db)


async def last_buttons(sender_id: str) -> List[Dict[str, Any]]:
    """The buttons last shown to this conversation."""
    return await run_blocking(_load_buttons, sender_id)


# ---------- long replies -----------------------------------------------------------


def split_message(text: str, limit: int) -> List[str]:
    """Parts of at most ``limit`` characters, cut between paragraphs, else lines, else words.

    A paragraph (a list, say) that fits in one part is never cut.
    """
    if len(text) <= limit:
        return [text]
    blocks: List[tuple] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit:
            blocks.append(("\n\n", paragraph))
        else:
            blocks.extend(("\n", chunk) for chunk in _split_piece(paragraph, limit))
    parts: List[str] = []
    current = ""
    for separator, block in blocks:
        candidate = f"{current}{separator}{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                parts.append(current)
            current = block
    if current:
        parts.append(current)
    return parts


def _split_piece(piece: str, limit: int) -> List[str]:
    """Lines of a paragraph, and words of a line that is itself too long."""
    chunks: List[str] = []
    for line in piece.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            chunks.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        chunks.append(line)
    return chunks


# ---------- activity ---------------------------------------------------------------


def _touch_in(session: Any, sender_id: str) -> None:
    row = session.get(ConversationActivityRow, sender_id)
    if row is None:
        session.add(ConversationActivityRow(sender_id=sender_id, last_inbound_at=utcnow()))
    else:
        row.last_inbound_at = utcnow()


def _touch(sender_id: str) -> None:
    with database().session() as session:
        _touch_in(session, sender_id)


async def record_inbound(sender_id: str) -> None:
    """Note that the citizen just wrote (for WhatsApp's 24-hour window)."""
    await run_blocking(_touch, sender_id)


def _touch_and_take_buttons(sender_id: str, forget: bool) -> List[Dict[str, Any]]:
    with database().session() as session:
        _touch_in(session, sender_id)
        row = session.get(ChannelButtonsRow, sender_id)
        buttons = list(row.buttons) if row else []
        if forget and row is not None and row.buttons:
            row.buttons = []
        return buttons


async def inbound_with_buttons(sender_id: str, forget: bool) -> List[Dict[str, Any]]:
    """``record_inbound`` and ``last_buttons`` in one transaction; ``forget``: the buttons are answered now (a
    typed reply), so they are forgotten too (an old number then means nothing)."""
    return await run_blocking(_touch_and_take_buttons, sender_id, forget)
