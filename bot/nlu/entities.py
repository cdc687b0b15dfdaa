"""Finders for the structured entities citizens type: RUT, e-mail, phone and folio.

Each finder returns ``Found`` items with the normalised value and the span of
the original text, the shape the NLU extractor turns into Rasa entities.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterable, List, Tuple

import phonenumbers
from stdnum.cl import rut as stdnum_rut

from bot.folio import folios_in


@dataclass(frozen=True)
class Found:
    """A value found in a message, normalised, with its character span."""

    entity: str
    value: str
    start: int
    end: int
    confidence: float = 1.0


# 12.345.678-5, 12345678-5, 12345678 - k, 1.234.567-4, or its check digit after a space: 18270483 0
_RUT_RE = re.compile(r"(?<![\w.])(\d{1,2}\.\d{3}\.\d{3}|\d{7,8})(?:\s?-\s?|\s)([\dkK])(?![\w])")
# 123456785 right after the word "rut"
_BARE_RUT_RE = re.compile(r"\brut\b\D{0,12}?(?<!\d)(\d{8,9}|\d{7,8}[kK])(?![\w])", re.IGNORECASE)
# An address starts where a run of address characters starts: without the look-behind the engine
# would retry from every character of a long run ("aaaa…" without "@"), quadratic in its length.
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A message with more candidates than this is not a list of phones; this bounds the matcher's work.
MAX_PHONE_CANDIDATES = 200


def format_rut(raw: str) -> str | None:
    """``12345678-5`` for a valid RUT in any usual spelling, else ``None``."""
    try:
        compact = stdnum_rut.validate(raw)
    except Exception:  # stdnum raises several ValidationError subclasses
        return None
    return f"{compact[:-1]}-{compact[-1].upper()}"


def find_ruts(text: str) -> List[Found]:
    """RUTs with a valid check digit, as ``12345678-5``."""
    found = _Spans()
    for match in _RUT_RE.finditer(text):
        value = format_rut(match.group(1) + match.group(2))
        if value:
            found.add_unless_overlapping(Found("rut", value, match.start(), match.end()))
    ordered = list(found.items)
    for match in _BARE_RUT_RE.finditer(text):
        value = format_rut(match.group(1))
        if value and not found.overlaps(match.start(1), match.end(1)):
            ordered.append(Found("rut", value, match.start(1), match.end(1)))
    return ordered


def first_rut(text: str) -> str | None:
    """The first valid RUT written in ``text``, or ``text`` itself as a RUT; else ``None``."""
    return next((f.value for f in find_ruts(text)), None) or format_rut(text.strip())


def find_emails(text: str) -> List[Found]:
    """E-mail addresses, lower-cased."""
    return [
        Found("email", m.group().rstrip(".").lower(), m.start(), m.start() + len(m.group().rstrip(".")))
        for m in EMAIL_RE.finditer(text)
    ]


def find_phones(text: str) -> List[Found]:
    """Chilean (or international) phone numbers in E.164, e.g. ``+56987654321``."""
    found = []
    for match in phonenumbers.PhoneNumberMatcher(
        text, "CL", leniency=phonenumbers.Leniency.POSSIBLE, max_tries=MAX_PHONE_CANDIDATES
    ):
        if not _acceptable(match.number):
            continue
        value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.append(Found("telefono", value, match.start, match.end))
    return found


def format_phone(raw: str) -> str | None:
    """E.164 form of one phone number typed alone, or ``None`` when it is not valid."""
    try:
        number = phonenumbers.parse(raw, "CL")
    except phonenumbers.NumberParseException:
        return None
    if not _acceptable(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


CHILE = 56
MOBILE_DIGITS = 9


def _acceptable(number: phonenumbers.PhoneNumber) -> bool:
    """A valid number, or any Chilean mobile: 9 and eight digits ("9 1234 5678").

    The library's table of allotted mobile ranges lags behind the operators': a citizen's own
    number must never be refused for it.
    """
    national = str(number.national_number)
    chilean_mobile = number.country_code == CHILE and len(national) == MOBILE_DIGITS and national.startswith("9")
    return chilean_mobile or phonenumbers.is_valid_number(number)


def find_folios(text: str) -> List[Found]:
    """Folios such as ``PEN-7KX4M2`` (any case), upper-cased."""
    return [Found("folio", folio, start, end) for folio, start, end in folios_in(text)]


def blank_spans(text: str, spans: Iterable[Tuple[int, int]], mark: str = " ") -> str:
    """``text`` with each ``(start, end)`` span replaced by ``mark`` (spans of the original text, any order)."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + mark + text[end:]
    return text


def find_structured(text: str) -> List[Found]:
    """Every RUT, e-mail, folio and phone in ``text``, without overlapping spans.

    RUTs, e-mails and folios win over phones: a RUT's digits must not be read as a phone.
    """
    found = _Spans()
    for finder in (find_ruts, find_emails, find_folios, find_phones):
        for item in finder(text):
            found.add_unless_overlapping(item)
    return found.items


class _Spans:
    """Found items without overlaps, sorted by start; checking one costs O(log n), not O(n)
    (a long message may hold thousands of e-mail-like pieces)."""

    def __init__(self) -> None:
        self.items: List[Found] = []
        self._starts: List[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        """Whether [start, end) overlaps an item (items do not overlap each other)."""
        index = bisect.bisect_left(self._starts, end)  # items starting before ``end``
        return index > 0 and self.items[index - 1].end > start

    def add_unless_overlapping(self, item: Found) -> bool:
        """Add ``item`` unless it overlaps one already found; whether it was added."""
        if self.overlaps(item.start, item.end):
            return False
        index = bisect.bisect_left(self._starts, item.start)
        self._starts.insert(index, item.start)
        self.items.insert(index, item)
        return True
