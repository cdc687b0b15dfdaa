"""Public holidays: Chile's national list (``catalogue/feriados.yml``) and a municipality's own days.

An office is closed on either; ``Catalogue.holidays_for`` is the one place that puts them together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, Iterable, List, Set

_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class HolidayFormatError(ValueError):
    """A holiday date that is not a real ``AAAA-MM-DD`` date; the message is in Spanish."""


@dataclass(frozen=True)
class Holiday:
    """A national public holiday: its date and its name ("Fiestas Patrias")."""

    day: date
    name: str


def parse_holiday_date(value: object) -> date:
    """The date of a holiday written ``2026-12-08``; raises ``HolidayFormatError`` otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not _ISO_DATE_RE.match(text):
        raise HolidayFormatError(f"fecha de feriado inválida {text!r}: se escribe AAAA-MM-DD, como 2026-12-08")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise HolidayFormatError(f"la fecha de feriado {text!r} no existe") from exc


def holidays_by_day(national: Iterable[Holiday], own: Iterable[str]) -> Dict[date, str]:
    """National holidays and a municipality's own days, by date; own days have no name ("")."""
    days = {holiday.day: holiday.name for holiday in national}
    for text in own:
        days.setdefault(parse_holiday_date(text), "")
    return days


def national_holiday_problems(entries: Any) -> List[str]:
    """What is wrong with the entries of ``feriados.yml``: a list of ``{fecha, nombre}``."""
    if not isinstance(entries, list):
        return ["se espera una lista de feriados, cada uno con fecha y nombre"]
    problems: List[str] = []
    seen: Set[date] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"feriado n.º {number}"
        if not isinstance(entry, dict) or set(entry) != {"fecha", "nombre"}:
            problems.append(f"{where}: se escribe con fecha y nombre, como {{fecha: 2026-12-08, nombre: ...}}")
            continue
        if not isinstance(entry["nombre"], str) or not entry["nombre"].strip():
            problems.append(f"{where}: falta el nombre")
        try:
            day = parse_holiday_date(entry["fecha"])
        except HolidayFormatError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if day in seen:
            problems.append(f"{where}: la fecha {day.isoformat()} se repite")
        seen.add(day)
    return problems


def own_holiday_problems(days: Iterable[str]) -> List[str]:
    """What is wrong with a municipality's ``feriados`` (ISO dates)."""
    problems: List[str] = []
    seen: Set[date] = set()
    for text in days:
        try:
            day = parse_holiday_date(text)
        except HolidayFormatError as exc:
            problems.append(str(exc))
            continue
        if day in seen:
            problems.append(f"el feriado {day.isoformat()} se repite")
        seen.add(day)
    return problems
