"""Greeting, help, fallback and other conversation basics."""

from __future__ import annotations

from typing import Iterable, Optional

from bot.answers.reply import Button, Reply, intent_payload
from bot.catalogue.model import Municipality, Procedure
from bot.dialogue.cues import sounds_upset


def _who(town: Optional[Municipality]) -> str:
    return f"el asistente virtual de la {town.name}" if town else "el asistente virtual de tu municipalidad"


WHAT_I_DO = (
    "Te ayudo con trámites: qué piden, cuánto cuestan, dónde y cuándo, y con solicitudes "
    "como retiro de voluminosos o reportar una luminaria apagada."
)


def greeting(town: Optional[Municipality], just_introduced: bool) -> Reply:
    """Hello and what I do (shorter when the first-contact notice was just sent)."""
    if just_introduced:
        return Reply(f"{WHAT_I_DO} ¿En qué te ayudo?")
    return Reply(f"¡Hola! Soy {_who(town)}. {WHAT_I_DO} ¿En qué te ayudo?")


def first_contact(town: Optional[Municipality], retention_days: int) -> Reply:
    """Sent once, before the first answer: who I am and the privacy notice."""
    return Reply(f"¡Hola! Soy {_who(town)}.\n{privacy_notice(retention_days)}")


def privacy_notice(retention_days: int) -> str:
    """What is stored, for how long, and that the citizen can ask to delete it."""
    return (
        "Privacidad: guardo tus mensajes y los datos de tus solicitudes solo para atenderte, "
        f"por {retention_days} días. Puedes pedir que los borremos cuando quieras escribiendo "
        "«hablar con una persona» o en la OIRS de tu municipalidad."
    )


def capabilities(town: Optional[Municipality] = None, offered: Iterable[Procedure] = ()) -> Reply:
    """The bot challenge and "¿qué puedes hacer?"; with the municipality known, its areas too."""
    areas = sorted({proc.category for proc in offered})
    where = f" de la {town.name}" if town else " de tu municipalidad"
    listed = f" ({', '.join(areas)})" if areas else ""
    return Reply(
        "Soy un asistente virtual (un programa, no una persona). Puedo:\n"
        "• Explicarte trámites: requisitos, costo, dónde, horario y plazo\n"
        f"• Mostrarte los trámites{where}{listed}\n"
        "• Ayudarte a pedir o reportar cosas (voluminosos, luminarias, baches…)\n"
        "• Comunicarte con una persona de la municipalidad",
        [
            Button("Ver trámites", intent_payload("listar_tramites")),
            Button("Hablar con una persona", intent_payload("hablar_con_funcionario")),
        ],
    )


def _offer_person() -> Reply:
    return Reply(
        "Sigo sin entenderte, perdón. ¿Quieres que te comunique con una persona de la municipalidad?",
        [
            Button("Sí, con una persona", intent_payload("hablar_con_funcionario")),
            Button("Ver trámites", intent_payload("listar_tramites")),
        ],
    )


def upset() -> Reply:
    """A complaint that fits no procedure: a formal complaint or a person, never the same question again."""
    return Reply(
        "Lamento que no te haya servido. Puedo comunicarte con una persona de la municipalidad, "
        "o ayudarte a dejar un reclamo formal en la OIRS.",
        [
            Button("Hablar con una persona", intent_payload("hablar_con_funcionario")),
            Button("Hacer un reclamo (OIRS)", intent_payload("iniciar_tramite", tramite="reclamo-oirs")),
        ],
    )


def fallback(consecutive: int, text: str = "") -> Reply:
    """Ask to rephrase; for an upset citizen or from the second miss in a row, offer a person."""
    if sounds_upset(text):
        return upset()
    if consecutive >= 2:
        return _offer_person()
    return Reply(
        "Perdón, no te entendí. ¿Me lo dices de otra forma? Por ejemplo: "
        "«cuánto cuesta el permiso de circulación» o «quiero pedir retiro de cachureos»."
    )


def out_of_scope(consecutive: int, text: str = "") -> Reply:
    """Steer back to municipal topics; for an upset citizen or from the second miss in a row, offer a person."""
    if sounds_upset(text):
        return upset()
    if consecutive >= 2:
        return _offer_person()
    return Reply(
        "Eso no lo sé, solo sé de trámites y servicios municipales. Puedo decirte, por ejemplo, "
        "qué necesitas para la licencia de conducir o ayudarte a pedir el retiro de voluminosos."
    )


def human_contact(town: Optional[Municipality]) -> Reply:
    """How to reach a person at the municipality."""
    if town is None:
        return Reply("Para hablar con una persona necesito saber tu comuna. ¿De qué comuna eres?")
    principal = town.office("principal")
    lines = [f"Puedes hablar con una persona de la {town.name}:"]
    if town.phone:
        lines.append(f"• Teléfono: {town.phone}")
    if town.email:
        lines.append(f"• Correo: {town.email}")
    if principal:
        lines.append(f"• En persona: {principal.address}")
    return Reply("\n".join(lines))


def anything_else(after_yes: bool = False, thanked: bool = False) -> Reply:
    """Nothing was pending: ask what else ("¡Bien!" after a yes, "Ok." after a no, "¡De nada!" after thanks)."""
    if thanked:
        return Reply("¡De nada! ¿En qué más te ayudo?")
    return Reply("¡Bien! ¿En qué más te ayudo?" if after_yes else "Ok. ¿En qué más te ayudo?")


def other_words() -> Reply:
    """A suggested procedure was not the one: ask again in other words, or show the list."""
    return Reply(
        "Ok. ¿Me dices con otras palabras qué trámite buscas? También puedo mostrarte la lista.",
        [Button("Ver trámites", "/listar_tramites")],
    )


def option_not_offered(count: int) -> Reply:
    """A number typed beyond the options just offered ("7" to two)."""
    return Reply(f"Esa opción no está disponible: responde con un número del 1 al {count}.")


def datum_without_request() -> Reply:
    """A RUT, phone or e-mail given while no request asks for it."""
    return Reply("Gracias. ¿Para qué trámite es ese dato? Cuéntame qué necesitas hacer.")
