"""What a request's opening message told of the case, offered back instead of asked blind.

"quiero reclamar porque en la oficina de rentas me atendieron pésimo el lunes" already says what
happened: asking "Cuéntanos qué pasó" as if nothing had been said makes the citizen repeat it.
Free text is never stored unasked (bot/forms/opening.py): a wrong guess would put the citizen's
words in the wrong field. Instead, the question of the form's field describing the case quotes
what was told ("Me contaste: «…». Si es eso, responde «sí»"), and a yes keeps it. Pure: no Rasa, no I/O.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from bot.catalogue.model import FormField
from bot.nlu.entities import find_structured
from bot.text import normalise

# The fields a first message may describe: the case ("Motivo", "Descripción"…) or the objects to take away.
TOLD_FIELDS = ("descripcion", "motivo", "materia", "referencia", "objetos")
# Content words beyond the request and the procedure's name that make an opening tell something.
MIN_TOLD_WORDS = 2
STEM = 4  # "podar" and "poda", "reclamar" and "reclamo" share their first letters: the same word here
# Words that carry no detail of a case: articles, pronouns, links, greetings, requests and courtesies.
_FUNCTION_WORDS = frozenset(
    """
    a al ante con contra de del desde en entre hacia hasta para por segun sin sobre tras pa
    el la los las lo un una unos unas uno este esta esto estos estas ese esa eso esos esas
    y e o u ni que quien cual cuales como cuando donde porque pq xq si no ya tambien tb mas muy
    me te se le les nos mi mis tu tus su sus yo usted ustedes nosotros
    es son soy era fue ser estar esta estan estoy hay habia tengo tiene tienen tenemos
    hola buenas buenos dias tardes noches wena wenas saludos oiga oye porfa favor xfa gracias po ahi aca aqui
    quiero quisiera queria necesito necesitaba pedir pido solicitar solicito hacer hago ingresar poner
    vengan venga manden mande puedo pueden puede podria podrian ayuda ayudar ayudarme ayudan
    gustaria saber consulta consultar solicitud tramite favor municipalidad muni municipio
    """.split()
)
# The cue words of data told with the case (the data themselves are found by bot/nlu/entities.py).
_DATUM_WORDS = re.compile(
    r"\b(?:mi\s+|el\s+)?(?:rut|run|cel|celular|fono|telefono|correo|mail|email)\b(?:\s+es\b)?:?", re.IGNORECASE
)


def told_field(fields: List[FormField]) -> Optional[FormField]:
    """The form's first free-text field an opening message may have described, if it has one."""
    return next((f for f in fields if f.type == "texto" and f.name in TOLD_FIELDS), None)


def told_in_opening(procedure_name: str, text: str, answered: Dict[str, str]) -> str:
    """The words of ``text`` that describe the case, or "" when it only asked for the procedure.

    ``answered``: the opening's answers already taken for other fields (its address, its name), left out.
    """
    rest = text
    for value in answered.values():  # "… en pasaje los olmos 123, quiero…": the place and its "en" go
        rest = re.sub(_BEFORE_AN_ANSWER + re.escape(value), " ", rest, flags=re.IGNORECASE)
    rest = _GREETING.sub("", _DATUM_WORDS.sub(" ", _without_data(rest)))
    rest = re.sub(r"\s+([,.;:])", r"\1", " ".join(rest.split()))
    rest = re.sub(r"([,.;:])(?:\s*[,.;:])+", r"\1", rest).strip(" ,.;:")
    own = {w[:STEM] for w in normalise(procedure_name).split() if len(w) >= STEM}
    content = [
        w
        for w in normalise(rest).split()
        if len(w) > 2 and w.isalpha() and w not in _FUNCTION_WORDS and w[:STEM] not in own
    ]
    return rest if len(content) >= MIN_TOLD_WORDS else ""


def _without_data(text: str) -> str:
    """``text`` without its RUTs, e-mails, folios and phones."""
    for found in sorted(find_structured(text), key=lambda f: -f.start):
        text = text[: found.start] + " " + text[found.end :]
    return text


# What introduced an answer taken for its own field: "en" a place, "me llamo" a name.
_BEFORE_AN_ANSWER = r"(?:\b(?:en|de|del|me llamo|mi nombre es|soy)\s+(?:la\s+|el\s+)?)?"
_GREETING = re.compile(
    r"^\s*(?:(?:hola|holi|buenas|buenos dias|buen dia|wena|wenas|saludos)(?:\s+(?:tardes|noches|dias))?[\s,.!]*)+",
    re.IGNORECASE,
)

# Taking what was told: a yes, or "eso", "lo que te dije", "lo mismo".
_AS_TOLD = re.compile(
    r"^(?:si\s+)?(?:es\s+)?(?:eso|eso mismo|lo mismo|lo que (?:te |le )?(?:dije|conte|escribi)"
    r"|(?:ya|como) (?:te |le )?(?:dije|conte))(?:\s+(?:no mas|nomas|po|nada mas))?$"
)


def takes_what_was_told(text: str) -> bool:
    """The answer points back to what was told ("eso", "lo que te dije"), beside a plain yes."""
    return bool(_AS_TOLD.match(normalise(text).strip(" .!")))
