"""Masking of citizens' personal data for the console's list views.

A list shows enough to tell conversations apart (``12.***.***-5``, ``+56 9 **** 4321``,
``j***@gmail.com``), never the whole identifier; the full conversation view, opened
on purpose and audited, shows the data as it is.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from bot.conversation_id import TELEGRAM, WHATSAPP, ConversationId
from bot.nlu.entities import EMAIL_RE as _EMAIL_IN_TEXT  # linear time on long text

_RUT_RE = re.compile(r"^\s*(\d{1,2})\.?(\d{3})\.?(\d{3})\s*-?\s*([\dkK])\s*$")
_RUT_IN_TEXT = re.compile(r"\b\d{1,2}\.\d{3}\.\d{3}-?[\dkK]\b|\b\d{7,8}-[\dkK]\b")
_PHONE_IN_TEXT = re.compile(r"\+?\d[\d\s-]{6,}\d")


def mask_rut(rut: str) -> str:
    """``12.345.678-5`` or ``12345678-5`` -> ``12.***.***-5``."""
    found = _RUT_RE.match(rut or "")
    if not found:
        return "***"
    return f"{found.group(1)}.***.***-{found.group(4).upper()}"


def mask_phone(phone: str) -> str:
    """``+56987654321`` -> ``+56 9 **** 4321``; other numbers keep only their last four digits."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 6:
        return "****"
    if len(digits) == 9:  # a Chilean number written without +56
        digits = "56" + digits
    if digits.startswith("569") and len(digits) == 11:
        return f"+56 9 **** {digits[-4:]}"
    return f"+{digits[:2]} **** {digits[-4:]}"


def mask_email(email: str) -> str:
    """``juan.perez@gmail.com`` -> ``j***@gmail.com``."""
    local, at, domain = (email or "").strip().partition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_name(name: str) -> str:
    """``Ana María Soto`` -> ``A. M. S.``"""
    return " ".join(f"{part[0].upper()}." for part in (name or "").split() if part) or "***"


def mask_text(text: str) -> str:
    """Free text with every e-mail, RUT and phone-like number in it masked."""
    text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text or "")
    text = _RUT_IN_TEXT.sub(lambda m: mask_rut(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(_phone_or_same, text)


def _phone_or_same(found: "re.Match[str]") -> str:
    value = found.group(0)
    return mask_phone(value) if len(re.sub(r"\D", "", value)) >= 9 else value


def masked_identity(sender_id: str, form_data: Optional[Dict[str, Any]] = None) -> str:
    """Who the citizen is, masked: channel identity plus RUT, name, phone or e-mail from the form."""
    parts: List[str] = []
    conversation = ConversationId.parse_or_none(sender_id)
    if conversation is not None and conversation.channel == WHATSAPP:
        parts.append(mask_phone(conversation.address))
    elif conversation is not None and conversation.channel == TELEGRAM:
        chat = conversation.address
        parts.append(f"Telegram ···{chat[-3:]}" if len(chat) > 3 else "Telegram ···")
    else:
        parts.append("Chat web")
    data = form_data or {}
    for key, masker in (("nombre", mask_name), ("rut", mask_rut), ("telefono", mask_phone), ("email", mask_email)):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(masker(value))
    return " · ".join(parts)
