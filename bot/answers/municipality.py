"""Replies about which municipality the citizen belongs to."""
from __future__ import annotations

from typing import Iterable

from bot.answers.reply import Button, Reply, intent_payload
from bot.catalogue.catalogue import Commune
from bot.catalogue.model import Municipality


def ask_commune(towns: Iterable[Municipality]) -> Reply:
    """Ask the citizen's commune, offering the served ones as buttons."""
    towns = sorted(towns, key=lambda t: t.comuna)
    return Reply(
        "¿De qué comuna eres? Así te doy la información de tu municipalidad.",
        [Button(t.comuna, intent_payload("informar", comuna=t.comuna)) for t in towns],
    )


def commune_set(town: Municipality) -> Reply:
    """Confirm the municipality chosen."""
    return Reply(f"Perfecto, te atiendo como vecino o vecina de {town.comuna}.")


def commune_not_served(commune: Commune, served: Iterable[Municipality]) -> Reply:
    """A commune that this deployment does not serve: point to its own municipality."""
    names = ", ".join(sorted(t.comuna for t in served))
    return Reply(
        f"Por ahora no atiendo a {commune.name}. Para tus trámites te recomiendo contactar "
        f"directamente a la Municipalidad de {commune.name} ({commune.region}). "
        f"Este asistente atiende a: {names}. Si en realidad eres de una de ellas, dime cuál."
    )
