"""Voice notes without the assistant: the model files, decoding with its limits, the recogniser in
its worker process, the settings and the word error rate."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.config import Settings
from bot.voice import model_files
from bot.voice.audio import SILENT, TOO_LONG, UNREADABLE, VIDEO, AudioRejected, decode, encode_ogg_opus
from bot.voice.speech import long_note, video_file, word_errors, words
from bot.voice.transcriber import prompt_for
from bot.voice.worker import BUSY, VoiceWorker, enabled
from tests.voice_clips import clip, require_voice


@pytest.fixture(scope="module")
def worker():
    require_voice()
    pool = VoiceWorker(workers=1, cpu_threads=2, max_seconds=120)
    yield pool
    pool.close()


def test_the_model_is_joined_once_and_checked(tmp_path):
    require_voice()
    folder = model_files.model_dir(tmp_path)
    model = folder / "model.bin"
    assert model.stat().st_size == model_files.MODEL_BIN_SIZE == 145_217_532
    assert model_files.sha256_of(model) == model_files.MODEL_BIN_SHA256
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    # A damaged cache (same size, other bytes) is found by the hash and joined again.
    with open(model, "r+b") as handle:
        handle.seek(1000)
        handle.write(b"\0" * 16)
    assert model_files.model_dir(tmp_path) == folder
    assert model_files.sha256_of(model) == model_files.MODEL_BIN_SHA256


def test_decoding_rejects_what_is_not_a_voice_note():
    require_voice()
    samples = decode(clip("hola"), 120)
    assert samples.dtype.name == "float32" and 0.3 < samples.size / 16_000 < 3
    cases = {
        UNREADABLE: b"OggS" + bytes(range(256)) * 8,  # an OGG header and noise
        VIDEO: video_file(),
        TOO_LONG: long_note(130),
        SILENT: encode_ogg_opus(samples * 0),
    }
    for reason, data in cases.items():
        with pytest.raises(AudioRejected) as caught:
            decode(data, 120)
        assert caught.value.reason == reason
    truncated = clip("hola, necesito un certificado de residencia")[:200]
    with pytest.raises(AudioRejected):
        decode(truncated, 120)


def test_the_recogniser_hears_procedure_names(worker):
    said = {
        "cuánto cuesta el permiso de circulación": ["permiso", "circulacion"],
        "qué papeles necesito para sacar la licencia de conducir": ["licencia", "conducir"],
        "hay un hoyo muy grande en la calle frente a mi casa": ["hoyo", "calle"],
    }
    for text, expected in said.items():
        heard = worker.transcribe_now(clip(text), prompt_for("Peñalolén"))
        assert heard.transcript is not None, heard
        assert heard.transcript.confident, heard.transcript
        assert set(expected) <= set(words(heard.transcript.text)), heard.transcript.text
        assert heard.peak_mb > 50


def test_the_worker_refuses_clearly_and_survives(worker):
    assert asyncio.run(worker.transcribe(b"no es audio")).rejected == UNREADABLE
    assert asyncio.run(worker.transcribe(video_file())).rejected == VIDEO
    heard = asyncio.run(worker.transcribe(clip("quiero hablar con una persona")))
    assert heard.transcript is not None and "persona" in words(heard.transcript.text)


def test_a_burst_is_bounded_and_the_event_loop_stays_free():
    require_voice()
    pool = VoiceWorker(workers=1, cpu_threads=2, max_seconds=120, max_waiting=2)
    note = clip("hola")

    async def burst():
        ticks = []

        async def ticker():
            for _ in range(40):
                started = time.monotonic()
                await asyncio.sleep(0.05)
                ticks.append(time.monotonic() - started)

        jobs = [asyncio.create_task(pool.transcribe(note)) for _ in range(6)]
        await ticker()
        return ticks, await asyncio.gather(*jobs)

    try:
        ticks, results = asyncio.run(burst())
    finally:
        pool.close()
    assert max(ticks) < 0.5  # the loop never waited on a transcription
    busy = [r for r in results if r.rejected == BUSY]
    assert len(busy) == 6 - (1 + 2)  # one running and two waiting; the rest told at once
    assert all(r.transcript is not None for r in results if r.rejected != BUSY)


def test_voice_notes_setting(monkeypatch):
    assert Settings.from_env({}).voice_notes is True
    assert Settings.from_env({"VOICE_NOTES": "0"}).voice_notes is False
    monkeypatch.setenv("VOICE_NOTES", "0")
    assert enabled() is False
    monkeypatch.setenv("VOICE_NOTES", "1")
    assert enabled() is model_files.installed()


def test_a_recogniser_stuck_in_a_loop_is_not_trusted():
    from bot.voice.transcriber import Transcript

    looped = Transcript("Ayú, " + "¡ahú, " * 60, seconds=3, avg_logprob=-0.4, no_speech_prob=0.1)
    fine = Transcript("Hay un hoyo muy grande en la calle frente a mi casa.", 3, -0.4, 0.1)
    assert not looped.confident and fine.confident
    assert not Transcript("Gracias.", 3, -0.4, 0.9).confident  # most likely no speech
    assert not Transcript("", 3, 0, 0).confident


def test_dictated_digits_become_a_rut_or_a_phone():
    from bot.voice.spoken_numbers import join_spoken_digits

    assert (
        join_spoken_digits("mi rut es uno dos tres cuatro cinco seis siete ocho guion cinco") == "mi rut es 12345678-5"
    )
    assert join_spoken_digits("Mi RUT es 1,5, 6, 7, 8, 2, 3, 4, guión, 3.") == "Mi RUT es 15678234-3."
    assert join_spoken_digits("rut nueve ocho siete seis cinco cuatro tres guion ka") == "rut 9876543-k"
    assert (
        join_spoken_digits("mi celular es nueve ocho siete seis cinco cuatro tres dos uno") == "mi celular es 987654321"
    )
    assert join_spoken_digits("quiero dos certificados y tres permisos") == "quiero dos certificados y tres permisos"


def test_word_error_rate():
    assert word_errors("mi rut es uno dos tres guion cinco", "Mi RUT es 1.2.3-5.") == (0, 8)
    assert word_errors("cuánto cuesta el permiso", "Cuanto cuesta el premiso") == (1, 4)
    assert word_errors("hola", "") == (1, 1)
