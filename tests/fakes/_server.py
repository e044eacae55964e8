"""The loopback aiohttp server every fake is built on.

A fake is an async context manager: entering binds 127.0.0.1 on a free port, exiting closes every open
websocket first and only then the runner. (aiohttp's ``runner.cleanup()`` waits for open websockets to
finish on their own, which the plugins' pooled connections never do: about 60 s of hang otherwise.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self

from aiohttp import WSCloseCode, web

HOST = "127.0.0.1"


class FakeServer:
    """Base class: subclasses add their routes in ``_routes`` and read ``base_url`` once started."""

    def __init__(self) -> None:
        self._app = web.Application()
        self._routes(self._app)
        self._runner: web.AppRunner | None = None
        self._websockets: set[web.WebSocketResponse] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self.port = 0

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (valid once started)."""
        if not self.port:
            raise RuntimeError(f"{type(self).__name__} is not started: use `async with` or start()")
        return f"http://{HOST}:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0)
        await site.start()
        server = site._server
        assert server is not None and isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._closing.set()
        for ws in list(self._websockets):
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _sleep(self, seconds: float) -> None:
        """Sleep in a request handler, cut short when the server closes (so shutdown never waits on it)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a background task owned by the server (cancelled on close)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
