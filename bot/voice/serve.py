"""The voice worker process: ``python -m bot.voice.serve --threads N``.

Started by bot/voice/worker.py, never by hand. It loads the model once (after checking its hash),
lowers its own CPU priority so the assistant's text turns go first, then answers requests on its
standard input and output, one at a time: a request is a JSON header and the audio bytes, each
preceded by its length (4 bytes, big-endian); the answer is one JSON object, the same way.
Answers: ``{"text", "seconds", "avg_logprob", "no_speech_prob", "elapsed", "peak_mb"}``,
``{"rejected": reason, "seconds"}`` or ``{"error": message}``.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from typing import IO, Any, Dict, Optional

NICENESS = 10


def read_frame(stream: IO[bytes]) -> Optional[bytes]:
    """One length-prefixed frame, or ``None`` at the end of the stream."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    data = stream.read(size)
    return data if len(data) == size else None


def write_frame(stream: IO[bytes], data: bytes) -> None:
    """One length-prefixed frame, flushed."""
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def peak_memory_mb() -> float:
    """This process's peak resident memory (``VmHWM``), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def handle(transcriber: Any, header: Dict[str, Any], data: bytes) -> Dict[str, Any]:
    """One request: decode within the limits, then transcribe."""
    from bot.voice.audio import AudioRejected, decode
    from bot.voice.transcriber import PROMPT

    try:
        samples = decode(data, float(header.get("max_seconds", 120)))
    except AudioRejected as exc:
        return {"rejected": exc.reason, "seconds": exc.seconds}
    heard = transcriber.transcribe(samples, header.get("prompt") or PROMPT)
    return {
        "text": heard.text,
        "seconds": heard.seconds,
        "avg_logprob": heard.avg_logprob,
        "no_speech_prob": heard.no_speech_prob,
        "elapsed": heard.elapsed,
        "peak_mb": peak_memory_mb(),
    }


def main(argv: Optional[list] = None) -> int:
    """Serve requests until standard input closes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers on the pipe
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    from bot.voice.model_files import model_dir
    from bot.voice.transcriber import Transcriber

    try:
        transcriber = Transcriber(str(model_dir()), cpu_threads=args.threads)
        ready: Dict[str, Any] = {"ready": True, "peak_mb": peak_memory_mb()}
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
        transcriber, ready = None, {"error": f"{type(exc).__name__}: {exc}"}
    write_frame(out, json.dumps(ready).encode())
    if transcriber is None:
        return 1
    while True:
        header = read_frame(sys.stdin.buffer)
        data = read_frame(sys.stdin.buffer) if header is not None else None
        if header is None or data is None:
            return 0
        try:
            answer = handle(transcriber, json.loads(header), data)
        except Exception as exc:  # noqa: BLE001 - one bad request must not end the worker
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        write_frame(out, json.dumps(answer).encode())


if __name__ == "__main__":
    sys.exit(main())
