"""A bounded pool of voice worker processes (bot/voice/serve.py), used without blocking the event loop.

``VOICE_WORKERS`` processes at most, each started on first use and kept; each is driven by one thread
of a pool of its own, so waiting for a transcription never takes a thread from the event loop's
default pool (the database calls). A voice note waits its turn in the pool's queue; past
``workers + MAX_WAITING`` notes in flight the next is refused as ``BUSY`` at once (the citizen is
asked to write), so a burst of voice notes costs bounded memory and never delays a text turn: those
do not go through this pool, and the worker processes run at a lower CPU priority.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from bot.config import PROJECT_ROOT, settings
from bot.voice import model_files
from bot.voice.serve import read_frame, write_frame
from bot.voice.transcriber import Transcript

logger = logging.getLogger(__name__)

MAX_WAITING = 20
BUSY, FAILED = "ocupado", "error"
START_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Heard:
    """A voice note's outcome: a ``transcript``, or why not (``rejected``: bot/voice/audio.py's
    reasons, ``BUSY`` or ``FAILED``)."""

    transcript: Optional[Transcript] = None
    rejected: Optional[str] = None
    seconds: float = 0.0
    peak_mb: float = 0.0


def enabled() -> bool:
    """Voice notes are transcribed: ``VOICE_NOTES`` is on (default) and the model is installed."""
    return settings().voice_notes and model_files.installed()


class _Child:
    """One worker process, driven by one thread at a time."""

    def __init__(self, threads: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.voice.serve", "--threads", str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=str(PROJECT_ROOT),
        )
        ready = self._answer()
        if not ready.get("ready"):
            self.close()
            raise RuntimeError(f"el proceso de voz no inició: {ready.get('error', 'sin respuesta')}")

    def _answer(self) -> Dict[str, Any]:
        assert self.process.stdout is not None
        frame = read_frame(self.process.stdout)
        if frame is None:
            raise RuntimeError("el proceso de voz terminó")
        return json.loads(frame)

    def call(self, data: bytes, max_seconds: float, prompt: Optional[str]) -> Dict[str, Any]:
        assert self.process.stdin is not None
        write_frame(self.process.stdin, json.dumps({"max_seconds": max_seconds, "prompt": prompt}).encode())
        write_frame(self.process.stdin, data)
        return self._answer()

    def close(self) -> None:
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


class VoiceWorker:
    """Transcribes voice notes in up to ``workers`` processes."""

    def __init__(
        self,
        workers: int = 1,
        cpu_threads: int = 2,
        max_seconds: float = 120.0,
        timeout: float = 120.0,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self.workers, self.cpu_threads, self.max_seconds, self.timeout = workers, cpu_threads, max_seconds, timeout
        self.max_waiting = max_waiting
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voz")
        self._local = threading.local()
        self._children: List[_Child] = []
        self._lock = threading.Lock()
        self._in_flight = 0

    @classmethod
    def from_settings(cls) -> "VoiceWorker":
        """With ``VOICE_WORKERS``, ``VOICE_CPU_THREADS``, ``VOICE_MAX_SECONDS`` and ``VOICE_TIMEOUT_SECONDS``."""
        values = settings()
        return cls(
            values.voice_workers, values.voice_cpu_threads, values.voice_max_seconds, values.voice_timeout_seconds
        )

    @property
    def pids(self) -> List[int]:
        """The worker processes running now."""
        with self._lock:
            return [c.process.pid for c in self._children if c.process.poll() is None]

    def _child(self) -> _Child:
        child: Optional[_Child] = getattr(self._local, "child", None)
        if child is None or child.process.poll() is not None:
            child = _Child(self.cpu_threads)
            self._local.child = child
            with self._lock:
                self._children = [c for c in self._children if c.process.poll() is None] + [child]
        return child

    def _run(self, data: bytes, prompt: Optional[str]) -> Dict[str, Any]:
        """In a pool thread: the child's answer (a dead child is replaced on the next call)."""
        try:
            return self._child().call(data, self.max_seconds, prompt)
        except Exception as exc:  # noqa: BLE001 - reported as FAILED, the citizen is asked to write
            child = getattr(self._local, "child", None)
            if child is not None:
                child.close()
                self._local.child = None
            return {"error": f"{type(exc).__name__}: {exc}"}

    def transcribe_now(self, data: bytes, prompt: Optional[str] = None) -> Heard:
        """Blocking: transcribe in a worker process (benchmark and evaluation)."""
        return _heard(self._executor.submit(self._run, data, prompt).result())

    async def transcribe(self, data: bytes, prompt: Optional[str] = None) -> Heard:
        """The voice note's outcome, awaited without blocking the event loop; ``prompt``: words to
        expect (bot/voice/transcriber.py's ``prompt_for``)."""
        with self._lock:
            if self._in_flight >= self.workers + self.max_waiting:
                return Heard(rejected=BUSY)
            self._in_flight += 1
        try:
            future = asyncio.get_running_loop().run_in_executor(self._executor, self._run, data, prompt)
            answer = await asyncio.wait_for(future, self.timeout)
        except asyncio.TimeoutError:
            answer = {"error": f"más de {self.timeout:.0f} s"}
        finally:
            with self._lock:
                self._in_flight -= 1
        return _heard(answer)

    def close(self) -> None:
        """Stop the worker processes."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            children, self._children = self._children, []
        for child in children:
            child.close()


def _heard(answer: Dict[str, Any]) -> Heard:
    if "error" in answer:
        logger.error("voz: no se pudo transcribir una nota de voz: %s", answer["error"])
        return Heard(rejected=FAILED)
    if "rejected" in answer:
        return Heard(rejected=str(answer["rejected"]), seconds=float(answer.get("seconds") or 0))
    transcript = Transcript(
        text=str(answer["text"]),
        seconds=float(answer["seconds"]),
        avg_logprob=float(answer["avg_logprob"]),
        no_speech_prob=float(answer["no_speech_prob"]),
        elapsed=float(answer["elapsed"]),
    )
    return Heard(transcript=transcript, seconds=transcript.seconds, peak_mb=float(answer.get("peak_mb") or 0))


_shared: Optional[VoiceWorker] = None
_shared_lock = threading.Lock()


def shared_worker() -> VoiceWorker:
    """This process's pool (created on first use from the settings)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = VoiceWorker.from_settings()
        return _shared
