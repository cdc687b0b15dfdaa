"""Whole console pages: the layout with navigation, notices and error pages."""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from aiohttp import web
from multidict import MultiMapping

from bot.app.web.console_render import Markup, fragment, join, render
from bot.handoff.states import HandoffStatus
from bot.staff.sessions import StaffSession

Notice = Tuple[str, str]  # (kind "ok" | "error", Spanish text)

# Notices named in a redirect's query (``?aviso=enviado``): only these fixed texts are ever shown.
NOTICES = {
    "enviado": ("ok", "Mensaje enviado al vecino o vecina."),
    "tomada": ("ok", "Tomaste la conversación: el asistente no responderá mientras la atiendas."),
    "asignada": ("ok", "Conversación asignada: el asistente no responderá mientras esa persona la atienda."),
    "sin_agente": ("error", "Elige a una persona activa de tu municipalidad para asignarle la conversación."),
    HandoffStatus.HANDED_BACK.value: ("ok", "Conversación devuelta al asistente virtual."),
    HandoffStatus.CLOSED.value: ("ok", "Conversación cerrada."),
    "marcada": ("ok", "Marca guardada: gracias, servirá para mejorar el asistente."),
    "sin_rasa": (
        "error",
        "No se pudo avisar al asistente virtual (no responde). El cambio quedó guardado; "
        "si el asistente sigue respondiendo al vecino, inténtalo de nuevo en unos minutos.",
    ),
    "sin_aviso": ("error", "No se pudo enviar el aviso de devolución al vecino o vecina por su canal."),
    "estado": ("error", "La conversación ya no está abierta: no admite ese cambio."),
    "creado": ("ok", "Persona agregada al equipo."),
    "desactivado": ("ok", "Usuario desactivado: sus sesiones se cerraron."),
    "reactivado": ("ok", "Usuario reactivado: puede volver a ingresar con su contraseña."),
    "rol_admin": ("ok", "Listo: ahora es administrador y puede gestionar el equipo."),
    "rol_agente": ("ok", "Listo: ahora es agente y ya no gestiona el equipo."),
    "rol_propio": ("ok", "Ahora eres agente: el equipo lo gestiona otra persona."),
    "clave_restablecida": (
        "ok",
        "Contraseña temporal guardada y sesiones cerradas. Al ingresar con ella, la consola le pedirá elegir "
        "una propia.",
    ),
    "clave_cambiada": ("ok", "Tu contraseña nueva quedó guardada. Cerramos tus otras sesiones abiertas."),
    "clave_temporal": ("error", "Tu contraseña es temporal: elige una propia para seguir usando la consola."),
    "te_desactivaste": ("ok", "Desactivaste tu usuario y tu sesión se cerró."),
    "respuesta_creada": ("ok", "Respuesta predefinida agregada."),
    "respuesta_editada": ("ok", "Respuesta predefinida guardada."),
    "respuesta_eliminada": ("ok", "Respuesta predefinida eliminada."),
    "nota": ("ok", "Nota interna guardada: solo la ve el equipo."),
    "etiqueta_agregada": ("ok", "Etiqueta agregada."),
    "etiqueta_quitada": ("ok", "Etiqueta quitada."),
    "encuesta_enviada": ("ok", "Se envió al vecino o vecina el mensaje de cierre y la encuesta de satisfacción."),
    "solo_cierre": (
        "error",
        "Se envió el mensaje de cierre, pero no la encuesta de satisfacción (el motivo está en «Datos»).",
    ),
    "encuesta_no_enviada": (
        "error",
        "No se envió al vecino o vecina el mensaje de cierre ni la encuesta (el motivo está en «Datos»).",
    ),
    "salida": ("ok", "Cerraste tu sesión."),
    "expirada": ("error", "Tu sesión terminó. Vuelve a ingresar."),
}


def notices_from(query: MultiMapping[str]) -> List[Notice]:
    """The known notices named by ``aviso`` parameters of the query."""
    return [NOTICES[code] for code in query.getall("aviso", []) if code in NOTICES]


def _notices_html(notices: Iterable[Notice]) -> Markup:
    return join(
        fragment(
            '<div class="aviso $kind" role="$role">$text</div>',
            kind=kind,
            text=text,
            role="alert" if kind == "error" else "status",
        )
        for kind, text in notices
    )


def page(
    request: web.Request, title: str, content: Markup, status: int = 200, notices: Sequence[Notice] = (), head: str = ""
) -> web.Response:
    """A full HTML page in the console's layout (navigation when someone is logged in)."""
    session: Optional[StaffSession] = request.get("console_session")
    nav = Markup("")
    if session is not None:
        team = (
            Markup(
                '<li><a href="/consola/equipo">Equipo</a></li>'
                '<li><a href="/consola/respuestas">Respuestas predefinidas</a></li>'
            )
            if session.staffer.is_admin
            else ""
        )
        nav = render(
            "nav.html",
            csrf=session.csrf_token,
            name=session.staffer.name,
            role="administrador" if session.staffer.is_admin else "agente",
            team_link=team,
        )
    body = render(
        "base.html",
        title=title,
        head=Markup(head),
        nav=nav,
        notices=_notices_html(notices),
        municipality=request.get("console_municipality_name", ""),
        content=content,
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def confirmation_page(
    request: web.Request,
    heading: str,
    subject: str,
    consequence: str,
    action: str,
    confirm: str,
    back: str,
    back_text: str = "No, volver",
    details: Optional[Markup] = None,
    fields: Optional[Markup] = None,
    title: Optional[str] = None,
    notices: Sequence[Notice] = (),
    status: int = 200,
) -> web.Response:
    """The page before a destructive action: what it is about (``subject``, ``details``), what follows, and a
    form that posts to ``action`` again with ``confirmar=si`` (and ``fields``), or a link ``back``."""
    session: Optional[StaffSession] = request.get("console_session")
    content = render(
        "confirm.html",
        heading=heading,
        subject=subject,
        details=details or Markup(""),
        consequence=consequence,
        action=action,
        csrf=session.csrf_token if session else "",
        fields=fields or Markup(""),
        confirm=confirm,
        back=back,
        back_text=back_text,
    )
    return page(request, title or heading, content, status=status, notices=notices)


def message_page(
    request: web.Request,
    status: int,
    heading: str,
    message: str,
    link: str = "/consola",
    link_text: str = "Volver a la cola",
) -> web.Response:
    """A page that only says something (errors: 403, 404…)."""
    content = render("message.html", heading=heading, message=message, link=link, link_text=link_text)
    return page(request, heading, content, status=status)


def not_found(request: web.Request) -> web.Response:
    """The same 404 for an unknown conversation and another municipality's."""
    return message_page(request, 404, "No encontrada", "No existe esa página o esa conversación en tu municipalidad.")


def forbidden(request: web.Request, message: str = "No tienes permiso para hacer esto.") -> web.Response:
    """A 403 page."""
    return message_page(request, 403, "Sin permiso", message)
