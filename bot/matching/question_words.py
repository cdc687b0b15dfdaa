"""The catalogue sentences that answer a question no aspect covers ("¿tiene q ir en ayuno?").

A question about a procedure that asks neither cost, requirements, place, deadline nor the online
way is answered with the procedure's summary; when a word of the question is in one of its
requirements, steps or notes ("Ayuno de 12 horas…"), that sentence is what the citizen asked.
"""

from __future__ import annotations

import re
from typing import Dict, List, Set

from bot.catalogue.catalogue import sentences_of
from bot.catalogue.model import Procedure
from bot.text import normalise, same_word

MIN_WORD_LETTERS = 4
MAX_SENTENCES = 2
MIN_ALIASES_OWNING = 2
# "¿y si no voy?" is answered by what the catalogue says happens "si no…", more than by a shared word.
HYPOTHETICAL_WEIGHT = 1.5  # wins over one shared word, not over two
# Words of questions in general, not of what they ask about.
_QUESTION_WORDS = {
    "tiene", "tienen", "tengo", "puedo", "puede", "pueden", "como", "donde", "cuando", "cuanto", "cuanta",
    "para", "pero", "esta", "estan", "esto", "algo", "hacer", "hago", "necesito", "necesita", "quiero",
    "saber", "alguna", "algun", "alguien", "tambien", "porque", "entonces", "despues", "oiga", "hola",
    "buenas", "gracias", "favor", "porfa", "tramite", "sirve", "ahora", "cosa", "cosas", "debo", "deben",
    "hacen", "todo", "toda", "todos", "mucho", "bien", "igual", "sale", "cual", "cuales", "sobre", "muni",
    "municipalidad", "solicitud", "pedir", "ellos", "usted", "ustedes", "aqui", "alla", "info", "informacion",
    "datos", "detalle", "detalles", "consulta", "pregunta", "preguntar", "duda", "dudas", "casa", "vecino",
    "vecina", "comuna",
}  # fmt: skip


def is_question_word(word: str) -> bool:
    """A word of questions in general ("cuanto", "donde", "tiene"), which tells no procedure apart."""
    return word in _QUESTION_WORDS


# Words that only say which aspect is asked: answered by the aspect itself.
_ASPECT_WORDS = {
    "pagar", "pago", "paga", "pagan", "cuesta", "cuestan", "costo", "precio", "valor", "cobran", "cobra", "plata",
    "lucas", "gratis", "requisitos", "requisito", "documentos", "documento", "papeles", "papel", "piden", "llevar",
    "horario", "horarios", "hora", "horas", "atienden", "atencion", "abren", "cierran", "demora", "demoran", "tarda",
    "tardan", "plazo", "dias", "tiempo", "internet", "online", "linea", "pagina", "link", "direccion", "queda",
    "oficina", "lugar", "ubicacion", "pasos", "proceso", "correo", "telefono", "fono", "contacto",
}  # fmt: skip


# A citizen's words for what the catalogue says otherwise: "¿tiene q ir sin comer?" asks about the «ayuno».
_SAID_AS = {
    "comer": "ayuno", "comido": "ayuno", "comida": "ayuno", "ayunas": "ayuno", "vacuna": "vacunas",
    "vacunado": "vacunas", "vacunada": "vacunas", "perrita": "perro", "gatita": "gato", "carnet": "cedula",
}  # fmt: skip


_WHAT_IF_NOT = re.compile(r"(?:^|\by |\bque pasa |\bpasa algo )si no\b|\bsi no (?:\w+ ){1,6}que pasa\b")
_WHAT_IF_NOT_SAID = re.compile(r"(?:^|[^\w])si no\b|\bque no se\b|\bsi (?:\w+ ){0,2}no (?:se |te |lo |la )?\w+")


def asks_what_if_not(question: str) -> bool:
    """The citizen asks what happens if they don't ("¿y si no voy a la audiencia q pasa?", "q pasa si no pago")."""
    return bool(_WHAT_IF_NOT.search(normalise(question)))


# "y si no me responden…", "y si me rechazan": any what-if about the procedure, beside the "what if I don't" above.
_WHAT_IF = re.compile(r"^(?:y )?si (?:no|me|nos|lo|la|ya)\b")


def asks_what_if(question: str) -> bool:
    """The citizen asks what happens then ("y si no me responden en 10 dias q hago?", "q pasa si no pago")."""
    return asks_what_if_not(question) or bool(_WHAT_IF.match(normalise(question)))


def _own_words(proc: Procedure) -> Set[str]:
    """Words that name the procedure: of its name, or of two of its aliases at least ("cuotas" of one alias of
    the circulation permit still asks about them)."""
    counts: Dict[str, int] = {}
    for alias in proc.aliases:
        for word in _content_words(alias):
            counts[word] = counts.get(word, 0) + 1
    return _content_words(proc.name) | {w for w, n in counts.items() if n >= MIN_ALIASES_OWNING}


def _content_words(text: str) -> Set[str]:
    return {w for w in normalise(text).split() if len(w) >= MIN_WORD_LETTERS and w not in _QUESTION_WORDS}


def _inflected_alike(said: str, written: str) -> bool:
    """The same word but for gender or number ("otra" and "otro", "niños" and "niño")."""

    def root(word: str) -> str:
        word = word[:-1] if word.endswith("s") else word
        return word[:-1] if word.endswith(("a", "o")) else word

    return len(root(said)) >= MIN_ROOT_LETTERS and root(said) == root(written)


MIN_ROOT_LETTERS = 3


def sentences_answering(proc: Procedure, question: str, beyond_aspects: bool = False) -> List[str]:
    """The requirements, steps or notes of ``proc`` that share the most words with ``question`` (two at most).

    Words of the procedure's own names ("mascota" for the pets' sterilisation) tell nothing: every
    sentence of it is about them. ``beyond_aspects``: the aspects asked are answered apart, so the words
    that only name one ("pagar", "requisitos") tell nothing either: "¿se puede pagar en cuotas?" asks "cuotas".
    """
    own = _own_words(proc)
    asked = {w for w in _content_words(question) if not any(same_word(w, o) for o in own)}
    if beyond_aspects:
        asked = {w for w in asked if w not in _ASPECT_WORDS and not w.isdigit()}
    asked |= {_SAID_AS[w] for w in asked if w in _SAID_AS}
    hypothetical = asks_what_if_not(question)
    if not asked and not hypothetical:
        return []
    scored = []
    for sentence in [*proc.requirements, *proc.steps, *sentences_of(proc.additional_info or "")]:
        written = _content_words(sentence)
        shared: float = sum(any(same_word(w, x) or _inflected_alike(w, x) for x in written) for w in asked)
        if hypothetical and _WHAT_IF_NOT_SAID.search(normalise(sentence)):
            shared += HYPOTHETICAL_WEIGHT  # "Si no te presentas, el juez puede resolver sin escucharte."
        if shared:
            scored.append((shared, sentence))
    best = max((score for score, _ in scored), default=0)
    return [sentence for score, sentence in scored if score == best][:MAX_SENTENCES]
