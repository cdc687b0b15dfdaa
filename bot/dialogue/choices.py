"""An answer to "¿Cuál de estos trámites…?" typed in words ("el del auto", "los cachureos").

The buttons of the assistant's last message are the pending question; a typed answer
that names one of the offered procedures by a word of its name or aliases (or a close
spelling of one) chooses it, even when it names no procedure on its own. Pure.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from rapidfuzz import fuzz, process

from bot.answers.reply import intent_payload
from bot.catalogue.model import Procedure
from bot.dialogue.cues import looks_like_question
from bot.domain_names import Intent
from bot.matching.aspects import asked_aspects
from bot.matching.generic import kinds_in_name, kinds_named
from bot.matching.procedures import matcher_for
from bot.matching.question_words import is_question_word, sentences_answering
from bot.text import FILLER_WORDS, normalise

if TYPE_CHECKING:
    from bot.catalogue.catalogue import Catalogue

PROCEDURE_INTENTS = (Intent.CONSULTAR_TRAMITE, Intent.INICIAR_TRAMITE)
CLOSE_SPELLING = 85.0


def offered_procedures(buttons: Iterable[Dict[str, Any]]) -> List[Tuple[str, str]]:
    """(intent, slug) of each button that chooses a procedure (``/consultar_tramite{"tramite": …}``)."""
    offered = []
    for button in buttons:
        payload = str(button.get("payload") or "")
        for intent in PROCEDURE_INTENTS:
            if payload.startswith(f"/{intent}{{"):
                try:
                    slug = json.loads(payload[len(intent) + 1 :]).get("tramite")
                except ValueError:
                    slug = None
                if slug:
                    offered.append((intent, str(slug)))
    return offered


def _words(proc: Procedure) -> Set[str]:
    words: Set[str] = set()
    for phrase in [proc.name, *proc.aliases]:
        words.update(w for w in normalise(phrase).split() if w not in FILLER_WORDS and len(w) > 2)
    return words


def choose(text: str, candidates: Sequence[Procedure]) -> Optional[Procedure]:
    """The only candidate whose words the answer uses (exactly or closely spelt), if exactly one."""
    said = [w for w in normalise(text).split() if w not in FILLER_WORDS and len(w) > 2 and not is_question_word(w)]
    if not said or len(candidates) < 2:
        return None
    if kinds_named(text) - set().union(*(kinds_in_name(p.name) for p in candidates)):
        return None  # "y la patente cuanto se demora?" beside the aseo and the cachureos: another kind, no choice
    own = [_words(p) for p in candidates]
    shared = set.intersection(*own)
    scores = []
    for words in own:
        telling = sorted(words - shared)
        hits = sum(
            1
            for w in said
            if w in telling
            or (telling and process.extractOne(w, telling, scorer=fuzz.ratio, score_cutoff=CLOSE_SPELLING))
        )
        scores.append(hits)
    best = max(scores)
    return candidates[scores.index(best)] if best and scores.count(best) == 1 else None


def chosen_procedure(
    catalogue: "Catalogue",
    text: str,
    buttons: Iterable[Dict[str, Any]],
    procedure: Callable[[str], Optional[Procedure]],
) -> Optional[Tuple[str, str]]:
    """(intent, slug) of the offered procedure a typed answer picks, if it picks exactly one.

    ``procedure`` looks a slug up (with the municipality's overrides when known). A message that
    names another procedure by its own words is a new question, not a choice.
    """
    if not text or text.startswith("/"):
        return None
    offered = offered_procedures(buttons)
    candidates = [p for p in (procedure(slug) for _, slug in offered) if p is not None]
    best = matcher_for(catalogue).best(text)
    if best and best.key not in {p.slug for p in candidates}:
        return None
    picked = choose(text, candidates)
    return next(((intent, slug) for intent, slug in offered if picked and slug == picked.slug), None)


def choice_payload(catalogue: "Catalogue", text: str, buttons: List[Dict[str, Any]]) -> Optional[str]:
    """The payload of the button a typed answer chooses by the words of its procedure ("el del auto")."""
    chosen = chosen_procedure(catalogue, text, buttons, catalogue.any_procedure)
    if chosen is None:
        return None
    # Only a question asks its own aspect: "pa un bingo, es pa juntar plata" chooses, and keeps what was asked.
    aspects = asked_aspects(text) if looks_like_question(text) else []
    if chosen[0] == Intent.CONSULTAR_TRAMITE and aspects:  # "y la patente cuanto se demora?": that, of the one chosen
        proc = catalogue.any_procedure(chosen[1])
        if proc is not None and sentences_answering(proc, text, beyond_aspects=True):
            return None  # "el aseo se puede pagar en cuotas?" asks more than the cost: read whole by the NLU
        return intent_payload(chosen[0], tramite=chosen[1], aspecto=aspects[0])
    return next((str(b["payload"]) for b in buttons if (chosen[0], chosen[1]) in offered_procedures([b])), None)
