"""Answers about procedures: a summary, or the aspects the citizen asked first."""

from __future__ import annotations

from collections import OrderedDict
from typing import Dict, List, Sequence

from bot.answers.reply import Button, Reply, intent_payload
from bot.catalogue.hours import describe_hours
from bot.catalogue.model import Municipality, NonMunicipalProcedure, Procedure

ASPECT_TITLES = OrderedDict(
    [
        ("requisitos", "Requisitos"),
        ("costo", "Costo"),
        ("lugar", "Dónde y cuándo"),
        ("plazo", "Plazo"),
        ("en_linea", "En línea"),
        ("pasos", "Pasos"),
    ]
)


def _where(town: Municipality, proc: Procedure) -> str:
    office = town.office_for(proc)
    place = proc.place.strip().rstrip(".")
    if office is None:
        return f"Dónde: {place}."
    if office.name.lower() in place.lower() or place.lower() in office.name.lower():
        lines = [f"Dónde: {office.name}, {office.address}."]
    else:
        lines = [f"Dónde: {place}, en {office.name} ({office.address})."]
    lines.append(f"Horario: {describe_hours(office.hours)}.")
    if office.phone:
        lines.append(f"Teléfono: {office.phone}")
    return "\n".join(lines)


def _contact(town: Municipality, proc: Procedure) -> str:
    """How to reach the office that does the procedure: its phone, and the town hall's e-mail and web site."""
    office = town.office_for(proc)
    lines = [f"Contacto: {office.name}, {office.address}." if office else "Contacto:"]
    phone = (office.phone if office else "") or town.phone
    if phone:
        lines.append(f"Teléfono: {phone}")
    if town.email:
        lines.append(f"Correo: {town.email}")
    if town.website:
        lines.append(f"Sitio web: {town.website}")
    if proc.online_url:
        lines.append(f"En línea: {proc.online_url}")
    return "\n".join(lines)


def _online(town: Municipality, proc: Procedure) -> str:
    if proc.online_url:
        return f"Se puede hacer en línea: {proc.online_url}"
    return f"En {town.comuna} este trámite no está en línea: se hace de forma presencial."


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def aspect_text(town: Municipality, proc: Procedure, aspect: str) -> str:
    """The answer to one aspect (``costo``, ``requisitos``, ``lugar``, ``horario``...)."""
    if aspect == "costo":
        return f"Costo: {proc.cost}"
    if aspect == "requisitos":
        return "Requisitos:\n" + _bullets(proc.requirements)
    if aspect in ("lugar", "horario"):
        return _where(town, proc)
    if aspect == "plazo":
        return f"Plazo: {proc.response_time}"
    if aspect == "en_linea":
        return _online(town, proc)
    if aspect == "contacto":
        return _contact(town, proc)
    if aspect == "pasos":  # how to do it: the steps, and the online way when there is one
        steps = "Pasos:\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(proc.steps, 1))
        return f"{steps}\n\n{_online(town, proc)}" if proc.online_url else steps
    raise ValueError(f"unknown aspect {aspect!r}")


def _more_buttons(proc: Procedure, skip: Sequence[str]) -> List[Button]:
    skip_keys = {"lugar" if s == "horario" else s for s in skip}
    buttons = [
        Button(title, intent_payload("consultar_tramite", tramite=proc.slug, aspecto=key))
        for key, title in ASPECT_TITLES.items()
        if key not in skip_keys
    ]
    if proc.chat_request:
        buttons.insert(0, Button("Sí, hacer la solicitud", intent_payload("iniciar_tramite", tramite=proc.slug)))
    return buttons[:4] if proc.chat_request else buttons[:3]


def _more_prompt(proc: Procedure, default: str) -> str:
    """After an answer: offer the request when it can be made here (never start it unasked)."""
    if proc.chat_request:
        return "¿Quieres hacer la solicitud ahora por aquí? También puedo contarte más:"
    return default


def procedure_answer(
    town: Municipality, proc: Procedure, aspects: Sequence[str], answering: Sequence[str] = ()
) -> List[Reply]:
    """Answer the asked aspects first, or give a short summary, then offer the rest.

    ``answering``: catalogue sentences that answer what the citizen asked beyond the aspects
    ("¿tiene q ir en ayuno?"), said first in the summary, or after the aspects asked.
    """
    if "pasos" in aspects and "requisitos" not in aspects and proc.requirements:
        aspects = [*aspects, "requisitos"]  # "¿cómo me inscribo?": the steps, and what to bring
    if aspects:
        parts = []
        for aspect in aspects:
            text = aspect_text(town, proc, aspect)
            if text not in parts:
                parts.append(text)
        beyond = [sentence for sentence in answering if not any(sentence in part for part in parts)]
        if beyond:
            parts.append(f"Sobre lo que preguntas:\n{_bullets(beyond)}")
        body = f"{proc.name} en {town.comuna}\n\n" + "\n\n".join(parts)
        return [
            Reply(body),
            Reply(_more_prompt(proc, "¿Quieres saber algo más de este trámite?"), _more_buttons(proc, aspects)),
        ]
    summary = [
        f"{proc.name} en {town.comuna}",
        *([f"Sobre lo que preguntas:\n{_bullets(answering)}", ""] if answering else []),
        proc.description,
        "",
        f"Costo: {proc.cost}",
        f"Plazo: {proc.response_time}",
        _where(town, proc),
    ]
    if proc.online_url:
        summary.append(f"En línea: {proc.online_url}")
    if proc.additional_info:  # what no aspect says: "si hay un cable cortado… llama al 133"
        summary += ["", proc.additional_info]
    return [
        Reply("\n".join(summary)),
        Reply(_more_prompt(proc, "¿Qué más quieres saber?"), _more_buttons(proc, ["costo", "plazo", "lugar"])),
    ]


def national_answer(national: NonMunicipalProcedure) -> Reply:
    """A pointer to the national service that does this procedure."""
    return Reply(f"{national.answer}\n{national.service}: {national.url}")


def not_offered(town: Municipality, name: str) -> Reply:
    """The municipality does not have this procedure in its catalogue."""
    contact = f" Puedes consultar en la municipalidad: {town.phone}." if town.phone else ""
    return Reply(
        f"La {town.name} no tiene «{name}» en su catálogo de trámites.{contact}",
        [Button("Ver trámites", intent_payload("listar_tramites"))],
    )


def ask_which(
    options: Sequence[Procedure], intent: str = "consultar_tramite", question: str = "", aspect: str = ""
) -> Reply:
    """Two or more procedures fit: let the citizen choose (the choice keeps asking, or requesting,
    and keeps what was asked about: "¿q necesito pa la licencia?" answers the requirements of the one chosen)."""
    question = question or (
        "¿Cuál de estos trámites quieres hacer?"
        if intent == "iniciar_tramite"
        else "¿Sobre cuál de estos trámites me preguntas?"
    )
    asked = {"aspecto": aspect} if aspect and intent != "iniciar_tramite" else {}
    return Reply(question, [Button(p.name, intent_payload(intent, tramite=p.slug, **asked)) for p in options])


def did_you_mean(proc_name: str, slug: str) -> Reply:
    """A weak match: confirm before answering."""
    return Reply(
        f"¿Te refieres a «{proc_name}»?",
        [Button("Sí", intent_payload("consultar_tramite", tramite=slug)), Button("No", intent_payload("negar"))],
    )


def no_match() -> Reply:
    """No procedure matched the message."""
    return Reply(
        "No encontré ese trámite. ¿Me lo dices con otras palabras? "
        "También puedo mostrarte la lista o comunicarte con una persona.",
        [
            Button("Ver trámites", intent_payload("listar_tramites")),
            Button("Hablar con una persona", intent_payload("hablar_con_funcionario")),
        ],
    )


def ask_procedure() -> Reply:
    """A follow-up question, but no procedure in the conversation yet."""
    return Reply(
        "¿Sobre qué trámite? Por ejemplo: «permiso de circulación» o «retiro de voluminosos».",
        [Button("Ver trámites", intent_payload("listar_tramites"))],
    )


def categories_list(town: Municipality, offered: Dict[str, Procedure], online_only: bool = False) -> Reply:
    """The municipality's areas, each a button that lists its procedures."""
    procs = [p for p in offered.values() if p.online_url or not online_only]
    if not procs:
        return Reply(f"Por ahora {town.name} no tiene trámites en línea en su catálogo.")
    by_category: Dict[str, int] = {}
    for proc in procs:
        by_category[proc.category] = by_category.get(proc.category, 0) + 1
    intro = "en línea " if online_only else ""
    text = f"La {town.name} tiene {len(procs)} trámites {intro}que te puedo explicar. Elige un área:"
    buttons = [
        Button(f"{cat} ({n})", intent_payload("listar_tramites", categoria=cat))
        for cat, n in sorted(by_category.items())
    ]
    return Reply(text, buttons)


def category_procedures(town: Municipality, offered: Dict[str, Procedure], category: str) -> Reply:
    """The procedures of one area, each a button that explains it.

    The buttons are the list (those done online say so): the text does not list the procedures again
    (WhatsApp shows the buttons as a numbered list under the text, so names in the text came twice)."""
    procs = sorted((p for p in offered.values() if p.category == category), key=lambda p: p.name)
    if not procs:
        return Reply(f"No encontré trámites del área «{category}» en {town.comuna}.")
    text = (
        f"Trámites de {category} en {town.comuna}. Elige uno o pregúntame directamente, por ejemplo «¿cuánto cuesta…?»."
    )
    buttons = [
        Button(p.name + (" (en línea)" if p.online_url else ""), intent_payload("consultar_tramite", tramite=p.slug))
        for p in procs
    ]
    return Reply(text, buttons)
