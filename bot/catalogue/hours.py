"""Office hours written as ``lun-jue 08:30-17:30; vie 08:30-16:30``.

Parsed once into weekly ranges so the assistant can describe them in Spanish and
tell whether an office is open at a given moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import List, Optional, Tuple

DAYS = ["lun", "mar", "mie", "jue", "vie", "sab", "dom"]
DAY_NAMES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]


class HoursFormatError(ValueError):
    """Raised for an hours text that does not follow the documented format."""


@dataclass(frozen=True)
class HoursRange:
    """Open from ``opens`` to ``closes`` on each weekday in ``days`` (0 = Monday)."""

    days: Tuple[int, ...]
    opens: time
    closes: time


def _parse_time(text: str) -> time:
    try:
        hour, minute = text.split(":")
        return time(int(hour), int(minute))
    except ValueError as exc:
        raise HoursFormatError(f"hora inválida: {text!r}") from exc


def _parse_days(text: str) -> Tuple[int, ...]:
    days: List[int] = []
    for part in text.split(","):
        bounds = part.strip().split("-")
        if any(b not in DAYS for b in bounds) or len(bounds) > 2:
            raise HoursFormatError(f"días inválidos: {part!r}")
        first, last = DAYS.index(bounds[0]), DAYS.index(bounds[-1])
        days.extend(range(first, last + 1))
    return tuple(days)


def parse_hours(text: str) -> List[HoursRange]:
    """Parse an hours text; raises ``HoursFormatError`` when it is malformed."""
    ranges = []
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        try:
            days_text, times_text = chunk.split()
            opens_text, closes_text = times_text.split("-")
        except ValueError as exc:
            raise HoursFormatError(f"tramo inválido: {chunk!r}") from exc
        ranges.append(HoursRange(_parse_days(days_text), _parse_time(opens_text), _parse_time(closes_text)))
    if not ranges:
        raise HoursFormatError("no hay horario")
    return ranges


def clock(t: time) -> str:
    """A time as the municipalities publish it: ``08:30``."""
    return f"{t.hour:02d}:{t.minute:02d}"


def describe_hours(text: str) -> str:
    """Spanish description: ``lunes a jueves de 8:30 a 17:30; viernes de 8:30 a 16:30``."""
    parts = []
    for r in parse_hours(text):
        first, last = DAY_NAMES[r.days[0]], DAY_NAMES[r.days[-1]]
        days = first if len(r.days) == 1 else f"{first} a {last}"
        parts.append(f"{days} de {clock(r.opens)} a {clock(r.closes)}")
    text_out = "; ".join(parts)
    return text_out[0].upper() + text_out[1:]


def is_open(text: str, moment: datetime) -> bool:
    """Whether the hours include ``moment`` (a naive local time)."""
    return any(moment.weekday() in r.days and r.opens <= moment.time() < r.closes for r in parse_hours(text))


def next_opening(text: str, moment: datetime) -> Optional[datetime]:
    """The next moment at or after ``moment`` when the office opens (within a week)."""
    ranges = parse_hours(text)
    for offset in range(0, 8):
        day = (moment + timedelta(days=offset)).date()
        starts = sorted(datetime.combine(day, r.opens) for r in ranges if day.weekday() in r.days)
        for start in starts:
            if start >= moment:
                return start
    return None
