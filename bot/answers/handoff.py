"""What the citizen is told when a person takes over, honestly, with the office hours."""

from __future__ import annotations

from datetime import datetime

from bot.answers.reply import Button, Reply, intent_payload
from bot.catalogue.hours import DAY_NAMES, describe_hours, is_open, next_opening
from bot.catalogue.model import Municipality

END_WAIT = "Si ya no lo necesitas, escribe «ya no, gracias»."


def handed_over(town: Municipality, now: datetime) -> Reply:
    """A person will answer: shortly within office hours, otherwise when the office opens."""
    office = town.office("principal")
    if office is None or is_open(office.hours, now):
        return Reply(
            f"Te comunico con una persona de la {town.name}. Te responderá por aquí en breve; "
            f"mientras tanto, yo no responderé. {END_WAIT}"
        )
    opening = next_opening(office.hours, now)
    when = (
        f"el {DAY_NAMES[opening.weekday()]} {opening:%d/%m} desde las {opening:%H:%M}"
        if opening
        else "en el próximo horario de atención"
    )
    return Reply(
        f"Ahora la {town.name} está fuera de horario (atiende {describe_hours(office.hours).lower()}). "
        f"Dejé tu conversación a una persona, que te responderá por aquí {when}. {END_WAIT}"
    )


def already_waiting() -> Reply:
    """A second request for a person while one is pending."""
    return Reply(f"Ya avisé a una persona de la municipalidad; te responderá por aquí. {END_WAIT}")


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
