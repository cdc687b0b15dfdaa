"""A procedure named only by its kind ("un certificado", "la licencia", "un permiso").

Several procedures share a head word (Certificado de residencia, … de número, … de
informaciones previas). A message that names the head word and nothing that tells
those procedures apart is ambiguous: the assistant asks which one, with buttons,
instead of picking one arbitrarily.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Set

from bot.catalogue.model import Procedure
from bot.text import close_spelling, normalise

# Kinds of procedure as citizens name them (normalised); their plural counts too.
HEAD_WORDS = {
    "certificado",
    "licencia",
    "permiso",
    "patente",
    "subsidio",
    "retiro",
    "denuncia",
    "reporte",
    "inscripcion",
    "solicitud",
    "beca",
    "multa",
    "registro",
}
MIN_CANDIDATES, MAX_CANDIDATES = 2, 5
# Words that do not tell procedures apart, though an alias may hold them ("cuánto cuesta el certificado…").
_FILLER = {
    "de",
    "del",
    "la",
    "el",
    "los",
    "las",
    "y",
    "o",
    "en",
    "a",
    "al",
    "para",
    "por",
    "con",
    "un",
    "una",
    "cuanto",
    "cuesta",
    "sale",
    "vale",
    "valor",
    "precio",
    "donde",
    "como",
    "que",
    "necesito",
    "piden",
    "sacar",
    "saco",
    "pedir",
    "pido",
    "quiero",
    "hacer",
    "tramite",
    "saber",
    "se",
    "me",
    "mi",
    "solicitar",
    "obtener",
    "es",
    "hay",
    "tiene",
    "tienen",
    "puedo",
    "consulta",
    "info",
    "informacion",
}


def _head(word: str) -> str:
    return word[:-1] if word.endswith("s") and word[:-1] in HEAD_WORDS else word


def kinds_in_name(name: str) -> Set[str]:
    """The kinds of procedure a procedure's name holds ("Renovación de licencia" -> {"licencia"})."""
    return {_head(w) for w in normalise(name).split()} & HEAD_WORDS


def _phrase_words(proc: Procedure) -> Set[str]:
    words: Set[str] = set()
    for phrase in [proc.name, *proc.aliases]:
        words.update(_head(w) for w in normalise(phrase).split())
    return words


# Masculine kinds that are also verbs: after a pronoun they are the verb ("¿dónde la retiro?", "lo registro").
_ALSO_VERBS = {"certificado", "permiso", "retiro", "reporte", "registro"}
_PRONOUNS = {"la", "las", "lo", "los", "le", "les", "me", "te", "se", "nos"}


def kinds_named(text: str) -> Set[str]:
    """The kinds of procedure the message names as nouns ("la patente" -> {"patente"}; not "¿dónde la retiro?",
    where it is a verb)."""
    words = normalise(text).split()
    return {
        _head(word)
        for index, word in enumerate(words)
        if _head(word) in HEAD_WORDS and not (word in _ALSO_VERBS and index > 0 and words[index - 1] in _PRONOUNS)
    }


# "quiero hacer un trámite": a procedure, any one; only greetings and such around it.
_ANY_PROCEDURE = {"tramite", "tramites", "gestion", "gestiones", "algo"}  # "necesito ayuda con algo de la muni"
_AROUND_ANY = {
    "hola", "holi", "buenas", "buenos", "dias", "tardes", "noches", "wena", "wenas", "oiga", "oye", "porfa",
    "favor", "xfa", "realizar", "ingresar", "empezar", "iniciar", "algun", "alguno", "unos", "unas", "aca", "aqui",
    "quisiera", "queria", "necesitaba", "podria", "puedo", "ayuda", "ayudar", "ayudarme", "ayudame",
    "necesito", "quiero", "muni", "municipalidad", "municipio", "consultar", "preguntar", "hacerles", "pedirles",
}  # fmt: skip


def asks_for_any_procedure(text: str) -> bool:
    """The message wants or asks about a procedure without naming any ("hola quiero hacer un tramite")."""
    words = normalise(text).split()
    return bool(set(words) & _ANY_PROCEDURE) and all(w in _ANY_PROCEDURE | _AROUND_ANY | _FILLER for w in words)


# "¿dónde se entrega la solicitud?": every procedure is asked for with one, so "the" request is the one in focus.
_ANY_REQUEST = {"solicitud", "formulario"}
_DEFINITE = {"la", "el", "esa", "ese", "esta", "este"}


def names_the_request_in_focus(text: str) -> bool:
    """The message speaks of "the" request or form ("la solicitud", "ese formulario") and names no other kind."""
    words = normalise(text).split()
    definite = any(w in _ANY_REQUEST and i > 0 and words[i - 1] in _DEFINITE for i, w in enumerate(words))
    return definite and kinds_named(text) <= _ANY_REQUEST


def names_a_kind(text: str) -> bool:
    """The message names a kind of procedure ("un certificado", "los permisos")."""
    return bool(kinds_named(text))


def _kind_and_telling(text: str, offered: Iterable[Procedure]):
    """The words said, the procedures of the one kind named, and the words of each that tell them apart."""
    said = {_head(w) for w in normalise(text).split()}
    heads = kinds_named(text)
    if len(heads) != 1:
        return said, [], []
    head = next(iter(heads))
    candidates = [p for p in offered if head in {_head(w) for w in normalise(p.name).split()}]
    if not MIN_CANDIDATES <= len(candidates) <= MAX_CANDIDATES:
        return said, [], []
    # Words that tell the candidates apart: in some of their names or aliases, not in all.
    words = [_phrase_words(p) for p in candidates]
    telling = set().union(*words) - words[0].intersection(*words[1:]) - HEAD_WORDS - _FILLER
    return said, candidates, [own & telling for own in words]


def _uses(said: Set[str], words: Set[str]) -> bool:
    """The message uses one of ``words``, exactly or closely spelt ("sirculacion" for "circulacion")."""
    content = said - HEAD_WORDS - _FILLER
    return bool(content & words) or any(close_spelling(w, own) for w in content for own in words)


def generic_candidates(text: str, offered: Iterable[Procedure]) -> List[Procedure]:
    """The procedures a message could mean when it names only their kind (empty when it says more)."""
    said, candidates, telling = _kind_and_telling(text, offered)
    if not candidates or any(_uses(said, words) for words in telling):
        return []
    return candidates


def told_apart(text: str, offered: Iterable[Procedure]) -> Optional[Procedure]:
    """The one procedure of the kind named whose own words follow ("el permiso de sirculacion"), if one."""
    said, candidates, telling = _kind_and_telling(text, offered)
    told = [proc for proc, words in zip(candidates, telling, strict=False) if _uses(said, words)]
    return told[0] if len(told) == 1 else None


_ARTICLES = {"el", "la", "los", "las"}
_LINKS = {"de", "del", "para", "pa"}


def with_elided_kind(text: str) -> str:
    """The normalised message with a kind left out after a named one written back in.

    "el certificado de numero y el de residencia" -> "… y el certificado de residencia": an article
    followed by "de" after a kind of procedure names another procedure of that kind.
    """
    words = normalise(text).split()
    out: List[str] = []
    kind = ""
    for index, word in enumerate(words):
        if _head(word) in HEAD_WORDS:
            kind = _head(word)
        elif kind and word in _ARTICLES and index + 1 < len(words) and words[index + 1] in _LINKS:
            out += [word, kind]
            continue
        out.append(word)
    return " ".join(out)


def with_kind_of(text: str, focus_name: str) -> Optional[str]:
    """The message with the kind of the procedure in focus written back in, when it leaves its kind out.

    After the residence certificate, "el de numero se puede sacar por internet?" ->
    "el certificado de numero se puede…". None when the message names a kind, or leaves none out.
    """
    words = normalise(text).split()
    if any(_head(w) in HEAD_WORDS for w in words):
        return None
    kind = next((_head(w) for w in normalise(focus_name).split() if _head(w) in HEAD_WORDS), "")
    if not kind:
        return None
    for index, word in enumerate(words[:-1]):
        if word in _ARTICLES and words[index + 1] in _LINKS and index <= MAX_WORDS_BEFORE_ELIDED_KIND:
            return " ".join([*words[: index + 1], kind, *words[index + 1 :]])
    return None


# "y el de numero…", "oye y la de conducir…": the elided kind opens the message.
MAX_WORDS_BEFORE_ELIDED_KIND = 2
