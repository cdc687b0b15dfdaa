"""Which procedure a message is about, from the catalogue's names and aliases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from bot.matching.generic import kinds_in_name
from bot.matching.phrases import PhraseMatch, PhraseMatcher
from bot.text import normalise, words_with_spans

if TYPE_CHECKING:
    from bot.catalogue.catalogue import Catalogue

# How far below the confident threshold a match may be to be offered as "¿Te refieres a...?".
SUGGESTION_SLACK = 14.0
# Two confident matches closer than this are ambiguous: ask which one.
AMBIGUITY_MARGIN = 3.0
# A word of one procedure's names only ("aseo") names it when it has at least these letters.
MIN_DISTINCTIVE_LETTERS = 4
MIN_DISTINCTIVE_PHRASES = 2
# Words that name no procedure on their own, though aliases hold them.
_COMMON = {
    "para",
    "por",
    "con",
    "una",
    "unos",
    "unas",
    "los",
    "las",
    "del",
    "que",
    "como",
    "donde",
    "cuanto",
    "cuesta",
    "sale",
    "vale",
    "pagar",
    "pago",
    "sacar",
    "pedir",
    "quiero",
    "hacer",
    "tengo",
    "esta",
    "estan",
    "tiene",
    "mismo",
    "casa",
    "calle",
    "vecino",
    "vecinos",
    "municipal",
    "municipalidad",
    "muni",
    "comuna",
    "tramite",
    "solicitud",
    "solicitar",
    "consultar",
    "saber",
    "necesito",
    "llego",
    "cobro",
    "mi",
    "me",
    "se",
    "hay",
    "ano",
    "anos",
    "dia",
    "dias",
    "todo",
    "toda",
    "nuevo",
    "nueva",
    "viejo",
    "vivo",
    "contra",
    "cuenta",
    "dejo",
    "fines",
    "final",
    "sitio",
    "terreno",
    "transito",
    "obras",
    "numero",
    "primera",
    "nacional",
    "parte",
    "fuerte",
    "formar",
    "seca",
    "sede",
    "noche",
    "hijos",
    "acreditar",
    "informacion",
    "acceso",
}


# "tengo el permiso…", "ya sacamos la patente…", "el permiso … aprobado": a procedure already done;
# "no es un bache": one that is not meant.
_HAVE = {"tengo", "tenemos", "tiene", "tienen", "tenia", "teniamos", "saque", "sacamos", "sacaron", "obtuve"}
_ARTICLES = {"el", "la", "los", "las", "mi", "mis", "un", "una", "nuestro", "nuestra", "su"}
_DONE = {"aprobado", "aprobada", "vigente", "aprobados", "listo", "lista"}
_DONE_REACH = 2  # words after the name


def _word_before(words: List[str], match: PhraseMatch) -> str | None:
    """The word just before ``match``, past one article ("tengo *el* permiso": "tengo")."""
    before = words[max(0, match.first_word - 2) : match.first_word]
    if before and before[-1] in _ARTICLES:
        before = before[:-1]
    return before[-1] if before else None


def _already_had(words: List[str], match: PhraseMatch) -> bool:
    """The words around ``match`` say the procedure is already had or done (not "tengo que sacar…"), or is
    what the message is not about ("no es un bache, lo q quiero denunciar es un microbasural")."""
    if _word_before(words, match) in _HAVE:
        return True
    denied = words[max(0, match.first_word - 3) : match.first_word]
    if denied and denied[-1] in _ARTICLES:
        denied = denied[:-1]
    if denied[-2:] in (["no", "es"], ["no", "era"], ["no", "son"]):
        return True
    return bool(set(words[match.last_word + 1 : match.last_word + 1 + _DONE_REACH]) & _DONE)


# "me sirve el pasaporte pa sacar el certificado…": a document used for another procedure, named after "pa".
_MEANS = {"sirve", "sirven", "vale", "valen", "usar", "uso", "ocupar", "presentar", "presento"}
_PURPOSE = {"pa", "para"}


def _a_means_to_another(words: List[str], match: PhraseMatch, found: List[PhraseMatch]) -> bool:
    """``match`` is offered as a means ("¿me sirve el pasaporte…") for a procedure named after a "pa"/"para"."""
    if _word_before(words, match) not in _MEANS:
        return False
    return any(
        other.first_word > match.last_word and _PURPOSE & set(words[match.last_word + 1 : other.first_word])
        for other in found
    )


class ProcedureMatcher:
    """Fuzzy matching of a message against every procedure's name and aliases."""

    def __init__(self, names_and_aliases: Mapping[str, Iterable[str]]) -> None:
        listed = {key: list(phrases) for key, phrases in names_and_aliases.items()}
        self._matcher = PhraseMatcher(listed)
        owners: Dict[str, Set[str]] = {}
        uses: Dict[str, int] = {}
        for key, phrases in listed.items():
            for phrase in phrases:
                for word in set(normalise(phrase).split()):
                    owners.setdefault(word, set()).add(key)
                    uses[word] = uses.get(word, 0) + 1
        self._families = _families(listed)
        # Of one procedure only, and in two of its phrases at least: no word of a single loose alias.
        self._distinctive = {
            word: next(iter(keys))
            for word, keys in owners.items()
            if len(keys) == 1
            and uses[word] >= MIN_DISTINCTIVE_PHRASES
            and len(word) >= MIN_DISTINCTIVE_LETTERS
            and word not in _COMMON
        }

    def find(self, text: str) -> List[PhraseMatch]:
        """Procedures named confidently in ``text``, best first, one per span.

        A procedure the citizen says they already have ("tenemos el permiso de edificación aprobado, pero
        nos piden la recepción final") comes after the others: it is the story, not what is asked.
        """
        return self.find_with_had(text)[0]

    def already_had(self, text: str) -> Set[str]:
        """The procedures ``text`` names as already had, beside another it names ("tenemos el permiso…")."""
        return self.find_with_had(text)[1]

    def find_with_had(self, text: str) -> Tuple[List[PhraseMatch], Set[str]]:
        """``find`` and ``already_had`` of one text, from one pass of the matcher."""
        found = self._matcher.find(text)
        had = self._had(text, found)
        ordered = [m for m in found if m not in had] + had if had else found
        return ordered, {m.key for m in had}

    @staticmethod
    def _had(text: str, found: List[PhraseMatch]) -> List[PhraseMatch]:
        if len(found) < 2:
            return []
        words = [word for word, _, _ in words_with_spans(text)]
        had = [match for match in found if _already_had(words, match) or _a_means_to_another(words, match, found)]
        return had if len(had) < len(found) else []

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

    def family(self, match: PhraseMatch) -> Set[str]:
        """The procedures an alias may mean when other procedures' phrases hold it, with its own.

        "carnet de manejar" names the first licence, but "carnet de manejar vencido" is the renewal:
        the alias names the family of the licence (the procedures of its kind, and those whose phrases
        hold it), and the message's other words tell which one. A specific alias names its procedure alone.
        """
        return self._families.get(match.phrase, {match.key})

    def by_distinctive_word(self, text: str) -> Optional[str]:
        """The one procedure whose own words the message uses ("¿cuánto es el aseo al año?"), if only one.

        A word counts when it belongs to the names of a single procedure (and is no common word);
        words of two different procedures say nothing.
        """
        named = {self._distinctive[w] for w in normalise(text).split() if w in self._distinctive}
        return next(iter(named)) if len(named) == 1 else None

    def distinctive_words(self, text: str) -> Dict[str, str]:
        """The message's words that belong to a single procedure's names, each with that procedure."""
        return {w: self._distinctive[w] for w in normalise(text).split() if w in self._distinctive}

    def suggestions(self, text: str, limit: int = 3) -> List[PhraseMatch]:
        """Weak matches worth offering as "¿Te refieres a...?", best first."""
        return self._matcher.best_per_key(text, slack=SUGGESTION_SLACK)[:limit]


def _families(names_and_aliases: Mapping[str, List[str]]) -> Dict[str, Set[str]]:
    """For each phrase that other procedures' phrases hold: the procedures it may mean (see ``family``)."""
    holders: Dict[str, Set[str]] = {}
    for key, phrases in names_and_aliases.items():
        for phrase in phrases:
            words = normalise(phrase).split()
            for size in range(1, len(words) + 1):
                for first in range(len(words) - size + 1):
                    holders.setdefault(" ".join(words[first : first + size]), set()).add(key)
    kinds = {key: kinds_in_name(phrases[0]) for key, phrases in names_and_aliases.items() if phrases}
    families: Dict[str, Set[str]] = {}
    for key, phrases in names_and_aliases.items():
        siblings = {other for other, own in kinds.items() if own & kinds.get(key, set())}
        for phrase in phrases:
            norm = normalise(phrase)
            held_by = holders.get(norm, set())
            if held_by - {key}:
                families[norm] = held_by | siblings | {key}
    return families


_matchers: Dict[int, ProcedureMatcher] = {}


def matcher_for(catalogue: "Catalogue") -> ProcedureMatcher:
    """A matcher over this catalogue (municipality-only procedures included), built once per catalogue."""
    key = id(catalogue)
    if key not in _matchers:
        _matchers.clear()
        _matchers[key] = ProcedureMatcher(catalogue.names_and_aliases())
    return _matchers[key]
