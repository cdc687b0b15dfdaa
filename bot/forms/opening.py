"""Answers a request's opening message already holds.

"quiero denunciar ruidos molestos, es en pasaje los quillayes 5540, son fiestas con música…"
names the address and the kind of noise: the form keeps them and asks only what is missing.
Only answers that can be told apart with certainty are taken: an address (a street word and
a number, in one clause only) and an option named by exactly one clause. Free text is never
guessed from an opening message: a wrong guess would store what the citizen said in the wrong
field. Pure: no Rasa, no I/O.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from bot.catalogue.model import FormField
from bot.text import normalise

_CLAUSES = re.compile(r"[,.;:\n]+")
_STREET = re.compile(
    r"\b(?:pasaje|psje|pje|calle|avenida|av|camino|villa|poblacion|block|esquina|condominio|callejon|diagonal)\b"
)
_ADDRESS_CUE = re.compile(r"^(?:vivo en|mi direccion es|mi direccion|direccion|queda en|es en)\b")
_LEAD = re.compile(
    r"^\s*(?:mi direcci[oó]n es\s+|direcci[oó]n:?\s+|(?:(?:es|queda|esta|estan|vivo|ocurre|pasa|sucede|fue)\s+)?"
    r"(?:en\s+(?:la\s+|el\s+)?)?)",
    re.IGNORECASE,
)
MIN_CLAUSES = 2


def _clauses(text: str) -> List[str]:
    return [clause.strip() for clause in _CLAUSES.split(text) if clause.strip()]


def _is_address(clause: str) -> bool:
    """A street word ("pasaje", "av") or an address cue ("vivo en"), and a number."""
    norm = normalise(clause)
    return bool((_STREET.search(norm) or _ADDRESS_CUE.search(norm)) and re.search(r"\d", clause))


def _titled(clause: str, options: List[str]) -> Optional[str]:
    """The only option a word of whose own title the clause uses ("fiestas con música": «Fiesta o música»).

    Not the everyday synonyms an answer to the question may use: told unasked, "afuera de mi casa" is no
    «Dentro de mi propiedad».
    """
    said = set(normalise(clause).split())
    named = [o for o in options if {w for w in normalise(o).split() if len(w) > 3} & said]
    return named[0] if len(named) == 1 else None


def opening_answers(fields: List[FormField], text: str) -> Dict[str, str]:
    """Field name -> the words of ``text`` that answer it, for the fields an opening message answers surely."""
    clauses = _clauses(text)
    if len(clauses) < MIN_CLAUSES:  # a message of one clause is the request itself
        return {}
    found: Dict[str, str] = {}
    used: set[int] = set()
    for form_field in fields:
        if form_field.type == "direccion":
            hits = [i for i, clause in enumerate(clauses) if i not in used and _is_address(clause)]
            if len(hits) == 1:
                found[form_field.name] = _LEAD.sub("", clauses[hits[0]], count=1)
                used.add(hits[0])
        elif form_field.type == "opcion" and form_field.options:
            named = [(i, _titled(c, form_field.options)) for i, c in enumerate(clauses) if i not in used]
            chosen = [(i, option) for i, option in named if option]
            if chosen and len({option for _, option in chosen}) == 1:
                found[form_field.name] = str(chosen[0][1])
                used.update(i for i, _ in chosen)
    return found
