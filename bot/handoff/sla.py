"""The first-response clock of the staff console: office minutes a citizen has waited for a person.

Only the municipality's office time counts (its main office's hours, ``bot.catalogue.hours``):
nights, weekends, lunch breaks and holidays (``Catalogue.holidays_for``) do not. Past two thirds
of the limit (``CONSOLE_SLA_MINUTES``) a waiting conversation is ``por_vencer``, past the limit
``atrasada``; once a person answered it is ``respondida``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Collection, FrozenSet, Optional
from zoneinfo import ZoneInfo

from bot.catalogue.hours import (
    HoursFormatError,
    in_break,
    is_open,
    next_opening,
    parse_hours,
    working_minutes_between,
)
from bot.catalogue.model import Municipality
from bot.config import timezone_name

WARNING_SHARE = 2 / 3  # share of the limit from which a waiting conversation is about to be late


class SlaState(str, Enum):
    """How a conversation stands against the first-response limit (the value is what the console shows)."""

    ON_TIME = "a_tiempo"
    WARNING = "por_vencer"
    LATE = "atrasada"
    ANSWERED = "respondida"

    def __str__(self) -> str:
        return self.value


class OfficeStatus(str, Enum):
    """Whether the office is open now."""

    OPEN = "abierta"
    LUNCH = "colacion"
    CLOSED = "cerrada"
    HOLIDAY = "feriado"
    UNKNOWN = "sin_horario"  # no hours in the catalogue: the clock counts every minute

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class OfficeNow:
    """The office's state at a moment, and when it opens again (local time) if it is not open."""

    status: OfficeStatus
    reopens: Optional[datetime] = None


def local(moment: datetime) -> datetime:
    """An aware moment as a naive local time of the municipalities (``TZ_MUNICIPAL``)."""
    return moment.astimezone(ZoneInfo(timezone_name())).replace(tzinfo=None)


@dataclass(frozen=True)
class SlaClock:
    """The office hours and holidays one municipality's clock runs on, and its limit in minutes."""

    hours: Optional[str]
    limit_minutes: int
    holidays: FrozenSet[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, town: Optional[Municipality], holidays: Collection[date], limit_minutes: int) -> "SlaClock":
        """The clock of a municipality: its main office's hours (as the handoff message uses them)."""
        office = town.main_office() if town else None
        hours = office.hours if office else None
        if hours:
            try:
                parse_hours(hours)  # validated with the catalogue; a bad text counts every minute
            except HoursFormatError:
                hours = None
        return cls(hours or None, limit_minutes, frozenset(holidays))

    def minutes(self, start: datetime, end: datetime) -> float:
        """Office minutes from ``start`` to ``end`` (aware moments); every minute without hours."""
        if end <= start:
            return 0.0
        if self.hours is None:
            return (end - start).total_seconds() / 60
        return working_minutes_between(self.hours, self.holidays, local(start), local(end))

    def state(self, minutes: float, answered: bool) -> SlaState:
        """The state of a conversation that waited ``minutes`` office minutes (until answered, or until now)."""
        if answered:
            return SlaState.ANSWERED
        if minutes > self.limit_minutes:
            return SlaState.LATE
        if minutes >= self.limit_minutes * WARNING_SHARE:
            return SlaState.WARNING
        return SlaState.ON_TIME

    def office(self, now: datetime) -> OfficeNow:
        """Whether the office is open at ``now`` (aware), in its lunch break, closed or on a holiday."""
        if self.hours is None:
            return OfficeNow(OfficeStatus.UNKNOWN)
        moment = local(now)
        if is_open(self.hours, moment, self.holidays):
            return OfficeNow(OfficeStatus.OPEN)
        reopens = next_opening(self.hours, moment, self.holidays)
        if moment.date() in self.holidays:
            return OfficeNow(OfficeStatus.HOLIDAY, reopens)
        if in_break(self.hours, moment, self.holidays):
            return OfficeNow(OfficeStatus.LUNCH, reopens)
        return OfficeNow(OfficeStatus.CLOSED, reopens)
