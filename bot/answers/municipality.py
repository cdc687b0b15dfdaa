"""Replies about which municipality the citizen belongs to."""

from __future__ import annotations

from typing import Iterable, Optional

from bot.answers.reply import Button, Reply, intent_payload
from bot.catalogue.catalogue import Commune
from bot.catalogue.hours import DAY_NAMES, describe_hours, describe_spans, parse_hours, spans_on
from bot.catalogue.model import Municipality, Office
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
        f"Por ahora este asistente no está disponible para {commune.name}. Para tus trámites te recomiendo contactar "
        f"directamente a la Municipalidad de {commune.name} ({commune.region}). "
        f"Este asistente atiende a: {names}. Si en realidad eres de una de ellas, dime cuál."
    )


def asked_day(text: str) -> Optional[int]:
    """The weekday a message names ("el sábado", "los sábados" -> 5), if any."""
    for word in normalise(text).split():
        for form in (word, word[:-1] if word.endswith("s") else word):
            if form in _DAY_WORDS:
                return _DAY_WORDS[form]
    return None


# Words of office names that do not tell one office from another.
_OFFICE_FILLER = {
    "direccion",
    "de",
    "del",
    "la",
    "el",
    "los",
    "las",
    "y",
    "departamento",
    "oficina",
    "municipal",
    "edificio",
    "centro",
    "en",
    "a",
}


# Everyday names of kinds of offices, by the office key the catalogue uses (Spanish as spoken in Chile).
OFFICE_WORDS = {
    "cesfam": {"consultorio", "posta", "policlinico"},
    "jpl": {"juzgado"},
    "dideco": {"social", "asistente"},
}


def office_named(text: str, town: Municipality) -> Optional[Office]:
    """The office a message names by a word of its name, its key or an everyday name ("el consultorio")."""
    said = set(normalise(text).split())
    for office in town.offices:
        words = (set(normalise(office.name).split()) | {normalise(office.key)}) - _OFFICE_FILLER
        words |= OFFICE_WORDS.get(office.key, set())
        words -= set(normalise(town.comuna).split())
        if office.key != "principal" and words & said:
            return office
    return None


def town_hall(town: Municipality, text: str = "", office: Optional[Office] = None) -> Reply:
    """Where the municipality (or ``office``, or the office named) is and when it is open, answering the
    day asked if any."""
    office = (
        office or office_named(text, town) or town.office("principal") or (town.offices[0] if town.offices else None)
    )
    if office is None:
        contact = f" Teléfono: {town.phone}." if town.phone else ""
        return Reply(f"No tengo la dirección de la {town.name} en mis datos.{contact}")
    place = town.name if office.key == "principal" else f"{office.name} ({town.name})"
    lines = [
        f"{place}: {office.name}, {office.address}." if office.key == "principal" else f"{place}: {office.address}.",
        f"Horario: {describe_hours(office.hours)}.",
    ]
    day = asked_day(text)
    if day is not None:
        open_that_day = spans_on(parse_hours(office.hours), day)
        if open_that_day:
            lines.insert(1, f"El {DAY_NAMES[day]} atiende {describe_spans(open_that_day)}.")
        else:
            lines.insert(1, f"El {DAY_NAMES[day]} no atiende.")
    if office.phone or town.phone:
        lines.append(f"Teléfono: {office.phone or town.phone}")
    if town.email:
        lines.append(f"Correo: {town.email}")
    if town.website:
        lines.append(f"Sitio web: {town.website}")
    return Reply("\n".join(lines))
