"""Starting the assistant (as ``python -m bot run``) and a plain ``rasa init`` bot for the benchmark.

Both get the same WhatsApp channel (channels.whatsapp.WhatsAppInput) pointed at a
local Twilio stand-in, on free ports, with throwaway SQLite databases. Peak memory
of each process is its ``VmHWM`` in /proc/<pid>/status; the Rasa workers of ``RASA_WORKERS``
are ``rasa_1``, ``rasa_2``… (their ``RASA_WORKER``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.app.devtools.standins import free_port
from bot.app.launcher import wait_until_up
from bot.app.rasa_worker import health_socket
from bot.config import PROJECT_ROOT, Settings

ACCOUNT_SID = "ACbench00000000000000000000000000"
AUTH_TOKEN = "token-del-benchmark"
PUBLIC_URL = "https://asistente.bench.local/webhooks/whatsapp/webhook"


def children(pid: int) -> List[int]:
    """Every descendant of ``pid`` (from /proc/<pid>/task/*/children)."""
    found: List[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in handle.read().split():
                    found.append(int(child))
                    found.extend(children(int(child)))
        except OSError:
            continue
    return found


def peak_memory_mb(pid: int) -> Optional[float]:
    """VmHWM (peak resident set) of a live process, in MB."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU time a live process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def worker_of(pid: int) -> str:
    """The ``RASA_WORKER`` a process was started with ("" if none)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            variables = handle.read().split(b"\0")
    except OSError:
        return ""
    for variable in variables:
        if variable.startswith(b"RASA_WORKER="):
            return variable.split(b"=", 1)[1].decode()
    return ""


def role_of(cmdline: str) -> str:
    """A short name for one of our processes from its command line."""
    if "rasa_sdk" in cmdline or "bot.app.action_server" in cmdline:
        return "action_server"
    if " -m bot web" in cmdline:
        return "web"
    if " -m rasa run" in cmdline or " -m bot.app.rasa_server run" in cmdline:
        return "rasa"
    if " -m bot run" in cmdline:
        return "launcher"
    return cmdline.split(" ")[0].rsplit("/", 1)[-1] or "?"


def twilio_env(twilio_url: str) -> Dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "WHATSAPP_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_API_BASE_URL": twilio_url,
    }


@dataclass
class Running:
    """A started bot: its base URL and process (whose descendants are measured)."""

    name: str
    base: str
    process: subprocess.Popen
    var: Path
    log: Path
    extra: Dict[str, str] = field(default_factory=dict)
    env: Dict[str, str] = field(default_factory=dict)  # the environment it was started with

    @property
    def webhook(self) -> str:
        return self.base + "/webhooks/whatsapp/webhook"

    def _per_process(self, measure) -> Dict[str, float]:
        figures: Dict[str, float] = {}
        for pid in [self.process.pid] + children(self.process.pid):
            value = measure(pid)
            role = role_of(command_line(pid))
            if value is None or role == "launcher":
                continue
            if role == "rasa" and worker_of(pid):
                role = f"rasa_{worker_of(pid)}"
            figures[role if role not in figures else f"{role}_{pid}"] = round(value, 2)
        return figures

    def memory(self) -> Dict[str, float]:
        """Peak memory (MB, VmHWM) of every process of this bot, by role."""
        return self._per_process(peak_memory_mb)

    def cpu(self) -> Dict[str, float]:
        """CPU seconds used so far by every process of this bot, by role."""
        return self._per_process(cpu_seconds)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                for pid in children(self.process.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                self.process.kill()
                self.process.wait()


def _base_env(var: Path) -> Dict[str, str]:
    env = dict(os.environ)
    for key in ("DEFAULT_MUNICIPIO", "TELEGRAM_BOT_TOKENS", "TELEGRAM_WEBHOOK_SECRET"):
        env.pop(key, None)
    env.update(
        VAR_DIR=str(var),
        PYTHONPATH=str(PROJECT_ROOT),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        DATABASE_URL=f"sqlite:///{var / 'municipal.db'}",
    )
    return env


def start_assistant(var: Path, twilio_url: Optional[str], extra_env: Optional[Dict[str, str]] = None) -> Running:
    """``python -m bot run`` on free ports with its data in ``var`` and WhatsApp pointed at the stand-in
    (``twilio_url``; ``None``: channels as ``extra_env`` sets them). Raises ``RuntimeError`` with the end of
    its log when it does not come up."""
    var.mkdir(parents=True, exist_ok=True)
    env = _base_env(var)
    env.update(
        RASA_PORT=str(free_port()),
        ACTIONS_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        TRACKER_DB="",
        ACTION_ENDPOINT_URL="",
        **(twilio_env(twilio_url) if twilio_url else {}),
    )
    env.update(extra_env or {})
    log = var / "assistant.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=PROJECT_ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{env['RASA_PORT']}"
    _wait(base, process, log)
    # The port answers once one Rasa worker listens: wait for every worker (each with its model loaded).
    workers = Settings.from_env(env).rasa_workers
    for worker in range(1, workers + 1) if workers > 1 else ():
        _wait(f"unix:{health_socket(var, worker)}", process, log)
    return Running("asistente", base, process, var, log, extra_env or {}, env)


def plain_project(cache: Path) -> Path:
    """The ``rasa init`` bot, created and trained once in ``cache`` (reused by later runs)."""
    models = cache / "models"
    if cache.exists() and any(models.glob("*.tar.gz")):
        return cache
    if cache.exists():
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    print(f"Creando y entrenando el bot de 'rasa init' en {cache} (solo la primera vez)…", flush=True)
    env = _base_env(cache.parent)
    with open(cache.parent / "plain-init.log", "w") as log:
        subprocess.run(
            [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(cache)],
            env=env,
            cwd=cache.parent,
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if not any(models.glob("*.tar.gz")):
        raise RuntimeError("rasa init no dejó un modelo entrenado")
    return cache


def start_plain(project: Path, var: Path, twilio_url: str, extra_env: Optional[Dict[str, str]] = None) -> Running:
    """``rasa run`` of the plain bot with our WhatsApp channel and its own SQLite database for it."""
    var.mkdir(parents=True, exist_ok=True)
    env = _base_env(var)
    env.update(DATABASE_URL=f"sqlite:///{var / 'plain_channel.db'}", **twilio_env(twilio_url))
    env.update(extra_env or {})
    # The channel's own tables (seen messages, buttons) and the catalogue (the To number -> municipality).
    subprocess.run(
        [sys.executable, "-m", "bot", "catalogue", "load"],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    credentials = var / "plain_credentials.yml"
    credentials.write_text(
        "channels.whatsapp.WhatsAppInput:\n"
        f"  account_sid: {ACCOUNT_SID}\n  auth_token: {AUTH_TOKEN}\n"
        f"  public_url: {PUBLIC_URL}\n  api_base_url: {twilio_url}\n"
    )
    port = free_port()
    log = var / "plain.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rasa",
            "run",
            "--model",
            str(project / "models"),
            "--endpoints",
            str(project / "endpoints.yml"),
            "--credentials",
            str(credentials),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        cwd=project,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    _wait(base, process, log)
    return Running("rasa_init", base, process, var, log, extra_env or {}, env)


def _wait(base: str, process: subprocess.Popen, log: Path) -> None:
    try:
        wait_until_up(base if base.startswith("unix:") else base + "/", process, timeout=300)
    except Exception as exc:
        process.kill()
        raise RuntimeError(f"no inició ({exc}):\n" + log.read_text()[-3000:]) from exc
    time.sleep(0.5)
