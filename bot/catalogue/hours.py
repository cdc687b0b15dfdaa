"""Office hours written as ``lun-jue 08:30-13:30, 14:30-17:30; vie 08:30-16:30``.

Parsed once into weekly rules so the assistant can describe them in Spanish, tell whether an
office is open at a given moment (holidays closed), when it opens next, and how many minutes
of office time lie between two moments (the staff console's first-response clock).

The format (catalogue/SCHEMA.md): chunks separated by ``;``, each ``<days> <times>``. Days are
``lun mar mié jue vie sáb dom`` (accents and case as one likes, full names too), as a range
``lun-vie`` or a list ``lun, mié``; times are one or more ``HH:MM-HH:MM`` separated by commas,
several when the office closes for lunch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Collection, Dict, List, Optional, Sequence, Tuple

from bot.text import strip_accents

DAYS = ["lun", "mar", "mie", "jue", "vie", "sab", "dom"]
DAY_NAMES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
# Every way of writing a day, without accents and in lower case: "sáb", "Sábado" -> 5.
_DAY_WORDS: Dict[str, int] = {
    **{abbreviation: index for index, abbreviation in enumerate(DAYS)},
    **{strip_accents(name): index for index, name in enumerate(DAY_NAMES)},
}
_CHUNK_RE = re.compile(r"^(?P<days>[^\d]+?)\s+(?P<times>\d.*)$")
_SPAN_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
DAYS_WRITTEN = "lun, mar, mié, jue, vie, sáb o dom"
EXAMPLE = "lun-vie 08:30-13:30, 14:30-17:30; sáb 09:00-12:00"
# How far ahead ``next_opening`` looks: long enough for Fiestas Patrias next to a weekend.
LOOKAHEAD_DAYS = 31


class HoursFormatError(ValueError):
    """Raised for an hours text that does not follow the documented format."""


@dataclass(frozen=True)
class Span:
    """Open from ``opens`` to ``closes`` (same day)."""

    opens: time
    closes: time


@dataclass(frozen=True)
class HoursRule:
    """Open during each of ``spans`` on each weekday in ``days`` (0 = Monday), as one chunk says."""

    days: Tuple[int, ...]
    spans: Tuple[Span, ...]


def clock(t: time) -> str:
    """A time as the municipalities publish it: ``08:30``."""
    return f"{t.hour:02d}:{t.minute:02d}"


def _day(word: str, chunk: str) -> int:
    key = strip_accents(word.strip().rstrip(".").lower())
    if key not in _DAY_WORDS:
        raise HoursFormatError(f"día desconocido {word.strip()!r} en {chunk!r} (se escribe {DAYS_WRITTEN})")
    return _DAY_WORDS[key]


def _parse_days(text: str, chunk: str) -> Tuple[int, ...]:
    days: List[int] = []
    for item in text.split(","):
        bounds = item.split("-")
        if len(bounds) > 2 or not all(b.strip() for b in bounds):
            raise HoursFormatError(f"días inválidos {item.strip()!r} en {chunk!r} (por ejemplo «lun-vie» o «lun, mié»)")
        first, last = _day(bounds[0], chunk), _day(bounds[-1], chunk)
        if last < first:
            raise HoursFormatError(f"los días {item.strip()!r} en {chunk!r} van hacia atrás (de lunes a domingo)")
        days.extend(range(first, last + 1))
    return tuple(sorted(set(days)))


def _time(hour: str, minute: str, chunk: str) -> time:
    try:
        return time(int(hour), int(minute))
    except ValueError as exc:
        raise HoursFormatError(f"hora inválida {hour}:{minute} en {chunk!r}") from exc


def _parse_spans(text: str, chunk: str) -> Tuple[Span, ...]:
    spans: List[Span] = []
    for part in (p.strip() for p in text.split(",")):
        match = _SPAN_RE.match(part)
        if not match:
            raise HoursFormatError(f"horario inválido {part!r} en {chunk!r}: se escribe HH:MM-HH:MM, como 08:30-13:30")
        span = Span(_time(match[1], match[2], chunk), _time(match[3], match[4], chunk))
        if span.closes <= span.opens:
            raise HoursFormatError(f"en {chunk!r} el horario {part!r} cierra antes de abrir")
        if spans and span.opens < spans[-1].closes:
            raise HoursFormatError(f"en {chunk!r} los horarios se superponen o no van en orden: {part!r}")
        spans.append(span)
    return tuple(spans)


@lru_cache(maxsize=256)
def _rules(text: str) -> Tuple[HoursRule, ...]:
    rules = []
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        match = _CHUNK_RE.match(chunk)
        if not match:
            missing = "las horas" if not re.search(r"\d", chunk) else "los días"
            raise HoursFormatError(f"tramo inválido {chunk!r}: faltan {missing} (se escribe como «{EXAMPLE}»)")
        rules.append(HoursRule(_parse_days(match["days"], chunk), _parse_spans(match["times"], chunk)))
    if not rules:
        raise HoursFormatError(f"no hay horario: se escribe como «{EXAMPLE}»")
    return tuple(rules)


def parse_hours(text: str) -> List[HoursRule]:
    """Parse an hours text; raises ``HoursFormatError`` (a Spanish message) when it is malformed."""
    return list(_rules(text))


def spans_on(rules: Sequence[HoursRule], weekday: int) -> List[Span]:
    """The office's spans on a weekday, in order, overlapping ones (from two chunks) merged."""
    spans = sorted((s for r in rules if weekday in r.days for s in r.spans), key=lambda s: s.opens)
    merged: List[Span] = []
    for span in spans:
        if merged and span.opens <= merged[-1].closes:
            merged[-1] = Span(merged[-1].opens, max(merged[-1].closes, span.closes))
        else:
            merged.append(span)
    return merged


def _join(items: Sequence[str]) -> str:
    """``a``; ``a y b``; ``a, b y c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} y {items[-1]}"


def describe_spans(spans: Sequence[Span]) -> str:
    """``de 08:30 a 13:30 y de 14:30 a 17:30``."""
    return _join([f"de {clock(s.opens)} a {clock(s.closes)}" for s in spans])


def describe_days(days: Sequence[int]) -> str:
    """``lunes a viernes``, ``sábado``, ``lunes y miércoles``, ``lunes a miércoles y viernes``."""
    runs: List[List[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    items: List[str] = []
    for run in runs:
        if len(run) >= 3:
            items.append(f"{DAY_NAMES[run[0]]} a {DAY_NAMES[run[-1]]}")
        else:
            items.extend(DAY_NAMES[day] for day in run)
    return _join(items)


def describe_hours(text: str) -> str:
    """Spanish description: ``Lunes a viernes de 08:30 a 13:30 y de 14:30 a 17:30; sábado de 09:00 a 12:00``."""
    described = "; ".join(f"{describe_days(r.days)} {describe_spans(r.spans)}" for r in _rules(text))
    return described[0].upper() + described[1:]


def is_open(text: str, moment: datetime, holidays: Collection[date] = frozenset()) -> bool:
    """Whether the office is open at ``moment`` (a naive local time): within a span, not a holiday."""
    if moment.date() in holidays:
        return False
    return any(s.opens <= moment.time() < s.closes for s in spans_on(_rules(text), moment.weekday()))


def in_break(text: str, moment: datetime, holidays: Collection[date] = frozenset()) -> bool:
    """Whether ``moment`` is between two spans of the same day: the office reopens after a break."""
    if moment.date() in holidays:
        return False
    spans = spans_on(_rules(text), moment.weekday())
    now = moment.time()
    return any(before.closes <= now < after.opens for before, after in zip(spans[:-1], spans[1:], strict=True))


def next_opening(text: str, moment: datetime, holidays: Collection[date] = frozenset()) -> Optional[datetime]:
    """The next moment at or after ``moment`` when the office opens, skipping holidays (within a month)."""
    rules = _rules(text)
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = moment.date() + timedelta(days=offset)
        if day in holidays:
            continue
        for span in spans_on(rules, day.weekday()):
            start = datetime.combine(day, span.opens)
            if start >= moment:
                return start
    return None


def working_minutes_between(hours_text: str, holidays: Collection[date], start: datetime, end: datetime) -> float:
    """Minutes of office time from ``start`` to ``end`` (naive local times): only within the spans,
    never in a break, on a closed weekday or on a holiday; 0 when ``end`` is not after ``start``."""
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("working_minutes_between takes naive local times (the municipality's clock)")
    if end <= start:
        return 0.0
    rules = _rules(hours_text)
    week = [spans_on(rules, weekday) for weekday in range(7)]
    days_off = frozenset(holidays)
    seconds = 0.0
    day = start.date()
    while day <= end.date():
        if day not in days_off:
            for span in week[day.weekday()]:
                opens = max(start, datetime.combine(day, span.opens))
                closes = min(end, datetime.combine(day, span.closes))
                seconds += max(0.0, (closes - opens).total_seconds())
        day += timedelta(days=1)
    return seconds / 60
