"""Numbers said digit by digit, as people dictate a RUT or a phone number, written as digits.

"mi rut es uno dos tres cuatro cinco seis siete ocho guion cinco" → "mi rut es 12345678-5";
Whisper sometimes writes some of them as digits already ("1, 5, 6, siete…"): both are read. Only
runs of at least ``MIN_DIGITS`` are joined, so "dos certificados" stays as it is.
"""

from __future__ import annotations

import re

MIN_DIGITS = 7
_WORDS = {
    "cero": "0",
    "uno": "1",
    "un": "1",
    "una": "1",
    "dos": "2",
    "tres": "3",
    "cuatro": "4",
    "cinco": "5",
    "seis": "6",
    "siete": "7",
    "ocho": "8",
    "nueve": "9",
}
_DIGIT = r"(?:\d|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b"
_CHECK = r"(?:\d|k|ka|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b"
_SEP = r"[\s,.;]+"
_DASH = r"(?:[\s,.;]*(?:-|gui[oó]n)[\s,.;]*)"
_RUN = re.compile(rf"\b{_DIGIT}(?:{_SEP}{_DIGIT})*(?:(?:{_DASH}|{_SEP}){_CHECK})?", re.IGNORECASE)
_ITEM = re.compile(rf"{_CHECK}|-|gui[oó]n", re.IGNORECASE)


def _value(token: str) -> str:
    token = token.lower()
    return "k" if token in ("k", "ka") else _WORDS.get(token, token)


def _joined(match: re.Match) -> str:
    items = [m.group() for m in _ITEM.finditer(match.group())]
    dash = next((i for i, t in enumerate(items) if t.lower() in ("-", "guion", "guión")), None)
    digits = [_value(t) for t in items if t.lower() not in ("-", "guion", "guión")]
    if len(digits) < MIN_DIGITS or ("k" in digits[:-1]):
        return match.group()
    if dash is not None and dash == len(items) - 2:
        return "".join(digits[:-1]) + "-" + digits[-1]
    if digits[-1] == "k":
        return match.group()
    return "".join(digits)


def join_spoken_digits(text: str) -> str:
    """``text`` with every run of dictated digits written as one number (a check digit after "guion")."""
    return _RUN.sub(_joined, text)
