"""Dates as citizens write them: "mañana", "el lunes", "15 de marzo", "20/12"."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Optional

import dateparser
from dateutil.relativedelta import relativedelta

from bot.text import normalise

MAX_DATE_LENGTH = 200  # "el próximo lunes 15 de marzo en la tarde, idealmente" is about 50
FILLER = {
    "el",
    "este",
    "esta",
    "proximo",
    "proxima",
    "dia",
    "en",
    "la",
    "tarde",
    "noche",
    "por",
    "ojala",
    "idealmente",
    "puede",
    "ser",
    "a",
    "las",
    "de",
    "mañana_tarde",
}


def parse_date(text: str, today: date) -> Optional[date]:
    """The date meant by ``text``, preferring the future, or ``None``."""
    norm = normalise(text)
    if not norm or len(norm) > MAX_DATE_LENGTH:  # dateparser recurses once per word of a long text
        return None
    if "pasado manana" in norm:
        return today + timedelta(days=2)
    norm = re.sub(r"\b(?:en|por|de|a) la manana\b", " ", norm)  # "en la mañana" is the morning, not tomorrow
    weekday = _weekday_only(norm)
    if weekday is not None:  # "el proximo jueves si se puede": the coming Thursday, whatever else is said
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    base = datetime.combine(today, datetime.min.time()).replace(hour=9)
    settings = {"PREFER_DATES_FROM": "future", "DATE_ORDER": "DMY", "RELATIVE_BASE": base}
    candidates = [text, norm]
    words = norm.split()
    kept = [
        w
        for i, w in enumerate(words)
        if w not in FILLER or (w == "de" and 0 < i < len(words) - 1 and words[i - 1].isdigit())
    ]
    candidates.append(" ".join(kept))
    for candidate in candidates:
        if not candidate.strip():
            continue
        parsed = dateparser.parse(candidate, languages=["es"], settings=settings)
        if parsed is None:
            continue
        result = parsed.date()
        if re.fullmatch(r"\d{1,2}", candidate.strip()) and result < today:
            result = result + relativedelta(months=1)  # "el 20" said on the 25th means next month
        return result
    return None


_WEEKDAYS = ["lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"]
_WEEKDAY = re.compile(r"\b(lunes|martes|miercoles|jueves|viernes|sabados?|domingos?)\b")


def _weekday_only(norm: str) -> Optional[int]:
    """The one weekday a message names without a day number ("el proximo jueves"), or ``None``."""
    if re.search(r"\d", norm) or "semana" in norm:
        return None  # "el jueves 15", "el jueves de la otra semana": for dateparser
    named = {_WEEKDAYS.index(m.rstrip("s") if m.rstrip("s") in _WEEKDAYS else m) for m in _WEEKDAY.findall(norm)}
    return next(iter(named)) if len(named) == 1 else None
