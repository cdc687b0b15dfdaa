"""Everyday words that name a form option ("pa la pega" is «Trabajo», "la perrita" is «Perro»).

Keyed by a normalised word of the option's title; an answer naming a word of exactly one
option chooses it. Spanish as written in Chile, not catalogue facts: the options
themselves live in the catalogue's forms.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set

from bot.text import close_spelling, normalise

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


def option_named(text: str, options: List[str]) -> Optional[str]:
    """The only option whose words (or their everyday synonyms) the answer uses, if exactly one.

    Exact words first; then close spellings ("en la beredaa" is «Vereda / bandejón»: b/v, a doubled
    letter, a missing accent), again only when they point to one option.
    """
    said = set(normalise(text).split())
    named = [option for option in options if _words(option) & said]
    if named:
        return named[0] if len(named) == 1 else None
    content = [w for w in said if w not in _FILLER]
    if len(content) > MAX_CLOSE_WORDS:  # an answer to a choice is a few words, not a story
        return None
    close = [option for option in options if any(close_spelling(w, own) for w in content for own in _words(option))]
    return close[0] if len(close) == 1 else None
