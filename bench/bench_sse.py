"""Live events benchmark: N idle SSE clients on one ``voicebot api`` process.

    python bench/bench_sse.py [--clients 1000]

The API runs as its own process (``python -m voicebot api``, the production entry point) on a throwaway
embedded cluster (or DATABASE_URL); the clients are httpx streams in this process, so the server's
memory and file descriptors are read from /proc/<pid> without the clients in them. Measured:

* opening N company streams (connect, authenticate, first byte), 100 at a time;
* server RSS and open fds before, with N clients open, and after they all closed (and its
  ``voicebot_sse_clients`` gauge from /metrics), over ``--rounds`` cycles: the allocator keeps freed
  memory, so a leak shows as RSS growing from one cycle's end to the next;
* fan-out: a call is inserted (its call.started event committed) and the time until each of the N
  clients has it (client-side, all clients on one event loop: an upper bound).

Results are recorded in docs/performance.md ("Live events").
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.database import bench_server, fresh_database  # noqa: E402
from voicebot.storage import create_pool  # noqa: E402


def _proc(pid: int) -> tuple[float, int]:
    """(RSS in MiB, open fds) of process ``pid``."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


async def _gauge(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("voicebot_sse_clients{")
    )


async def _seed(url: str) -> tuple[str, uuid.UUID]:
    from voicebot.storage import Bots, Companies

    sys.path.insert(0, str(ROOT))
    from tests.storage.helpers import loaded

    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        created = await Companies(pool).create("Bench")
        deployed = await Bots(pool).deploy(created.company.id, "+14155550100", loaded())
        return created.api_key, deployed.bot_id
    finally:
        await pool.close()


async def _first_event(response: httpx.Response, lines: Any) -> float:
    async for line in lines:
        if line.startswith("data:"):
            return time.perf_counter()
    raise AssertionError("the stream ended")


async def _cycle(
    client: httpx.AsyncClient, pid: int, url: str, key: str, bot_id: uuid.UUID, clients: int, round_no: int
) -> None:
    """Open ``clients`` company streams, fan one event out to them, close them all; print figures."""
    headers = {"Authorization": f"Bearer {key}"}
    async with AsyncExitStack() as stack:
        started = time.perf_counter()
        streams: list[tuple[httpx.Response, Any]] = []

        async def open_one() -> tuple[httpx.Response, Any]:
            response = await stack.enter_async_context(client.stream("GET", "/v1/events", headers=headers))
            assert response.status_code == 200, response.status_code
            lines = response.aiter_lines()
            assert (await anext(lines)).startswith("retry:")
            return response, lines

        for chunk in range(0, clients, 100):
            streams += await asyncio.gather(*(open_one() for _ in range(min(100, clients - chunk))))
        opened = time.perf_counter() - started
        await asyncio.sleep(1.0)
        rss1, fds1 = _proc(pid)
        gauge_open = await _gauge(client)
        pool = await create_pool(url, min_size=1, max_size=1)
        waiting = [asyncio.create_task(_first_event(r, lines)) for r, lines in streams]
        await asyncio.sleep(0.2)
        t0 = time.perf_counter()
        await pool.execute(
            "INSERT INTO calls (id, bot_id, direction, started_at) VALUES ($1, $2, 'inbound', $3)",
            uuid.uuid4(),
            bot_id,
            dt.datetime.now(dt.UTC),
        )
        arrivals = sorted(t - t0 for t in await asyncio.gather(*waiting))
        await pool.close()
    closed_at = time.perf_counter()
    while await _gauge(client) > 0 and time.perf_counter() - closed_at < 30:
        await asyncio.sleep(0.1)
    closed = time.perf_counter() - closed_at
    await asyncio.sleep(1.0)
    rss2, fds2 = _proc(pid)
    gauge_after = await _gauge(client)
    q = statistics.quantiles(arrivals, n=100)
    print(f"round {round_no}: {clients} company streams")
    print(f"  open {clients}: {opened:.2f} s ({opened / clients * 1000:.2f} ms per client, 100 at a time)")
    print(
        f"  server with {clients} open: RSS {rss1:.1f} MiB, {fds1} fds, voicebot_sse_clients {gauge_open:.0f}"
    )
    print(
        f"  fan-out of one call.started to all: p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, "
        f"last {arrivals[-1] * 1000:.1f} ms"
    )
    print(
        f"  after all closed: RSS {rss2:.1f} MiB, {fds2} fds, voicebot_sse_clients {gauge_after:.0f} "
        f"(0 after {closed:.2f} s)",
        flush=True,
    )


async def run(url: str, clients: int, rounds: int, tmp: Path) -> None:
    key, bot_id = await _seed(url)
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "VOICEBOT_SSE_KEEPALIVE_S": "5",
        "VOICEBOT_SSE_MAX_CLIENTS": str(clients + 10),
        "VOICEBOT_DATA_DIR": str(tmp / "data"),
        "VOICEBOT_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "voicebot", "api", "--port", str(port)], env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=clients + 20, max_keepalive_connections=0)
    try:
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
            for _ in range(200):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)
            rss0, fds0 = _proc(server.pid)
            print(f"server before any client: RSS {rss0:.1f} MiB, {fds0} fds", flush=True)
            for round_no in range(1, rounds + 1):
                await _cycle(client, server.pid, url, key, bot_id, clients, round_no)
    finally:
        server.terminate()
        server.wait(30)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="open/close cycles (a leak grows per cycle)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_server(args.database_url, Path(tmp)) as admin, fresh_database(admin) as url:
            await run(url, args.clients, args.rounds, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
