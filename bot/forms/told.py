"""What a request's opening message told of the case, offered back instead of asked blind.

"quiero reclamar porque en la oficina de rentas me atendieron pésimo el lunes" already says what
happened: asking "Cuéntanos qué pasó" as if nothing had been said makes the citizen repeat it.
Free text is never stored unasked (bot/forms/opening.py): a wrong guess would put the citizen's
words in the wrong field. Instead, the question of the form's field describing the case quotes
what was told ("Me contaste: «…». Si es eso, responde «sí»"), and a yes keeps it. Pure: no Rasa, no I/O.
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional

from bot.catalogue.model import FormField
from bot.nlu.entities import blank_spans, find_structured
from bot.text import normalise

# The fields a first message may describe: the case ("Motivo", "Descripción"…) or the objects to take away.
TOLD_FIELDS = ("descripcion", "motivo", "materia", "objetos")  # not "referencia": a post's number, told apart
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
# Clauses that hand over data, stored in their own fields: "me llamo…", "rut…", "mi celu es…", "vivo en…".
_DATUM_WORDS = re.compile(
    r"\b(?:rut|run|cel|celu|celular|fono|telefono|correo|mail|email|me llamo|mi nombre|mis datos|vivo en"
    r"|mi direccion|la direccion|direccion es)\b"
)
_GREETING = re.compile(
    r"^\s*(?:(?:hola|holi|buenas|buenos dias|buen dia|wena|wenas|saludos)(?:\s+(?:tardes|noches|dias))?[\s,.!]*)+",
    re.IGNORECASE,
)
_MARK = "\x00"
# Link words left at a clause's end once its datum is gone: "…se puede caer en ◆".
_DANGLING = frozenset("en de del el la los las y e a al es mi soy queda ubicado ubicada".split())
_CLAUSE = re.compile(r"[,;:.!?\n]+")


def told_field(fields: List[FormField]) -> Optional[FormField]:
    """The form's first free-text field an opening message may have described, if it has one."""
    return next((f for f in fields if f.type == "texto" and f.name in TOLD_FIELDS), None)


def told_in_opening(procedure_name: str, text: str, answered: Dict[str, str]) -> str:
    """The clauses of ``text`` that describe the case, or "" when it only asked for the procedure.

    ``answered``: the opening's answers already taken for other fields (its address, its name): their clauses go,
    as do those holding a RUT, a phone, an e-mail or their cue words ("me llamo…", "mi cel es…").
    """
    own = {w[:STEM] for w in normalise(procedure_name).split() if len(w) >= STEM}

    def content(words: str) -> List[str]:
        return [
            w
            for w in normalise(words).split()
            if len(w) > 2 and w.isalpha() and w not in _FUNCTION_WORDS and w[:STEM] not in own
        ]

    kept = []
    for clause in _CLAUSE.split(_marked_data(text, answered.values())):
        # "vivo en ◆ y mi cel es ◆" hands over data only; "hay un arbol seco… en ◆" tells the case
        words = _without_dangling(_DATUM_WORDS.sub(" ", clause.replace(_MARK, " ")))
        if _MARK not in clause or content(words):
            kept.append(words if _MARK in clause else " ".join(clause.split()))
    rest = _GREETING.sub("", ", ".join(k for k in kept if k)).strip(" ,.;:")
    return rest if len(content(rest)) >= MIN_TOLD_WORDS else ""


def _without_dangling(clause: str) -> str:
    """The clause's words without the link words left at its end."""
    words = clause.split()
    while words and normalise(words[-1]) in _DANGLING:
        words.pop()
    return " ".join(words)


def _marked_data(text: str, answers: Iterable[str]) -> str:
    """``text`` with its answers, RUTs, e-mails, folios and phones replaced by a mark (their dots split nothing)."""
    spans = [(f.start, f.end) for f in find_structured(text)]
    for value in answers:
        at = text.lower().find(value.lower()) if value else -1
        if at >= 0:
            spans.append((at, at + len(value)))
    return blank_spans(text, spans, _MARK)


# Taking what was told: a yes, or "eso", "lo que te dije", "lo mismo".
_AS_TOLD = re.compile(
    r"^(?:si\s+)?(?:es\s+)?(?:eso|eso mismo|lo mismo|lo que (?:te |le )?(?:dije|conte|escribi)"
    r"|(?:ya|como) (?:te |le )?(?:dije|conte))(?:\s+(?:no mas|nomas|po|nada mas))?$"
)


def takes_what_was_told(text: str) -> bool:
    """The answer points back to what was told ("eso", "lo que te dije"), beside a plain yes."""
    return bool(_AS_TOLD.match(normalise(text).strip(" .!")))
