"""Helpers of the live event tests: the real app under uvicorn on loopback, and an SSE reader.

``serving(pool, ...)`` runs uvicorn in the test's own event loop (so the test can look at the hub) and
stops it as ``voicebot api`` does: open streams are ended first, then the server and its lifespan.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from voicebot.api import ApiServices, create_app
from voicebot.api.event_hub import EventHub, EventStreamSettings
from voicebot.runtime_api import api_services_on
from voicebot.settings import Settings
from voicebot.storage import Journal, PostgresSink, Recorder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    services: ApiServices
    server: uvicorn.Server

    @property
    def hub(self) -> EventHub:
        assert self.services.events is not None
        return self.services.events


@asynccontextmanager
async def serving(
    pool: Any,
    data_dir: Path,
    embedder: Any,
    *,
    settings: EventStreamSettings | None = None,
    events_url: str | None = None,
) -> AsyncIterator[Served]:
    services, _ = api_services_on(
        pool,
        Settings(data_dir=data_dir),
        embedder=embedder,
        events_url=events_url,
        event_settings=settings or EventStreamSettings(keepalive=0.5),
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(services), host="127.0.0.1", port=port, log_level="warning", backlog=4096
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), task.exception()
        await asyncio.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", services, server)
    finally:
        assert services.events is not None
        services.events.end_streams()
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@dataclass
class Event:
    id: int
    kind: str
    data: dict[str, Any]


@dataclass
class Reader:
    """Reads SSE messages off a streaming httpx response."""

    response: httpx.Response
    comments: list[str] = field(default_factory=list)
    retry: int | None = None
    _lines: AsyncIterator[str] | None = None

    async def next(self, timeout: float = 10.0) -> Event | None:
        """The next event; None when the stream ended."""
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> Event | None:
        if self._lines is None:
            self._lines = self.response.aiter_lines()
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line == "":
                if "data" in fields:
                    return Event(int(fields["id"]), fields["event"], json.loads(fields["data"]))
                fields = {}
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "retry":
                self.retry = int(value)
            else:
                fields[name] = value
        return None

    async def take(self, n: int, timeout: float = 10.0) -> list[Event]:
        out = []
        for _ in range(n):
            event = await self.next(timeout)
            assert event is not None, f"the stream ended after {len(out)} of {n} events"
            out.append(event)
        return out

    async def rest(self, timeout: float = 10.0) -> list[Event]:
        """Every event until the stream ends by itself."""
        out = []
        while (event := await self.next(timeout)) is not None:
            out.append(event)
        return out


def recorder_on(pool: Any, tmp: Path) -> Recorder:
    return Recorder(sink=PostgresSink(pool), journal=Journal(tmp / f"journal-{uuid.uuid4().hex[:6]}"))


async def wait_for(predicate: Any, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)
