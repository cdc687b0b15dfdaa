"""When something happens, in the words citizens use: days ("los viernes") and hours ("desde las 11",
"hasta las cinco de la madrugada"), as an opening message tells them."""

from __future__ import annotations

import re

from bot.text import normalise

_HOUR_WORDS = r"(?:una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|\d{1,2})"
# On which days, or at what part of the day.
WHEN = re.compile(
    r"\b(?:lunes|martes|miercoles|jueves|viernes|sabados?|domingos?|fin(?:es)? de semana|todos los dias"
    r"|todas las (?:noches|tardes|mananas|madrugadas)|diario|a diario|cada dia|en la noche|en las noches"
    r"|de noche|en la madrugada|en las tardes|en la tarde|en las mananas|en la manana|dia y noche)\b"
)
# At what hour: "desde las 11", "a las once de la noche", "23:00", "10 pm", "toda la noche".
AT_TIME = re.compile(
    rf"\b(?:(?:desde|hasta|a|de|entre) las? {_HOUR_WORDS}\b|\d{{1,2}}(?::\d{{2}})? ?(?:hrs?|horas|am|pm)\b"
    r"|\d{1,2}:\d{2}|toda la noche|todo el dia|toda la tarde|toda la madrugada|medianoche|mediodia)"
)


def is_schedule(text: str) -> bool:
    """The words say on which days or at what time of day, and at what hour ("los viernes desde las 11")."""
    norm = normalise(text)
    return bool(WHEN.search(norm) and AT_TIME.search(norm))
