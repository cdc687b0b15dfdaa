"""Decoding a voice note into 16 kHz mono samples with PyAV, within limits.

WhatsApp and Telegram voice notes are OGG/Opus; anything FFmpeg reads as audio is accepted. A file
with a video stream, one FFmpeg cannot read, one without sound, or one longer than the limit is
rejected with ``AudioRejected`` and its ``reason`` (the channel answers each clearly). Duration is
checked from the container's header when it says, and always from the decoded samples, so a header
that lies cannot make the worker decode an hour of audio.
"""

from __future__ import annotations

import io
from typing import List

SAMPLE_RATE = 16_000
TOO_LONG, UNREADABLE, VIDEO, SILENT = "largo", "ilegible", "video", "vacio"


class AudioRejected(ValueError):
    """The file is not a voice note we can transcribe; ``reason`` is one of the constants above."""

    def __init__(self, reason: str, seconds: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds


def decode(data: bytes, max_seconds: float):  # -> numpy.ndarray (float32)
    """The audio's samples (float32, mono, ``SAMPLE_RATE``), or ``AudioRejected``."""
    import av
    import numpy as np

    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, ValueError, OSError):
        raise AudioRejected(UNREADABLE) from None
    with container:
        if any(not (s.disposition & av.stream.Disposition.attached_pic) for s in container.streams.video):
            raise AudioRejected(VIDEO)
        if not container.streams.audio:
            raise AudioRejected(UNREADABLE)
        if container.duration and container.duration / 1_000_000 > max_seconds + 1:
            raise AudioRejected(TOO_LONG, container.duration / 1_000_000)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        limit = int((max_seconds + 1) * SAMPLE_RATE)
        chunks: List = []
        total = 0
        try:
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    array = out.to_ndarray().reshape(-1)
                    chunks.append(array)
                    total += array.size
                if total > limit:
                    raise AudioRejected(TOO_LONG, total / SAMPLE_RATE)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError:
            if not chunks:  # a broken tail after real audio is tolerated, like a player would
                raise AudioRejected(UNREADABLE) from None
    if not chunks:
        raise AudioRejected(UNREADABLE)
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    if samples.size < SAMPLE_RATE // 10 or float(np.abs(samples).max()) < 1e-3:
        raise AudioRejected(SILENT, samples.size / SAMPLE_RATE)
    return samples


def encode_ogg_opus(samples, rate: int = SAMPLE_RATE, fast: bool = False) -> bytes:
    """``samples`` (float32 mono at ``rate``) as an OGG/Opus file like a WhatsApp voice note (16 kHz
    Opus); ``fast``: the encoder's lowest complexity (long test files)."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=SAMPLE_RATE)
        stream.layout = "mono"
        stream.bit_rate = 24_000  # what WhatsApp voice notes use, roughly
        if fast:
            stream.options = {"compression_level": "0"}
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        pcm = (np.clip(np.asarray(samples, dtype=np.float32), -1, 1) * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = rate
        for out in resampler.resample(frame):
            for packet in stream.encode(out):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
