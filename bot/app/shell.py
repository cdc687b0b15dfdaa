"""Chat with the assistant in the terminal, through the REST channel.

Buttons are shown numbered; typing the number sends that button's payload. If no
assistant answers at the URL, one is started for the session and stopped at exit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional

from bot.app.launcher import UnsafeSettings, answers, embedded_environment, stop, wait_until_up
from bot.config import PROJECT_ROOT, var_dir
from channels.rest import parse_tokens

REQUEST_TIMEOUT_SECONDS = 60


def send_message(url: str, token: str, sender: str, text: str) -> List[Dict[str, Any]]:
    """POST one message to the REST channel as the integration of ``token``; returns the assistant's messages."""
    body = {"sender": sender, "message": text}
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
        return json.loads(response.read().decode() or "[]")


def _print(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    buttons: List[Dict[str, Any]] = []
    for message in messages:
        if message.get("text"):
            print(f"\nAsistente: {message['text']}")
        for button in message.get("buttons") or []:
            buttons.append(button)
            print(f"  {len(buttons)}. {button['title']}")
    return buttons


def rest_token(env: Dict[str, str]) -> str:
    """The REST token the shell uses: the ``local`` integration's, else the first one."""
    tokens = parse_tokens(env.get("REST_CHANNEL_TOKENS", ""))
    local = [token for token, integration in tokens.items() if integration.name == "local"]
    return (local or list(tokens) or [""])[0]


def chat(url: Optional[str], sender: str) -> int:
    """Interactive loop until Ctrl-D, Ctrl-C or "/salir"."""
    try:
        env = embedded_environment()
    except UnsafeSettings as exc:
        print(f"No se puede conversar: {exc}", file=sys.stderr)
        return 2
    token = rest_token(env)
    if not token:
        print(
            "El canal REST está apagado (REST_CHANNEL_TOKENS=off): no hay cómo conversar en la terminal.",
            file=sys.stderr,
        )
        return 1
    base = f"http://{env['RASA_HOST']}:{env['RASA_PORT']}/"
    url = url or base + "webhooks/rest/webhook"
    started: Optional[subprocess.Popen] = None
    if not answers(base):
        log = open(var_dir() / "assistant.log", "a", encoding="utf-8")
        print("Iniciando el asistente (registro en var/assistant.log)…")
        started = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until_up(base, started, timeout=400)
        except (RuntimeError, TimeoutError) as exc:
            print(f"No se pudo iniciar el asistente: {exc}", file=sys.stderr)
            stop([started])
            return 1
    print("Escribe tu mensaje (Ctrl-D o /salir para terminar). Para elegir comuna: «soy de Angol».")
    buttons: List[Dict[str, Any]] = []
    try:
        while True:
            try:
                text = input("\nTú: ").strip()
            except EOFError:
                break
            if text in ("/salir", "/exit"):
                break
            if not text:
                continue
            if text.isascii() and text.isdigit() and len(text) <= 3 and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            try:
                buttons = _print(send_message(url, token, sender, text))
            except (urllib.error.URLError, OSError) as exc:
                print(f"(sin respuesta del asistente: {exc})", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        if started is not None:
            stop([started])
    return 0
