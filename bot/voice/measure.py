"""Measuring voice notes: the word error rate and what the NLU makes of the transcripts
(``make eval``), and the recogniser's cost (``make bench``). Clips are synthesised offline
(bot/voice/speech.py) from eval/voice.yml, as if citizens wrote to Peñalolén's number."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import yaml

from bot.voice.speech import long_note, speak, word_errors
from bot.voice.spoken_numbers import join_spoken_digits
from bot.voice.transcriber import prompt_for
from bot.voice.worker import VoiceWorker

PROCEDURE_TARGET = 0.80
MUNICIPALITY = "Peñalolén"


def load_clips(path: str | Path) -> List[Dict[str, Any]]:
    """The examples of eval/voice.yml: ``say``, ``intent``, ``tramite`` and optionally ``rut``, ``comuna``."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["examples"]


def _entity(parse: Dict[str, Any], name: str) -> Any:
    found = [e for e in parse.get("entities") or [] if e.get("entity") == name]
    return found[0]["value"] if found else None


def transcribe_clips(examples: List[Dict[str, Any]], worker: VoiceWorker) -> List[Dict[str, Any]]:
    """Each example spoken, encoded and transcribed: ``text``, ``seconds``, ``elapsed``, ``confident``."""
    out = []
    for example in examples:
        heard = worker.transcribe_now(speak(example["say"]), prompt_for(MUNICIPALITY))
        transcript = heard.transcript
        out.append(
            {
                "text": join_spoken_digits(transcript.text) if transcript else "",  # as channels/voice.py
                "seconds": transcript.seconds if transcript else 0.0,
                "elapsed": transcript.elapsed if transcript else 0.0,
                "confident": bool(transcript and transcript.confident),
                "peak_mb": heard.peak_mb,
            }
        )
    return out


def _right(example: Dict[str, Any], parse: Dict[str, Any], procedure_of: Callable) -> Dict[str, bool]:
    """Which of intent, procedure (and RUT, commune when the clip names one) the parse got right."""
    checks = {
        "intent": (parse.get("intent") or {}).get("name") == example["intent"],
        "tramite": procedure_of(parse) == example.get("tramite"),
    }
    for extra in ("rut", "comuna"):
        if example.get(extra):
            checks[extra] = str(_entity(parse, extra)) == str(example[extra])
    return checks


def score_voice(
    examples: List[Dict[str, Any]],
    heard: List[Dict[str, Any]],
    parses: List[Dict[str, Any]],
    written: List[Dict],
    procedure_of: Callable,
) -> Dict[str, Any]:
    """WER and the share of clips whose intent, procedure (``procedure_of(parse)``) and RUT or commune
    come out right, next to the same NLU on the written sentence (what a perfect recogniser would give)."""
    errors = words = 0
    rows = []
    for example, said, parse, text_parse in zip(examples, heard, parses, written, strict=True):
        wrong, total = word_errors(example["say"], said["text"])
        errors, words = errors + wrong, words + total

        ok, ok_written = _right(example, parse, procedure_of), _right(example, text_parse, procedure_of)
        rows.append({"say": example["say"], "heard": said["text"], "confident": said["confident"], **ok})
        rows[-1]["written"] = ok_written

    def share(key: str, source: str = "") -> float:
        values = [(r["written"] if source else r).get(key) for r in rows]
        values = [v for v in values if v is not None]
        return sum(values) / len(values) if values else 0.0

    both = [r["intent"] and r["tramite"] and r["confident"] for r in rows]
    return {
        "clips": len(rows),
        "wer": errors / words if words else 0.0,
        "confident": sum(r["confident"] for r in rows) / len(rows),
        "intent_accuracy": share("intent"),
        "procedure_accuracy": share("tramite"),
        "intent_and_procedure": sum(both) / len(both),
        "rut_accuracy": share("rut"),
        "comuna_accuracy": share("comuna"),
        "written_intent_accuracy": share("intent", "written"),
        "written_procedure_accuracy": share("tramite", "written"),
        "audio_seconds": sum(h["seconds"] for h in heard),
        "transcription_seconds": sum(h["elapsed"] for h in heard),
        "rows": rows,
    }


def print_voice_report(result: Dict[str, Any], source: str, report: str) -> None:
    """The voice section of ``make eval``."""
    print(f"Notas de voz: {result['clips']} audios sintéticos (espeak-ng, OGG/Opus) de {source}")
    print(f"wer                  {result['wer']:.3f}  (palabras mal reconocidas / palabras dichas)")
    print(f"confiables           {result['confident']:.3f}  (el resto: se pide repetir o escribir)")
    written = result["written_intent_accuracy"]
    print(f"intent_accuracy      {result['intent_accuracy']:.3f}  (texto escrito: {written:.3f})")
    print(
        f"procedure_accuracy   {result['procedure_accuracy']:.3f}  (meta {PROCEDURE_TARGET}; texto escrito: "
        f"{result['written_procedure_accuracy']:.3f})"
    )
    print(f"intent_y_tramite     {result['intent_and_procedure']:.3f}  (y transcripción confiable)")
    print(f"rut_accuracy         {result['rut_accuracy']:.3f}  (RUT dictado dígito a dígito)")
    print(f"comuna_accuracy      {result['comuna_accuracy']:.3f}")
    if result["audio_seconds"]:
        print(f"s_por_s_de_audio     {result['transcription_seconds'] / result['audio_seconds']:.2f}")
    for row in result["rows"]:
        if not (row["intent"] and row["tramite"]):
            print(f"  «{row['say']}» -> «{row['heard']}»")
    print(f"Detalle: {report}")


def bench_voice(clip_count: int = 6, long_seconds: float = 60.0, threads: int = 2) -> Dict[str, Any]:
    """Transcription time per second of audio, model start, and the worker's peak memory."""
    examples = load_clips(Path(__file__).resolve().parents[2] / "eval" / "voice.yml")[:clip_count]
    notes = [speak(e["say"]) for e in examples] + [long_note(long_seconds)]
    worker = VoiceWorker(workers=1, cpu_threads=threads, max_seconds=max(120.0, long_seconds + 5))
    try:
        started = time.perf_counter()
        first = worker.transcribe_now(notes[0], prompt_for(MUNICIPALITY))
        start_s = time.perf_counter() - started - (first.transcript.elapsed if first.transcript else 0)
        results = [worker.transcribe_now(n, prompt_for(MUNICIPALITY)) for n in notes]
        pid = worker.pids[0] if worker.pids else None
        peak = _vm_hwm_mb(pid) if pid else max(r.peak_mb for r in results)
    finally:
        worker.close()
    short = [r.transcript for r in results[:-1] if r.transcript]
    long = results[-1].transcript
    ratio: Callable[[List[Any]], float] = lambda ts: sum(t.elapsed for t in ts) / sum(t.seconds for t in ts)  # noqa: E731
    return {
        "voice_threads": threads,
        "voice_worker_start_s": round(start_s, 2),
        "voice_s_per_audio_s_short": round(ratio(short), 3) if short else None,
        "voice_short_clips": len(short),
        "voice_short_audio_s": round(sum(t.seconds for t in short), 1),
        "voice_s_per_audio_s_long": round(ratio([long]), 3) if long else None,
        "voice_long_audio_s": round(long.seconds, 1) if long else None,
        "voice_worker_peak_mb": round(peak),
    }


def _vm_hwm_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0
