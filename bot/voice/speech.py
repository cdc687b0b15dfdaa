"""Spanish speech made offline, for the tests, the evaluation and the benchmark.

Debian's ``espeak-ng`` speaks a sentence; PyAV encodes it to OGG/Opus like a WhatsApp voice note.
Also: a long note, a file with a video stream, and the word error rate (WER) of a transcript.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from typing import List

from bot.voice.audio import SAMPLE_RATE, decode, encode_ogg_opus

VOICE = "es-419"  # espeak-ng's Latin American Spanish
_DIGITS = "cero uno dos tres cuatro cinco seis siete ocho nueve".split()


def espeak_available() -> bool:
    """Whether ``espeak-ng`` is installed (``apt-get install espeak-ng``)."""
    return shutil.which("espeak-ng") is not None


def speak_samples(text: str, speed: int = 130):  # -> numpy.ndarray
    """``text`` spoken by espeak-ng, as 16 kHz mono float32 samples."""
    wav = subprocess.run(
        ["espeak-ng", "-v", VOICE, "-s", str(speed), "--stdout", text], capture_output=True, check=True, timeout=60
    ).stdout
    return decode(wav, max_seconds=3600)


def speak(text: str, speed: int = 130) -> bytes:
    """``text`` spoken by espeak-ng, as an OGG/Opus voice note."""
    return encode_ogg_opus(speak_samples(text, speed))


def long_note(seconds: float) -> bytes:
    """A voice note of about ``seconds`` seconds (a sentence said over and over)."""
    import numpy as np

    sentence = speak_samples("les cuento lo que me pasó con el permiso de circulación")
    repeats = int(seconds * SAMPLE_RATE / sentence.size) + 1
    return encode_ogg_opus(np.tile(sentence, repeats)[: int(seconds * SAMPLE_RATE)], fast=True)


def video_file(seconds: float = 1.0) -> bytes:
    """A small MP4 video (moving grey frames and a tone), as a phone would send it."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for index in range(int(seconds * 10)):
            image = np.full((48, 64, 3), (index * 20) % 255, dtype=np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def words(text: str) -> List[str]:
    """Lower-case words without accents nor punctuation; digits as Spanish words, one each; a hyphen
    between digits is "guion" (so "12.345.678-5" and "uno dos … guion cinco" compare equal)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=\d)[.](?=\d)", "", text)
    text = re.sub(r"(?<=\d)\s*-\s*(?=[\dk])", " guion ", text)
    text = re.sub(r"\d", lambda m: f" {_DIGITS[int(m.group())]} ", text)
    return re.sub(r"[^a-z0-9ñ ]+", " ", text).split()


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, words in the reference)."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, other in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
        previous = current
    return previous[-1], len(ref)
