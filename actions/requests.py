"""Actions about requests (solicitudes) the citizen already made."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import municipality
from actions.services import current_catalogue


class ActionConsultarEstado(Action):
    """``consultar_estado``: where to follow a request (lookups arrive with stored requests)."""

    def name(self) -> Text:
        return "action_consultar_estado"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        catalogue = await current_catalogue()
        town = municipality(tracker, catalogue)
        contact = f" al {town.phone}" if town and town.phone else ""
        dispatcher.utter_message(
            text=(
                "Todavía no puedo ver el estado de solicitudes desde este chat. "
                f"Para saber cómo va la tuya, llama a la municipalidad{contact} con tu número de folio."
            )
        )
        return []
