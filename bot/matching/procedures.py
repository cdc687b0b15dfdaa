"""Which procedure a message is about, from the catalogue's names and aliases."""
from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, TYPE_CHECKING

from bot.matching.phrases import PhraseMatch, PhraseMatcher

if TYPE_CHECKING:
    from bot.catalogue.catalogue import Catalogue

# How far below the confident threshold a match may be to be offered as "¿Te refieres a...?".
SUGGESTION_SLACK = 14.0
# Two confident matches closer than this are ambiguous: ask which one.
AMBIGUITY_MARGIN = 3.0


class ProcedureMatcher:
    """Fuzzy matching of a message against every procedure's name and aliases."""

    def __init__(self, names_and_aliases: Mapping[str, Iterable[str]]) -> None:
        self._matcher = PhraseMatcher(names_and_aliases)

    def find(self, text: str) -> List[PhraseMatch]:
        """Procedures named confidently in ``text``, best first, one per span."""
        return self._matcher.find(text)

    def best(self, text: str) -> PhraseMatch | None:
        """The procedure named most confidently, if any."""
        found = self.find(text)
        return found[0] if found else None

    def ambiguous(self, text: str) -> List[PhraseMatch]:
        """Two or more procedures matched about equally well for the same words."""
        found = self._matcher.candidates(text)
        if not found:
            return []
        top = found[0]
        rivals: Dict[str, PhraseMatch] = {}
        for match in found:
            same_words = match.first_word <= top.last_word and top.first_word <= match.last_word
            # A rival named by a shorter part of the same words is not ambiguous:
            # "renovar la licencia de conducir" is renewal, not a first licence.
            as_long = match.last_word - match.first_word >= top.last_word - top.first_word
            if same_words and as_long and top.score - match.score <= AMBIGUITY_MARGIN:
                rivals.setdefault(match.key, match)
        return list(rivals.values()) if len(rivals) > 1 else []

    def suggestions(self, text: str, limit: int = 3) -> List[PhraseMatch]:
        """Weak matches worth offering as "¿Te refieres a...?", best first."""
        return self._matcher.best_per_key(text, slack=SUGGESTION_SLACK)[:limit]


_matchers: Dict[int, ProcedureMatcher] = {}


def matcher_for(catalogue: "Catalogue") -> ProcedureMatcher:
    """A matcher over this catalogue (municipality-only procedures included), built once per catalogue."""
    key = id(catalogue)
    if key not in _matchers:
        _matchers.clear()
        _matchers[key] = ProcedureMatcher(catalogue.names_and_aliases())
    return _matchers[key]
