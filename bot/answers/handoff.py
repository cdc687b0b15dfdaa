"""What the citizen is told when a person takes over, honestly, with the office hours."""

from __future__ import annotations

from datetime import date, datetime
from typing import Mapping, Optional

from bot.answers.reply import Button, Reply, intent_payload
from bot.catalogue.hours import DAY_NAMES, describe_hours, in_break, is_open, next_opening, parse_hours, spans_on
from bot.catalogue.model import Municipality

END_WAIT = "Si ya no lo necesitas, escribe «ya no, gracias»."


def _when(opening: Optional[datetime], now: datetime) -> str:
    """When the office opens next, as the citizen reads it: ``hoy desde las 14:30``."""
    if opening is None:
        return "en el próximo horario de atención"
    if opening.date() == now.date():
        return f"hoy desde las {opening:%H:%M}"
    return f"el {DAY_NAMES[opening.weekday()]} {opening:%d/%m} desde las {opening:%H:%M}"


def _skipped_holidays(hours: str, now: datetime, opening: Optional[datetime], holidays: Mapping[date, str]) -> str:
    """`` (el viernes 25/12 es feriado)`` when the next opening is later because of holidays the office
    would otherwise open on; empty otherwise."""
    if opening is None:
        return ""
    rules = parse_hours(hours)
    skipped = [d for d in sorted(holidays) if now.date() < d < opening.date() and spans_on(rules, d.weekday())]
    if not skipped:
        return ""
    days = " y ".join(f"el {DAY_NAMES[d.weekday()]} {d:%d/%m}" for d in skipped)
    return f" ({days} {'es feriado' if len(skipped) == 1 else 'son feriados'})"


def handed_over(town: Municipality, now: datetime, holidays: Optional[Mapping[date, str]] = None) -> Reply:
    """A person will answer: shortly within office hours, otherwise when the office opens.

    ``holidays`` are the days the municipality is closed (``Catalogue.holidays_for``), with their names.
    """
    holidays = holidays or {}
    office = town.main_office()  # the same hours as the staff's first-response clock (bot.handoff.sla)
    if office is None or not office.hours or is_open(office.hours, now, holidays):
        return Reply(
            f"Te comunico con una persona de la {town.name}. Te responderá por aquí en breve; "
            f"lo que escribas le llegará a esa persona. {END_WAIT}"
        )
    opening = next_opening(office.hours, now, holidays)
    hours = describe_hours(office.hours).lower()
    if now.date() in holidays:
        name = holidays[now.date()]
        closed = f"Hoy es feriado{f' ({name})' if name else ''} y la {town.name} no atiende (su horario: {hours})."
    elif in_break(office.hours, now, holidays):
        closed = f"Ahora la {town.name} está fuera de horario por la hora de colación (atiende {hours})."
    else:
        closed = f"Ahora la {town.name} está fuera de horario (atiende {hours})."
    return Reply(
        f"{closed} Dejé tu conversación a una persona, que te responderá por aquí {_when(opening, now)}"
        f"{_skipped_holidays(office.hours, now, opening, holidays)}. {END_WAIT}"
    )


def already_waiting() -> Reply:
    """A second request for a person while one is pending."""
    return Reply(f"Ya avisé a una persona de la municipalidad; te responderá por aquí. {END_WAIT}")


def still_waiting() -> Reply:
    """A message while the citizen waits for a person nobody has taken yet: it is kept for them."""
    return Reply(f"Tu mensaje le llegará a la persona que te atenderá; te responderá por aquí. {END_WAIT}")


def wait_ended() -> Reply:
    """The citizen no longer needs the person."""
    return Reply("Listo, cancelé la espera. ¿Te ayudo con algo más?")


def confirm_deletion() -> Reply:
    """Ask before deleting the citizen's data."""
    return Reply(
        "¿Quieres que borre tus datos? Borraré esta conversación y tus datos personales. Tus solicitudes "
        "quedarán registradas en la municipalidad, pero sin tus datos.",
        [Button("Sí, borrar", intent_payload("afirmar")), Button("No", intent_payload("negar"))],
    )


def deleted() -> Reply:
    """Confirmation after the deletion."""
    return Reply("Listo, borré tus datos y esta conversación. Si vuelves a escribir, empezaremos de cero.")


def not_deleted() -> Reply:
    """The citizen did not confirm."""
    return Reply("Ok, no borré nada. ¿Te ayudo con algo más?")
