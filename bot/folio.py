"""Folios: the reference a citizen reads aloud and types to follow a request.

A folio is the municipality's three-letter code, a dash and six characters from an
alphabet without look-alikes (no 0/O, 1/I/L): ``PEN-7KX4M2``. The characters are
random, so folios cannot be guessed by counting.
"""

from __future__ import annotations

import re
import secrets
from typing import Iterator, Tuple

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6
_CHAR = f"[{ALPHABET}{ALPHABET.lower()}]"
# The six characters as written: together, or read out in groups ("pen 7kx 4m2", "ind 9x-k2-p7").
_BODY = "|".join(
    "[ -]".join(f"{_CHAR}{{{n}}}" for n in groups) for groups in ((LENGTH,), (3, 3), (2, 4), (4, 2), (2, 2, 2))
)
# Written with its dash, a folio mistyped with a look-alike ("ang-7qx2lm") is still meant as one: looked up
# (and not found) rather than refused as "not a folio".
_BODY += f"|[A-Za-z0-9]{{{LENGTH}}}"
# Or glued to its code ("pro3k9x7m"): then only when named as a folio.
FOLIO_RE = re.compile(rf"\b([A-Za-z]{{3}})(\s*-\s*|\s+|)({_BODY})\b")
# Named as a folio ("folio pen 330871", "mi folio es ANG 482913"): meant as one, like a folio with its dash.
_NAMED_WINDOW = 24  # "folio numero: " and the like fit in it
# Short Spanish words a street number is told with ("afuera del 2233 de san martin"): in a folio read out in
# groups without its dash, a group that is one of them (or a code that is one, before a group) makes no folio.
_SHORT_WORDS = frozenset(
    "de la el en es un se me te lo su al ya mi tu le si ha he va da ve yo ni "
    "del que los las por con una uno mas sin hay muy son sus mis les nos dia mes ver voy van esa ese eso era fue "
    "tan ahi aca asi hoy".split()
)
_NAMED_AS_FOLIO = re.compile(r"\bfolio\s*(?:es\s+|n[°º.]?\s*|numero\s+|nro\.?\s*|#\s*)?:?\s*$", re.IGNORECASE)


def new_folio(code: str) -> str:
    """A fresh random folio for the municipality with this code."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{code.upper()}-{body}"


def folios_in(text: str) -> Iterator[Tuple[str, int, int]]:
    """Each folio written in ``text``, canonical ("pen-7kx4m2", "ang zzz997" -> "ANG-ZZZ997"), with its span."""
    for match in FOLIO_RE.finditer(text):
        code, separator, written = match.groups()
        body = written.replace(" ", "").replace("-", "")
        before = text[max(0, match.start() - _NAMED_WINDOW) : match.start()]  # a window: linear in the text
        named = bool(_NAMED_AS_FOLIO.search(before))
        if not separator and not named:
            continue  # "ayudarles", "abril2026": a word; glued to its code only after "folio" ("folio pro3k9x7m")
        dashed = ("-" in separator and body == written) or named
        if not dashed and (any(ch.upper() not in ALPHABET for ch in body) or body.isdigit()):
            continue  # look-alikes only next to a dash ("mas 10dias"), and digits alone are a phone ("cel 987 654")
        groups = re.split(r"[ -]", written)
        if not dashed and len(groups) > 1 and {code.lower(), *(g.lower() for g in groups)} & _SHORT_WORDS:
            continue  # "del 2233 de san martin" is an address
        # Written with a space ("ang zzz997") or in groups, a folio must show a digit, or "que muchas" would be one.
        if dashed or any(ch.isdigit() for ch in body):
            yield f"{code.upper()}-{body.upper()}", match.start(), match.end()


def normalise_folio(text: str) -> str | None:
    """The canonical form of the first folio written in ``text`` ("pen-7kx4m2" -> "PEN-7KX4M2")."""
    return next((folio for folio, _, _ in folios_in(text)), None)
