"""``make bench``: speed and memory of the assistant, printed as numbers.

End to end (default): simulated citizens hold whole conversations concurrently
through the signed WhatsApp webhook of the assistant started as ``python -m bot run``
(bot/app/devtools/loadgen.py explains the script and when a turn ends); the replies are
captured by a local Twilio stand-in. Then the plain ``rasa init`` bot gets the same
load through the same WhatsApp channel, and the ratio of both is printed. Figures go
to stdout and to results/bench.json.

``--nlu-only``: the NLU alone (the model loaded in-process): parse latency over the
held-out messages and the process's peak memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.app.devtools.loadgen import percentile
from bot.config import PROJECT_ROOT, var_dir
from bot.evaluation import load_heldout


async def _measure(model: str, texts: List[str], rounds: int) -> List[float]:
    from rasa.core.agent import Agent
    from rasa.model import get_local_model
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(get_local_model(model))
    await agent.parse_message("hola")  # warm-up
    latencies = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            await agent.parse_message(text)
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def run_nlu_benchmark(model: str = "models", heldout: str = "eval/heldout.yml", rounds: int = 3) -> int:
    """Print NLU parse latency percentiles, throughput and peak memory."""
    texts = [e["text"] for e in load_heldout(heldout)]
    started = time.perf_counter()
    latencies = asyncio.run(_measure(model, texts, rounds))
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"nlu_parse_count      {len(latencies)}")
    print(f"nlu_parse_p50_ms     {percentile(latencies, 0.50):.1f}")
    print(f"nlu_parse_p95_ms     {percentile(latencies, 0.95):.1f}")
    print(f"nlu_parse_p99_ms     {percentile(latencies, 0.99):.1f}")
    print(f"nlu_parse_mean_ms    {statistics.mean(latencies):.1f}")
    print(f"nlu_parses_per_s     {len(latencies) / sum(latencies) * 1000:.1f}")
    print(f"total_seconds        {elapsed:.1f}")
    print(f"peak_rss_mb          {peak_mb:.0f}")
    return 0


# ---------------------------------------------------------------- end to end


def municipalities() -> List[tuple]:
    """(WhatsApp number, folio code) of every catalogue municipality with a WhatsApp number."""
    from bot.catalogue.files import load_catalogue
    from bot.config import catalogue_dir

    towns = load_catalogue(catalogue_dir()).municipalities
    return [(town.whatsapp_numbers[0], town.code) for _, town in sorted(towns.items()) if town.whatsapp_numbers]


def load_bot(
    running,
    twilio,
    concurrency: int,
    conversations: int,
    think_seconds: float,
    first_index: int,
    same_script: bool = False,
) -> Dict[str, Any]:
    """Run the load against one started bot; its summary with peak memory per process."""
    from bot.app.devtools.loadgen import run_load
    from bot.app.devtools.processes import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

    towns = municipalities()
    cpu_before = running.cpu()
    result = asyncio.run(
        run_load(
            running.webhook,
            twilio,
            AUTH_TOKEN,
            PUBLIC_URL,
            ACCOUNT_SID,
            towns,
            concurrency,
            conversations,
            think_seconds,
            first_index,
            same_script,
        )
    )
    cpu_after = running.cpu()
    summary = result.summary()
    summary["expected_replies_per_turn"] = result.expected_replies
    summary["peak_memory_mb"] = running.memory()
    # CPU per turn of each process, warm-up turns included (they ran between the two readings).
    turns = len(result.turns) + sum(len(counts) for counts in result.expected_replies.values())
    summary["cpu_ms_per_turn"] = {
        role: round((cpu_after[role] - cpu_before.get(role, 0.0)) * 1000 / turns, 1) for role in cpu_after if turns
    }
    return summary


def print_block(title: str, figures: Dict[str, Any]) -> None:
    print(f"== {title}")
    for key in (
        "conversations",
        "concurrency",
        "turns",
        "turns_completed",
        "wall_seconds",
        "turns_per_second",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "latency_max_ms",
        "errors",
        "warmup_errors",
        "lost_replies",
        "duplicated_replies",
        "unexpected_replies",
        "folios",
        "status_with_folio",
    ):
        if key in figures:
            print(f"{key:<32}{figures[key]}")
    for role, mb in figures.get("peak_memory_mb", {}).items():
        print(f"{'peak_mb_' + role:<32}{mb:.0f}")
    for role, ms in figures.get("cpu_ms_per_turn", {}).items():
        print(f"{'cpu_ms_per_turn_' + role:<32}{ms:.1f}")
    for sample in figures.get("error_samples", []):
        print(f"{'error':<32}{sample}")
    sys.stdout.flush()


def run_benchmark(
    conversations: int = 20,
    rounds: int = 3,
    skip_plain: bool = False,
    think_ms: int = 0,
    output: Optional[str] = "results/bench.json",
    keep: bool = False,
    extra_env: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    """The end-to-end benchmark; prints both result blocks and the ratio, writes ``output``."""
    from bot.app.devtools.processes import plain_project, start_assistant, start_plain
    from bot.app.devtools.standins import TwilioStandIn

    base = var_dir() / "bench"
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    twilio = TwilioStandIn().start()
    total = conversations * rounds
    report: Dict[str, Any] = {
        "load": {
            "concurrent_conversations": conversations,
            "conversations": total,
            "turns_per_conversation": 11,
            "think_ms": think_ms,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        print(f"Iniciando el asistente (python -m bot run) en {scratch / 'assistant'}…", flush=True)
        running = start_assistant(scratch / "assistant", twilio.url, extra_env)
        try:
            ours = load_bot(running, twilio, conversations, total, think_ms / 1000, 0)
        finally:
            running.stop()
        report["assistant"] = ours
        print_block("asistente (python -m bot run, SQLite, WhatsApp firmado)", ours)
        if not skip_plain:
            project = plain_project(base / "plain")
            print("Iniciando el bot de 'rasa init' con el mismo canal de WhatsApp…", flush=True)
            plain_running = start_plain(project, scratch / "plain", twilio.url)
            try:
                # Same number of citizens and turns; all say the first citizen's texts (the moodbot's
                # number of replies depends on the words, and it has no answer for some of them).
                plain = load_bot(
                    plain_running, twilio, conversations, total, think_ms / 1000, 100_000, same_script=True
                )
            finally:
                plain_running.stop()
            report["rasa_init"] = plain
            print_block("rasa init (Rasa 3.6 sin cambios, mismo canal y misma carga)", plain)
            ratio = {
                "throughput_ratio": round(ours["turns_per_second"] / plain["turns_per_second"], 2)
                if plain["turns_per_second"]
                else None,
                "p95_ratio": round(ours["latency_p95_ms"] / plain["latency_p95_ms"], 2)
                if ours["latency_p95_ms"] and plain["latency_p95_ms"]
                else None,
            }
            report["ratio"] = ratio
            print("== asistente / rasa init")
            print(f"{'throughput_ratio':<32}{ratio['throughput_ratio']}")
            print(f"{'p95_ratio':<32}{ratio['p95_ratio']}")
        targets = {
            "p95_below_300ms": bool(ours["latency_p95_ms"] and ours["latency_p95_ms"] < 300),
            "no_errors": ours["errors"] == 0 and ours["warmup_errors"] == 0,
            "nothing_lost_or_duplicated": ours["lost_replies"] == 0 and ours["duplicated_replies"] == 0,
        }
        if "ratio" in report:
            targets["twice_plain_throughput"] = bool(
                report["ratio"]["throughput_ratio"] and report["ratio"]["throughput_ratio"] >= 2
            )
        report["targets"] = targets
        print("== metas")
        for key, met in targets.items():
            print(f"{key:<32}{'sí' if met else 'NO'}")
        if output:
            path = PROJECT_ROOT / output if not Path(output).is_absolute() else Path(output)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
            print(f"(resultados en {output})")
        return report
    finally:
        twilio.stop()
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
