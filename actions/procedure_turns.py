"""What to answer when a citizen asks about, or wants to do, a procedure.

Pure functions over the catalogue (no Rasa objects), shared by the procedure actions
and by the replay of a question that waited for the commune.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rasa_sdk.events import SlotSet

from actions.form_start import prefilled_state, start_form
from bot.answers import procedures as answers
from bot.answers.municipality import asked_day, office_named, town_hall
from bot.answers.reply import Reply
from bot.catalogue.catalogue import Catalogue
from bot.catalogue.model import Municipality, Office, Procedure
from bot.dialogue.choices import chosen_procedure
from bot.dialogue.cues import (
    asks_about_town_hall,
    asks_open_or_where,
    asks_town_hall_detail,
    changes_topic,
    is_follow_up,
    is_short_follow_up,
    names_town_hall,
    opens_as_follow_up,
    town_hall_only_as_place,
)
from bot.domain_names import Intent, Slot
from bot.matching.aspects import asked_aspects, asks_online_only
from bot.matching.generic import (
    asks_for_any_procedure,
    generic_candidates,
    kinds_in_name,
    kinds_named,
    names_the_request_in_focus,
    told_apart,
    with_elided_kind,
    with_kind_of,
)
from bot.matching.procedures import matcher_for
from bot.matching.question_words import sentences_answering
from bot.text import normalise

SEVERAL_SCORE = 95.0  # a second procedure in the same message is answered only when named this clearly
# The ``tema`` slot after an answer about the town hall or one of its offices holds the office's key
# ("principal", "transito"…), so "¿y hasta q hora atienden?" is about that office.


@dataclass
class Turn:
    """Replies to send and slot events to return."""

    replies: List[Reply] = field(default_factory=list)
    events: List[Dict[str, Any]] = field(default_factory=list)


def _words_of_the_focus(
    catalogue: Catalogue, town: Municipality, focus: str, distinctive: Dict[str, str], named: str
) -> bool:
    """The words that name ``named`` are words the procedure in focus uses too: after the local police
    court's answer, "y si no voy a la audiencia?" is about its hearing, not the mayor's audiencia."""
    proc = catalogue.procedures_for(town.slug).get(focus)
    if proc is None:
        return False
    own = set(
        normalise(" ".join([proc.description, *proc.requirements, *proc.steps, proc.additional_info or ""])).split()
    )
    words = [w for w, key in distinctive.items() if key == named]
    return bool(words) and all(w in own for w in words)


def _names_its_kind(catalogue: Catalogue, text: str, named: str, focus: str) -> bool:
    """The message names a kind of procedure that ``named`` is and the one in focus is not: after the
    illegal dumping, "y pa hacer una fiesta en la plaza q permiso necesito?" asks about the events permit."""
    kinds = kinds_named(text)
    named_proc, focus_proc = catalogue.procedures.get(named), catalogue.procedures.get(focus)
    if not kinds or named_proc is None or focus_proc is None:
        return False
    return bool(kinds & kinds_in_name(named_proc.name) - kinds_in_name(focus_proc.name))


def _resolve(
    catalogue: Catalogue,
    town: Municipality,
    text: str,
    named: Optional[str],
    remembered: Optional[str],
    follow_up_ok: bool,
    intent: str = "consultar_tramite",
    aspect: str = "",
) -> tuple[Optional[str], Optional[Turn]]:
    """The procedure meant, or a turn that asks the citizen to choose or rephrase.

    Only the kind named ("un certificado") or two procedures matching equally: ask which.
    A follow-up that names no procedure by its words ("¿y se puede pagar por internet?")
    stays on the one in focus, even when the NLU guessed another from a loose word.
    """
    typed = bool(text) and not text.startswith("/")
    matcher = matcher_for(catalogue)
    # "quiero hacer un trámite", "necesito ayuda con algo de la muni": which? the areas (a procedure guessed from
    # a loose word of such a message, "ayuda", is no procedure named)
    if typed and asks_for_any_procedure(text):
        offered = catalogue.procedures_for(town.slug)
        return None, Turn([answers.categories_list(town, offered, asks_online_only(text))])
    if typed and remembered:
        focus = catalogue.procedures_for(town.slug).get(remembered)
        restored = with_kind_of(text, focus.name) if focus else None
        found = matcher.best(restored) if restored else None
        if found:
            return found.key, None  # "el de numero…" after the residence certificate: the number certificate
    if typed:
        generic = generic_candidates(text, catalogue.procedures_for(town.slug).values())
        exact = matcher.best(text)
        if exact and exact.exact and len(exact.phrase.split()) > 1:
            generic = []  # "la licencia de conducir" is that procedure's own name, not only its kind
        if generic and remembered in {p.slug for p in generic} and named in (None, remembered):
            return remembered, None  # "quiero pedir el retiro" right after the bulky-waste pickup's answer
        if generic and remembered and named is None and names_the_request_in_focus(text):
            return remembered, None  # "¿dónde se entrega la solicitud?" right after the event permit's answer
        if generic and (named is None or named in {p.slug for p in generic}):
            return None, Turn([answers.ask_which(generic, intent, aspect=aspect)])
        rivals = matcher.ambiguous(text)
        if len(rivals) > 1 and (named is None or named in {r.key for r in rivals}):
            options = [p for p in (catalogue.procedures.get(r.key) for r in rivals) if p is not None]
            if len(options) > 1:
                return None, Turn([answers.ask_which(options, intent, aspect=aspect)])
    if named:
        if (
            typed
            and follow_up_ok
            and remembered
            and named != remembered
            and is_follow_up(text)
            and not changes_topic(text)
            and matcher.best(text) is None
            and not _names_its_kind(catalogue, text, named, remembered)
            and (
                matcher.by_distinctive_word(text) != named  # "buenas, cuanto es el aseo al año?" names it
                or _words_of_the_focus(catalogue, town, remembered, matcher.distinctive_words(text), named)
            )
        ):
            return remembered, None
        return named, None
    if typed:
        best = matcher.best(text)
        if best:
            return best.key, None
        told = told_apart(text, catalogue.procedures_for(town.slug).values())
        if told:  # "el permiso de sirculacion": the kind, then a word of one of its procedures misspelt
            return told.slug, None
    # "¿cuánto es el aseo al año?": a word of one procedure only, and a clear question. While another
    # procedure is in focus, only a message that does not open as a follow-up ("y si tengo multas?") leaves it.
    distinctive = matcher.by_distinctive_word(text) if typed and asked_aspects(text) else None
    if remembered and follow_up_ok and not changes_topic(text):
        if distinctive and distinctive != remembered and not opens_as_follow_up(text):
            return distinctive, None
        return remembered, None
    if typed:
        if distinctive:
            return distinctive, None
        suggestions = matcher.suggestions(text, limit=1)
        if suggestions:
            slug = suggestions[0].key
            return None, Turn(
                [answers.did_you_mean(catalogue.display_name(slug), slug)],
                [SlotSet(Slot.TRAMITE_SUGERIDO, slug)],
            )
    return None, None


def procedure_question(
    catalogue: Catalogue,
    town: Municipality,
    text: str,
    named: Optional[str],
    remembered: Optional[str],
    aspect: Optional[str],
    topic: Optional[str] = None,
    told: Sequence[str] = (),
) -> Turn:
    """Answer a question about a procedure (``consultar_tramite``), or about the town hall itself.

    ``topic`` is the key of the office just described ("principal" for the town hall): "¿y el lunes?"
    is about it. ``told``: the procedures the NLU found in clauses of their own, in the order told
    (``told_in_order``): "cuánto es el aseo al año y cuánto sale la patente" answers both.
    """
    # "¿y en la muni dónde es?" right after a procedure asks where that procedure is done.
    town_hall_as_place = bool(remembered) and town_hall_only_as_place(text)
    named_office = office_named(text, town) or (
        town.office("principal") if names_town_hall(text) and not town_hall_as_place else None
    )
    about_town_hall = not town_hall_as_place and (
        asks_about_town_hall(text)
        or (bool(topic) and asks_town_hall_detail(text))
        or (named_office is not None and asks_open_or_where(text))
    )
    # "y el del cesfam?" just after an office was described: that other office, though a procedure shares its name.
    other_office = bool(topic) and named_office is not None and named_office.key != topic and is_short_follow_up(text)
    # "¿y el sábado?" after a procedure: that day at the office that does it.
    a_day = bool(remembered) and asked_day(text) is not None and is_follow_up(text)
    best = matcher_for(catalogue).best(text)
    # An office named in words beats a loose match of a procedure ("a q hora atiende transito" is no "parte de
    # transito"); a procedure's own name beats the office ("¿dónde pago el permiso de circulación?").
    office_beats = best is None or (named_office is not None and not best.exact)
    if other_office or ((about_town_hall or a_day) and office_beats):
        office = named_office or office_in_focus(catalogue, town, topic, remembered)
        # The procedure stays in focus when its own office was described ("¿y cuánto cuesta?" comes next), by
        # name too: "¿y dónde queda tránsito?" after the driving licence.
        in_focus = catalogue.procedure_for(town.slug, remembered) if remembered else None
        own_office = town.office_for(in_focus) if in_focus else None
        keeps = bool(remembered) and (
            (named_office is None and not town.office(topic or ""))
            or (office is not None and own_office is not None and office.key == own_office.key)
        )
        return Turn(
            [town_hall(town, text, office)],
            [SlotSet(Slot.TEMA, office.key if office else None)] + ([] if keeps else [SlotSet(Slot.TRAMITE, None)]),
        )
    aspects = [aspect] if aspect else asked_aspects(text)
    if named is None and not remembered and best is None:
        named = _only_procedure_at(catalogue, town, topic)  # "¿q necesito pa inscribirme ahí?" after the CESFAM
    several = named_procedures(catalogue, text)
    if len(several) < 2 and named in told and len(told) > 1 and aspects:
        several = list(told)
    if len(several) > 1 and (named is None or named in several):
        return _answer_several(catalogue, town, several, aspects)
    slug, turn = _resolve(
        catalogue, town, text, named, remembered, follow_up_ok=True, aspect=aspects[0] if aspects else ""
    )
    if turn:
        return turn
    if slug is None:
        return Turn([answers.ask_procedure() if aspects else answers.no_match()])
    return _answer(catalogue, town, slug, aspects, question=text)


def _only_procedure_at(catalogue: Catalogue, town: Municipality, topic: Optional[str]) -> Optional[str]:
    """The one procedure done at the office just described (not the town hall, where many are)."""
    office = town.office(topic or "")
    if office is None or office.key == "principal":
        return None
    done_there = [p.slug for p in catalogue.procedures_for(town.slug).values() if town.office_for(p) == office]
    return done_there[0] if len(done_there) == 1 else None


def office_in_focus(
    catalogue: Catalogue, town: Municipality, topic: Optional[str], remembered: Optional[str]
) -> Optional[Office]:
    """The office a contact question without a name is about ("¿y el teléfono?").

    The office just described, else the one that does the procedure just answered (the Juzgado after
    a question about fines), else the town hall.
    """
    office = town.office(topic or "")
    proc = catalogue.procedure_for(town.slug, remembered) if remembered and office is None else None
    return office or (town.office_for(proc) if proc else None) or town.office("principal")


def chosen_offer(
    catalogue: Catalogue, town: Municipality, text: str, buttons: List[Dict[str, Any]]
) -> Optional[Tuple[str, str]]:
    """(intent, slug) of the procedure a typed answer picks among those the last message offered.

    The channels map such answers to the button's payload before Rasa sees them; this covers
    the conversations whose channel keeps no buttons (the REST channel).
    """
    return chosen_procedure(catalogue, text, buttons, lambda slug: catalogue.procedure_for(town.slug, slug))


def named_procedures(catalogue: Catalogue, text: str) -> List[str]:
    """The procedures a typed message names confidently, in the order it names them.

    A kind left out after a named one counts: "el certificado de número y el de residencia" names both.
    """
    if not text or text.startswith("/"):
        return []
    found = sorted(matcher_for(catalogue).find(with_elided_kind(text)), key=lambda m: m.first_word)
    return list(dict.fromkeys(m.key for m in found if m.score >= SEVERAL_SCORE))


def _answer_several(catalogue: Catalogue, town: Municipality, slugs: List[str], aspects: List[str]) -> Turn:
    """Two procedures in one question: each answered, then a choice of which to go on with."""
    replies: List[Reply] = []
    for slug in slugs:
        replies += _answer(catalogue, town, slug, aspects).replies[:1]
    offered = [p for p in (catalogue.procedure_for(town.slug, s) for s in slugs) if p is not None]
    if offered:
        replies.append(answers.ask_which(offered, Intent.CONSULTAR_TRAMITE, "¿De cuál quieres saber más?"))
    return Turn(
        replies, [SlotSet(Slot.TRAMITE, slugs[-1]), SlotSet(Slot.TRAMITE_SUGERIDO, None), SlotSet(Slot.TEMA, None)]
    )


def procedure_request(
    catalogue: Catalogue,
    town: Municipality,
    text: str,
    named: Optional[str],
    remembered: Optional[str],
    tracker: Any = None,
    first_answer: str = "",
) -> Turn:
    """The citizen wants to do a procedure now (``iniciar_tramite``).

    A procedure taken in chat starts its guided form; any other is explained:
    steps, where and the online link. ``first_answer``: see ``prefilled_state``.
    """
    from bot.answers.forms import introduction, two_requests

    not_starting = [SlotSet(Slot.FORMULARIO_LISTO, False)]
    slug, turn = _resolve(catalogue, town, text, named, remembered, follow_up_ok=True, intent=Intent.INICIAR_TRAMITE)
    if turn:
        return Turn(turn.replies, turn.events + not_starting)
    if slug is None:
        return Turn([answers.no_match()], not_starting)
    proc = catalogue.procedure_for(town.slug, slug)
    if proc is not None and proc.chat_request and proc.form and tracker is not None:
        events = [SlotSet(Slot.TRAMITE, slug), SlotSet(Slot.TRAMITE_SUGERIDO, None)]
        told = named_procedures(catalogue, text) + later_requests(tracker)
        later = [
            other
            for other in dict.fromkeys(told)
            if other != slug and _requestable(catalogue.procedure_for(town.slug, other))
        ]
        # "hay un poste sin luz en X 12 y un hoyo en Y 34": only this request's part tells its data.
        opening = request_part(tracker, slug) if later else None
        state = prefilled_state(town, proc, tracker, first_answer, opening=opening)
        intro = [introduction(proc, len(proc.form) - len(state.values))]
        if later:  # "hay un poste sin luz y un hoyo": this one first, the other is offered after the folio
            intro.insert(0, two_requests(proc.name, catalogue.display_name(later[0])))
            events.append(SlotSet(Slot.TRAMITE_SIGUIENTE, later[0]))
        return Turn(intro, events + start_form(state))
    turn = _answer(catalogue, town, slug, ["pasos", "lugar", "en_linea"])
    return Turn(turn.replies, turn.events + not_starting)


def later_requests(tracker: Any) -> List[str]:
    """Procedures the NLU found in a clause of their own of the last message (role ``siguiente``)."""
    latest = getattr(tracker, "latest_message", None) or {}
    return [
        str(e["value"])
        for e in latest.get("entities") or []
        if e.get("entity") == "tramite" and e.get("role") == "siguiente" and e.get("value")
    ]


def request_part(tracker: Any, slug: str) -> Optional[str]:
    """The part of the last message about ``slug`` when it told other procedures too: from the end of the
    procedure told before it to the start of the one told after it. ``None`` when the NLU gave no positions."""
    latest = getattr(tracker, "latest_message", None) or {}
    text = str(latest.get("text") or "")
    told = sorted(
        (
            e
            for e in latest.get("entities") or []
            if e.get("entity") == "tramite" and e.get("value") and isinstance(e.get("start"), int)
        ),
        key=lambda e: int(e["start"]),
    )
    own = [e for e in told if e["value"] == slug]
    others = [e for e in told if e["value"] != slug]
    if not own or not others:
        return None
    start = max((int(e["end"]) for e in others if int(e["end"]) <= own[0]["start"]), default=0)
    end = min((int(e["start"]) for e in others if int(e["start"]) >= own[0]["end"]), default=len(text))
    part = text[start:end]
    return part if part.strip() else None


def told_in_order(tracker: Any) -> List[str]:
    """Every procedure of the last message in the order told, when one was told in a clause of its own."""
    if not later_requests(tracker):
        return []
    latest = getattr(tracker, "latest_message", None) or {}
    found = sorted(
        (e for e in latest.get("entities") or [] if e.get("entity") == "tramite" and e.get("value")),
        key=lambda e: e.get("start") or 0,
    )
    return list(dict.fromkeys(str(e["value"]) for e in found))


def _requestable(proc: Optional[Procedure]) -> bool:
    return proc is not None and proc.chat_request and bool(proc.form)


def answer_chosen(catalogue: Catalogue, town: Municipality, slug: str, question: str) -> Turn:
    """The answer about a procedure chosen among those offered, to what the words that chose it ask: "el aseo se
    puede pagar en cuotas?" gives its cost and the step about the cuotas."""
    aspects = asked_aspects(question)
    return _answer(catalogue, town, slug, aspects[:1], question=question)


def _answer(catalogue: Catalogue, town: Municipality, slug: str, aspects: List[str], question: str = "") -> Turn:
    """The answer about one procedure; ``question``: the citizen's words, for what no aspect covers."""
    events = [SlotSet(Slot.TRAMITE, slug), SlotSet(Slot.TRAMITE_SUGERIDO, None), SlotSet(Slot.TEMA, None)]
    if slug in catalogue.non_municipal:
        return Turn([answers.national_answer(catalogue.non_municipal[slug])], events)
    proc = catalogue.procedure_for(town.slug, slug)
    if proc is None:
        return Turn([answers.not_offered(town, catalogue.display_name(slug))], [SlotSet(Slot.TRAMITE, None)])
    # What the aspects asked do not say: "¿se puede pagar en cuotas?" is the cost, and the step about the cuotas.
    answering = sentences_answering(proc, question, beyond_aspects=bool(aspects)) if question else []
    return Turn(answers.procedure_answer(town, proc, aspects, answering), events)
