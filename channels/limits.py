"""How much a citizen's message may hold, on every channel: one home for the limits.

- Text: WhatsApp takes at most 1,600 characters (Twilio's own limit), Telegram 4,096,
  the REST channel 4,096. Longer text is cut at a word boundary before it reaches the
  NLU (``cap_text``); the citizen is told (``CUT_NOTE``) and the whole text is kept for
  staff in the message's metadata (``FULL_TEXT_KEY``, shown by the console's transcript).
- Request bodies: a webhook body larger than its channel could ever need is refused
  with 413 before it is parsed (``body_too_large``). ``SERVER_MAX_REQUEST_BYTES`` is the
  cap for the whole Rasa server, set through ``SERVER_MAX_REQUEST_ENV`` (read by Sanic
  when Rasa creates its app).
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

WHATSAPP_MAX_CHARS = 1600
TELEGRAM_MAX_CHARS = 4096
REST_MAX_CHARS = 4096

# A signed Twilio form with 1,600 characters of emoji is about 20 KB once percent-encoded.
WHATSAPP_MAX_BODY_BYTES = 64 * 1024
# A Telegram update with 4,096 characters (JSON-escaped) and its entities, captions and reply.
TELEGRAM_MAX_BODY_BYTES = 128 * 1024
# The REST channel's JSON body ({"sender", "message", "metadata"}).
REST_MAX_BODY_BYTES = 64 * 1024
# Whole Rasa server (Sanic's REQUEST_MAX_SIZE, 100 MB by default): Sanic answers 413 above it.
SERVER_MAX_REQUEST_BYTES = 1024 * 1024
SERVER_MAX_REQUEST_ENV = "SANIC_REQUEST_MAX_SIZE"

TOO_LARGE_ERROR = "mensaje demasiado grande"

# A cut this far back from the limit still keeps most of the text; further back, cut mid-word.
_WORD_BOUNDARY_WINDOW = 200


def cap_text(text: str, limit: int) -> Tuple[str, bool]:
    """``(text_for_assistant, was_cut)``: ``text`` itself when it fits in ``limit`` characters,
    else its first part, cut at the last whitespace before the limit (or at the limit when a
    single word is that long)."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    if cut < limit - _WORD_BOUNDARY_WINDOW or cut <= 0:
        cut = limit
    return head[:cut].rstrip(), True


def body_too_large(request: Any, limit: int) -> Optional[Any]:
    """A 413 JSON response when the request's body is over ``limit`` bytes, else ``None``.

    The declared ``Content-Length`` is checked first; the body's real size too (chunked requests).
    """
    from sanic import response

    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit():
        size = int(declared) if len(declared) <= 15 else limit + 1  # a 16-digit length is too large anyway
    else:
        size = 0  # none (chunked) or not a number: the body's real size decides
    if size > limit or len(request.body or b"") > limit:
        return response.json({"error": TOO_LARGE_ERROR, "limite_bytes": limit}, status=413)
    return None
