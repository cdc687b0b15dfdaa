"""Local stand-ins of the Twilio and Telegram HTTP APIs, for tests and the benchmark.

They run an aiohttp server in a thread of their own, record every request (with its
arrival time, ``time.monotonic()``, under ``"received_at"``), answer like the real
APIs, and can be told to fail the next requests (429, 500...) or to hang past the
caller's timeout. Listeners added with
``on_record`` are called, in the stand-in's thread, with every recorded request.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import socket
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from aiohttp import BasicAuth, web

HANG = -1  # a "failure" that hangs instead of answering at once


# Under pytest-xdist each worker (PYTEST_XDIST_WORKER=gw0, gw1...) takes its ports from a block of
# its own, below the kernel's ephemeral range (32768 and up on Linux).
WORKER_PORTS_FROM = 20_000
WORKER_BLOCK = 1_000
WORKER_BLOCKS = 12
_given: Set[int] = set()
_given_lock = threading.Lock()


def _wanted_ports() -> Iterator[int]:
    """Ports to try: this xdist worker's block (from a random point), then whatever the kernel gives."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit():
        first = WORKER_PORTS_FROM + int(worker[2:]) % WORKER_BLOCKS * WORKER_BLOCK
        offset = random.randrange(WORKER_BLOCK)
        for step in range(WORKER_BLOCK):
            yield first + (offset + step) % WORKER_BLOCK
    while True:
        yield 0


def free_port() -> int:
    """A free TCP port on the loopback interface, never one this process handed out before.

    The port is only free when asked: whoever gets it binds it later. So it is never given twice
    here, and two pytest-xdist workers (each starting whole assistants) take theirs from separate
    blocks outside the ephemeral range, where neither the other worker nor an outgoing connection
    can be handed it meanwhile.
    """
    with _given_lock:
        for wanted in _wanted_ports():
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", wanted))
                except OSError:
                    continue
                port = sock.getsockname()[1]
            if port not in _given:
                _given.add(port)
                return port
    raise RuntimeError("no free port")  # pragma: no cover - the kernel always has one


class StandIn:
    """Base: an aiohttp app served on 127.0.0.1 from a background thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: List[Dict[str, Any]] = []
        self.failures: List[int] = []
        self.hang_seconds = 0.0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._started = threading.Event()
        self._listeners: List[Callable[[Dict[str, Any]], None]] = []

    def app(self) -> web.Application:  # pragma: no cover - abstract
        raise NotImplementedError

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self.app())
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._started.set()
        self._loop.run_forever()

    def start(self) -> "StandIn":
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)

    def on_record(self, listener: Callable[[Dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``listener(entry)`` for every request recorded from now on; returns how to stop it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def record(self, entry: Dict[str, Any]) -> None:
        entry.setdefault("received_at", time.monotonic())
        with self._lock:
            self.requests.append(entry)
        for listener in self._listeners:
            listener(entry)

    def next_failure(self) -> Optional[int]:
        with self._lock:
            return self.failures.pop(0) if self.failures else None

    def hang_next(self, count: int, seconds: float) -> None:
        """The next ``count`` requests hang ``seconds`` (past the caller's timeout) and are not delivered."""
        with self._lock:
            self.hang_seconds = seconds
            self.failures.extend([HANG] * count)

    async def failure_status(self) -> Optional[int]:
        """The HTTP status of a simulated failure for this request, after hanging if told to; ``None``: none."""
        failure = self.next_failure()
        if failure == HANG:
            await asyncio.sleep(self.hang_seconds)
            return 504
        return failure

    def fail_next(self, *statuses: int) -> None:
        """The next requests get these HTTP statuses, in order."""
        with self._lock:
            self.failures.extend(statuses)

    def matching(self, predicate: Callable[[Dict[str, Any]], bool]) -> List[Dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if predicate(r)]

    def wait_for(
        self, predicate: Callable[[Dict[str, Any]], bool], count: int = 1, timeout: float = 60
    ) -> List[Dict[str, Any]]:
        """Wait until ``count`` recorded requests satisfy ``predicate``; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(
            f"solo {len(self.matching(predicate))} de {count} solicitudes esperadas; registradas: {self.requests[-5:]}"
        )


class TwilioStandIn(StandIn):
    """Twilio's Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json; and the media of incoming
    messages: GET /2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media} with the account's Basic
    credentials answers a redirect to the file (as Twilio does), served without credentials."""

    def __init__(self, account_sid: str = "ACprueba", auth_token: str = "token-de-prueba-twilio") -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.account_sid, self.auth_token = account_sid, auth_token
        self.media: Dict[str, Tuple[bytes, str]] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create_message)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media}", self.media_redirect)
        app.router.add_get("/archivos/{media}", self.media_file)
        return app

    def add_media(self, content: bytes, content_type: str) -> str:
        """Keep a file as the media of an incoming message; returns its ``MediaUrl``."""
        media = f"ME{next(self._ids):032d}"
        with self._lock:
            self.media[media] = (content, content_type)
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages/MM{media[2:]}/Media/{media}"

    async def media_redirect(self, request: web.Request) -> web.StreamResponse:
        expected = BasicAuth(self.account_sid, self.auth_token).encode()
        failure = await self.failure_status()
        if failure:
            self.record({"failed": failure, "media": request.match_info["media"]})
            return web.json_response({"code": 20500, "message": "falla simulada", "status": failure}, status=failure)
        self.record({"media": request.match_info["media"], "authorization": request.headers.get("Authorization")})
        if request.headers.get("Authorization") != expected or request.match_info["sid"] != self.account_sid:
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        if request.match_info["media"] not in self.media:
            return web.json_response({"code": 20404, "message": "not found", "status": 404}, status=404)
        # To another origin, as Twilio's redirect to its file storage: the credentials must not follow.
        raise web.HTTPTemporaryRedirect(f"http://localhost:{self.port}/archivos/{request.match_info['media']}")

    async def media_file(self, request: web.Request) -> web.StreamResponse:
        self.record({"file": request.match_info["media"], "authorization": request.headers.get("Authorization")})
        found = self.media.get(request.match_info["media"])
        if found is None:
            raise web.HTTPNotFound()
        return web.Response(body=found[0], content_type=found[1])

    async def create_message(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        failure = await self.failure_status()
        if failure:
            self.record({"failed": failure, **form})
            return web.json_response(
                {"code": 20000 + failure, "message": "falla simulada", "status": failure}, status=failure
            )
        sid = f"SM{next(self._ids):032d}"
        self.record({"sid": sid, "account": request.match_info["sid"], **form})
        return web.json_response(
            {"sid": sid, "status": "queued", "body": form.get("Body"), "from": form.get("From"), "to": form.get("To")},
            status=201,
        )

    def bodies_to(self, citizen: str) -> List[str]:
        """Bodies delivered to a citizen's WhatsApp, in order."""
        return [r["Body"] for r in self.matching(lambda r: r.get("To") == f"whatsapp:{citizen}" and "sid" in r)]


class TelegramStandIn(StandIn):
    """The Telegram Bot API: POST /bot{token}/{method}."""

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.pending_updates: Dict[str, List[Dict[str, Any]]] = {}
        self.files: Dict[str, Tuple[str, bytes, str]] = {}  # file_id -> (token, content, content type)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.call)
        app.router.add_get("/file/bot{token}/{path:.+}", self.file)
        return app

    def add_file(self, token: str, content: bytes, content_type: str) -> str:
        """Keep a file that a chat of the bot with ``token`` sent; returns its ``file_id``."""
        file_id = f"file-{next(self._ids)}"
        with self._lock:
            self.files[file_id] = (token, content, content_type)
        return file_id

    async def file(self, request: web.Request) -> web.StreamResponse:
        """GET /file/bot{token}/{file_path}: the download link ``getFile`` gave."""
        token, path = request.match_info["token"], request.match_info["path"]
        self.record({"token": token, "file_path": path})
        found = self.files.get(path.split("/", 1)[-1])
        if found is None or found[0] != token:
            raise web.HTTPNotFound()
        return web.Response(body=found[1], content_type=found[2])

    async def call(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: v for k, v in (await request.post()).items()}
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        failure = await self.failure_status()
        if failure:
            self.record({"failed": failure, "token": token, "method": method, **params})
            return web.json_response(
                {"ok": False, "error_code": failure, "description": "falla simulada"}, status=failure
            )
        self.record({"token": token, "method": method, **params})
        if method in ("sendMessage", "sendDocument"):
            result: Any = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text"),
            }
            if method == "sendDocument":
                result.update(document={"file_id": "f1", "file_unique_id": "u1"}, caption=params.get("caption"))
        elif method == "getUpdates":
            with self._lock:
                result = self.pending_updates.pop(token, [])
        elif method == "getFile":
            found = self.files.get(str(params.get("file_id")))
            if found is None or found[0] != token:
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}, status=400
                )
            result = {
                "file_id": params["file_id"],
                "file_unique_id": f"u-{params['file_id']}",
                "file_size": len(found[1]),
                "file_path": f"documents/{params['file_id']}",
            }
        elif method == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "Asistente", "username": "AsistenteBot"}
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    def sent(self, chat_id: int, token: Optional[str] = None) -> List[Dict[str, Any]]:
        """sendMessage calls to a chat, in order."""
        return self.matching(
            lambda r: (
                r.get("method") == "sendMessage"
                and str(r.get("chat_id")) == str(chat_id)
                and (token is None or r["token"] == token)
            )
        )
