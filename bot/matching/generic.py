"""A procedure named only by its kind ("un certificado", "la licencia", "un permiso").

Several procedures share a head word (Certificado de residencia, … de número, … de
informaciones previas). A message that names the head word and nothing that tells
those procedures apart is ambiguous: the assistant asks which one, with buttons,
instead of picking one arbitrarily.
"""
from __future__ import annotations

from typing import Iterable, List, Set

from bot.catalogue.model import Procedure
from bot.text import normalise

# Kinds of procedure as citizens name them (normalised); their plural counts too.
HEAD_WORDS = {"certificado", "licencia", "permiso", "patente", "subsidio", "retiro", "denuncia", "reporte",
              "inscripcion", "solicitud", "beca", "multa", "registro"}
MIN_CANDIDATES, MAX_CANDIDATES = 2, 5
# Words that do not tell procedures apart, though an alias may hold them ("cuánto cuesta el certificado…").
_FILLER = {"de", "del", "la", "el", "los", "las", "y", "o", "en", "a", "al", "para", "por", "con", "un", "una",
           "cuanto", "cuesta", "sale", "vale", "valor", "precio", "donde", "como", "que", "necesito", "piden",
           "sacar", "saco", "pedir", "pido", "quiero", "hacer", "tramite", "saber", "se", "me", "mi", "solicitar",
           "obtener", "es", "hay", "tiene", "tienen", "puedo", "consulta", "info", "informacion"}


def _head(word: str) -> str:
    return word[:-1] if word.endswith("s") and word[:-1] in HEAD_WORDS else word


def _phrase_words(proc: Procedure) -> Set[str]:
    words: Set[str] = set()
    for phrase in [proc.name, *proc.aliases]:
        words.update(_head(w) for w in normalise(phrase).split())
    return words


def names_a_kind(text: str) -> bool:
    """The message names a kind of procedure ("un certificado", "los permisos")."""
    return bool({_head(w) for w in normalise(text).split()} & HEAD_WORDS)


def generic_candidates(text: str, offered: Iterable[Procedure]) -> List[Procedure]:
    """The procedures a message could mean when it names only their kind (empty when it says more)."""
    said = {_head(w) for w in normalise(text).split()}
    heads = said & HEAD_WORDS
    if len(heads) != 1:
        return []
    head = next(iter(heads))
    candidates = [p for p in offered if head in {_head(w) for w in normalise(p.name).split()}]
    if not MIN_CANDIDATES <= len(candidates) <= MAX_CANDIDATES:
        return []
    # Words that tell the candidates apart: in some of their names or aliases, not in all.
    words = [_phrase_words(p) for p in candidates]
    telling = set().union(*words) - words[0].intersection(*words[1:]) - HEAD_WORDS - _FILLER
    if said & telling:
        return []
    return candidates
