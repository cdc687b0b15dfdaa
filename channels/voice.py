"""A voice note where a channel receives one: fetch it, transcribe it in the voice worker
(bot/voice/worker.py, never on the event loop), and say what was understood.

``hear`` is the one call a channel makes. It runs inside the inbox's handling of the message
(channels/inbox.py), so a voice note keeps its place among the conversation's messages and is
handled once like any other. The transcript becomes the citizen's message, with
``metadata[VOICE_NOTE_KEY]`` saying it came from audio; the citizen first reads «Entendí: …», so a
wrong transcription is visible and can be corrected. A transcript the recogniser is unsure of, or a
note that is too long, damaged, silent or a video, gets a clear answer instead and reaches no turn.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from bot.answers.channel import VOICE_HEARD, VOICE_REPLIES, duration_words
from bot.config import settings
from bot.message_metadata import VOICE_NOTE_KEY
from bot.runtime import current_catalogue
from bot.voice.audio import TOO_LONG
from bot.voice.spoken_numbers import join_spoken_digits
from bot.voice.transcriber import prompt_for
from bot.voice.worker import FAILED, enabled, shared_worker
from channels.limits import cap_text
from channels.media import MediaTooLarge

__all__ = ["enabled", "hear"]

logger = logging.getLogger(__name__)

UNSURE = "inseguro"


def _refusal(reason: str) -> str:
    text = VOICE_REPLIES.get(reason, VOICE_REPLIES[FAILED])
    return text.format(limit=duration_words(settings().voice_max_seconds)) if reason == TOO_LONG else text


async def _commune(municipality: Optional[str]) -> Optional[str]:
    if not municipality:
        return None
    try:
        town = (await current_catalogue()).municipalities.get(municipality)
    except Exception:  # noqa: BLE001 - the prompt is a hint; without it transcription still works
        return None
    return town.comuna if town else None


async def hear(
    fetch: Callable[[int], Awaitable[bytes]], municipality: Optional[str], metadata: Dict[str, Any], max_chars: int
) -> Tuple[Optional[str], str]:
    """``(text for the assistant or None, what to tell the citizen first)`` for one voice note.

    ``fetch(max_bytes)`` downloads it (channels/media.py; ``MediaTooLarge`` past the limit); ``metadata`` gets the
    voice-note entry when there is a transcript.
    """
    try:
        data = await fetch(settings().voice_max_bytes)
    except MediaTooLarge:
        return None, _refusal(TOO_LONG)
    except Exception as exc:  # noqa: BLE001 - the provider's file could not be had: tell the citizen
        logger.warning("voz: no se pudo descargar una nota de voz (%s)", type(exc).__name__)
        return None, _refusal(FAILED)
    heard = await shared_worker().transcribe(data, prompt_for(await _commune(municipality)))
    if heard.transcript is None:
        return None, _refusal(heard.rejected or FAILED)
    transcript = heard.transcript
    logger.info(
        "voz: %.1f s transcritos en %.1f s (logprob %.2f, sin voz %.2f)",
        transcript.seconds,
        transcript.elapsed,
        transcript.avg_logprob,
        transcript.no_speech_prob,
    )
    if not transcript.confident:
        return None, _refusal(UNSURE)
    text, _cut = cap_text(join_spoken_digits(transcript.text), max_chars)
    metadata[VOICE_NOTE_KEY] = {
        "duracion_s": round(transcript.seconds, 1),
        "logprob_medio": round(transcript.avg_logprob, 3),
        "prob_sin_voz": round(transcript.no_speech_prob, 3),
    }
    return text, VOICE_HEARD.format(text=text)
