"""What citizens sent besides words, in the console: photos, voice notes, files and shared locations.

``GET /consola/conversacion/{id}/adjunto/{evento}/{n}`` serves attachment ``n`` (1 first) of the citizen
message stored as event ``evento`` of that handoff's conversation, and ``…/solicitud/{folio}/adjunto/{n}``
photo ``n`` kept with one of that conversation's requests, fetched from its channel
(channels/media.py), only for staff of the conversation's municipality (another one's is the same 404 as
none) and audited. Images are shown with ``<img>``, audio and video with ``<… controls>`` (the console's
CSP: ``img-src 'self'; media-src 'self'``), other files are links to download; a shared location is a
link to OpenStreetMap.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web

from bot.app.web.console_auth import session_of, staff_only
from bot.app.web.console_context import console
from bot.app.web.console_pages import message_page, not_found
from bot.app.web.console_render import Markup, fragment, join
from bot.handoff import queries
from bot.handoff.transcript import Turn
from bot.message_metadata import attachments_of, map_link
from bot.staff.audit import record_audit
from bot.storage import requests as requests_store
from channels.media import Media, MediaTooLarge, MediaUnavailable

log = logging.getLogger(__name__)

KIND_NAMES = {
    "image": "Foto",
    "audio": "Audio",
    "video": "Video",
    "document": "Archivo",
    "sticker": "Sticker",
    "contact": "Contacto",
    "other": "Adjunto",
}


def attachment_url(handoff_id: int, event_id: int, n: int) -> str:
    """The console's address of attachment ``n`` (1 first) of a citizen message."""
    return f"/consola/conversacion/{handoff_id}/adjunto/{event_id}/{n}"


def media_html(turn: Turn, handoff_id: int) -> Markup:
    """The attachments and shared location of a citizen's turn (empty for plain text)."""
    parts: List[Markup] = []
    for n, item in enumerate(turn.extra.get("adjuntos") or [], 1):
        if turn.event_id is None:
            break
        url = attachment_url(handoff_id, turn.event_id, n)
        kind = str(item.get("kind") or "other")
        name = KIND_NAMES.get(kind, "Adjunto")
        if kind in ("image", "sticker"):
            parts.append(
                fragment(
                    '<figure class="adjunto"><a href="$url"><img src="$url" alt="$name enviada por el vecino o vecina">'
                    '</a><figcaption><a href="$url" download>Descargar</a></figcaption></figure>',
                    url=url,
                    name=name,
                )
            )
        elif kind in ("audio", "video"):
            parts.append(
                fragment(
                    '<figure class="adjunto"><$tag controls preload="none" src="$url"></$tag>'
                    '<figcaption>$name · <a href="$url" download>Descargar</a></figcaption></figure>',
                    tag=kind,
                    url=url,
                    name=name,
                )
            )
        else:
            parts.append(
                fragment(
                    '<p class="adjunto"><a href="$url" download>Descargar $what ($type)</a></p>',
                    url=url,
                    what=name.lower(),
                    type=str(item.get("content_type") or "sin tipo"),
                )
            )
    place = turn.extra.get("ubicacion")
    if isinstance(place, dict):
        where = " · ".join(str(place[k]) for k in ("label", "address") if place.get(k))
        parts.append(
            fragment(
                '<p class="adjunto ubicacion">Ubicación compartida$where: <a href="$link" rel="noopener noreferrer" '
                'target="_blank">ver en OpenStreetMap</a> ($lat, $lon)</p>',
                where=f" ({where})" if where else "",
                link=map_link(place),
                lat=f"{float(place['lat']):.5f}",
                lon=f"{float(place['lon']):.5f}",
            )
        )
    return join(parts)


def request_attachment_url(handoff_id: int, folio: str, n: int) -> str:
    """The console's address of photo ``n`` (1 first) sent with request ``folio`` of the conversation."""
    return f"/consola/conversacion/{handoff_id}/solicitud/{folio}/adjunto/{n}"


def folios_html(handoff_id: int, folios: List[str], media: Dict[str, List[Dict[str, Any]]]) -> Markup:
    """The conversation's folios, each with the photos sent with that request."""
    if not folios:
        return Markup("—")
    parts = []
    for folio in folios:
        photos = [
            fragment(
                '<a class="adjunto-solicitud" href="$url"><img src="$url" alt="Foto $n de la solicitud $folio"></a>'
                if str(item.get("kind")) in ("image", "sticker")
                else '<a href="$url" download>Adjunto $n de la solicitud $folio</a>',
                url=request_attachment_url(handoff_id, folio, n),
                n=str(n),
                folio=folio,
            )
            for n, item in enumerate(media.get(folio) or [], 1)
        ]
        parts.append(fragment("<span>$folio</span>$photos", folio=folio, photos=join(photos, " ")))
    return join(parts, ", ")


def served(media: Media, filename: str) -> web.Response:
    """The file as the browser gets it: inline only for images, audio and video."""
    disposition = "inline" if media.inline else f'attachment; filename="{filename}"'
    return web.Response(
        body=media.content,
        content_type=media.served_type(),
        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
    )


def _attachment(ctx: Any, municipality: str, handoff_id: int, event_id: int, n: int) -> Optional[Tuple[Dict, str]]:
    """Attachment ``n`` of event ``event_id`` of a handoff of ``municipality``, and its conversation (blocking)."""
    handoff = queries.get_handoff(ctx.db, municipality, handoff_id)
    if handoff is None:
        return None
    items = attachments_of(ctx.reader.user_metadata(handoff.sender_id, event_id))
    if not 1 <= n <= len(items):
        return None
    return items[n - 1], handoff.sender_id


def unavailable_page(request: web.Request, exc: MediaUnavailable) -> web.Response:
    """Why the file cannot be shown (too large: 413; the channel failed: 502)."""
    if isinstance(exc, MediaTooLarge):
        return message_page(
            request, 413, "Archivo demasiado grande", "Este archivo supera el tamaño que muestra la consola."
        )
    return message_page(
        request,
        502,
        "Archivo no disponible",
        "No se pudo traer el archivo desde WhatsApp o Telegram. Inténtalo más tarde.",
    )


def _request_attachment(ctx: Any, municipality: str, handoff_id: int, folio: str, n: int) -> Optional[Tuple[Dict, str]]:
    """Photo ``n`` of request ``folio`` if the request came from this handoff's conversation (blocking)."""
    handoff = queries.get_handoff(ctx.db, municipality, handoff_id)
    found = requests_store.request_attachment(ctx.db, municipality, folio, n) if handoff else None
    if handoff is None or found is None or found[1] != handoff.sender_id:
        return None
    return found


async def _serve(
    request: web.Request, found: Optional[Tuple[Dict, str]], handoff_id: int, what: str
) -> web.StreamResponse:
    ctx, staffer = console(request), session_of(request).staffer
    if found is None or ctx.media is None:
        return not_found(request)
    item, sender_id = found
    try:
        media = await ctx.media.fetch(sender_id, item)
    except MediaUnavailable as exc:
        log.warning("adjunto %s de la derivación %s no disponible: %s", what, handoff_id, exc)
        return unavailable_page(request, exc)
    await asyncio.to_thread(
        record_audit, ctx.db, staffer.username, staffer.municipality, "ver_adjunto", handoff_id, sender_id, what
    )
    return served(media, "adjunto-" + what.replace("/", "-"))


@staff_only
async def request_attachment(request: web.Request) -> web.StreamResponse:
    """GET /consola/conversacion/{id}/solicitud/{folio}/adjunto/{n}: a photo sent with one of its requests."""
    ctx, staffer = console(request), session_of(request).staffer
    handoff_id, folio, n = int(request.match_info["id"]), request.match_info["folio"], int(request.match_info["n"])
    found = await asyncio.to_thread(_request_attachment, ctx, staffer.municipality, handoff_id, folio, n)
    return await _serve(request, found, handoff_id, f"{folio}/{n}")


@staff_only
async def attachment(request: web.Request) -> web.StreamResponse:
    """GET /consola/conversacion/{id}/adjunto/{evento}/{n}: a citizen's photo, audio or file (audited)."""
    ctx, staffer = console(request), session_of(request).staffer
    handoff_id, event_id, n = (int(request.match_info[k]) for k in ("id", "evento", "n"))
    found = await asyncio.to_thread(_attachment, ctx, staffer.municipality, handoff_id, event_id, n)
    return await _serve(request, found, handoff_id, f"{event_id}/{n}")
