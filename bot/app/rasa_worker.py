"""One of the ``RASA_WORKERS`` Rasa processes serving the same public port (``python -m bot run``).

With ``RASA_WORKERS`` > 1 the launcher starts that many ``bot.app.rasa_server`` processes, each
with ``RASA_WORKER`` = 1…N. Each binds RASA_HOST:RASA_PORT with ``SO_REUSEPORT``: the kernel
spreads new connections over the workers listening (a dead worker's share goes to the others
until it is back; a worker listens only once its model is loaded). A worker closes each
connection after its response, so requests, not just the connections a client keeps, are spread.

Each answers its own health on a Unix socket, VAR_DIR/run/rasa-worker-<n>.sock (a shorter path
under the temporary folder if that one is too long for a Unix socket), from its event loop, so
the launcher probes, and restarts, each worker on its own (a frozen loop does not answer). The
health tells the worker's number, pid and how many messages it handled per channel.

The workers share the conversations safely: the inbox and Rasa lock each conversation in files
under VAR_DIR (bot/storage/file_locks.py) or in Redis, and the tracker store revalidates the
trackers it caches (bot/storage/tracker_store.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import os
import socket
import tempfile
from functools import partial
from pathlib import Path
from typing import Any, Dict, Optional

MAX_SOCKET_PATH = 100  # bytes; Linux takes 107


def health_socket(var: Path, worker: int) -> Path:
    """Where worker ``worker`` answers its health: under ``var``, or under the temporary folder when
    that path is too long for a Unix socket (108 bytes)."""
    path = Path(var).resolve() / "run" / f"rasa-worker-{worker}.sock"
    if len(str(path).encode()) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.blake2b(str(path.parent).encode(), digest_size=6).hexdigest()
    return Path(tempfile.gettempdir()) / f"asistente-{digest}" / path.name


def bind_shared(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that the other workers can bind too (``SO_REUSEPORT``).

    Not listening yet: Sanic listens once the model is loaded, so the kernel sends no connection
    to a worker that is still starting (they would wait in its queue for the whole load).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def serve_on_shared_port(worker: int, var: Path) -> None:
    """Make the ``app.run`` of ``rasa run`` listen on the shared port and answer this worker's health."""
    from sanic import Sanic

    original = Sanic.run

    def run(app: Any, host: Optional[str] = None, port: Optional[int] = None, **options: Any) -> Any:
        options["sock"] = bind_shared(host or "127.0.0.1", int(port or 5005))
        app.register_middleware(_close_after_response, "request")
        app.register_listener(partial(_start_health, worker, health_socket(var, worker)), "after_server_start")
        return original(app, **options)

    Sanic.run = run  # type: ignore[method-assign,assignment]  # Sanic 21.12: the socket reaches app.run only here


async def _close_after_response(request: Any) -> None:
    """``Connection: close``: a webhook is handled by the worker that accepted it, so each request
    gets a new connection and the kernel spreads requests, not just the connections a client keeps
    (Sanic 21.12 ignores its ``KEEP_ALIVE`` setting; ``request.stream`` is the connection's ``Http``)."""
    request.stream.keep_alive = False


def health(worker: int) -> Dict[str, Any]:
    """What the health socket answers: this worker's number, pid and messages handled per channel."""
    from channels.inbox import HANDLED

    return {"worker": worker, "pid": os.getpid(), "handled": dict(HANDLED)}


async def _start_health(worker: int, path: Path, app: Any, _loop: Any) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            body = json.dumps(health(worker)).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # left by this worker's previous process
    app.ctx.worker_health = await asyncio.start_unix_server(answer, path=str(path))
    os.chmod(path, 0o600)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def read_health(path: Path, timeout: float = 2) -> Optional[Dict[str, Any]]:
    """The health a worker answers on ``path``, or ``None`` when it does not answer in time."""
    connection = _UnixConnection(path, timeout)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        return json.loads(response.read()) if response.status == 200 else None
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection.close()
