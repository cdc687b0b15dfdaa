"""Starts the whole assistant: web app and Rasa server (and the action server if apart), stopped together.

``python -m bot run`` prepares the database, loads the catalogue, starts the web app
(back-office API, notifications), waits until it answers, then starts Rasa with its
channels and, in the same process, the custom actions (``ACTIONS_IN_PROCESS=0``: in an
action server started before Rasa, on ACTIONS_HOST:ACTIONS_PORT with ACTIONS_TOKEN).
Ctrl-C (or SIGTERM) stops them all. A process that dies is restarted with growing waits
(1, 2, 4… 30 s) while the others keep serving: the inbox keeps taking WhatsApp and Telegram
messages while a Rasa worker or the action server is restarted, and processes them when it
is back. A process that is alive
but does not answer its health URL for WATCHDOG_SECONDS (60) is killed and restarted.
With ``RASA_WORKERS`` = N > 1, Rasa is N processes on the same port, each supervised on its
own through its health socket (bot/app/rasa_worker.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.app.rasa_worker import health_socket, read_health
from bot.config import PROJECT_ROOT, Settings, SettingsError, settings, var_dir
from bot.local_secrets import local_secrets
from channels.limits import SERVER_MAX_REQUEST_BYTES, SERVER_MAX_REQUEST_ENV

STOP_TIMEOUT_SECONDS = 15
STABLE_SECONDS = 60  # a child that ran this long before dying is restarted after 1 s again
MAX_BACKOFF_SECONDS = 30
PROBE_SECONDS = 5  # how often the supervisor checks that each process answers
PROBE_TIMEOUT_SECONDS = 3


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
RASA_CHILD_NAME = "Rasa"  # "Rasa", or "Rasa 1", "Rasa 2"… with several workers


class UnsafeSettings(RuntimeError):
    """The settings would expose an internal port without a secret the operator chose."""


def embedded_environment(base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment with the embedded defaults filled in where unset.

    Internal ports listen on 127.0.0.1 and always require a token: tokens the
    operator did not set are made once per VAR_DIR (bot/local_secrets.py). The REST
    channel gets a ``local`` integration for ``make shell`` unless REST_CHANNEL_TOKENS
    says otherwise (``off`` turns it off). Raises ``UnsafeSettings`` when Rasa or the
    action server would listen beyond localhost with a token nobody chose.
    """
    env = dict(os.environ if base is None else base)
    try:
        Settings.from_env(env)  # every setting checked before anything starts
    except SettingsError as exc:
        raise UnsafeSettings(str(exc)) from None
    var = Path(env.get("VAR_DIR") or var_dir())
    var.mkdir(parents=True, exist_ok=True)
    for host, token in (("RASA_HOST", "RASA_API_TOKEN"), ("ACTIONS_HOST", "ACTIONS_TOKEN")):
        if env.get(host) and env[host] not in LOOPBACK_HOSTS and not env.get(token):
            raise UnsafeSettings(
                f"{host}={env[host]} expone un puerto interno: defina {token} "
                f"(un secreto largo) o deje {host} en 127.0.0.1 (ver README, «Seguridad»)"
            )
    made = local_secrets(var)
    actions_port = env.setdefault("ACTIONS_PORT", "5055")
    actions_host = env.get("ACTIONS_HOST") or "127.0.0.1"
    defaults = {
        "WEB_PORT": "8080",
        "WEB_HOST": "127.0.0.1",
        "RASA_PORT": "5005",
        "RASA_HOST": "127.0.0.1",
        "ACTIONS_HOST": actions_host,
        "ACTION_ENDPOINT_URL": f"http://{actions_host}:{actions_port}/webhook",
        "RASA_API_TOKEN": made["rasa_api_token"],
        "ACTIONS_TOKEN": made["actions_token"],
        "REST_CHANNEL_TOKENS": f"local={made['rest_local_token']}",
        "TRACKER_DB_DIALECT": "sqlite",
        "TRACKER_DB_URL": "",
        "TRACKER_DB": str(var / "rasa_tracker.db"),
        "DATABASE_URL": f"sqlite:///{var / 'municipal.db'}",
        "RASA_MODEL": str(PROJECT_ROOT / "models"),
        # Production: RASA_ENDPOINTS=deploy/endpoints.prod.yml (PostgreSQL tracker, Redis lock store).
        "RASA_ENDPOINTS": "endpoints.yml",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        # No telemetry or error reports leave the municipality's server.
        "RASA_TELEMETRY_ENABLED": "false",
        # Sanic refuses (413) any larger request to Rasa, before reading it (channels/limits.py).
        SERVER_MAX_REQUEST_ENV: str(SERVER_MAX_REQUEST_BYTES),
    }
    # Channel settings referenced from credentials.yml: empty means "not configured".
    for key in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "WHATSAPP_PUBLIC_URL",
        "TWILIO_API_BASE_URL",
        "TELEGRAM_BOT_TOKENS",
        "TELEGRAM_WEBHOOK_SECRET",
        "TELEGRAM_API_BASE_URL",
    ):
        env.setdefault(key, "")
    for key, value in defaults.items():
        if not env.get(key):
            env[key] = value
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def action_server_command(env: Dict[str, str]) -> List[str]:
    """Command line of the action server (bot/app/action_server.py: localhost and a token)."""
    return [sys.executable, "-m", "bot.app.action_server", "--host", env["ACTIONS_HOST"], "--port", env["ACTIONS_PORT"]]


def web_server_command(env: Dict[str, str]) -> List[str]:
    """Command line of the web app: back-office API, staff console, notifications."""
    return [sys.executable, "-m", "bot", "web", "--host", env["WEB_HOST"], "--port", env["WEB_PORT"]]


def rasa_server_command(env: Dict[str, str]) -> List[str]:
    """Command line of the Rasa server (channels and HTTP API, always behind RASA_API_TOKEN).

    ``bot.app.rasa_server`` is ``rasa run`` with measured speed-ups (bot/rasa_internals/speedups.py).
    """
    return [
        # The token reaches Rasa through the environment (bot/app/rasa_server.py), not the process list.
        sys.executable,
        "-m",
        "bot.app.rasa_server",
        "run",
        "--enable-api",
        "--model",
        env["RASA_MODEL"],
        "--endpoints",
        env["RASA_ENDPOINTS"],
        "--credentials",
        "credentials.yml",
        "--interface",
        env["RASA_HOST"],
        "--port",
        env["RASA_PORT"],
    ]


def answers(url: str, timeout: float = 2) -> bool:
    """Whether ``url`` answers 200 within ``timeout`` seconds (``unix:<path>``: a Rasa worker's health)."""
    if url.startswith("unix:"):
        return read_health(Path(url[len("unix:") :]), timeout) is not None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    """Wait for ``url`` to answer 200; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"el proceso terminó antes de estar listo ({url})")
        if answers(url):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{url} no respondió en {timeout:.0f} s")


def stop(processes: List[subprocess.Popen]) -> None:
    """Ask each process to stop, then kill what did not stop in time."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare(env: Dict[str, str]) -> None:
    """Create our tables and load the catalogue into the database."""
    subprocess.run([sys.executable, "-m", "bot", "catalogue", "load"], env=env, cwd=PROJECT_ROOT, check=True)


@dataclass
class Child:
    """One supervised process: how to start it, where it answers, and its restart history."""

    name: str
    command: List[str]
    health_url: str
    start_timeout: float
    extra_env: Dict[str, str] = field(default_factory=dict)  # on top of the common environment
    process: Optional[subprocess.Popen] = None
    started_at: float = 0.0
    failures: int = 0  # consecutive deaths soon after starting: the backoff grows with them
    restart_at: Optional[float] = None
    answered_at: float = 0.0  # last time its health URL answered
    probed_at: float = 0.0

    def start(self, env: Dict[str, str]) -> None:
        self.process = subprocess.Popen(self.command, env={**env, **self.extra_env}, cwd=PROJECT_ROOT)
        self.started_at, self.restart_at, self.answered_at = time.monotonic(), None, 0.0

    def frozen(self, now: float, watchdog_seconds: float) -> bool:
        """Alive but not answering: for ``watchdog_seconds`` since it last answered, or never since its start."""
        if self.answered_at >= self.started_at:
            return now - self.answered_at > watchdog_seconds
        return now - self.started_at > self.start_timeout

    def backoff(self) -> float:
        """Seconds to wait before the next restart: 1, 2, 4… up to MAX_BACKOFF_SECONDS."""
        return min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, self.failures - 1))


def rasa_children(env: Dict[str, str]) -> List[Child]:
    """Rasa: one process answering on its port, or ``RASA_WORKERS`` sharing it, each with its health socket."""
    values = Settings.from_env(env)
    if values.rasa_workers == 1:
        return [Child(RASA_CHILD_NAME, rasa_server_command(env), f"http://{env['RASA_HOST']}:{env['RASA_PORT']}/", 300)]
    return [
        Child(
            f"{RASA_CHILD_NAME} {n}",
            rasa_server_command(env),
            f"unix:{health_socket(values.var_path, n)}",
            300,
            {"RASA_WORKER": str(n)},
        )
        for n in range(1, values.rasa_workers + 1)
    ]


def port_is_free(host: str, port: int) -> bool:
    """Whether nobody listens on ``host:port`` (workers share it with SO_REUSEPORT: a stale server must not)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections of a past run do not count
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def children_of(env: Dict[str, str]) -> List[Child]:
    """The action server (only with ``ACTIONS_IN_PROCESS=0``), the web process and Rasa, in start order."""
    actions = [
        Child(
            "action server",
            action_server_command(env),
            f"http://{env['ACTIONS_HOST']}:{env['ACTIONS_PORT']}/health",
            120,
        )
    ]
    return [
        *([] if Settings.from_env(env).actions_in_process else actions),
        Child("proceso web", web_server_command(env), f"http://{env['WEB_HOST']}:{env['WEB_PORT']}/health", 60),
        *rasa_children(env),
    ]


def watchdog_seconds() -> float:
    """How long a process may stop answering its health URL before it is killed and restarted."""
    return settings().watchdog_seconds


def supervise(children: List[Child], env: Dict[str, str], poll_seconds: float = 0.5) -> None:
    """Restart any child that dies, with backoff, while the others keep serving (until Ctrl-C).

    A child that is alive but stopped answering (a turn stuck in Rasa's event loop, say) for
    WATCHDOG_SECONDS is killed, and so restarted like one that died.
    """
    patience = watchdog_seconds()
    while True:
        now = time.monotonic()
        for child in children:
            assert child.process is not None
            code = child.process.poll()
            if code is None and child.restart_at is None and now - child.probed_at >= PROBE_SECONDS:
                child.probed_at = now
                if answers(child.health_url, PROBE_TIMEOUT_SECONDS):
                    child.answered_at = time.monotonic()
                elif child.frozen(time.monotonic(), patience):
                    print(
                        f"El {child.name} no responde hace más de {patience:.0f} s; se detiene y se reinicia.",
                        file=sys.stderr,
                        flush=True,
                    )
                    child.process.kill()
                    child.process.wait()
                    code = child.process.poll()
            if code is not None and child.restart_at is None:
                child.failures = 1 if now - child.started_at > STABLE_SECONDS else child.failures + 1
                child.restart_at = now + child.backoff()
                print(
                    f"El {child.name} terminó (código {code}); se reinicia en {child.backoff():.0f} s. "
                    "Los demás procesos siguen atendiendo.",
                    file=sys.stderr,
                    flush=True,
                )
            elif child.restart_at is not None and now >= child.restart_at:
                child.start(env)
                print(f"El {child.name} se reinició.", file=sys.stderr, flush=True)
        time.sleep(poll_seconds)


def run() -> int:
    """Run everything until Ctrl-C; a process that dies is restarted. Returns an exit code."""
    try:
        env = embedded_environment()
    except UnsafeSettings as exc:
        print(f"No se inicia el asistente: {exc}", file=sys.stderr)
        return 2
    if Settings.from_env(env).rasa_workers > 1 and not port_is_free(env["RASA_HOST"], int(env["RASA_PORT"])):
        print(f"No se inicia el asistente: el puerto {env['RASA_PORT']} de Rasa ya está en uso.", file=sys.stderr)
        return 2
    prepare(env)
    children = children_of(env)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        # Rasa calls the action server (if there is one) and the web process: it starts once they answer.
        services = [child for child in children if not child.name.startswith(RASA_CHILD_NAME)]
        rasa = [child for child in children if child.name.startswith(RASA_CHILD_NAME)]
        for group in (services, rasa):
            for child in group:
                child.start(env)
            for child in group:
                assert child.process is not None
                wait_until_up(child.health_url, child.process, timeout=child.start_timeout)
                child.answered_at = time.monotonic()
        print(
            "\nAsistente listo. Conversa con él en la terminal con: make shell   (Ctrl-C para detener)\n"
            f"API de la municipalidad y consola: http://{env['WEB_HOST']}:{env['WEB_PORT']}/\n",
            flush=True,
        )
        supervise(children, env)
        return 0
    except KeyboardInterrupt:
        print("\nDeteniendo el asistente…", file=sys.stderr)
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"No se pudo iniciar el asistente: {exc}", file=sys.stderr)
        return 1
    finally:
        stop([child.process for child in children if child.process is not None])
