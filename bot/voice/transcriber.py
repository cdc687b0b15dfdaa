"""The recogniser: faster-whisper with the multilingual Whisper *base* model, int8 on the CPU, Spanish.

``Transcript.confident`` is what decides whether the assistant acts on what it heard or asks the
citizen to repeat or write: Whisper's average log-probability of the words (low: it was guessing)
and its probability that there was no speech at all, weighted by each segment's length.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Any, Optional

from bot.voice.audio import SAMPLE_RATE

LANGUAGE = "es"
# One retry at a higher temperature when the first pass looks wrong (faster-whisper's default tries
# six, which on noise costs five times the audio's length).
TEMPERATURES = (0.0, 0.5)
MIN_AVG_LOGPROB = -1.0  # below: Whisper was guessing
MAX_NO_SPEECH = 0.6  # above: most likely noise, not words
MAX_COMPRESSION_RATIO = 2.4  # above: the same words over and over (Whisper's own hallucination test)
# Words the recogniser should expect: the assistant's domain (Whisper's "initial prompt").
PROMPT = "Consulta a la municipalidad sobre un trámite: permiso de circulación, patente, licencia de conducir."


def prompt_for(municipality_name: Optional[str]) -> str:
    """The words to expect from a citizen of this municipality (its name is often said)."""
    return f"Municipalidad de {municipality_name}. {PROMPT}" if municipality_name else PROMPT


@dataclass(frozen=True)
class Transcript:
    """What the recogniser heard and how sure it was."""

    text: str
    seconds: float  # length of the audio
    avg_logprob: float
    no_speech_prob: float
    elapsed: float = 0.0  # seconds spent transcribing

    @property
    def confident(self) -> bool:
        """Whether the words are worth acting on (else: ask to repeat or write)."""
        return (
            bool(self.text)
            and self.avg_logprob >= MIN_AVG_LOGPROB
            and self.no_speech_prob <= MAX_NO_SPEECH
            and not repetitive(self.text)
        )


def repetitive(text: str) -> bool:
    """Whether a transcript repeats itself like a recogniser stuck in a loop ("¡ahú, ¡ahú, ¡ahú…")."""
    data = text.encode("utf-8")
    return len(data) > 40 and len(data) / len(zlib.compress(data)) > MAX_COMPRESSION_RATIO


class Transcriber:
    """One loaded model (load once per process: about 1–2 s and 150–250 MB)."""

    def __init__(self, model_path: str, cpu_threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        self._model: Any = WhisperModel(
            model_path, device="cpu", compute_type="int8", cpu_threads=cpu_threads, num_workers=1
        )

    def transcribe(self, samples: Any, prompt: Optional[str] = PROMPT) -> Transcript:
        """The transcript of 16 kHz mono float32 ``samples``."""
        started = time.perf_counter()
        segments, _info = self._model.transcribe(
            samples,
            language=LANGUAGE,
            beam_size=5,
            condition_on_previous_text=False,
            initial_prompt=prompt,
            vad_filter=True,  # Silero VAD, shipped with faster-whisper: noise and silence are skipped
            temperature=TEMPERATURES,
        )
        texts, weight, logprob, no_speech = [], 0.0, 0.0, 0.0
        for segment in segments:
            length = max(0.1, float(segment.end - segment.start))
            texts.append(segment.text.strip())
            weight += length
            logprob += segment.avg_logprob * length
            no_speech += segment.no_speech_prob * length
        text = " ".join(t for t in texts if t).strip()
        return Transcript(
            text=text,
            seconds=len(samples) / SAMPLE_RATE,
            avg_logprob=logprob / weight if weight else -10.0,
            no_speech_prob=no_speech / weight if weight else 1.0,
            elapsed=time.perf_counter() - started,
        )
