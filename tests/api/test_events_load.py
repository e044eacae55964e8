"""1,000 idle SSE clients on one API process: all served, all get a live event, and once they leave the
process holds no more streams, subscriptions or file descriptors than before.

Timings and memory: bench/bench_sse.py (docs/performance.md)."""

from __future__ import annotations

import asyncio
import os
import uuid
from contextlib import AsyncExitStack, suppress
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import REGISTRY

from tests.api.seed import tenant
from tests.api.sse import Reader, recorder_on, serving, wait_for
from voicebot.api.event_hub import EventStreamSettings
from voicebot.storage import CallStarted, Turn

CLIENTS = 1000
ON_THE_CALL = 100  # the rest follow the company's stream


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _fd_targets() -> list[str]:
    out = []
    for fd in os.listdir("/proc/self/fd"):
        with suppress(OSError):
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
    return sorted(out)


async def test_a_thousand_idle_clients_are_served_and_leave_nothing_behind(
    db_pool: Any, tmp_path: Path, embedder: Any
) -> None:
    a = await tenant(db_pool, "Alpha", "+14155550100")
    recorder = recorder_on(db_pool, tmp_path)
    await recorder.start()
    call_id = uuid.uuid4()
    recorder.record(CallStarted(call_id, a.bot_id, "inbound", "+12125550123", "+14155550100", None))
    assert await recorder.flush()
    settings = EventStreamSettings(keepalive=2.0, max_clients=CLIENTS)
    async with serving(db_pool, tmp_path, embedder, settings=settings) as served:
        async with httpx.AsyncClient(base_url=served.url, headers=a.headers) as warm:
            # The pool opens its connections under load: open them all before counting.
            await asyncio.gather(*(warm.get("/v1/bots") for _ in range(16)))
        fds_before, targets_before = _fds(), _fd_targets()
        limits = httpx.Limits(max_connections=CLIENTS + 10, max_keepalive_connections=0)
        async with (
            httpx.AsyncClient(base_url=served.url, headers=a.headers, limits=limits, timeout=60) as client,
            AsyncExitStack() as stack,
        ):

            async def open_one(i: int) -> Reader:
                path = f"/v1/calls/{call_id}/events" if i < ON_THE_CALL else "/v1/events"
                response = await stack.enter_async_context(client.stream("GET", path))
                assert response.status_code == 200
                return Reader(response)

            readers = []
            for chunk in range(0, CLIENTS, 100):
                readers += await asyncio.gather(*(open_one(i) for i in range(chunk, chunk + 100)))
            assert served.hub.clients == CLIENTS
            # One more is refused, with its reason.
            refused = await client.get("/v1/events")
            assert refused.status_code == 503
            # The call's followers have its start (replayed); then one live event reaches everyone.
            on_call = await asyncio.gather(*(r.next() for r in readers[:ON_THE_CALL]))
            assert {e.kind for e in on_call if e} == {"call.started"}
            recorder.record(Turn(call_id, 0, "caller", "hello"))
            other = uuid.uuid4()
            recorder.record(CallStarted(other, a.bot_id, "inbound", "+12125550124", "+14155550100", None))
            assert await recorder.flush()
            got = await asyncio.gather(*(r.next(timeout=30) for r in readers))
            assert [e.kind for e in got if e] == ["turn"] * ON_THE_CALL + ["call.started"] * (
                CLIENTS - ON_THE_CALL
            )
            assert {e.data["call_id"] for e in got[ON_THE_CALL:] if e} == {str(other)}
        # Every client closed its stream.
        await wait_for(lambda: served.hub.clients == 0, timeout=20, what="every stream to close")
        assert served.hub._by_call == {} and served.hub._by_company == {}
        for stream in ("call", "company"):
            assert REGISTRY.get_sample_value("voicebot_sse_clients", {"stream": stream}) == 0
        try:
            await wait_for(lambda: _fds() <= fds_before + 2, timeout=10, what="the sockets to be closed")
        except AssertionError:
            left = sorted(set(_fd_targets()) - set(targets_before))
            raise AssertionError(f"{_fds() - fds_before} more fds than before: {left[:20]}") from None
    await recorder.aclose()
