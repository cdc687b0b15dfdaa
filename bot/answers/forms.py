"""What the citizen reads while filling in a guided request."""

from __future__ import annotations

from typing import Sequence

from bot.answers.reply import Button, Reply, intent_payload
from bot.catalogue.model import FormField, Procedure
from bot.forms.fields import example_for
from bot.forms.state import FormState, label, label_in_sentence
from bot.text import normalise


def noted(fields: Sequence[FormField]) -> Reply:
    """Data for later questions, given while another was asked: kept (the pending one is asked again)."""
    names = [label_in_sentence(f) for f in fields]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " y " + names[-1]
    return Reply(f"Gracias, anoté: {listed}.")


def introduction(proc: Procedure, remaining: int | None = None) -> Reply:
    """Start of a request: what it is, how many questions are left (``remaining``: after data already given)
    and how to leave."""
    count = len(proc.form) if remaining is None else remaining
    if count >= len(proc.form):
        questions = f"Son {count} preguntas breves."
    elif count == 1:
        questions = "Ya tengo parte de los datos: me falta una pregunta."
    else:
        questions = f"Ya tengo parte de los datos: me faltan {count} preguntas."
    return Reply(f"Te ayudo a pedir «{proc.name}». {questions} Puedes escribir «cancelar» en cualquier momento.")


PLACE_TYPES = ("direccion", "ubicacion")  # questions about where: Telegram offers to share the location


def question(form_field: FormField, told: str = "") -> Reply:
    """The question of one field, with buttons when there are choices.

    ``told``: what the opening message told of this field, quoted so that a yes keeps it (bot/forms/told.py).
    """
    text = form_field.question
    if told:
        text += f"\nMe contaste: «{_shown(told)}». Si es eso, responde «sí»; si no, escríbelo con tus palabras."
        return Reply(text, [Button("Sí, es eso", "sí")])
    if not form_field.required:
        already_says = "opcional" in normalise(text)
        text += (
            " Si no quieres responderla, escribe «omitir»."
            if already_says
            else " (opcional: escribe «omitir» para saltarla)"
        )
    if form_field.type == "opcion":
        return Reply(text, [Button(o, str(i)) for i, o in enumerate(form_field.options, 1)])
    if form_field.type == "si_no":
        return Reply(text, [Button("Sí", "sí"), Button("No", "no")])
    return Reply(text, asks_location=form_field.type in PLACE_TYPES)


# What each datum is for, told when a citizen asks "¿pa q necesitan mi rut?".
_WHAT_FOR = {
    "rut": "El RUT identifica a quien hace la solicitud: con él la municipalidad la registra y solo tú puedes "
    "consultar cómo va.",
    "email": "El correo es para enviarte la confirmación y la respuesta.",
    "telefono": "El teléfono es para que la municipalidad pueda coordinar contigo.",
    "direccion": "La dirección es para saber dónde hay que ir.",
    "ubicacion": "La ubicación es para saber dónde hay que ir.",
    "nombre": "El nombre es para registrar quién hace la solicitud.",
}


def about_the_question(form_field: FormField) -> Reply:
    """Whether the pending question must be answered and what for ("es obligatorio el correo?")."""
    what_for = _WHAT_FOR.get(form_field.type, "Lo pedimos para tramitar tu solicitud.")
    if form_field.required:
        need = "Es necesario para esta solicitud; tus datos solo se usan para atenderla."
    else:
        need = "Es opcional: si prefieres no responder, escribe «omitir»."
    return Reply(f"{what_for} {need}")


def summary(proc: Procedure, state: FormState) -> Reply:
    """All answers, and the question that sends the request."""
    lines = [f"Revisa tu solicitud de {proc.name}:"]
    for form_field in proc.form:
        if form_field.name in state.displays:
            lines.append(f"• {label(form_field)}: {state.displays[form_field.name]}")
    lines.append("¿Está todo correcto? Puedes enviarla o corregir un dato.")
    return Reply("\n".join(lines), [Button("Sí, enviar", "sí"), Button("Corregir un dato", "no")])


def add_detail(form_field: FormField, detail: str) -> Reply:
    """A detail told on the summary: added to the field describing the case only if the citizen says so."""
    return Reply(
        f"¿Agrego esto a «{label(form_field)}»?\n«{_shown(detail)}»",
        [Button("Sí, agregar", "sí"), Button("No", "no")],
    )


DETAIL_SHOWN = 200  # characters of the detail repeated in the question


def _shown(detail: str) -> str:
    """The citizen's words quoted back, cut to ``DETAIL_SHOWN`` characters."""
    return detail if len(detail) <= DETAIL_SHOWN else detail[: DETAIL_SHOWN - 1].rstrip() + "…"


def added_detail(form_field: FormField) -> Reply:
    """The detail was added; the summary follows."""
    return Reply(f"Listo, lo agregué a «{label(form_field)}».")


def not_added_detail() -> Reply:
    """The detail was not added; the summary follows."""
    return Reply("Está bien, no lo agregué.")


def field_picker(proc: Procedure) -> Reply:
    """The question after "Corregir un dato": one option per field."""
    return Reply(
        "¿Qué dato quieres corregir?", [Button(label(f), intent_payload("informar", campo=f.name)) for f in proc.form]
    )


def submitted(proc: Procedure, folio: str) -> Reply:
    """The request was registered: the folio and when to expect an answer."""
    return Reply(
        f"¡Listo! Tu solicitud de {proc.name} quedó registrada con el folio {folio}.\n"
        f"Plazo de respuesta: {proc.response_time.rstrip('.')}.\n"
        "Guarda el folio: con él puedes preguntarme cómo va."
    )


def cancelled(proc_name: str) -> Reply:
    """The citizen stopped the request: nothing was sent."""
    return Reply(f"Listo, cancelé la solicitud de {proc_name}. No se envió nada. ¿Te ayudo con otra cosa?")


def storage_failed() -> Reply:
    """The database failed: nothing half-written, the answers are kept."""
    return Reply(
        "Tuvimos un problema al registrar tu solicitud y no se alcanzó a guardar. "
        "Tus respuestas siguen aquí: ¿lo intento de nuevo?",
        [Button("Sí, reintentar", intent_payload("afirmar")), Button("Cancelar", intent_payload("cancelar"))],
    )


def two_requests(first: str, second: str) -> Reply:
    """Two requests in one message: one after the other."""
    return Reply(
        f"Veo dos solicitudes: «{first}» y «{second}». Empecemos por la primera; "
        "cuando terminemos te ofrezco la segunda."
    )


def offer_next(proc: Procedure) -> Reply:
    """After a folio: the second request the citizen mentioned."""
    return Reply(
        f"¿Seguimos ahora con «{proc.name}»?",
        [
            Button("Sí, seguir", intent_payload("iniciar_tramite", tramite=proc.slug)),
            Button("No, gracias", intent_payload("negar")),
        ],
    )


def offer_switch(current: str, other: str) -> Reply:
    """Another procedure asked for in the middle of a request: switch, or go on."""
    return Reply(
        f"Estamos con tu solicitud de {current}. ¿Quieres dejarla (no se envía) y pedir «{other}»?",
        [Button(f"Sí, pedir {other}", "sí"), Button("No, seguir con esta", "no")],
    )


def upset_offer(current: str, remaining: int, complaint: bool) -> Reply:
    """An upset message in the middle of a request: acknowledged, with a way out (never the question alone)."""
    left = "queda 1 pregunta" if remaining == 1 else f"quedan {remaining} preguntas"
    if complaint:
        return Reply(
            f"Lamento mucho la molestia. Si quieres, te ayudo a dejar un reclamo formal en la OIRS (la solicitud "
            f"de {current} queda sin enviar y después te la ofrezco de nuevo), te comunico con una persona, "
            f"o seguimos con tu solicitud: {left}.",
            [
                Button("Sí, dejar un reclamo", "sí"),
                Button("Hablar con una persona", intent_payload("hablar_con_funcionario")),
                Button("No, seguir con esta", "no"),
            ],
        )
    return Reply(
        f"Lamento mucho la molestia. Si prefieres, escribe «hablar con una persona» y te comunico con "
        f"alguien de la municipalidad. Si no, sigamos con tu solicitud de {current}: {left}."
    )


def resumed_later(current: str) -> Reply:
    """Switched to a complaint: the dropped request comes back after its folio."""
    return Reply(f"Cuando terminemos el reclamo te ofrezco retomar la solicitud de {current}.")


def switched(dropped: str) -> Reply:
    """The request was dropped for another one."""
    return Reply(f"Dejé la solicitud de {dropped} sin enviar.")


def give_value(form_field: FormField) -> Reply:
    """A "sí" to a question that wants the value itself ("¿Quieres recibirla por correo? Escríbelo")."""
    if form_field.type == "foto":
        return Reply(f"¡Bien! Envíame la foto por aquí. {example_for(form_field)}")
    if form_field.type in PERSONAL_TYPES:  # "¡Bien! Escríbeme tu correo aquí."
        return Reply(f"¡Bien! Escríbeme tu {label(form_field).lower()} aquí. {example_for(form_field)}")
    return Reply(f"¡Bien! Escríbemelo aquí. {example_for(form_field)}")


# Fields that are the citizen's own data: "tu correo", "tu teléfono" (not "tu edad mascota").
PERSONAL_TYPES = ("nombre", "rut", "email", "telefono", "direccion")


def photo_attached() -> Reply:
    """A photo sent while the request asks something else: it goes with the request."""
    return Reply("Recibí tu foto y la adjunto a la solicitud.")


def media_not_attached() -> Reply:
    """A voice note, video or file sent during a request: staff will see it in the conversation, not in the form."""
    return Reply("Recibí tu archivo; quedará en la conversación, pero para la solicitud necesito que me lo escribas.")


def still_open() -> Reply:
    """After answering a question in the middle of a form."""
    return Reply("Sigamos con tu solicitud:")


def no_longer_offered(sent: bool) -> Reply:
    """The request's procedure left the catalogue meanwhile: nothing is (or was) sent."""
    return Reply(
        "Ese trámite ya no se puede pedir por aquí. " + ("No se envió nada." if sent else "Cancelé la solicitud.")
    )


def going_on() -> Reply:
    """The citizen chose to go on with this request ("primero el poste")."""
    return Reply("¡Vamos con esa!")


def repeating() -> Reply:
    """The citizen missed the question: it is asked again after this."""
    return Reply("Claro, te repito:")


def welcome_and_go_on() -> Reply:
    """Thanks or a goodbye in the middle of a request: the question is asked again after this."""
    return Reply("¡De nada! Para terminar tu solicitud me falta este dato:")


def nothing_to_cancel() -> Reply:
    """«cancelar» with no request in progress."""
    return Reply("Listo, lo dejamos hasta aquí. ¿Te ayudo con otra cosa?")
