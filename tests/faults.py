"""Fault injectors for tests: an HTTP proxy that can make the action server down or slow, and a
TCP proxy that can cut the database off and bring it back."""

from __future__ import annotations

import asyncio
import threading
from typing import Optional, Set

import aiohttp
from aiohttp import web

from bot.app.devtools.standins import free_port


class _LoopThread:
    """An asyncio loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


class ActionServerProxy(_LoopThread):
    """Forwards Rasa's action calls to the real action server; can answer 503 (down) or wait (slow)."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target.rstrip("/")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        self.mode = "up"
        self.delay = 0.0
        self.calls = 0
        self.run(self._start())

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()

    async def _forward(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.mode == "down":
            return web.Response(status=503, text="servidor de acciones caído (simulado)")
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        body = await request.read()
        kept = {name: request.headers[name] for name in ("Content-Type", "X-Actions-Token") if name in request.headers}
        async with aiohttp.ClientSession() as http:
            async with http.request(
                request.method, self.target + "/" + request.match_info["tail"], data=body, headers=kept
            ) as answer:
                return web.Response(status=answer.status, body=await answer.read(), content_type=answer.content_type)

    def down(self) -> None:
        self.mode = "down"

    def slow(self, seconds: float) -> None:
        self.mode, self.delay = "slow", seconds

    def up(self) -> None:
        self.mode = "up"


class TcpCutter(_LoopThread):
    """A TCP proxy (to PostgreSQL, say) whose connections can be cut and refused for a while."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__()
        self.host, self.target_port = host, port
        self.port = free_port()
        self.cut_off = False
        self._writers: Set[asyncio.StreamWriter] = set()
        self._server: Optional[asyncio.AbstractServer] = None
        self.run(self._start())

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                sink.close()
                self._writers.discard(sink)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        """Close every open connection and refuse new ones."""

        async def close_all() -> None:
            self.cut_off = True
            for writer in list(self._writers):
                writer.close()
            self._writers.clear()

        self.run(close_all())

    def restore(self) -> None:
        self.cut_off = False
