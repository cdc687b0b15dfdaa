"""Normalisation of text as Chilean citizens type it on a phone.

Matching works on a normalised form: lower case, no accents, chat abbreviations
expanded ("q" -> "que", "pa" -> "para"), letters repeated for emphasis squeezed.
The ñ is folded to n as well, because many phones type "penalolen".
"""
from __future__ import annotations

import re
import unicodedata
from typing import Dict, List, Tuple

# Chat spellings and abbreviations -> the word they stand for.
CHAT_WORDS: Dict[str, str] = {
    "q": "que",
    "k": "que",
    "ke": "que",
    "qe": "que",
    "pa": "para",
    "pal": "para el",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "x": "por",
    "d": "de",
    "tb": "tambien",
    "tmb": "tambien",
    "tbn": "tambien",
    "porfa": "por favor",
    "porfis": "por favor",
    "pls": "por favor",
    "plis": "por favor",
    "xfa": "por favor",
    "xfavor": "por favor",
    "muni": "municipalidad",
    "munic": "municipalidad",
    "dpto": "departamento",
    "depto": "departamento",
    "nro": "numero",
    "n°": "numero",
    "av": "avenida",
    "cel": "celular",
    "msj": "mensaje",
    "info": "informacion",
    "certif": "certificado",
    "cert": "certificado",
    "ud": "usted",
    "uds": "ustedes",
    "wena": "buena",
    "weno": "bueno",
    "ta": "esta",
    "toy": "estoy",
    "tan": "estan",
}

_WORD_RE = re.compile(r"[\w@.+-]+|[^\w\s]", re.UNICODE)
_REPEATS_RE = re.compile(r"([a-z])\1{2,}")


def strip_accents(text: str) -> str:
    """Remove diacritics, folding ñ to n: 'Peñalolén' -> 'Penalolen'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_word(word: str) -> str:
    """Normalise one token: lower case, no accents, squeezed repeats, chat words expanded."""
    plain = strip_accents(word.lower())
    plain = _REPEATS_RE.sub(r"\1\1", plain)
    return CHAT_WORDS.get(plain, plain)


def normalise(text: str) -> str:
    """Normalise a whole message for matching (punctuation becomes spaces)."""
    words = [normalise_word(w) for w in re.findall(r"\w+", text, re.UNICODE)]
    return " ".join(w for w in words if w)


def words_with_spans(text: str) -> List[Tuple[str, int, int]]:
    """Normalised words of ``text`` with the character span each came from.

    A chat word that expands to two words ("pal") keeps one span for both.
    """
    result: List[Tuple[str, int, int]] = []
    for match in re.finditer(r"\w+", text, re.UNICODE):
        for part in normalise_word(match.group()).split():
            result.append((part, match.start(), match.end()))
    return result
