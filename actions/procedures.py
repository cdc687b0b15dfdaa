"""Actions about procedures: list them, answer questions, explain how to do them."""

from __future__ import annotations

import abc
from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import entity, last_buttons, latest_text, municipality, pending, send
from actions.procedure_turns import (
    Turn,
    answer_chosen,
    chosen_offer,
    procedure_question,
    procedure_request,
    told_in_order,
)
from actions.services import current_catalogue
from bot.answers import procedures as answers
from bot.answers.municipality import ask_commune, commune_not_served, commune_set
from bot.catalogue.catalogue import Catalogue
from bot.catalogue.model import Municipality, Procedure
from bot.dialogue.choices import offered_procedures
from bot.domain_names import Intent, Slot
from bot.matching.aspects import asks_online_only
from bot.matching.generic import generic_candidates
from bot.text import normalise


def answer_pending(
    catalogue: Catalogue, town: Municipality, waiting: Dict[str, Any], remembered: str | None, tracker: Tracker
) -> Turn:
    """Answer a question that waited for the commune."""
    intent, text, slug = waiting.get("intent"), waiting.get("text") or "", waiting.get("tramite")
    if intent == Intent.LISTAR_TRAMITES:
        online = asks_online_only(text)
        return Turn([answers.categories_list(town, catalogue.procedures_for(town.slug), online)])
    if intent == Intent.INICIAR_TRAMITE:
        return procedure_request(catalogue, town, text, slug, remembered, tracker)
    return procedure_question(catalogue, town, text, slug, remembered, waiting.get("aspecto"))


def chosen_turn(
    catalogue: Catalogue, town: Municipality, chosen: Tuple[str, str], tracker: Optional[Tracker], text: str = ""
) -> Turn:
    """The turn for an offered procedure chosen in words: a request starts only where a form can follow.

    ``text``: the words that chose it; what they ask is answered ("y la patente cuanto se demora?").
    """
    intent, slug = chosen
    if intent == Intent.INICIAR_TRAMITE and tracker is not None:
        return procedure_request(catalogue, town, "", slug, None, tracker)
    return answer_chosen(catalogue, town, slug, text)


# Questions kept while the commune is asked, answered once it is known.
_PROCEDURE_QUESTIONS = (Intent.CONSULTAR_TRAMITE, Intent.INICIAR_TRAMITE, Intent.LISTAR_TRAMITES)


class NeedsMunicipality(Action, abc.ABC):
    """Base for actions that answer with a municipality's data: asks the commune first."""

    #: The intent answered, replayed once the commune is known.
    handles_intent = ""

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in the domain."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Answer for the citizen's municipality, or ask which one and keep the question."""
        catalogue = await current_catalogue()
        named = entity(tracker, "comuna")
        unserved = None
        if named and catalogue.municipality_for_commune(named) is None:
            unserved = next((c for c in catalogue.communes if c.name == named), None)
        town = None if unserved else municipality(tracker, catalogue)
        if town is None:
            # The question is kept: "en realidad vivo en Independencia" answers it once the commune is known.
            waiting = pending(self.handles_intent, latest_text(tracker), entity(tracker, "tramite"))
            waiting["aspecto"] = entity(tracker, "aspecto")
            if unserved:  # "soy de Las Condes, ¿cómo saco…?": not this deployment's; say so, not answer for another
                send(dispatcher, [commune_not_served(unserved, catalogue.municipalities.values())])
            else:
                send(dispatcher, [ask_commune(catalogue.municipalities.values())])
            return [SlotSet(Slot.PENDIENTE, waiting), SlotSet(Slot.FORMULARIO_LISTO, False)]
        waiting = tracker.get_slot(Slot.PENDIENTE)
        if named and waiting and not entity(tracker, "tramite") and waiting.get("intent") in _PROCEDURE_QUESTIONS:
            # "soy de ñuñoa, ¿dónde pago el permiso?", then "ah pero trabajo en providencia, ¿puedo pagarlo allá?":
            # the question kept for the commune, answered for the one now named.
            turn = answer_pending(catalogue, town, waiting, tracker.get_slot(Slot.TRAMITE), tracker)
            send(dispatcher, [commune_set(town), *turn.replies])
            return [SlotSet(Slot.MUNICIPIO, town.slug), SlotSet(Slot.PENDIENTE, None), *turn.events]
        chosen = chosen_offer(catalogue, town, latest_text(tracker), last_buttons(tracker))
        if chosen is not None:  # "el del auto": the answer to "¿Cuál de estos trámites…?"
            turn = chosen_turn(
                catalogue,
                town,
                chosen,
                tracker if self.handles_intent == Intent.INICIAR_TRAMITE else None,
                latest_text(tracker),
            )
        else:
            turn = self.answer(catalogue, town, tracker)
        send(dispatcher, turn.replies)
        return [SlotSet(Slot.MUNICIPIO, town.slug), *turn.events]

    @abc.abstractmethod
    def answer(self, catalogue: Catalogue, town: Municipality, tracker: Tracker) -> Turn:
        """The turn for a known municipality."""


class ActionListarTramites(NeedsMunicipality):
    """``listar_tramites``: areas first, then the procedures of the chosen area."""

    handles_intent = Intent.LISTAR_TRAMITES

    def name(self) -> Text:
        return "action_listar_tramites"

    def answer(self, catalogue: Catalogue, town: Municipality, tracker: Tracker) -> Turn:
        offered = catalogue.procedures_for(town.slug)
        category = entity(tracker, "categoria") or category_named(latest_text(tracker), offered.values())
        if category:
            return Turn([answers.category_procedures(town, offered, category)])
        online = asks_online_only(latest_text(tracker))
        return Turn([answers.categories_list(town, offered, online)])


def category_named(text: str, offered: Iterable[Procedure]) -> Optional[str]:
    """The area of procedures a typed message names ("ver los trámites de tránsito" -> "Tránsito")."""
    said = f" {normalise(text)} "
    return next((c for c in sorted({p.category for p in offered}) if f" {normalise(c)} " in said), None)


class ActionResponderTramite(NeedsMunicipality):
    """``consultar_tramite``: the aspect asked first, or a summary; follow-ups keep the procedure."""

    handles_intent = Intent.CONSULTAR_TRAMITE

    def name(self) -> Text:
        return "action_responder_tramite"

    def answer(self, catalogue: Catalogue, town: Municipality, tracker: Tracker) -> Turn:
        return procedure_question(
            catalogue,
            town,
            latest_text(tracker),
            entity(tracker, "tramite"),
            # "¿Te refieres a la compostera?" then "cuanto cuesta": the suggestion, taken up by asking about it
            tracker.get_slot(Slot.TRAMITE_SUGERIDO)
            or _offered_of_its_kind(catalogue, town, tracker)
            or tracker.get_slot(Slot.TRAMITE),
            entity(tracker, "aspecto"),
            tracker.get_slot(Slot.TEMA),
            told_in_order(tracker),
        )


def _offered_of_its_kind(catalogue: Catalogue, town: Municipality, tracker: Tracker) -> Optional[str]:
    """The one procedure the last message offered that the kind named now fits: "y la patente cuanto se
    demoran?" right after «Patente comercial» and «Permiso de circulación» is the commercial licence."""
    offered = {slug for _, slug in offered_procedures(last_buttons(tracker))}
    if len(offered) < 2:
        return None
    fitting = [
        p.slug
        for p in generic_candidates(latest_text(tracker), catalogue.procedures_for(town.slug).values())
        if p.slug in offered
    ]
    return fitting[0] if len(fitting) == 1 else None


class ActionIniciarTramite(NeedsMunicipality):
    """``iniciar_tramite``: how to do the procedure in this municipality."""

    handles_intent = Intent.INICIAR_TRAMITE

    def name(self) -> Text:
        return "action_iniciar_tramite"

    def answer(self, catalogue: Catalogue, town: Municipality, tracker: Tracker) -> Turn:
        return procedure_request(
            catalogue,
            town,
            latest_text(tracker),
            entity(tracker, "tramite"),
            tracker.get_slot(Slot.TRAMITE),
            tracker,
        )
