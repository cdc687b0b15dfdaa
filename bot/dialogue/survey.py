"""An answer to the satisfaction question: a score 1–5, typed ("4", "un 4", "cuatro", "4 muy amable",
"buena") or pressed, then maybe a comment. Pure.

The question is sent with buttons (bot/answers/survey.py), so it is the conversation's pending question:
the channels give it first claim on the next message (channels/typed.py ``button_for_text``). A message
that is no answer gets ``None`` here: the question is dropped silently and the message reaches the
assistant as typed, so nothing the citizen wrote is lost.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, Optional, Tuple

from bot.answers.survey import (
    COMMENT_ENTITY,
    NO_COMMENT,
    SCORE_ENTITY,
    SCORE_NAMES,
    comment_payload,
    score_payload,
)
from bot.dialogue.cues import looks_like_question
from bot.dialogue.procedure_moves import explicit_request
from bot.text import normalise

_NUMBER_WORDS = {"uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5}
_SCORE = re.compile(
    r"^\s*(?:(?:le\s+)?(?:pongo|doy|pondria|daria)\s+)?(?:(?:un|una|nota|con\s+un|con)\s+)?"
    r"(?P<score>[1-5]|uno|dos|tres|cuatro|cinco)(?![\w.,]\d)(?:\s*(?:/|de)\s*5)?\b"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_WORDS = {normalise(name): score for score, name in enumerate(SCORE_NAMES, 1)} | {
    "excelente": 5,
    "pesima": 1,
    "mala atencion": 2,
    "buena atencion": 4,
    "muy buena atencion": 5,
}
_SEPARATORS = " \t\n,.;:-–—!¡·*/()"
_NEW_NEED = re.compile(
    r"\b(?:necesito|necesitaba|quiero|quisiera|queria|ayuda|ayudame|ayudar|consultas?|consultar|preguntas?|tramites?"
    r"|solicitud|otra cosa)\b"
)
_DECLINED = {"no", "no gracias", "nada", "ninguno", "ninguna", "gracias", "muchas gracias", "asi esta bien", "ok"}


def _payloads(buttons: Iterable[Dict[str, Any]]) -> str:
    return " ".join(str(b.get("payload") or "") for b in buttons)


def asks_score(buttons: Iterable[Dict[str, Any]]) -> bool:
    """Whether the pending question is the satisfaction question (its buttons carry scores)."""
    return f'"{SCORE_ENTITY}"' in _payloads(buttons)


def asks_comment(buttons: Iterable[Dict[str, Any]]) -> bool:
    """Whether the pending question is the offer to leave a comment after the score."""
    return f'"{COMMENT_ENTITY}"' in _payloads(buttons) and not asks_score(buttons)


def _new_need(text: str) -> bool:
    """The words ask something or ask for something: a new message for the assistant, not an answer."""
    norm = normalise(text)
    return bool(looks_like_question(text) or explicit_request(text) or _NEW_NEED.search(norm))


def score_answer(text: str) -> Optional[Tuple[int, str]]:
    """``(score, comment)`` when the message answers the satisfaction question; ``None`` otherwise."""
    norm = normalise(text)
    if norm in _WORDS:
        return _WORDS[norm], ""
    match = _SCORE.match(text or "")
    if match is None:
        return None
    word = match.group("score").lower()
    score = _NUMBER_WORDS.get(word) or int(word)
    comment = " ".join(match.group("rest").strip(_SEPARATORS).split())
    if comment and _new_need(comment):
        return None  # "2 consultas más: …" is no score
    return score, comment


def comment_answer(text: str) -> Optional[str]:
    """The comment a message leaves after the score (``NO_COMMENT`` for "no, gracias"); ``None`` when it
    is something else for the assistant ("hola necesito otra cosa", a question)."""
    comment = " ".join((text or "").split())
    if not comment:
        return None
    if normalise(comment) in _DECLINED:
        return NO_COMMENT
    return None if _new_need(comment) else comment


def survey_payload(text: str, buttons: Iterable[Dict[str, Any]]) -> Optional[str]:
    """The payload a typed message stands for when the pending question is the survey's, if it answers it."""
    buttons = list(buttons)
    if asks_score(buttons):
        answer = score_answer(text)
        return score_payload(*answer) if answer else None
    if asks_comment(buttons):
        comment = comment_answer(text)
        return comment_payload(comment) if comment else None
    return None
