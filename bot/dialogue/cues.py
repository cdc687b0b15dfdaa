"""Words that signal what a citizen means, whatever the NLU guessed: stop, a person, a question.

Linear-time patterns over the normalised text (bot.text.normalise), tested with
adversarial input in tests/test_linear_patterns.py.
"""
from __future__ import annotations

import re

from bot.text import normalise

# Phrases that stop a request, on their own or inside a short message ("ya no quiero seguir").
_STOP_MESSAGES = {
    "cancelar", "cancela", "cancelo", "cancelalo", "cancelemos", "anular", "anula", "anulalo", "salir", "basta",
    "stop", "detener", "terminar", "olvidalo", "olvidate", "dejalo", "dejemoslo", "dejalo asi", "mejor dejalo",
    "ya no", "no sigamos", "no quiero seguir", "ya no quiero", "cancelar solicitud", "cancelar todo",
}
_STOP_WORDS = re.compile(
    r"\b(?:cancel(?:ar|a|o|alo|emos|en|ala)|anul(?:ar|a|alo|emos)|olvid(?:alo|ate|emoslo)|dejemoslo"
    r"|no quiero seguir|ya no quiero (?:seguir|hacer|pedir|la solicitud|el tramite|nada))\b"
)
_MAX_STOP_WORDS = 8
# Asking for a person, in words: a person named next to a verb of contact, or on its own
# ("una persona"); "la persona del lado bota basura" describes a neighbour.
_PERSON_NOUNS = re.compile(
    r"\b(?:persona|humano|humana|funcionari[oa]|ejecutiv[oa]|operador[a]?|alguien|atencion humana)\b"
)
_CONTACT_VERBS = re.compile(
    r"\b(?:hablar|hablo|conversar|comunicar|comunicarme|comunicame|contactar|atienda|atiende|atender|pasame"
    r"|pasar|derivar|derivame|llame|llamen|llamar|responda|escriba)\b"
)
MAX_BARE_PERSON_WORDS = 4


def is_stop(text: str) -> bool:
    """An explicit wish to drop what we are doing ("cancelar", "ya no quiero seguir")."""
    norm = normalise(text).strip(" .!")
    if norm in _STOP_MESSAGES:
        return True
    return len(norm.split()) <= _MAX_STOP_WORDS and bool(_STOP_WORDS.search(norm))


def names_a_person(text: str) -> bool:
    """The message asks for a person in words ("con una persona", "un funcionario")."""
    norm = normalise(text)
    if not _PERSON_NOUNS.search(norm):
        return False
    return bool(_CONTACT_VERBS.search(norm)) or len(norm.split()) <= MAX_BARE_PERSON_WORDS


_TOWN_HALL = re.compile(r"\b(?:muni|municipalidad|municipio|alcaldia|consistorial)\b")
_OPEN_OR_WHERE = re.compile(
    r"\b(?:abre|abren|abierta|abierto|cierra|cierran|cerrada|atiende|atienden|atencion|horario|horarios|hora"
    r"|queda|ubicada|ubicado|ubicacion|direccion|donde|calle|esta|llego|llegar|telefono|fono|correo|mail|web"
    r"|pagina)\b"
)


_TOWN_HALL_DETAILS = re.compile(
    r"\b(?:lunes|martes|miercoles|jueves|viernes|sabado|sabados|domingo|domingos|telefono|fono|numero|correo|mail"
    r"|email|web|pagina|sitio|direccion|horario|hora|abre|cierra|atiende|atienden|donde|queda)\b"
)


def asks_town_hall_detail(text: str) -> bool:
    """A follow-up about the town hall just described ("¿y el lunes?", "¿y el correo?")."""
    return is_follow_up(text) and bool(_TOWN_HALL_DETAILS.search(normalise(text)))


def asks_open_or_where(text: str) -> bool:
    """The message asks when something opens or where it is."""
    return bool(_OPEN_OR_WHERE.search(normalise(text)))


_CONTACT = re.compile(r"\b(?:pagina web|pagina|sitio web|web|correo|mail|email|telefono|fono|numero de telefono)\b")


def asks_about_town_hall(text: str) -> bool:
    """A question about the municipality itself: when it opens, where it is ("¿a q hora abre la muni?"),
    or how to reach it ("¿tienen página web?", "¿cuál es el teléfono?")."""
    norm = normalise(text)
    if _TOWN_HALL.search(norm) and _OPEN_OR_WHERE.search(norm):
        return True
    return bool(_CONTACT.search(norm)) and ("?" in text or looks_like_question(text))


_UPSET = re.compile(
    r"\b(?:no (?:me )?sirve|no sirven|no funciona|no me ayuda|no ayuda|nadie (?:contesta|responde|me responde|atiende)"
    r"|pesim[oa]|malisim[oa]|una porqueria|una mierda|estoy chat[oa]|chato|harto|aburrid[oa]|indignad[oa]"
    r"|una verguenza|que rabia|me tienen|inutil|inutiles|flojos|desastre|sinverguenzas|ladrones|ya pero que hago"
    r"|y ahora que hago|no entiendes)\b"
)
MIN_SHOUTED_LETTERS = 10


def sounds_upset(text: str) -> bool:
    """An angry or desperate message ("NO ME SIRVE NADA DE ESTO", "nadie contesta")."""
    letters = [ch for ch in text if ch.isalpha()]
    shouting = len(letters) >= MIN_SHOUTED_LETTERS and all(ch.isupper() for ch in letters)
    return shouting or bool(_UPSET.search(normalise(text)))


_STATUS_WORDS = re.compile(
    r"\b(?:estado|solicitud|solicitudes|folio|pedido|va mi|van mis|como va|en que va|quedo|avance|avanza|respuesta"
    r"|respondieron|contestaron|resolvieron|hice|hicimos|pedi|ingrese|reclame|reporte|denuncie|mande|postule"
    r"|aprobaron|aprobado|aprobada|listo|lista|revisaron|paso|pasa|llaman|llamaron|actualizaron|todavia|aun|ya"
    r"|mi|mis|nuestra|nuestro)\b"
)


_LIST_WORDS = re.compile(r"\b(?:tramites|lista|listado|menu|opciones|servicios|que (?:se puede|puedo|hay|tienen|hacen))\b")


def asks_for_list(text: str) -> bool:
    """The message asks what can be done ("¿qué trámites hay?", "ver los trámites de tránsito")."""
    return bool(_LIST_WORDS.search(normalise(text)))


_STATUS_PHRASES = re.compile(
    r"\b(?:estado de (?:mi|mis|la|el|un|una)|en que va|en que van|como va|como van|folio|mi solicitud"
    r"|mis solicitudes|mi reclamo|mi denuncia|mi reporte|mi pedido|lo que pedi)\b"
)


def speaks_of_a_request_made(text: str) -> bool:
    """Clearly about a request already made ("el estado de un trámite", "¿en qué va mi solicitud?")."""
    return bool(_STATUS_PHRASES.search(normalise(text)))


def asks_status(text: str) -> bool:
    """The message speaks of a request already made ("¿cómo va mi solicitud?", "lo que pedí")."""
    return bool(_STATUS_WORDS.search(normalise(text)))


MAX_FOLLOW_UP_WORDS = 8


def is_follow_up(text: str) -> bool:
    """A short message continuing the topic ("¿y se puede por internet?", "a q hora?")."""
    norm = normalise(text)
    return norm.startswith(("y ", "e ", "pero ", "entonces ")) or len(norm.split()) <= MAX_FOLLOW_UP_WORDS


QUESTION_START = ("cuanto", "cuando", "donde", "que ", "q ", "como", "por que", "hasta", "cual", "se puede",
                  "a que hora", "a q hora", "hay que", "tengo que", "puedo", "quien", "y como", "y donde", "y cuanto")


def looks_like_question(text: str) -> bool:
    """Whether a message asks something ("¿cuánto se demoran?") rather than answers."""
    norm = normalise(text)
    stripped = text.strip()
    return stripped.endswith("?") or stripped.startswith("¿") or norm.startswith(QUESTION_START)
