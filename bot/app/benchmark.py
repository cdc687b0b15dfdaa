"""``make bench``: speed and memory of the assistant, printed as numbers.

End to end (default): simulated citizens hold whole conversations concurrently
through the signed WhatsApp webhook of the assistant started as ``python -m bot run``
(bot/app/devtools/loadgen.py explains the script and when a turn ends); the replies are
captured by a local Twilio stand-in. Then the plain ``rasa init`` bot gets the same
load through the same WhatsApp channel, and the ratio of both is printed. Figures go
to stdout and to results/bench.json. The assistant runs ``--workers`` (2) Rasa processes
(``RASA_WORKERS``); memory is printed per process, and CPU per turn summed over the workers too.

``--production --replicas N``: the production layout (deploy/endpoints.prod.yml: PostgreSQL for
our tables and Rasa's tracker, Redis for the locks) on this machine, with 1, 2… N Rasa worker
processes in turn, fresh databases each time; prints each block and the scaling from 1 to N.

``--nlu-only``: the NLU alone (the model loaded in-process, following a scratch database):
parse latency over the held-out messages with the repository's catalogue loaded and with a
generated catalogue of all 345 municipalities (bot/app/devtools/country_catalogue.py), their
p95 ratio, the NLU start-up and ``catalogue load`` times, how soon the running NLU recognises
a procedure of the new load, and the process's peak memory.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from bot.app.devtools.loadgen import percentile
from bot.catalogue.files import load_catalogue
from bot.config import PROJECT_ROOT, catalogue_dir, settings, var_dir
from bot.evaluation import load_heldout

# A procedure of the last generated municipality: when a running NLU names it, it has picked up the load.
PROBE_PROCEDURE = {
    "slug": "arriendo-gimnasio",
    "name": "Arriendo del gimnasio municipal",
    "category": "Organizaciones Comunitarias",
    "description": "Reserva del gimnasio municipal para clubes deportivos y organizaciones de la comuna.",
    "requirements": ["Cédula de identidad del responsable."],
    "steps": ["Pide la reserva en la Oficina de Deportes."],
    "cost": "$15.000 la hora",
    "place": "Oficina de Deportes",
    "response_time": "3 días hábiles",
    "aliases": ["arriendo del gimnasio", "reservar el gimnasio", "gimnasio municipal", "arrendar el gimnasio"],
    "chat_request": False,
}
PROBE_TEXT = "cuanto sale el arriendo del gimnasio municipal"
# Targets of issue 14: parse latency flat from 4 to 345 municipalities, a load of all of them fast.
MAX_P95_RATIO = 1.2
MAX_CATALOGUE_LOAD_SECONDS = 30.0
MAX_LIVE_SECONDS = 30.0


def _load_agent(model: str):
    from rasa.core.agent import Agent
    from rasa.model import get_local_model

    return Agent.load(get_local_model(model))


async def _latencies(agent, texts: List[str], rounds: int) -> List[float]:
    await agent.parse_message("hola")  # warm-up
    latencies = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            await agent.parse_message(text)
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


async def _procedures(agent, text: str) -> List[str]:
    parsed = await agent.parse_message(text)
    return [e["value"] for e in parsed.get("entities", []) if e["entity"] == "tramite"]


def catalogue_load_seconds(folder: Path, db_url: str) -> float:
    """Wall time of ``python -m bot catalogue load --dir folder`` into ``db_url`` (validation included)."""
    env = {**os.environ, "DATABASE_URL": db_url}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "catalogue", "load", "--dir", str(folder)],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def _summary(latencies: List[float]) -> Dict[str, float]:
    return {
        "count": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "mean_ms": round(statistics.mean(latencies), 1),
        "parses_per_s": round(len(latencies) / sum(latencies) * 1000, 1),
    }


async def _scale(model: str, texts: List[str], rounds: int, scratch: Path, db_url: str) -> Dict[str, Any]:
    """The NLU with the repository's catalogue loaded, then with all 345 municipalities (see module doc)."""
    from bot.app.devtools.country_catalogue import write_country_catalogue
    from bot.storage.catalogue_store import CatalogueCache
    from bot.storage.db import Database

    figures: Dict[str, Any] = {}
    small = catalogue_dir()
    country = scratch / "country"
    written = write_country_catalogue(country, small, PROBE_PROCEDURE)
    figures["municipalities_small"] = len(load_catalogue(small).municipalities)
    figures["municipalities_country"] = written["municipalities"]
    loads: Dict[str, List[float]] = {"small": [], "country": []}
    live: List[float] = []
    latencies: Dict[str, List[float]] = {"small": [], "country": []}

    async def switch_to(agent: Any, which: str, folder: Path) -> None:
        loads[which].append(catalogue_load_seconds(folder, db_url))
        loaded = time.perf_counter()
        wanted = which == "country"
        while (PROBE_PROCEDURE["slug"] in await _procedures(agent, PROBE_TEXT)) != wanted:
            if time.perf_counter() - loaded > 120:
                raise RuntimeError("el NLU no tomó el catálogo cargado en 120 s")
            await asyncio.sleep(0.2)
        live.append(time.perf_counter() - loaded)

    loads["small"].append(catalogue_load_seconds(small, db_url))
    started = time.perf_counter()
    agent = _load_agent(model)
    figures["nlu_startup_s_small"] = round(time.perf_counter() - started, 2)
    await _latencies(agent, texts[:20], 1)  # warm-up
    # Rounds alternate between both catalogues, so that what else the machine does weighs on both alike.
    for number in range(rounds):
        if number:
            await switch_to(agent, "small", small)
        latencies["small"] += await _latencies(agent, texts, 1)
        await switch_to(agent, "country", country)
        latencies["country"] += await _latencies(agent, texts, 1)
    figures["parse_small"] = _summary(latencies["small"])
    figures["parse_country"] = _summary(latencies["country"])
    figures["catalogue_load_s_small"] = round(max(loads["small"]), 2)
    figures["catalogue_load_s_country"] = round(max(loads["country"]), 2)
    figures["nlu_live_after_load_s"] = round(max(live), 2)
    del agent
    gc.collect()

    started = time.perf_counter()
    agent = _load_agent(model)
    figures["nlu_startup_s_country"] = round(time.perf_counter() - started, 2)
    figures["probe_at_first_parse"] = PROBE_PROCEDURE["slug"] in await _procedures(agent, PROBE_TEXT)
    del agent
    db = Database(db_url)
    try:
        started = time.perf_counter()
        CatalogueCache(db).get()
        figures["actions_catalogue_read_s_country"] = round(time.perf_counter() - started, 2)
    finally:
        db.dispose()
    return figures


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """This process's environment with ``values`` set, restored afterwards."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_nlu_benchmark(
    model: str = "models", heldout: str = "eval/heldout.yml", rounds: int = 3, output: Optional[str] = None
) -> int:
    """Print NLU parse latency with the repository's catalogue and with all 345 municipalities loaded,
    the NLU start-up and ``catalogue load`` times, how soon a load is recognised, and peak memory."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    texts = [e["text"] for e in load_heldout(heldout)]
    base = var_dir() / "bench"
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="nlu-", dir=base))
    db_url = f"sqlite:///{scratch / 'municipal.db'}"
    started = time.perf_counter()
    try:
        with _environment(DATABASE_URL=db_url):  # the NLU follows this database's catalogue
            figures = asyncio.run(_scale(model, texts, rounds, scratch, db_url))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    small, country = figures["parse_small"], figures["parse_country"]
    ratio = round(country["p95_ms"] / small["p95_ms"], 2) if small["p95_ms"] else None
    figures["p95_ratio_country_small"] = ratio
    figures["targets"] = {
        "p95_ratio_at_most_1_2": bool(ratio is not None and ratio <= MAX_P95_RATIO),
        "catalogue_load_at_most_30_s": figures["catalogue_load_s_country"] <= MAX_CATALOGUE_LOAD_SECONDS,
        "live_within_30_s": figures["nlu_live_after_load_s"] <= MAX_LIVE_SECONDS,
    }
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    for label, summary in (("small", small), ("country", country)):
        municipalities = figures[f"municipalities_{label}"]
        print(f"== NLU con {municipalities} municipalidades cargadas")
        for key in ("count", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "parses_per_s"):
            print(f"{'nlu_parse_' + key:<32}{summary[key]}")
        print(f"{'catalogue_load_s':<32}{figures['catalogue_load_s_' + label]}")
        print(f"{'nlu_startup_s':<32}{figures['nlu_startup_s_' + label]}")
    print("== 345 municipalidades")
    for key in (
        "p95_ratio_country_small",
        "nlu_live_after_load_s",
        "probe_at_first_parse",
        "actions_catalogue_read_s_country",
        "total_seconds",
        "peak_rss_mb",
    ):
        print(f"{key:<32}{figures[key]}")
    print("== metas")
    for key, met in figures["targets"].items():
        print(f"{key:<32}{'sí' if met else 'NO'}")
    if output:
        path = PROJECT_ROOT / output if not Path(output).is_absolute() else Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
        print(f"(resultados en {output})")
    return 0 if all(figures["targets"].values()) else 1


# ---------------------------------------------------------------- end to end


def municipalities() -> List[tuple]:
    """(WhatsApp number, folio code) of every catalogue municipality with a WhatsApp number."""
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
    workers = [role for role in cpu_after if role.startswith("rasa_")]
    if len(workers) > 1:  # the Rasa workers together
        cpu_after["rasa_total"] = sum(cpu_after[role] for role in workers)
        cpu_before["rasa_total"] = sum(cpu_before.get(role, 0.0) for role in workers)
    summary = result.summary()
    summary["expected_replies_per_turn"] = result.expected_replies
    summary["peak_memory_mb"] = running.memory()
    # CPU per turn of each process, warm-up turns included (they ran between the two readings).
    turns = len(result.turns) + sum(len(counts) for counts in result.expected_replies.values())
    summary["cpu_ms_per_turn"] = {
        role: round((cpu_after[role] - cpu_before.get(role, 0.0)) * 1000 / turns, 1) for role in cpu_after if turns
    }
    return summary


def _processes(count: int) -> str:
    return f"{count} proceso" if count == 1 else f"{count} procesos"


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
        "turns_without_answer",
        "turns_without_answer_reason",
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
    workers: int = 2,
) -> Dict[str, Any]:
    """The end-to-end benchmark with ``workers`` Rasa processes; prints both result blocks and the
    ratio, writes ``output``."""
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
            "rasa_workers": workers,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        print(f"Iniciando el asistente (python -m bot run) en {scratch / 'assistant'}…", flush=True)
        running = start_assistant(
            scratch / "assistant", twilio.url, {"RASA_WORKERS": str(workers), **(extra_env or {})}
        )
        try:
            ours = load_bot(running, twilio, conversations, total, think_ms / 1000, 0)
        finally:
            running.stop()
        report["assistant"] = ours
        print_block(f"asistente (python -m bot run, {_processes(workers)} de Rasa, SQLite, WhatsApp firmado)", ours)
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
            plain = with_silent_turns_apart(plain, failed_turns_by_reason(scratch / "plain" / "plain.log"))
            report["rasa_init"] = plain
            print_block("rasa init (Rasa 3.6 sin cambios, mismo canal y misma carga)", plain)
            ratio = {
                "throughput_ratio": round(ours["turns_per_second"] / plain["turns_per_second"], 2)
                if plain["turns_per_second"]
                else None,
                "p95_ratio": round(ours["latency_p95_ms"] / plain["latency_p95_ms"], 2)
                if ours["latency_p95_ms"] and plain["latency_p95_ms"]
                else None,
                "cpu_per_turn_ratio": cpu_per_turn_ratio(ours, plain),
            }
            report["ratio"] = ratio
            print("== asistente / rasa init")
            for key, value in ratio.items():
                print(f"{key:<32}{value}")
        targets = {
            "p95_below_300ms": bool(ours["latency_p95_ms"] and ours["latency_p95_ms"] < 300),
            "no_errors": ours["errors"] == 0 and ours["warmup_errors"] == 0,
            "nothing_lost_or_duplicated": ours["lost_replies"] == 0 and ours["duplicated_replies"] == 0,
        }
        if "ratio" in report:
            targets["twice_plain_throughput"] = bool(
                report["ratio"]["throughput_ratio"] and report["ratio"]["throughput_ratio"] >= 2
            )
            cpu = report["ratio"]["cpu_per_turn_ratio"]
            targets["half_plain_cpu_per_turn"] = bool(cpu is not None and cpu <= MAX_CPU_RATIO)
        report["targets"] = targets
        print("== metas")
        for key, met in targets.items():
            print(f"{key:<32}{'sí' if met else 'NO'}")
        write_report(report, output)
        return report
    finally:
        twilio.stop()
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


# What our channel logs when a turn fails (channels/turns.py): "turno fallido de <sender> (<reason>): …".
_FAILED_TURN = re.compile(r"turno fallido de \S+ \(([^)]*)\)")
SILENT = "sin respuesta"


def failed_turns_by_reason(log: Path) -> Dict[str, int]:
    """How many turns the channel gave up on in a run's log, by reason (warm-up included)."""
    if not log.exists():
        return {}
    return dict(Counter(_FAILED_TURN.findall(log.read_text(encoding="utf-8", errors="replace"))))


def with_silent_turns_apart(figures: Dict[str, Any], reasons: Dict[str, int]) -> Dict[str, Any]:
    """The plain bot's figures with the turns it leaves unanswered counted apart, not as errors.

    The moodbot has no answer for some of our citizens' messages and ends those turns silent; our
    channel then sends its apology ("sin respuesta"). Rasa processed the turn all the same, so for a
    like-for-like comparison it is a completed turn, reported as ``turns_without_answer`` with the
    reason. Any other failure stays an error.
    """
    result = {**figures, "failed_turns_by_reason": reasons}
    if not reasons or set(reasons) != {SILENT}:
        return result
    silent = int(figures.get("errors") or 0)
    done = int(figures.get("turns_completed") or 0) + silent
    seconds = float(figures.get("wall_seconds") or 0.0)
    result.update(
        errors=0,
        warmup_errors=0,
        turns_without_answer=silent,
        turns_without_answer_reason="el bot de 'rasa init' no tiene respuesta para ese mensaje: termina el turno "
        "sin responder y el canal envía su disculpa",
        turns_completed=done,
        turns_per_second=round(done / seconds, 2) if seconds else 0.0,
        error_samples=[],
    )
    return result


MAX_CPU_RATIO = 0.5  # issue "Performance": half the plain bot's CPU per turn


def cpu_per_turn_ratio(ours: Dict[str, Any], plain: Dict[str, Any]) -> Optional[float]:
    """The whole assistant's CPU per turn (Rasa processes, action server, web) over the plain bot's."""
    mine, theirs = ours.get("cpu_ms_per_turn") or {}, plain.get("cpu_ms_per_turn") or {}
    total = sum(ms for role, ms in mine.items() if role == "rasa_total" or not role.startswith("rasa"))
    plain_total = sum(theirs.values())
    return round(total / plain_total, 2) if total and plain_total else None


def write_report(report: Dict[str, Any], output: Optional[str]) -> None:
    """Save ``report`` as JSON at ``output`` (relative to the project), if given, and say where."""
    if not output:
        return
    path = PROJECT_ROOT / output if not Path(output).is_absolute() else Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"(resultados en {output})")


POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"  # trust on localhost, as in the tests
REDIS_ADDRESS = "127.0.0.1:6379"
PRODUCTION_DATABASES = ("bench_asistente", "bench_asistente_tracker")  # ours, Rasa's tracker


def _fresh_databases(admin_url: str, names: tuple) -> List[str]:
    """Empty PostgreSQL databases ``names`` (dropped first if they exist); their URLs."""
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return [admin_url.rsplit("/", 1)[0] + f"/{name}" for name in names]


def production_env(municipal_url: str, tracker_url: str, redis: str, workers: int) -> Dict[str, str]:
    """The environment of the production layout: PostgreSQL, Redis locks, ``workers`` Rasa processes."""
    host, _, port = redis.partition(":")
    return {
        "RASA_ENDPOINTS": "deploy/endpoints.prod.yml",
        "RASA_WORKERS": str(workers),
        "DATABASE_URL": municipal_url,
        "TRACKER_DB_URL": tracker_url,
        "TRACKER_DB": tracker_url.rsplit("/", 1)[1],
        "REDIS_HOST": host,
        "REDIS_PORT": port or "6379",
        "REDIS_LOCK_DB": "1",
        "REDIS_PASSWORD": settings().redis_password,  # deploy/endpoints.prod.yml names it
    }


def run_production_benchmark(
    replicas: int = 2,
    conversations: int = 20,
    rounds: int = 3,
    think_ms: int = 0,
    output: Optional[str] = "results/bench_production.json",
    keep: bool = False,
    postgres_admin_url: Optional[str] = None,
    redis: Optional[str] = None,
) -> Dict[str, Any]:
    """The end-to-end load on the production layout with 1…``replicas`` Rasa processes; prints each
    block and the scaling (turns per second and p95 against one replica), writes ``output``."""
    from bot.app.devtools.processes import start_assistant
    from bot.app.devtools.standins import TwilioStandIn

    base = var_dir() / "bench"
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="prod-", dir=base))
    twilio = TwilioStandIn().start()
    total = conversations * rounds
    report: Dict[str, Any] = {
        "load": {"concurrent_conversations": conversations, "conversations": total, "think_ms": think_ms},
        "layout": "deploy/endpoints.prod.yml (PostgreSQL, Redis)",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "replicas": {},
    }
    try:
        for count in range(1, replicas + 1):
            municipal, tracker = _fresh_databases(postgres_admin_url or POSTGRES_ADMIN_URL, PRODUCTION_DATABASES)
            print(f"Iniciando el asistente de producción con {_processes(count)} de Rasa…", flush=True)
            env = production_env(municipal, tracker, redis or REDIS_ADDRESS, count)
            running = start_assistant(scratch / f"replicas-{count}", twilio.url, env)
            try:
                figures = load_bot(running, twilio, conversations, total, think_ms / 1000, 0)
            finally:
                running.stop()
            report["replicas"][count] = figures
            print_block(f"producción (PostgreSQL, Redis), {_processes(count)} de Rasa", figures)
        one = report["replicas"][1]
        print("== escalamiento (réplicas: turnos/s, p95 ms, turnos/s respecto de 1 réplica)")
        for count, figures in report["replicas"].items():
            speedup = figures["turns_per_second"] / one["turns_per_second"] if one["turns_per_second"] else 0
            figures["speedup"] = round(speedup, 2)
            print(f"{count:<8}{figures['turns_per_second']:<10}{figures['latency_p95_ms']:<10}{speedup:.2f}")
        write_report(report, output)
        return report
    finally:
        twilio.stop()
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def run_voice_benchmark(output: Optional[str] = "results/bench_voice.json") -> int:
    """Voice notes: transcription time per second of audio (short notes and one of a minute), the
    worker's start (model check and load) and its peak memory, with ``VOICE_CPU_THREADS`` threads."""
    from bot.voice import model_files, speech
    from bot.voice.measure import bench_voice

    print("== notas de voz")
    if not model_files.installed() or not speech.espeak_available():
        print("falta el modelo de voz o espeak-ng (apt-get install espeak-ng): no se midió")
        return 1
    figures = bench_voice(threads=settings().voice_cpu_threads)
    for key, value in figures.items():
        print(f"{key:<32}{value}")
    if output:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
        print(f"(resultados en {output})")
    return 0
