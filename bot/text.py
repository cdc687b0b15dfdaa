"""Normalisation of text as Chilean citizens type it on a phone.

Matching works on a normalised form: lower case, no accents, chat abbreviations
expanded ("q" -> "que", "pa" -> "para"), letters repeated for emphasis squeezed.
The ñ is folded to n as well, because many phones type "penalolen".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Dict, List, Optional, Tuple

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
    "dnd": "donde",
    "dnde": "donde",
    "qda": "queda",
    "qdan": "quedan",
    "cdo": "cuando",
    "xk": "porque",
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
    # "k" for "qu", as many type it: "kiero", "kisiera", "aki".
    "kiero": "quiero",
    "kieres": "quieres",
    "kiere": "quiere",
    "kieren": "quieren",
    "keria": "queria",
    "kisiera": "quisiera",
    "kien": "quien",
    "porke": "porque",
    "aki": "aqui",
    "aka": "aca",
    "kedo": "quedo",
    "keda": "queda",
}

# Words that say nothing about which option or procedure is meant ("el de…", "la del…", "los de…").
FILLER_WORDS = {
    "el",
    "la",
    "los",
    "las",
    "de",
    "del",
    "al",
    "a",
    "un",
    "una",
    "mi",
    "mis",
    "en",
    "y",
    "o",
    "para",
    "por",
    "con",
    "que",
    "ese",
    "esa",
    "eso",
    "este",
    "esta",
    "lo",
    "se",
    "me",
    "su",
    "sus",
    "es",
    "no",
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


# Letters Chilean spelling confuses: b/v, s/z/c before e or i, a silent h, ll/y; doubled letters.
_SOUND_RULES = (
    (re.compile(r"v"), "b"),
    (re.compile(r"z"), "s"),
    (re.compile(r"c(?=[ei])"), "s"),
    (re.compile(r"(?<!c)h"), ""),
    (re.compile(r"ll"), "y"),
    (re.compile(r"([a-z])\1+"), r"\1"),
)
# Two words of at least this many letters are the same word misspelt when their sound keys are this close.
CLOSE_SPELLING = 85.0
MIN_CLOSE_LETTERS = 4


def sound_key(word: str) -> str:
    """A normalised word as it sounds: "beredaa" and "vereda" -> "bereda", "sirculacion" -> "sirculasion"."""
    key = normalise_word(word)
    for pattern, replacement in _SOUND_RULES:
        key = pattern.sub(replacement, key)
    return key


def close_spelling(said: str, known: str) -> bool:
    """Whether ``said`` is ``known`` misspelt (same sound, or a letter or two off); short words must be equal."""
    if said == known:
        return True
    if min(len(said), len(known)) < MIN_CLOSE_LETTERS:
        return False
    from rapidfuzz import fuzz

    a, b = sound_key(said), sound_key(known)
    return a == b or fuzz.ratio(a, b) >= CLOSE_SPELLING


# Two words that start with this many letters in common are forms of one word ("acredite", "acreditar").
STEM_LETTERS = 5


def same_word(said: str, known: str) -> bool:
    """Whether ``said`` is ``known`` misspelt or in another form of it (a stem of five letters in common)."""
    return close_spelling(said, known) or (len(said) >= STEM_LETTERS and said[:STEM_LETTERS] == known[:STEM_LETTERS])


# An option chosen by its place, typed: "2", "la 2", "opción 2.", "#3".
_TYPED_NUMBER = re.compile(r"^(?:la|el|opcion|opción|numero|número|n°|#)?\s*(\d{1,2})\s*[.)]?$", re.IGNORECASE)


def typed_number(text: str) -> Optional[int]:
    """The number of an option typed alone ("2", "la 2", "opción 2"), or ``None``."""
    match = _TYPED_NUMBER.match(text.strip())
    return int(match.group(1)) if match else None
