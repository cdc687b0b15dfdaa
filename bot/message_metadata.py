"""Keys the channels put in a message's metadata, read by actions and the staff console."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

FULL_TEXT_KEY = "texto_completo"  # what the citizen wrote, uncut, when the channel cut a long message
# The name the citizen shows on the channel (WhatsApp ProfileName, Telegram first_name).
PROFILE_NAME_KEY = "nombre_perfil"
PROFILE_NAME_MAX_LENGTH = 60
# Set when the message is the transcript of a voice note (channels/voice.py): its length in seconds
# ("duracion_s") and the recogniser's confidence ("logprob_medio", "prob_sin_voz").
VOICE_NOTE_KEY = "nota_de_voz"


def profile_name(raw: Any) -> Optional[str]:
    """The channel's display name of the citizen as one short line (no control characters), or ``None``."""
    if not isinstance(raw, str):
        return None
    return one_line(raw, PROFILE_NAME_MAX_LENGTH) or None


# ---------- attachments and shared locations -----------------------------------------------
# Every channel puts what came with a message in the same shape, read by the form (a photo for the
# request), the staff console (the transcript's images and voice notes) and the back-office API.
ATTACHMENTS_KEY = "adjuntos"
LOCATION_KEY = "location"  # {"lat": float, "lon": float, "address"?: str, "label"?: str}
# The text a message with media and no words reaches the assistant as (an ``informar`` without data).
MEDIA_ONLY_TEXT = "/informar"
MAX_ATTACHMENTS = 10  # Twilio's limit per message; Telegram sends one
KINDS = ("image", "audio", "video", "document", "sticker", "contact", "other")
SOURCES = ("twilio", "telegram")
ADDRESS_MAX_LENGTH = 200


def media_kind(content_type: str) -> str:
    """``audio``, ``image``, ``video``, ``document``, ``sticker``, ``contact`` or ``other`` for a MIME type."""
    content_type = (content_type or "").lower()
    if content_type == "image/webp":
        return "sticker"
    for kind in ("audio", "image", "video"):
        if content_type.startswith(kind + "/"):
            return kind
    if "vcard" in content_type:
        return "contact"
    if content_type.startswith(("application/", "text/")):
        return "document"
    return "other"


def attachment(
    kind: str,
    source: str,
    ref: str,
    content_type: str = "",
    size: Optional[int] = None,
    name: Optional[str] = None,
) -> Dict[str, Any]:
    """One attachment: its ``kind`` (``KINDS``), where it is fetched from (``source``: ``twilio`` with the
    media URL as ``ref``, ``telegram`` with the ``file_id``), its MIME type, size in bytes and file name."""
    item: Dict[str, Any] = {"kind": kind if kind in KINDS else "other", "source": source, "ref": ref}
    if content_type:
        item["content_type"] = content_type[:100]
    if isinstance(size, int) and size >= 0:
        item["size"] = size
    if name:
        item["name"] = one_line(name, 120)
    return item


def attachments_of(metadata: Any) -> List[Dict[str, Any]]:
    """The well-formed attachments of a message's metadata (anything else is left out)."""
    items = metadata.get(ATTACHMENTS_KEY) if isinstance(metadata, dict) else None
    if not isinstance(items, list):
        return []
    return [
        item
        for item in items[:MAX_ATTACHMENTS]
        if isinstance(item, dict)
        and item.get("kind") in KINDS
        and item.get("source") in SOURCES
        and isinstance(item.get("ref"), str)
        and item["ref"]
    ]


def location(lat: Any, lon: Any, address: Any = None, label: Any = None) -> Optional[Dict[str, Any]]:
    """A shared location with finite coordinates (and the place's address and name when the channel
    gives them: Twilio's ``Address`` and ``Label``, Telegram's venue), or ``None``."""
    try:
        latitude, longitude = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    found: Dict[str, Any] = {"lat": latitude, "lon": longitude}
    for key, value in (("address", address), ("label", label)):
        text = one_line(value, ADDRESS_MAX_LENGTH) if isinstance(value, str) else ""
        if text:
            found[key] = text
    return found


def one_line(raw: str, limit: int) -> str:
    """``raw`` as one line without control characters, at most ``limit`` characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in raw).split())[:limit]


def map_link(place: Dict[str, Any]) -> str:
    """An OpenStreetMap link to a shared location."""
    lat, lon = float(place["lat"]), float(place["lon"])
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"
