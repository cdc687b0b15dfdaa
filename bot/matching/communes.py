"""Recognising Chile's communes in a message, misspelt or not.

Many commune names are also ordinary words ("Retiro", "Independencia", "La Florida",
"Tomé"). Such a name, and any misspelt one, counts only when the message is little
more than the name or a locative word comes just before it ("soy de", "vivo en").
"""

from __future__ import annotations

from typing import Dict, List, Sequence

from bot.catalogue.catalogue import Commune
from bot.matching.phrases import PhraseMatch, PhraseMatcher
from bot.text import words_with_spans

# Commune names that are also common Spanish words or phrases (normalised).
WORDLIKE = {
    "retiro",
    "constitucion",
    "concepcion",
    "florida",
    "la florida",
    "independencia",
    "victoria",
    "primavera",
    "maule",
    "navidad",
    "placilla",
    "molina",
    "colina",
    "laja",
    "pica",
    "lota",
    "cabrero",
    "olivar",
    "nogales",
    "la cruz",
    "el carmen",
    "santa cruz",
    "teno",
    "porvenir",
    "natales",
    "la estrella",
    "el bosque",
    "la granja",
    "la reina",
    "el monte",
    "providencia",
    "recoleta",
    "la union",
    "los lagos",
    "lago verde",
    "rio claro",
    "rio bueno",
    "pinto",
    "parral",
    "los angeles",
    "antartica",
    "freire",
    "lautaro",
    "ercilla",
    "arauco",
    "tome",
    "galvarino",
    "santiago",
    "san pedro",
    "la ligua",
    "los vilos",
    "san antonio",
    "vicuna",
    "buin",
    "paine",
    "renca",
    "lampa",
    "linares",
    "curacavi",
    "pemuco",
    "yungay",
    "bulnes",
    "quilaco",
    "contulmo",
    "palmilla",
    "peralillo",
    "litueche",
    "hijuelas",
    "limache",
    "cartagena",
    "algarrobo",
    "zapallar",
    "papudo",
    "petorca",
    "cabildo",
    "panquehue",
    "catemu",
    "la higuera",
    "andacollo",
    "canela",
    "combarbala",
    "mejillones",
    "taltal",
    "caldera",
    "huasco",
    "camarones",
    "general lagos",
    "colchane",
    "pozo almonte",
    "huara",
    "ollague",
    "sierra gorda",
    "maria elena",
    "maria pinto",
    "padre hurtado",
    "alto hospicio",
    "chile chico",
    "tortel",
    "cochrane",
    "o higgins",
    "timaukel",
    "san gregorio",
    "laguna blanca",
    "rio verde",
    "puerto natales",
    "calera",
    "quinta",
    "nacimiento",
    "negrete",
    "empedrado",
    "ninhue",
    "portezuelo",
    "coronel",
    "hospital",
    "mariquina",
    "la serena",
}
# A misspelt commune needs at least this score (exact names always count).
FUZZY_MIN_SCORE = 88.0
CUE_WORDS = {"de", "en", "del", "desde", "comuna", "vivo", "soy", "municipalidad", "somos"}
ARTICLE_CUES = {"del"}  # "de" + "el": before a word-like name, the word itself
# Words that may surround a commune typed almost alone: "de providencia po".
FILLER_WORDS = CUE_WORDS | {"po", "pues", "la", "el", "mi", "es", "hola", "yo", "aca", "ahi", "la comuna", "si", "ya"}


# Words a street's name follows ("calle Ercilla", "la esquina de Ercilla", "pasaje Río Palena", "Maruri con
# Ercilla"): the name of a commune there is a street's.
STREET_WORDS = {
    "calle", "pasaje", "psje", "pje", "avenida", "camino", "esquina", "villa", "poblacion", "pobl", "barrio",
    "condominio", "callejon", "diagonal", "con", "costanera", "block",
}  # fmt: skip
STREET_LOOKBACK = 2  # "esquina de Ercilla": the street word may stand one word before


def names_a_street(words: Sequence[tuple], first: int, last: int) -> bool:
    """The words ``first``..``last`` name a street: after a street word or a house number ("frente al 567 de
    ercilla"), before "con" (a corner) or a number."""
    before = [w for w, _, _ in words[max(0, first - STREET_LOOKBACK) : first]]
    after = words[last + 1][0] if last + 1 < len(words) else ""
    numbered = len(before) == STREET_LOOKBACK and before[0].isdigit() and before[1] in ("de", "del")
    return bool(set(before) & STREET_WORDS) or numbered or after == "con" or after.isdigit()


class CommuneMatcher:
    """Finds the official name of the communes a message names."""

    def __init__(self, communes: Sequence[Commune]) -> None:
        phrases: Dict[str, List[str]] = {c.name: [c.name, *c.aliases] for c in communes}
        self._matcher = PhraseMatcher(phrases)

    def find(self, text: str) -> List[PhraseMatch]:
        """The communes named in ``text`` (``key`` is the official name), best first."""
        words = words_with_spans(text)
        found = []
        for match in self._matcher.find(text):
            if not match.exact and match.score < FUZZY_MIN_SCORE:
                continue
            exact_plain = match.exact and match.phrase not in WORDLIKE
            if names_a_street(words, match.first_word, match.last_word):
                continue  # "la esquina de ercilla con lautaro": streets of Angol named after communes
            if exact_plain or self._has_cue(words, match) or self._is_whole_message(words, match):
                found.append(match)
        return found

    @staticmethod
    def _has_cue(words, match: PhraseMatch) -> bool:
        before = words[match.first_word - 1][0] if match.first_word > 0 else ""
        # "quiero saber del retiro": after an article, a word-like name is the word ("soy de retiro" is the commune).
        if match.phrase in WORDLIKE and before in ARTICLE_CUES:
            return False
        return before in CUE_WORDS

    @staticmethod
    def _is_whole_message(words, match: PhraseMatch) -> bool:
        # "penalolen", "de providencia po", "puente alto!"
        outside = words[: match.first_word] + words[match.last_word + 1 :]
        return len(outside) <= 3 and all(w in FILLER_WORDS for w, _, _ in outside)
