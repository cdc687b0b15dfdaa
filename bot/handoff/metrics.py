"""The numbers of the console's metrics page: one municipality, a period of local days.

Plain functions over our database and Rasa's tracker store (``TranscriptReader``), each returning
a dataclass; blocking (the console calls them in a thread). What each number means and where it
comes from:

- **Conversation**: one citizen's messages of one local day (the municipalities' time zone), that is
  a sender of Rasa's ``events`` table with at least one ``user`` event that day. Only the
  municipality's conversations count, scoped as the console's live list scopes them: its WhatsApp
  numbers and its Telegram bot (``bot.conversation_id``). Chat-web (REST) ids name no municipality,
  so they are left out of the conversation counts.
- **Handed off / contained**: a conversation is handed off when a handoff of the municipality for
  that sender was created that same local day (any reason, a staffer taking it from the console
  included); the others were resolved without a person (containment).
- **Handoff reasons**: every handoff of the municipality created in the period (``handoffs.reason``),
  whatever its channel.
- **Time to first staff reply**: from a handoff's creation to the first message a staffer wrote to
  its citizen (``staff_messages`` of that handoff; the automatic hand-back text is no reply), over the
  handoffs created in the period. Median (the middle value, or the mean of the two middle ones) and
  90th percentile by nearest rank (the smallest wait at least 90 % of the answered ones do not
  exceed); handoffs without a reply yet are counted apart.
- **Procedures asked**: conversations in which the assistant set the ``tramite`` slot to a
  procedure. This is the reliable source: the actions set it only once they resolved the procedure
  they answer or whose form they start (``actions/procedure_turns.py``), whereas the NLU's
  ``tramite`` entity is a guess before resolution, and handoffs and requests hold only the
  procedures that reached a person or a form. A conversation counts once per procedure.
- **Not understood**: citizen messages whose intent was Rasa's fallback (confidence below the
  FallbackClassifier's threshold in config.yml) or out of scope (``UNHELPED_INTENTS``), grouped by
  their text with case and spacing ignored, most frequent first.
- **Requests**: the municipality's requests created in the period, by procedure and current status.
- **Satisfaction**: the scores (1–5) citizens gave to the question sent when staff closed a handoff
  (``satisfaction_surveys``, ``bot.handoff.surveys``), answered within the period (``answered_at``, local
  days); questions not answered or not sent do not count. Average (mean of the scores), how many answers,
  and how many of each score.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Collection, Dict, Iterable, List, Optional, Sequence, Set, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select

from bot.answers.channel import HAND_BACK_TEXT
from bot.config import timezone_name
from bot.conversation_id import ConversationId, prefixes_of
from bot.domain_names import UNHELPED_INTENTS, Slot
from bot.handoff.surveys import ANSWERED, SCORES
from bot.handoff.transcript import TranscriptReader
from bot.message_metadata import FULL_TEXT_KEY
from bot.rasa_internals.events_table import RASA_EVENTS
from bot.storage.db import Database
from bot.storage.tables import HandoffRow, RequestRow, StaffMessageRow, SurveyRow, aware

DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP = 10
NO_DATA = "sin datos"


def _zone() -> ZoneInfo:
    return ZoneInfo(timezone_name())


def local_today(now: Optional[datetime] = None) -> date:
    """Today in the municipalities' time zone."""
    return (now or datetime.now(timezone.utc)).astimezone(_zone()).date()


def local_day(moment: datetime) -> date:
    """The local day of a moment (naive moments are UTC, as SQLite returns them)."""
    return aware(moment).astimezone(_zone()).date()


@dataclass(frozen=True)
class Period:
    """Local days from ``first`` to ``last``, both included."""

    first: date
    last: date

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, today: Optional[date] = None) -> "Period":
        """The ``days`` days ending today (local time)."""
        end = today or local_today()
        return cls(end - timedelta(days=days - 1), end)

    @property
    def length(self) -> int:
        """How many days."""
        return (self.last - self.first).days + 1

    def days(self) -> List[date]:
        """Every day of the period, in order."""
        return [self.first + timedelta(days=n) for n in range(self.length)]

    def bounds(self) -> Tuple[datetime, datetime]:
        """``[start, end)`` in UTC: local midnight of the first day to local midnight after the last."""
        zone = _zone()
        start = datetime.combine(self.first, time(), tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=zone)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def percent(part: int, whole: int) -> Optional[float]:
    """``part`` as a percentage of ``whole`` (``None`` when ``whole`` is 0)."""
    return 100.0 * part / whole if whole else None


# --- Conversations and containment --------------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    """The conversations of one local day."""

    day: date
    contained: int  # without a person
    handed_off: int

    @property
    def total(self) -> int:
        return self.contained + self.handed_off


@dataclass(frozen=True)
class Conversations:
    """Conversations per day of the period, split by whether a person took part."""

    per_day: Tuple[DayCount, ...]

    @property
    def total(self) -> int:
        return sum(d.total for d in self.per_day)

    @property
    def contained(self) -> int:
        return sum(d.contained for d in self.per_day)

    @property
    def handed_off(self) -> int:
        return sum(d.handed_off for d in self.per_day)

    @property
    def containment(self) -> Optional[float]:
        """Share of conversations resolved without a person, in percent."""
        return percent(self.contained, self.total)

    @property
    def handoff_rate(self) -> Optional[float]:
        """Share of conversations handed to a person, in percent."""
        return percent(self.handed_off, self.total)


def _belongs(municipality: str, whatsapp_numbers: Iterable[object]):
    numbers = tuple(whatsapp_numbers or ())

    def check(sender_id: str) -> bool:
        conversation = ConversationId.parse_or_none(sender_id)
        return conversation is not None and conversation.belongs_to(municipality, numbers)

    return check


def _event_rows(
    reader: TranscriptReader,
    municipality: str,
    whatsapp_numbers: Iterable[object],
    period: Period,
    condition: Any,
    columns: Sequence[Any],
) -> List[Any]:
    """Rows of the tracker's events of the municipality's conversations in the period (none without the table).

    The prefix match in SQL is narrowed down exactly in Python, as ``queries.recent_conversations`` does.
    """
    prefixes = prefixes_of(municipality, whatsapp_numbers or ())
    if not prefixes or not reader.has_events_table():
        return []
    start, end = period.bounds()
    query = select(RASA_EVENTS.c.sender_id, *columns).where(
        condition,
        RASA_EVENTS.c.timestamp >= start.timestamp(),
        RASA_EVENTS.c.timestamp < end.timestamp(),
        or_(*[RASA_EVENTS.c.sender_id.startswith(p, autoescape=True) for p in prefixes]),
    )
    with reader.engine.connect() as conn:
        rows = conn.execute(query.order_by(RASA_EVENTS.c.id)).fetchall()
    belongs = _belongs(municipality, whatsapp_numbers)
    return [r for r in rows if belongs(r.sender_id)]


def _moment(timestamp: Optional[float]) -> datetime:
    return datetime.fromtimestamp(timestamp or 0, tz=timezone.utc)


def _handoff_days(db: Database, municipality: str, period: Period) -> Set[Tuple[str, date]]:
    start, end = period.bounds()
    with db.session() as session:
        rows = session.execute(
            select(HandoffRow.sender_id, HandoffRow.created_at).where(
                HandoffRow.municipality == municipality,
                HandoffRow.created_at >= start,
                HandoffRow.created_at < end,
            )
        ).all()
    return {(sender, local_day(at)) for sender, at in rows}


def conversations(
    db: Database, reader: TranscriptReader, municipality: str, whatsapp_numbers: Iterable[object], period: Period
) -> Conversations:
    """Conversations per local day of the period, contained or handed off (see the module's docstring)."""
    rows = _event_rows(
        reader, municipality, whatsapp_numbers, period, RASA_EVENTS.c.type_name == "user", [RASA_EVENTS.c.timestamp]
    )
    seen = {(r.sender_id, local_day(_moment(r.timestamp))) for r in rows}
    handed = _handoff_days(db, municipality, period)
    contained: Counter = Counter()
    handed_off: Counter = Counter()
    for sender_day in seen:
        (handed_off if sender_day in handed else contained)[sender_day[1]] += 1
    return Conversations(tuple(DayCount(day, contained[day], handed_off[day]) for day in period.days()))


# --- Handoffs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """How many times one thing (a reason, a procedure) appears."""

    key: str
    count: int


def _counts(counter: Counter, top: Optional[int] = None) -> Tuple[Count, ...]:
    ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Count(key, n) for key, n in ordered[:top])


def handoff_reasons(db: Database, municipality: str, period: Period) -> Tuple[Count, ...]:
    """The municipality's handoffs created in the period by reason, most frequent first."""
    start, end = period.bounds()
    with db.session() as session:
        rows = session.execute(
            select(HandoffRow.reason, func.count(HandoffRow.id))
            .where(HandoffRow.municipality == municipality, HandoffRow.created_at >= start, HandoffRow.created_at < end)
            .group_by(HandoffRow.reason)
        ).all()
    return _counts(Counter({reason: n for reason, n in rows}))


@dataclass(frozen=True)
class ReplyTimes:
    """How long handoffs created in the period waited for a staffer's first message."""

    waits: Tuple[timedelta, ...]  # of the answered handoffs, shortest first
    unanswered: int

    @property
    def answered(self) -> int:
        return len(self.waits)

    @property
    def median(self) -> Optional[timedelta]:
        if not self.waits:
            return None
        return timedelta(seconds=statistics.median(w.total_seconds() for w in self.waits))

    @property
    def p90(self) -> Optional[timedelta]:
        """90th percentile by nearest rank."""
        if not self.waits:
            return None
        return self.waits[math.ceil(0.9 * len(self.waits)) - 1]


def reply_times(db: Database, municipality: str, period: Period) -> ReplyTimes:
    """Time from each handoff's creation to the first message a staffer wrote to its citizen."""
    start, end = period.bounds()
    first_reply = (
        select(StaffMessageRow.handoff_id, func.min(StaffMessageRow.created_at).label("first_at"))
        .where(StaffMessageRow.text != HAND_BACK_TEXT)
        .group_by(StaffMessageRow.handoff_id)
        .subquery()
    )
    with db.session() as session:
        rows = session.execute(
            select(HandoffRow.created_at, first_reply.c.first_at)
            .outerjoin(first_reply, first_reply.c.handoff_id == HandoffRow.id)
            .where(HandoffRow.municipality == municipality, HandoffRow.created_at >= start, HandoffRow.created_at < end)
        ).all()
    waits = sorted(max(timedelta(0), aware(first) - aware(created)) for created, first in rows if first is not None)
    return ReplyTimes(tuple(waits), sum(1 for _, first in rows if first is None))


# --- What citizens asked and what the assistant did not understand -------------------------------


def top_procedures(
    reader: TranscriptReader, municipality: str, whatsapp_numbers: Iterable[object], period: Period, top: int = TOP
) -> Tuple[Count, ...]:
    """Procedure slugs by the number of conversations (sender and local day) the assistant answered about them.

    Rasa 3.6 stores a slot event's slot name in the ``action_name`` column (``SQLTrackerStore.save``
    keeps ``data["name"]`` there), so only the ``tramite`` slot events are read.
    """
    rows = _event_rows(
        reader,
        municipality,
        whatsapp_numbers,
        period,
        and_(RASA_EVENTS.c.type_name == "slot", RASA_EVENTS.c.action_name == Slot.TRAMITE),
        [RASA_EVENTS.c.timestamp, RASA_EVENTS.c.data],
    )
    asked = set()
    for row in rows:
        value = json.loads(row.data or "{}").get("value")
        if isinstance(value, str) and value:
            asked.add((row.sender_id, local_day(_moment(row.timestamp)), value))
    return _counts(Counter(slug for _, _, slug in asked), top)


@dataclass(frozen=True)
class NotUnderstood:
    """A message the assistant did not understand, with how many times it was written."""

    text: str  # as last written (spaces collapsed)
    count: int
    last_at: datetime
    handoff_id: Optional[int]  # the conversation's latest handoff, where staff mark errors; None if none


def _latest_handoffs(db: Database, municipality: str, senders: Iterable[str]) -> Dict[str, int]:
    wanted = sorted(set(senders))
    if not wanted:
        return {}
    with db.session() as session:
        rows = session.execute(
            select(HandoffRow.sender_id, HandoffRow.id)
            .where(HandoffRow.municipality == municipality, HandoffRow.sender_id.in_(wanted))
            .order_by(HandoffRow.created_at, HandoffRow.id)
        ).all()
    return {sender: handoff_id for sender, handoff_id in rows}  # later (newer) rows win


def not_understood(
    db: Database,
    reader: TranscriptReader,
    municipality: str,
    whatsapp_numbers: Iterable[object],
    period: Period,
    top: int = TOP,
) -> Tuple[NotUnderstood, ...]:
    """The citizen messages most often not understood (fallback or out of scope), most frequent first."""
    rows = _event_rows(
        reader,
        municipality,
        whatsapp_numbers,
        period,
        and_(RASA_EVENTS.c.type_name == "user", RASA_EVENTS.c.intent_name.in_(sorted(UNHELPED_INTENTS))),
        [RASA_EVENTS.c.timestamp, RASA_EVENTS.c.data],
    )
    groups: Dict[str, Dict[str, Any]] = {}
    for row in rows:
        data = json.loads(row.data or "{}")
        full = (data.get("metadata") or {}).get(FULL_TEXT_KEY)
        text = " ".join(str(full if isinstance(full, str) and full else data.get("text") or "").split())
        if not text:
            continue
        group = groups.setdefault(text.casefold(), {"count": 0, "senders": []})
        group["count"] += 1
        group["text"], group["last_at"] = text, _moment(row.timestamp)  # rows come in id order: the last wins
        group["senders"].append(row.sender_id)
    ordered = sorted(groups.values(), key=lambda g: (-g["count"], -g["last_at"].timestamp(), g["text"]))[:top]
    handoffs = _latest_handoffs(db, municipality, [s for g in ordered for s in g["senders"]])
    return tuple(
        NotUnderstood(
            g["text"],
            g["count"],
            g["last_at"],
            next((handoffs[s] for s in reversed(g["senders"]) if s in handoffs), None),
        )
        for g in ordered
    )


# --- Requests and satisfaction ------------------------------------------------------------------


@dataclass(frozen=True)
class RequestCount:
    """Requests of one procedure in one status."""

    procedure: str
    status: str
    count: int


def requests_by_status(db: Database, municipality: str, period: Period) -> Tuple[RequestCount, ...]:
    """The municipality's requests created in the period, by procedure and current status.

    Ordered by the procedure's total (largest first), then procedure and status.
    """
    start, end = period.bounds()
    with db.session() as session:
        rows = session.execute(
            select(RequestRow.procedure, RequestRow.status, func.count(RequestRow.id))
            .where(RequestRow.municipality == municipality, RequestRow.created_at >= start, RequestRow.created_at < end)
            .group_by(RequestRow.procedure, RequestRow.status)
        ).all()
    totals: Counter = Counter()
    for procedure, _, n in rows:
        totals[procedure] += n
    ordered = sorted(rows, key=lambda r: (-totals[r[0]], r[0], r[1]))
    return tuple(RequestCount(procedure, status, n) for procedure, status, n in ordered)


@dataclass(frozen=True)
class Satisfaction:
    """Citizens' satisfaction (CSAT): how many answered each score, 1 to 5."""

    distribution: Tuple[int, ...] = (0,) * len(SCORES)  # answers of score 1, 2, 3, 4, 5

    @property
    def responses(self) -> int:
        return sum(self.distribution)

    @property
    def average(self) -> Optional[float]:
        """The mean score (1–5), ``None`` without answers."""
        if not self.responses:
            return None
        return sum(score * n for score, n in zip(SCORES, self.distribution, strict=True)) / self.responses

    @property
    def summary(self) -> str:
        if self.average is None:
            return NO_DATA
        answers = "1 respuesta" if self.responses == 1 else f"{self.responses} respuestas"
        return f"{self.average:.1f} de 5 ({answers})".replace(".", ",", 1)


def satisfaction(db: Database, municipality: str, period: Period) -> Satisfaction:
    """The scores citizens gave to the municipality's satisfaction question, answered in the period."""
    start, end = period.bounds()
    with db.session() as session:
        rows = session.execute(
            select(SurveyRow.score, func.count(SurveyRow.id))
            .where(
                SurveyRow.municipality == municipality,
                SurveyRow.status == ANSWERED,
                SurveyRow.score.is_not(None),
                SurveyRow.answered_at >= start,
                SurveyRow.answered_at < end,
            )
            .group_by(SurveyRow.score)
        ).all()
    counts = {score: n for score, n in rows}
    return Satisfaction(tuple(counts.get(score, 0) for score in SCORES))


# --- Everything at once -------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """Every number of the metrics page."""

    municipality: str
    period: Period
    conversations: Conversations
    reasons: Tuple[Count, ...]
    reply_times: ReplyTimes
    procedures: Tuple[Count, ...]
    not_understood: Tuple[NotUnderstood, ...]
    requests: Tuple[RequestCount, ...]
    satisfaction: Satisfaction


PARTS = ("conversations", "reasons", "reply_times", "procedures", "not_understood", "requests", "satisfaction")


def compute(
    db: Database,
    reader: TranscriptReader,
    municipality: str,
    whatsapp_numbers: Iterable[object],
    period: Period,
    parts: Optional[Collection[str]] = None,
) -> Metrics:
    """The numbers of the metrics page for one municipality and period (blocking).

    ``parts`` (names of ``PARTS``) limits the work to what one chart needs; the others are left empty.
    """
    numbers = tuple(whatsapp_numbers or ())
    wanted = set(PARTS if parts is None else parts)

    def part(name: str, work: Callable[[], Any], empty: Any) -> Any:
        return work() if name in wanted else empty

    return Metrics(
        municipality,
        period,
        part("conversations", lambda: conversations(db, reader, municipality, numbers, period), Conversations(())),
        part("reasons", lambda: handoff_reasons(db, municipality, period), ()),
        part("reply_times", lambda: reply_times(db, municipality, period), ReplyTimes((), 0)),
        part("procedures", lambda: top_procedures(reader, municipality, numbers, period), ()),
        part("not_understood", lambda: not_understood(db, reader, municipality, numbers, period), ()),
        part("requests", lambda: requests_by_status(db, municipality, period), ()),
        part("satisfaction", lambda: satisfaction(db, municipality, period), Satisfaction()),
    )
