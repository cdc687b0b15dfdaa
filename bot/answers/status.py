"""Replies about the status of requests, in plain Spanish with dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Dict, List
from zoneinfo import ZoneInfo

from bot.answers.reply import Reply
from bot.config import timezone_name

NOT_FOUND = "No encontré una solicitud con esos datos. Revisa el folio y el RUT, y vuelve a intentarlo."
BLOCKED = (
    "Hubo varios intentos sin resultado, así que por seguridad debes esperar una hora antes de "
    "volver a consultar. Si necesitas ayuda, escribe «hablar con una persona»."
)
FOLIO_BLOCKED = (
    "Ese folio tuvo varios intentos de consulta sin resultado, así que por seguridad no se puede "
    "consultar con folio y RUT durante una hora. Si la solicitud es tuya, pregúntame «¿en qué va mi "
    "solicitud?» desde el chat donde la hiciste, o escribe «hablar con una persona»."
)
MUNICIPALITY_BLOCKED = (
    "En este momento hay demasiadas consultas por folio sin resultado, así que por seguridad "
    "las pausamos por un rato. Intenta de nuevo en una hora; si lo necesitas antes, escribe "
    "«hablar con una persona»."
)
_BLOCKED_BY = {"conversacion": BLOCKED, "folio": FOLIO_BLOCKED, "municipalidad": MUNICIPALITY_BLOCKED}


def blocked(reason: str) -> str:
    """What the citizen reads when a lookup must wait (``reason`` from ``bot.storage.lookups.blocked``)."""
    return _BLOCKED_BY.get(reason, BLOCKED)


def _date(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return moment.astimezone(ZoneInfo(timezone_name())).strftime("%d/%m/%Y")


def open_requests(requests: List[Dict[str, Any]], name_of: Callable[[str], str]) -> Reply:
    """The citizen's open requests from this chat."""
    lines = ["Estas son tus solicitudes abiertas:"]
    for request in requests:
        lines.append(
            f"• {request['folio']} · {name_of(request['procedure'])}: {request['status_label']} "
            f"(desde {_date(request['updated_at'])})"
        )
    lines.append("Para ver el detalle de una, escríbeme su folio.")
    return Reply("\n".join(lines))


def request_detail(request: Dict[str, Any], name_of: Callable[[str], str]) -> Reply:
    """One request with its history of statuses."""
    lines = [
        f"Solicitud {request['folio']} · {name_of(request['procedure'])}",
        f"Estado: {request['status_label']}",
        "",
        "Historial:",
    ]
    for entry in request.get("history") or []:
        note = f" — {entry['note']}" if entry.get("note") else ""
        lines.append(f"• {_date(entry['at'])}: {entry['label']}{note}")
    return Reply("\n".join(lines))


def _folio_shape(code: str) -> str:
    """How a folio looks, without writing one: an example folio would read as a real one."""
    start = f"empieza con «{code.upper()}-»" if code else "empieza con tres letras y un guion"
    return f"Es el código que te di al registrar la solicitud: {start} y sigue con seis letras o números."


def sorry_for_the_wait() -> Reply:
    """An upset citizen asking how a request goes: acknowledged before the lookup, with the ways out."""
    return Reply(
        "Lamento la espera. Reviso en qué va tu solicitud; si no te sirve la respuesta, puedo ayudarte a dejar "
        "un reclamo o comunicarte con una persona de la municipalidad."
    )


def ask_folio(code: str = "") -> Reply:
    """No request from this chat: ask for the folio (``code``: the municipality's, when known)."""
    return Reply(
        "No veo solicitudes hechas desde este chat. La busco con el folio y el RUT con que se hizo: "
        f"¿cuál es el folio? {_folio_shape(code)}"
    )


def ask_rut() -> Reply:
    """Second step of the lookup."""
    return Reply("¿Con qué RUT se hizo la solicitud? Por ejemplo: 12.345.678-5.")


def bad_folio(code: str = "") -> Reply:
    """Not shaped like a folio."""
    return Reply(f"Ese no parece un folio. {_folio_shape(code)}")


def bad_rut() -> Reply:
    """Not a valid RUT."""
    return Reply("Ese RUT no es válido. Escríbelo con dígito verificador, por ejemplo 12.345.678-5.")
