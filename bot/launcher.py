"""Starts the whole assistant: action server, web app and Rasa server, stopped together.

``python -m bot run`` prepares the database, loads the catalogue, starts the action
server and the web app (back-office API, notifications), waits until they answer,
then starts Rasa with its channels. Ctrl-C (or SIGTERM) stops them all; if one
dies, the others are stopped too.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from bot.config import PROJECT_ROOT, var_dir

STOP_TIMEOUT_SECONDS = 15


def embedded_environment(base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment with the embedded defaults filled in where unset."""
    env = dict(os.environ if base is None else base)
    var = Path(env.get("VAR_DIR") or var_dir())
    var.mkdir(parents=True, exist_ok=True)
    actions_port = env.setdefault("ACTIONS_PORT", "5055")
    defaults = {
        "WEB_PORT": "8080",
        "WEB_HOST": "127.0.0.1",
        "RASA_PORT": "5005",
        "RASA_HOST": "127.0.0.1",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
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
    }
    # Channel settings referenced from credentials.yml: empty means "not configured".
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "WHATSAPP_PUBLIC_URL", "TWILIO_API_BASE_URL",
                "TELEGRAM_BOT_TOKENS", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE_URL"):
        env.setdefault(key, "")
    for key, value in defaults.items():
        if not env.get(key):
            env[key] = value
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def action_server_command(env: Dict[str, str]) -> List[str]:
    """Command line of the action server."""
    return [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", env["ACTIONS_PORT"]]


def web_server_command(env: Dict[str, str]) -> List[str]:
    """Command line of the web app: back-office API, staff console, notifications."""
    return [sys.executable, "-m", "bot", "web", "--host", env["WEB_HOST"], "--port", env["WEB_PORT"]]


def rasa_server_command(env: Dict[str, str]) -> List[str]:
    """Command line of the Rasa server (REST channel and HTTP API).

    ``bot.rasa_server`` is ``rasa run`` with measured speed-ups (see that module).
    """
    command = [
        sys.executable, "-m", "bot.rasa_server", "run", "--enable-api",
        "--model", env["RASA_MODEL"], "--endpoints", env["RASA_ENDPOINTS"], "--credentials", "credentials.yml",
        "--interface", env["RASA_HOST"], "--port", env["RASA_PORT"],
    ]
    if env.get("RASA_API_TOKEN"):
        command += ["--auth-token", env["RASA_API_TOKEN"]]
    return command


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    """Wait for ``url`` to answer 200; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"el proceso terminó antes de estar listo ({url})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
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


def run() -> int:
    """Run everything until Ctrl-C or until a process dies; returns an exit code."""
    env = embedded_environment()
    prepare(env)
    processes: List[subprocess.Popen] = []
    stopping = {"signal": False}

    def on_signal(signum, _frame):
        stopping["signal"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        actions = subprocess.Popen(action_server_command(env), env=env, cwd=PROJECT_ROOT)
        processes.append(actions)
        web = subprocess.Popen(web_server_command(env), env=env, cwd=PROJECT_ROOT)
        processes.append(web)
        wait_until_up(f"http://127.0.0.1:{env['ACTIONS_PORT']}/health", actions, timeout=120)
        wait_until_up(f"http://{env['WEB_HOST']}:{env['WEB_PORT']}/health", web, timeout=60)
        rasa = subprocess.Popen(rasa_server_command(env), env=env, cwd=PROJECT_ROOT)
        processes.append(rasa)
        wait_until_up(f"http://{env['RASA_HOST']}:{env['RASA_PORT']}/", rasa, timeout=300)
        print(
            "\nAsistente listo. Escríbele por el canal REST:\n"
            f"  curl -s -XPOST http://{env['RASA_HOST']}:{env['RASA_PORT']}/webhooks/rest/webhook "
            "-d '{\"sender\": \"vecino-1\", \"message\": \"hola\"}'\n"
            "o en la terminal con: make shell   (Ctrl-C para detener)\n"
            f"API de la municipalidad y consola: http://{env['WEB_HOST']}:{env['WEB_PORT']}/\n",
            flush=True,
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("Un proceso del asistente terminó; deteniendo el resto.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nDeteniendo el asistente…", file=sys.stderr)
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"No se pudo iniciar el asistente: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(processes)
