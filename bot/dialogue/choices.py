"""An answer to "¿Cuál de estos trámites…?" typed in words ("el del auto", "los cachureos").

The buttons of the assistant's last message are the pending question; a typed answer
that names one of the offered procedures by a word of its name or aliases (or a close
spelling of one) chooses it, even when it names no procedure on its own. Pure.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from rapidfuzz import fuzz, process

from bot.catalogue.model import Procedure
from bot.text import normalise

PROCEDURE_INTENTS = ("consultar_tramite", "iniciar_tramite")
# Words that say nothing about which procedure ("el de…", "la del…").
_FILLER = {"el", "la", "los", "las", "de", "del", "al", "a", "un", "una", "mi", "mis", "en", "y", "o", "para",
           "por", "con", "que", "ese", "esa", "eso", "este", "esta", "lo", "se", "me", "su", "sus", "es", "no"}
CLOSE_SPELLING = 85.0


def offered_procedures(buttons: Iterable[Dict[str, Any]]) -> List[Tuple[str, str]]:
    """(intent, slug) of each button that chooses a procedure (``/consultar_tramite{"tramite": …}``)."""
    offered = []
    for button in buttons:
        payload = str(button.get("payload") or "")
        for intent in PROCEDURE_INTENTS:
            if payload.startswith(f"/{intent}{{"):
                try:
                    slug = json.loads(payload[len(intent) + 1:]).get("tramite")
                except ValueError:
                    slug = None
                if slug:
                    offered.append((intent, str(slug)))
    return offered


def _words(proc: Procedure) -> Set[str]:
    words: Set[str] = set()
    for phrase in [proc.name, *proc.aliases]:
        words.update(w for w in normalise(phrase).split() if w not in _FILLER and len(w) > 2)
    return words


def choose(text: str, candidates: Sequence[Procedure]) -> Optional[Procedure]:
    """The only candidate whose words the answer uses (exactly or closely spelt), if exactly one."""
    said = [w for w in normalise(text).split() if w not in _FILLER and len(w) > 2]
    if not said or len(candidates) < 2:
        return None
    own = [_words(p) for p in candidates]
    shared = set.intersection(*own)
    scores = []
    for words in own:
        telling = sorted(words - shared)
        hits = sum(1 for w in said if w in telling or (telling and process.extractOne(
            w, telling, scorer=fuzz.ratio, score_cutoff=CLOSE_SPELLING)))
        scores.append(hits)
    best = max(scores)
    return candidates[scores.index(best)] if best and scores.count(best) == 1 else None
