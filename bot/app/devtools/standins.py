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
import socket
import threading
import time
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

HANG = -1  # a "failure" that hangs instead of answering at once


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    """Twilio's Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json, and the files of incoming
    messages (``add_media``) at GET /2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media},
    with the account's Basic credentials (401 without)."""

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self.media: Dict[str, tuple] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create_message)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media}", self.get_media)
        return app

    def add_media(self, data: bytes, content_type: str = "audio/ogg", account: str = "ACprueba") -> str:
        """Serve ``data`` as an incoming message's file; returns its ``MediaUrl0``."""
        media = f"ME{next(self._ids):032d}"
        with self._lock:
            self.media[media] = (data, content_type)
        return f"{self.url}/2010-04-01/Accounts/{account}/Messages/MM{media[2:]}/Media/{media}"

    async def get_media(self, request: web.Request) -> web.Response:
        self.record({"media": request.match_info["media"], "authorized": bool(request.headers.get("Authorization"))})
        if not request.headers.get("Authorization", "").startswith("Basic "):
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        found = self.media.get(request.match_info["media"])
        if found is None:
            return web.json_response({"code": 20404, "message": "not found"}, status=404)
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
        self.files: Dict[str, bytes] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.call)
        app.router.add_get("/file/bot{token}/voice/{file_id}.oga", self.get_file)
        return app

    def add_file(self, data: bytes) -> str:
        """Keep ``data`` as a file users sent (a voice note); returns its ``file_id``."""
        file_id = f"voz{next(self._ids)}"
        with self._lock:
            self.files[file_id] = data
        return file_id

    async def get_file(self, request: web.Request) -> web.Response:
        self.record({"token": request.match_info["token"], "download": request.match_info["file_id"]})
        data = self.files.get(request.match_info["file_id"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

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
        elif method == "getFile" and params.get("file_id") in self.files:
            file_id = params["file_id"]
            result = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"voice/{file_id}.oga",
            }
        elif method == "getFile":
            return web.json_response({"ok": False, "error_code": 400, "description": "file not found"}, status=400)
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
