"""A conversation's transcript: Rasa's stored events plus what staff wrote.

Rasa's SQL tracker store keeps every event of a conversation (table ``events``, as
bot/rasa_internals/events_table.py declares it); we read it directly, with the same
settings Rasa uses (TRACKER_DB_URL, or TRACKER_DB_DIALECT + TRACKER_DB), and merge
staff messages from our own table, ordered by time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Collection, Dict, List, Mapping, Optional

from sqlalchemy import create_engine, delete, func, or_, select
from sqlalchemy.engine import Engine

from bot.answers.survey import COMMENT_ENTITY, NO_COMMENT, SCORE_ENTITY, SCORE_NAMES
from bot.config import Settings, settings
from bot.message_metadata import (
    FULL_TEXT_KEY,
    LOCATION_KEY,
    MEDIA_ONLY_TEXT,
    PROFILE_NAME_KEY,
    attachments_of,
    location,
)
from bot.rasa_internals.events_table import RASA_EVENTS
from bot.storage.db import Database
from bot.storage.tables import StaffMessageRow


@dataclass
class Turn:
    """One line of the transcript."""

    at: datetime
    who: str  # "vecino" | "asistente" | "funcionario"
    text: str
    intent: Optional[str] = None
    confidence: Optional[float] = None
    staff: Optional[str] = None
    event_id: Optional[int] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CitizenMessage:
    """One message a citizen wrote, as the console's queue shows it."""

    at: datetime
    text: str
    name: Optional[str] = None  # the channel's display name of the citizen (PROFILE_NAME_KEY), if it sent one


CHOSEN_OPTION_TEXT = "(eligió una opción del menú)"
# What staff read for a message of media without words, by the attachment's kind.
MEDIA_TEXTS = {
    "image": "(envió una foto)",
    "audio": "(envió un audio)",
    "video": "(envió un video)",
    "document": "(envió un archivo)",
    "sticker": "(envió un sticker)",
    "contact": "(envió un contacto)",
    "other": "(envió un adjunto)",
}
OFFERED_LOOKBACK = 50  # assistant messages searched back for the buttons of a press (the queue's preview)


def offered_buttons(data: Dict[str, Any]) -> Dict[str, str]:
    """Payload -> title of the buttons of one stored assistant event."""
    buttons = (data.get("data") or {}).get("buttons") or []
    return {
        str(b["payload"]): str(b.get("title") or "")
        for b in buttons
        if isinstance(b, dict) and isinstance(b.get("payload"), str)
    }


def _survey_answer(payload: str) -> Optional[str]:
    """``/informar{"puntaje":"4"}`` (the satisfaction question's buttons, sent by the console, so not in
    the tracker) in words: ``4 · Buena``, and the comment typed with it."""
    if not payload.startswith("/informar{"):
        return None
    try:
        entities = json.loads(payload[len("/informar") :])
    except ValueError:
        return None
    if not isinstance(entities, dict):
        return None
    score, comment = str(entities.get(SCORE_ENTITY) or ""), str(entities.get(COMMENT_ENTITY) or "")
    if score.isdigit() and 1 <= int(score) <= len(SCORE_NAMES):
        return f"{score} · {SCORE_NAMES[int(score) - 1]}" + (f" — {comment}" if comment else "")
    if comment:
        return "No, gracias" if comment == NO_COMMENT else comment
    return None


def shown_text(text: str, offered: Mapping[str, str]) -> str:
    """What staff read for a citizen's message: a button press (``/intent{...}``, the payload the channel
    passed on) is the option's text, from the assistant's buttons before it (``offered``: payload -> title);
    never the payload itself."""
    if not text.startswith("/"):
        return text
    return offered.get(text) or _survey_answer(text) or CHOSEN_OPTION_TEXT


def tracker_url(env: Optional[Dict[str, str]] = None) -> str:
    """SQLAlchemy URL of Rasa's tracker store, from the same variables as endpoints.yml."""
    return (settings() if env is None else Settings.from_env(env)).tracker_url


class TranscriptReader:
    """Reads conversations from Rasa's tracker store."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)

    def rasa_turns(self, sender_id: str) -> List[Turn]:
        """Citizen and assistant messages of a conversation, with intent and confidence."""
        query = (
            select(RASA_EVENTS)
            .where(RASA_EVENTS.c.sender_id == sender_id, RASA_EVENTS.c.type_name.in_(("user", "bot")))
            .order_by(RASA_EVENTS.c.id)
        )
        turns = []
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).fetchall()
        except Exception:  # the tracker store does not exist yet: no conversations
            return []
        offered: Dict[str, str] = {}  # the buttons offered so far, the latest title of each payload
        for row in rows:
            data = json.loads(row.data or "{}")
            at = datetime.fromtimestamp(row.timestamp or 0, tz=timezone.utc)
            if row.type_name == "user":
                intent = (data.get("parse_data") or {}).get("intent") or {}
                read = data.get("text") or ""
                # A message longer than its channel's limit reached the assistant cut; the channel
                # kept the whole text in the metadata (channels/limits.py), and staff see all of it.
                metadata = data.get("metadata") or {}
                full = metadata.get(FULL_TEXT_KEY)
                cut = isinstance(full, str) and len(full) > len(read)
                media = attachments_of(metadata)
                extra: Dict[str, Any] = {"leido": len(read)} if cut else {}
                if media:  # shown by the console, fetched through its attachment route
                    extra["adjuntos"] = [{"kind": a["kind"], "content_type": a.get("content_type", "")} for a in media]
                place = metadata.get(LOCATION_KEY)
                place = (
                    location(place.get("lat"), place.get("lon"), place.get("address"), place.get("label"))
                    if isinstance(place, dict)
                    else None
                )
                if place:
                    extra["ubicacion"] = place
                if media and read == MEDIA_ONLY_TEXT:
                    text = MEDIA_TEXTS[media[0]["kind"]]
                else:
                    text = str(full) if cut else shown_text(read, offered)
                turns.append(
                    Turn(at, "vecino", text, intent.get("name"), intent.get("confidence"), event_id=row.id, extra=extra)
                )
            else:
                buttons = [b.get("title") for b in (data.get("data") or {}).get("buttons") or []]
                offered.update(offered_buttons(data))
                turns.append(
                    Turn(
                        at,
                        "asistente",
                        data.get("text") or "",
                        event_id=row.id,
                        extra={"buttons": buttons} if buttons else {},
                    )
                )
        return turns

    def user_metadata(self, sender_id: str, event_id: int) -> Optional[Dict[str, Any]]:
        """The metadata of one citizen message (event ``event_id`` of this conversation only), or ``None``."""
        query = select(RASA_EVENTS.c.data).where(
            RASA_EVENTS.c.id == event_id, RASA_EVENTS.c.sender_id == sender_id, RASA_EVENTS.c.type_name == "user"
        )
        try:
            with self.engine.connect() as conn:
                raw = conn.execute(query).scalar_one_or_none()
        except Exception:  # the tracker store does not exist yet
            return None
        if raw is None:
            return None
        metadata = json.loads(raw or "{}").get("metadata")
        return metadata if isinstance(metadata, dict) else {}

    def citizen_messages(self, sender_ids: Collection[str], since: datetime) -> Dict[str, List[CitizenMessage]]:
        """The citizen messages of these conversations, oldest first: all from ``since`` on, and the last one
        before it (the queue shows the last message even when nothing came after the handoff)."""
        senders = sorted(set(sender_ids))
        if not senders:
            return {}
        user = RASA_EVENTS.c.type_name == "user"
        last = select(func.max(RASA_EVENTS.c.id)).where(RASA_EVENTS.c.sender_id.in_(senders), user)
        query = (
            select(RASA_EVENTS.c.id, RASA_EVENTS.c.sender_id, RASA_EVENTS.c.timestamp, RASA_EVENTS.c.data)
            .where(
                RASA_EVENTS.c.sender_id.in_(senders),
                user,
                or_(
                    RASA_EVENTS.c.timestamp >= since.timestamp(),
                    RASA_EVENTS.c.id.in_(last.group_by(RASA_EVENTS.c.sender_id)),
                ),
            )
            .order_by(RASA_EVENTS.c.id)
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).fetchall()
                presses = {r.id: self._offered_before(conn, r.sender_id, r.id) for r in rows if _pressed(r.data)}
        except Exception:  # the tracker store does not exist yet: no conversations
            return {}
        found: Dict[str, List[CitizenMessage]] = {}
        for row in rows:
            data = json.loads(row.data or "{}")
            metadata = data.get("metadata") or {}
            full = metadata.get(FULL_TEXT_KEY)
            text = str(full) if isinstance(full, str) and full else str(data.get("text") or "")
            media = attachments_of(metadata)
            if media and text == MEDIA_ONLY_TEXT:
                text = MEDIA_TEXTS[media[0]["kind"]]
            elif row.id in presses:
                text = shown_text(text, presses[row.id])
            name = metadata.get(PROFILE_NAME_KEY)
            at = datetime.fromtimestamp(row.timestamp or 0, tz=timezone.utc)
            found.setdefault(row.sender_id, []).append(
                CitizenMessage(at, text, name if isinstance(name, str) and name else None)
            )
        return found

    def _offered_before(self, conn: Any, sender_id: str, event_id: int) -> Dict[str, str]:
        """The buttons the assistant offered in the conversation before event ``event_id`` (latest win)."""
        rows = conn.execute(
            select(RASA_EVENTS.c.data)
            .where(RASA_EVENTS.c.sender_id == sender_id, RASA_EVENTS.c.type_name == "bot", RASA_EVENTS.c.id < event_id)
            .order_by(RASA_EVENTS.c.id.desc())
            .limit(OFFERED_LOOKBACK)
        ).fetchall()
        offered: Dict[str, str] = {}
        for row in reversed(rows):
            offered.update(offered_buttons(json.loads(row.data or "{}")))
        return offered

    def has_events_table(self) -> bool:
        """Whether Rasa has created its events table yet (not before its first conversation)."""
        from sqlalchemy import inspect

        return inspect(self.engine).has_table(RASA_EVENTS.name)

    def delete_conversation(self, sender_id: str) -> int:
        """Remove every stored event of a conversation; returns how many."""
        if not self.has_events_table():
            return 0
        with self.engine.begin() as conn:
            return conn.execute(delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == sender_id)).rowcount

    def delete_older_than(self, cutoff: datetime) -> int:
        """Remove the events of conversations whose last event is older than ``cutoff``."""
        from sqlalchemy import func

        if not self.has_events_table():
            return 0
        last = (
            select(RASA_EVENTS.c.sender_id)
            .group_by(RASA_EVENTS.c.sender_id)
            .having(func.max(RASA_EVENTS.c.timestamp) < cutoff.timestamp())
        )
        with self.engine.begin() as conn:
            senders = [r[0] for r in conn.execute(last)]
            total = 0
            for sender in senders:
                total += conn.execute(delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == sender)).rowcount
        return total


def _pressed(raw: Optional[str]) -> bool:
    """Whether a stored user event's text is a button payload."""
    return str(json.loads(raw or "{}").get("text") or "").startswith("/")


def transcript(reader: TranscriptReader, db: Database, sender_id: str) -> List[Turn]:
    """The whole conversation: citizen, assistant and staff turns, in time order."""
    turns = reader.rasa_turns(sender_id)
    with db.session() as session:
        staff = (
            session.execute(
                select(StaffMessageRow).where(StaffMessageRow.sender_id == sender_id).order_by(StaffMessageRow.id)
            )
            .scalars()
            .all()
        )
        for row in staff:
            at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=timezone.utc)
            turns.append(Turn(at, "funcionario", row.text, staff=row.staff))
    return sorted(turns, key=lambda t: t.at)
