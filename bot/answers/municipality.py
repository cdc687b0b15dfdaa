"""Replies about which municipality the citizen belongs to."""
from __future__ import annotations

from typing import Iterable, Optional

from bot.answers.reply import Button, Reply, intent_payload
from bot.catalogue.catalogue import Commune
from bot.catalogue.hours import DAY_NAMES, describe_hours, parse_hours
from bot.catalogue.model import Municipality
from bot.text import normalise

_DAY_WORDS = {normalise(name): index for index, name in enumerate(DAY_NAMES)}


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


def asked_day(text: str) -> Optional[int]:
    """The weekday a message names ("el sábado" -> 5), if any."""
    for word in normalise(text).split():
        if word in _DAY_WORDS:
            return _DAY_WORDS[word]
    return None


def town_hall(town: Municipality, text: str = "") -> Reply:
    """Where the municipality is and when it is open, answering the day asked if any."""
    office = town.office("principal") or (town.offices[0] if town.offices else None)
    if office is None:
        contact = f" Teléfono: {town.phone}." if town.phone else ""
        return Reply(f"No tengo la dirección de la {town.name} en mis datos.{contact}")
    lines = [f"{town.name}: {office.name}, {office.address}.", f"Horario: {describe_hours(office.hours)}."]
    day = asked_day(text)
    if day is not None:
        open_that_day = [r for r in parse_hours(office.hours) if day in r.days]
        if open_that_day:
            hours = ", ".join(f"{r.opens.hour}:{r.opens.minute:02d} a {r.closes.hour}:{r.closes.minute:02d}"
                              for r in open_that_day)
            lines.insert(1, f"El {DAY_NAMES[day]} atiende de {hours}.")
        else:
            lines.insert(1, f"El {DAY_NAMES[day]} no atiende.")
    if office.phone or town.phone:
        lines.append(f"Teléfono: {office.phone or town.phone}")
    if town.email:
        lines.append(f"Correo: {town.email}")
    if town.website:
        lines.append(f"Sitio web: {town.website}")
    return Reply("\n".join(lines))
