"""Folios: the reference a citizen reads aloud and types to follow a request.

A folio is the municipality's three-letter code, a dash and six characters from an
alphabet without look-alikes (no 0/O, 1/I/L): ``PEN-7KX4M2``. The characters are
random, so folios cannot be guessed by counting.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6
FOLIO_RE = re.compile(rf"\b([A-Za-z]{{3}})\s*-\s*([{ALPHABET}{ALPHABET.lower()}]{{{LENGTH}}})\b")


def new_folio(code: str) -> str:
    """A fresh random folio for the municipality with this code."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{code.upper()}-{body}"


def normalise_folio(text: str) -> str | None:
    """The canonical form of a folio written in ``text`` ("pen-7kx4m2" -> "PEN-7KX4M2")."""
    match = FOLIO_RE.search(text)
    if not match:
        return None
    return f"{match.group(1).upper()}-{match.group(2).upper()}"
