"""Everyday words that name a form option ("pa la pega" is «Trabajo», "la perrita" is «Perro»).

Keyed by a normalised word of the option's title; an answer naming a word of exactly one
option chooses it. Spanish as written in Chile, not catalogue facts: the options
themselves live in the catalogue's forms.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set

from bot.text import close_spelling, normalise, strip_accents

SYNONYMS: Dict[str, Set[str]] = {
    "trabajo": {"pega", "laboral", "empleo", "empresa", "contrato", "trabajar"},
    "estudios": {"colegio", "universidad", "liceo", "instituto", "estudiar", "matricula", "beca", "escuela", "u"},
    "bancario": {"banco", "credito", "cuenta", "hipotecario", "prestamo"},
    "fiesta": {"carrete", "musica", "parlante", "karaoke", "cumpleanos", "fiestas"},
    "construccion": {"obra", "obras", "maquinas", "martillo", "taladro", "construyendo"},
    "comercial": {"local", "bar", "negocio", "restaurant", "restoran", "botilleria", "discoteca", "pub"},
    "animales": {"perro", "perros", "ladridos", "ladra", "ladran", "gallo", "gallos", "animal"},
    "vivienda": {"casa", "adentro", "cocina", "dentro", "depto", "departamento", "entretecho"},
    "patio": {"jardin", "antejardin"},
    "via": {"calle", "vereda", "pasaje", "plaza"},
    "eriazo": {"sitio", "terreno", "baldio"},
    "perro": {"perrito", "perrita", "perra", "perros", "quiltro", "can", "cachorro"},
    "gato": {"gatito", "gatita", "gata", "michi", "gatos", "minino"},
    "macho": {"machito"},
    "hembra": {"hembrita"},
    "vereda": {"bandejon", "frente", "calle"},
    "plaza": {"parque", "area"},
    "propiedad": {"patio", "casa", "jardin", "terreno"},
    "reclamo": {"reclamar", "queja", "quejarme", "reclamando"},
    "sugerencia": {"sugerir", "idea", "propuesta", "proponer"},
    "felicitacion": {"felicitar", "agradecer", "agradecimiento", "felicitaciones"},
    "consulta": {"pregunta", "preguntar", "consultar", "duda"},
}
MAX_CLOSE_WORDS = 12
# Words of option titles that say nothing on their own.
_FILLER = {"o", "y", "de", "del", "la", "el", "mi", "en", "a", "un", "una", "entre", "mas", "menos", "m", "1", "3"}


def _words(option: str) -> Set[str]:
    own = {w for w in normalise(option).split() if w not in _FILLER}
    return own | set().union(*(SYNONYMS.get(w, set()) for w in own))


OPTION_STEM, MIN_STEMMED_LETTERS = 5, 6  # "felicitar" and «Felicitación»: the same word for a choice


def option_named(text: str, options: List[str]) -> Optional[str]:
    """The only option whose words (or their everyday synonyms) the answer uses, if exactly one.

    Exact words first; then close spellings ("en la beredaa" is «Vereda / bandejón»: b/v, a doubled
    letter, a missing accent), again only when they point to one option.
    """
    said = set(normalise(text).split())
    named = [option for option in options if _words(option) & said]
    if named:
        return named[0] if len(named) == 1 else None
    # "quiero felicitar a alguien" is a «Felicitación», "reclamar" a «Reclamo»: a title word by its stem
    stems = {w[:OPTION_STEM] for w in said if len(w) >= MIN_STEMMED_LETTERS}
    stemmed = [o for o in options if any(len(w) >= MIN_STEMMED_LETTERS and w[:OPTION_STEM] in stems for w in _words(o))]
    if len(stemmed) == 1:
        return stemmed[0]
    content = [w for w in said if w not in _FILLER]
    if len(content) > MAX_CLOSE_WORDS:  # an answer to a choice is a few words, not a story
        return None
    close = [option for option in options if any(close_spelling(w, own) for w in content for own in _words(option))]
    return close[0] if len(close) == 1 else None


# Options that are ranges of an amount: "Menos de 1 m³", "Entre 1 y 3 m³", "Más de 3 m³".
_BELOW = re.compile(r"^(?:menos de|hasta) (\d+(?:[.,]\d+)?)\b")
_BETWEEN = re.compile(r"^(?:entre|de) (\d+(?:[.,]\d+)?) (?:y|a) (\d+(?:[.,]\d+)?)\b")
_ABOVE = re.compile(r"^(?:mas de|sobre) (\d+(?:[.,]\d+)?)\b")
# An amount said with its unit ("como 2 metros cubicos", "unos 5 m3"): a bare "2" picks the second option.
_AMOUNT = re.compile(r"\b(\d+(?:[.,]\d+)?) ?(?:m3|m|mts|metros?|cubicos?|kilos?|kg|anos?|meses|dias|personas|horas)\b")


# "menos d 1 m3" typed fast: the "de" shortened.
_UNDER = re.compile(r"\b(?:menos de|menos d|menor a|menor que|bajo|no alcanza a|ni)\s*$")
_OVER = re.compile(r"\b(?:mas de|mas d|mayor a|mayor que|sobre|pasado de|arriba de)\s*$")
_NUDGE = 0.01


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def option_for_amount(text: str, options: List[str]) -> Optional[str]:
    """The range option an amount falls in ("como 2 metros cubicos" -> «Entre 1 y 3 m³»), if exactly one."""
    said = _AMOUNT.search(strip_accents(text.lower()).replace("m³", "m3"))  # "0,5 m": the comma kept
    if not said:
        return None
    amount = _number(said.group(1))
    # "menos de 1 metro cubico" is under 1, "mas de 3 metros" over 3: the amount said is the bound, not inside.
    before = strip_accents(text.lower())[: said.start()]
    if _UNDER.search(before):
        amount -= _NUDGE
    elif _OVER.search(before):
        amount += _NUDGE
    fitting = []
    for option in options:
        title = normalise(option).replace("m³", "m3")
        below, between, above = _BELOW.match(title), _BETWEEN.match(title), _ABOVE.match(title)
        if (
            (below and amount < _number(below.group(1)))
            or (between and _number(between.group(1)) <= amount <= _number(between.group(2)))
            or (above and amount > _number(above.group(1)))
        ):
            fitting.append(option)
    return fitting[0] if len(fitting) == 1 else None
