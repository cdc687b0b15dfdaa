"""Fuzzy search of known phrases inside a message, with rapidfuzz.

Every phrase (an alias, a commune name) is compared with every window of the
normalised message that has about as many words; one ``cdist`` call scores them
all in C++. The threshold depends on the phrase length: short words must match
exactly, long phrases tolerate typos ("permiso de sircualcion"), but not another
word in place of one of theirs ("cuanto cobra la muni" is not "cuanto gasto la
municipalidad").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AbstractSet, Dict, Iterable, List, Mapping, Sequence, Tuple

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from bot.text import normalise, same_word, words_with_spans


@dataclass(frozen=True)
class PhraseMatch:
    """``key`` was named in the message by ``phrase`` at ``start:end`` with ``score`` (0-100)."""

    key: str
    phrase: str
    score: float
    start: int
    end: int
    first_word: int
    last_word: int

    @property
    def exact(self) -> bool:
        """Whether the window matched the phrase exactly after normalisation."""
        return self.score >= 100.0


def threshold_for(phrase: str) -> float:
    """Minimum score for a phrase of this length: exact for short words, tolerant for long phrases."""
    length = len(phrase)
    if length <= 4:
        return 100.0
    if length <= 7:
        return 85.0
    if length <= 12:
        return 82.0
    return 84.0


# A word of a phrase has a counterpart in the window when it is there misspelt ("sircualcion") or
# abbreviated ("muni" for "municipalidad") or in another form of the same word ("acredite", "acreditar":
# a stem of five letters in common). Short words of grammar (de, la, pa) need none; other short words
# must be there as they are ("ampliacion con permiso" is not "ampliacion sin permiso", "de la calle" is
# not "luz de la calle").
MIN_CONTENT_LETTERS = 4
MIN_ABBREVIATED_LETTERS = 3
# Short words a misspelt or reworded window may drop or change; any other short word ("luz", "sin", "con",
# "no") must be there as it is.
_FUNCTION_WORDS = {
    "de", "del", "la", "el", "los", "las", "un", "una", "y", "e", "o", "u", "en", "a", "al", "pa", "pal",
    "por", "mi", "mis", "me", "se", "su", "sus", "tu", "te", "lo", "le", "les", "q", "que", "es", "ya",
    "mas", "muy", "hay", "ha", "para",
}  # fmt: skip


def _has_counterpart(
    word: str, window_words: Sequence[str], vocabulary: AbstractSet[str], abbreviations: bool = True
) -> bool:
    if len(word) < MIN_CONTENT_LETTERS:
        return word in _FUNCTION_WORDS or word in window_words
    return any(
        said == word
        or (abbreviations and _abbreviates(said, word))
        or (said not in vocabulary and same_word(said, word))
        for said in window_words
    )


def _abbreviates(said: str, word: str) -> bool:
    """ "muni" for "municipalidad", "depto" for "departamento": a clearly shorter start of the word."""
    return (
        len(said) >= MIN_CONTENT_LETTERS and len(word) - len(said) >= MIN_ABBREVIATED_LETTERS and word.startswith(said)
    )


def words_agree(window: str, phrase: str, vocabulary: AbstractSet[str] = frozenset()) -> bool:
    """Every word of ``phrase`` that matters is in ``window``, exactly, misspelt or abbreviated.

    A word of ``vocabulary`` (the words of every phrase) is itself, no misspelling of another:
    "basura" is not "basural", "licitacion" not "felicitacion".
    """
    said, wanted = window.split(), phrase.split()
    # A window with a word more than the phrase abbreviates nothing: "pasa por" is no "pasaporte".
    abbreviations = len(said) <= len(wanted)
    return all(_has_counterpart(word, said, vocabulary, abbreviations) for word in wanted)


class PhraseMatcher:
    """Finds which keys a message names, given the phrases of each key."""

    def __init__(self, phrases: Mapping[str, Iterable[str]], min_score: float | None = None) -> None:
        seen: Dict[str, str] = {}
        for key, key_phrases in phrases.items():
            for phrase in key_phrases:
                norm = normalise(phrase)
                if norm and norm not in seen:
                    seen[norm] = key
        self._phrases: List[str] = list(seen)
        self._keys: List[str] = [seen[p] for p in self._phrases]
        self._lengths = np.array([len(p.split()) for p in self._phrases])
        self._thresholds = np.array([min_score if min_score is not None else threshold_for(p) for p in self._phrases])
        self._max_words = int(self._lengths.max()) + 1 if self._phrases else 1
        self._vocabulary = frozenset(word for phrase in self._phrases for word in phrase.split())

    def _windows(self, words: Sequence[Tuple[str, int, int]]) -> List[Tuple[str, int, int]]:
        windows = []
        for size in range(1, self._max_words + 1):
            for first in range(0, len(words) - size + 1):
                text = " ".join(w for w, _, _ in words[first : first + size])
                windows.append((text, first, first + size - 1))
        return windows

    def candidates(self, text: str, slack: float = 0.0) -> List[PhraseMatch]:
        """Every (key, window) pair scoring at least the threshold minus ``slack``, best first."""
        words = words_with_spans(text)
        windows = self._windows(words)
        if not windows or not self._phrases:
            return []
        scores = cdist(
            [w for w, _, _ in windows],
            self._phrases,
            scorer=fuzz.ratio,
            score_cutoff=max(0.0, float(self._thresholds.min()) - slack),
            dtype=np.float32,
        )
        sizes = np.array([last - first + 1 for _, first, last in windows])
        # A window may have one word more or less than the phrase.
        size_ok = np.abs(sizes[:, None] - self._lengths[None, :]) <= 1
        good = (scores >= self._thresholds[None, :] - slack) & size_ok
        found = []
        for w_index, p_index in zip(*np.nonzero(good), strict=False):
            window, first, last = windows[w_index]
            # A confident match may misspell the phrase's words, not replace one; a suggestion may.
            if (
                not slack
                and scores[w_index, p_index] < 100.0
                and not words_agree(window, self._phrases[p_index], self._vocabulary)
            ):
                continue
            found.append(
                PhraseMatch(
                    key=self._keys[p_index],
                    phrase=self._phrases[p_index],
                    score=float(scores[w_index, p_index]),
                    start=words[first][1],
                    end=words[last][2],
                    first_word=first,
                    last_word=last,
                )
            )
        found.sort(key=lambda m: (-round(m.score), -len(m.phrase.split()), -len(m.phrase)))
        return found

    def find(self, text: str) -> List[PhraseMatch]:
        """The best match of each key named in ``text``, in non-overlapping spans, best first."""
        chosen: List[PhraseMatch] = []
        for match in self.candidates(text):
            if any(c.key == match.key for c in chosen):
                continue
            if any(match.first_word <= c.last_word and c.first_word <= match.last_word for c in chosen):
                continue
            chosen.append(match)
        return chosen

    def best_per_key(self, text: str, slack: float) -> List[PhraseMatch]:
        """The best-scoring match of each key, allowing ``slack`` below the thresholds."""
        best: Dict[str, PhraseMatch] = {}
        for match in self.candidates(text, slack=slack):
            best.setdefault(match.key, match)
        return list(best.values())
