"""NLU evaluation on the held-out set (``make eval``).

The held-out file (eval/heldout.yml) is never used for training: it lists messages
with their intent and the procedure they name. The report prints intent accuracy,
procedure accuracy and the confusions, and writes them as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

INTENT_TARGET = 0.93
PROCEDURE_TARGET = 0.95


def load_heldout(path: str | Path) -> List[Dict[str, Any]]:
    """The held-out examples: ``text``, ``intent`` and ``tramite`` (or ``None``)."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["examples"]


def main_procedure(parse: Dict[str, Any]) -> Optional[str]:
    """The procedure a parse result is about, as the dialogue reads it: the first ``tramite`` entity without a
    role (the resolver gives the main one first; others, named by loose aliases, may score higher)."""
    found = [e for e in parse.get("entities") or [] if e.get("entity") == "tramite" and not e.get("role")]
    return found[0]["value"] if found else None


def score(examples: List[Dict[str, Any]], parses: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Accuracies and errors of parse results against the gold labels."""
    intent_hits, proc_hits, proc_total, false_procs = 0, 0, 0, 0
    errors: List[Dict[str, Any]] = []
    confusions: Counter = Counter()
    for example, parse in zip(examples, parses, strict=False):
        intent = (parse.get("intent") or {}).get("name")
        procedure = main_procedure(parse)
        intent_ok = intent == example["intent"]
        intent_hits += intent_ok
        if not intent_ok:
            confusions[f"{example['intent']} -> {intent}"] += 1
        gold = example.get("tramite")
        proc_ok = procedure == gold
        if gold:
            proc_total += 1
            proc_hits += proc_ok
        elif procedure:
            false_procs += 1
        if not (intent_ok and proc_ok):
            errors.append(
                {
                    "text": example["text"],
                    "intent": example["intent"],
                    "predicted_intent": intent,
                    "tramite": gold,
                    "predicted_tramite": procedure,
                }
            )
    total = len(examples)
    nulls = total - proc_total
    return {
        "examples": total,
        "intent_accuracy": intent_hits / total if total else 0.0,
        "procedure_accuracy": proc_hits / proc_total if proc_total else 0.0,
        "procedure_examples": proc_total,
        "procedure_false_positive_rate": false_procs / nulls if nulls else 0.0,
        "intent_confusions": dict(confusions.most_common()),
        "errors": errors,
    }


async def _parse_all(model: str, texts: List[str]) -> List[Dict[str, Any]]:
    import logging

    from rasa.core.agent import Agent
    from rasa.model import get_local_model
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    agent = Agent.load(get_local_model(model))
    return [await agent.parse_message(text) for text in texts]


def evaluate(heldout: str, model: str, report: str) -> int:
    """Parse the held-out set(s) with the trained model, print and save the report of each.

    ``heldout`` may name several files separated by commas; each gets its report
    (``results/nlu_heldout.json`` becomes ``results/nlu_heldout_b.json`` for ``heldout_b.yml``).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    files = [f.strip() for f in heldout.split(",") if f.strip()]
    sets = [load_heldout(f) for f in files]
    parses = asyncio.run(_parse_all(model, [e["text"] for examples in sets for e in examples]))
    start = 0
    for path, examples in zip(files, sets, strict=False):
        suffix = Path(path).stem.replace("heldout", "")
        _report(
            path,
            score(examples, parses[start : start + len(examples)]),
            str(Path(report).with_name(Path(report).stem + suffix + Path(report).suffix)),
        )
        start += len(examples)
    return 0


def evaluate_voice(clips: str, model: str, report: str) -> int:
    """The voice section: synthetic voice notes transcribed in the worker, then parsed by the NLU.

    Without the model or espeak-ng it says so and returns 1 (``make eval`` installs espeak-ng)."""
    from bot.voice import model_files, speech
    from bot.voice.measure import load_clips, print_voice_report, score_voice, transcribe_clips
    from bot.voice.worker import VoiceWorker

    if not model_files.installed() or not speech.espeak_available():
        print("Notas de voz: falta el modelo de voz o espeak-ng (apt-get install espeak-ng); no se evaluaron")
        return 1
    examples = load_clips(clips)
    worker = VoiceWorker()
    try:
        heard = transcribe_clips(examples, worker)
    finally:
        worker.close()
    parses = asyncio.run(_parse_all(model, [h["text"] for h in heard] + [e["say"] for e in examples]))
    result = score_voice(examples, heard, parses[: len(examples)], parses[len(examples) :], main_procedure)
    Path(report).parent.mkdir(parents=True, exist_ok=True)
    Path(report).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print_voice_report(result, clips, report)
    return 0


def _report(heldout: str, result: Dict[str, Any], report: str) -> None:
    Path(report).parent.mkdir(parents=True, exist_ok=True)
    Path(report).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"Conjunto reservado: {result['examples']} mensajes ({heldout})")
    print(f"intent_accuracy      {result['intent_accuracy']:.3f}  (meta {INTENT_TARGET})")
    print(
        f"procedure_accuracy   {result['procedure_accuracy']:.3f}  (meta {PROCEDURE_TARGET}, "
        f"{result['procedure_examples']} mensajes con trámite)"
    )
    print(f"procedure_false_pos  {result['procedure_false_positive_rate']:.3f}  (trámite donde no hay)")
    for confusion, count in list(result["intent_confusions"].items())[:10]:
        print(f"  {count:3d}  {confusion}")
    print(f"Detalle y errores: {report}")
