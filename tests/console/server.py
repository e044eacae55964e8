"""The real API app (with the console) served by uvicorn on loopback, in a thread with its own event
loop, so a synchronous browser driver can talk to it while tests seed data through ``run``."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from voicebot.api import create_app
from voicebot.knowledge import MiniLMEmbedder
from voicebot.runtime_api import api_services_on
from voicebot.settings import Settings
from voicebot.storage.pool import create_pool

T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ConsoleServer:
    def __init__(self, database_url: str, data_dir: Path, embedder: MiniLMEmbedder) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        self.embedder = embedder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.pool: Any = None
        self._server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=self._main, name="console-server", daemon=True)
        self._ready = threading.Event()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self.pool = await create_pool(self.database_url, min_size=1, max_size=4)
        services, _ = api_services_on(self.pool, Settings(data_dir=self.data_dir), embedder=self.embedder)
        app = create_app(services)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._ready.set()
        try:
            await self._server.serve()
        finally:
            await self.pool.close()

    def start(self) -> ConsoleServer:
        self._thread.start()
        self._ready.wait(30)
        for _ in range(300):
            if self._server is not None and self._server.started:
                return self
            threading.Event().wait(0.05)
        raise RuntimeError("the console server did not start")

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run ``coro`` on the server's loop (where its pool lives) and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(20)
