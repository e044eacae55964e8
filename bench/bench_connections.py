"""Postgres connections at N concurrent calls: each call in its own process, direct vs behind PgBouncer.

Run: ``python bench/bench_connections.py [--calls 10 25 50] [--turns 40] [--pool 10]`` (results in
docs/performance.md). Needs ``pgbouncer`` (scripts/install-test-deps.sh installs Debian's).

Each call is a forked process (LiveKit runs one call per process) that opens its pool the way a call's
process does (``Database.open(lazy=True, max_size=2)``, statement cache off) and records a call through
the real recorder: ``--turns`` turns, one every ``--gap-ms``, each a turn, a transition, a slot and a
checkpoint. The processes start together (a barrier). A watcher on another database samples
``pg_stat_activity`` for the peak of client connections to the call database. Rows are counted after each
run (nothing may be lost). The two set-ups alternate for each N, so both see the same machine.
Reported: peak connections, the recorder's write time per batch (p50 / p99 over every process), and the
whole run's wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.storage.helpers import loaded  # noqa: E402
from tests.storage.pgbouncer import CONNECTIONS, PgBouncer  # noqa: E402
from tests.storage.recording import call_records, counts  # noqa: E402
from voicebot.settings import Settings  # noqa: E402
from voicebot.storage import (  # noqa: E402
    Bots,
    Companies,
    Database,
    EmbeddedPostgres,
    Journal,
    PostgresSink,
    Recorder,
    create_pool,
)


class WriteTimes:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    def written(self, records: int, seconds: float) -> None:
        self.seconds.append(seconds)

    def spilled(self, records: int) -> None: ...
    def replayed(self, records: int) -> None: ...
    def rejected(self, records: int) -> None: ...
    def unavailable(self) -> None: ...


def _call_process(
    url: str, bot_id: str, turns: int, gap_ms: float, data_dir: str, barrier: Any, out: Any
) -> None:
    async def main() -> list[float]:
        settings = Settings.from_env(
            {"DATABASE_URL": url, "VOICEBOT_DATA_DIR": data_dir, "VOICEBOT_DB_STATEMENT_CACHE_SIZE": "0"}
        )
        db = await Database.open(settings, max_size=2, lazy=True)
        times = WriteTimes()
        recorder = Recorder(
            sink=PostgresSink(db.pool), journal=Journal(Path(data_dir) / "journal"), metrics=times
        )
        try:
            async with recorder:
                for record in call_records(uuid.uuid4(), uuid.UUID(bot_id), turns):
                    recorder.record(record)
                    if type(record).__name__ == "Checkpoint":
                        await asyncio.sleep(gap_ms / 1000)
                assert await recorder.flush()
        finally:
            await db.close()
        return times.seconds

    barrier.wait()
    out.put(asyncio.run(main()))


async def _peak(admin_url: str, dbname: str, stop: asyncio.Event) -> int:
    admin = await create_pool(admin_url, min_size=1, max_size=1)
    peak = 0
    try:
        while not stop.is_set():
            peak = max(peak, int(await admin.fetchval(CONNECTIONS, dbname)))
            await asyncio.sleep(0.005)
    finally:
        await admin.close()
    return peak


async def _run(url: str, direct_url: str, bot_id: str, n: int, args: argparse.Namespace) -> dict[str, float]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(n + 1)
    out = ctx.Queue()
    tmp = Path(tempfile.mkdtemp(prefix="vb-conn-"))
    procs = [
        ctx.Process(
            target=_call_process, args=(url, bot_id, args.turns, args.gap_ms, str(tmp / str(i)), barrier, out)
        )
        for i in range(n)
    ]
    for p in procs:
        p.start()
    dbname = direct_url.rsplit("/", 1)[1]
    stop = asyncio.Event()
    watcher = asyncio.create_task(_peak(direct_url.rsplit("/", 1)[0] + "/postgres", dbname, stop))
    await asyncio.sleep(0.2)
    await asyncio.to_thread(barrier.wait)
    started = time.perf_counter()
    writes: list[float] = []
    for _ in range(n):
        writes.extend(await asyncio.to_thread(out.get, True, 300))
    wall = time.perf_counter() - started
    stop.set()
    peak = await watcher
    for p in procs:
        p.join(30)
    writes.sort()
    return {
        "peak": peak,
        "p50_ms": statistics.median(writes) * 1000,
        "p99_ms": writes[int(len(writes) * 0.99)] * 1000,
        "wall_s": wall,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--gap-ms", type=float, default=25.0)
    parser.add_argument("--pool", type=int, default=10, help="PgBouncer's default_pool_size")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    cluster = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="vb-conn-pg-")), fast=True)
    url = cluster.start()
    try:
        settings = Settings.from_env({"DATABASE_URL": url, "VOICEBOT_DATA_DIR": tempfile.mkdtemp()})
        db = await Database.open(settings, auto_migrate=True)
        company = await Companies(db.pool).create("Bench", webhook_url="https://hooks.example.com/x")
        bot = await Bots(db.pool).deploy(company.company.id, "+14155550100", loaded())
        bot_id = str(bot.bot_id)
        print(
            f"{'calls':>5} {'set-up':<22} {'peak conns':>10} {'write p50':>10} {'write p99':>10} {'wall':>7}"
        )
        with PgBouncer(url, pool_size=args.pool, max_client_conn=4 * max(args.calls)) as bouncer:
            for n in args.calls:
                for r in range(args.rounds):
                    order = [("direct", url), (f"PgBouncer pool {args.pool}", bouncer.url)]
                    for name, target in order if r % 2 == 0 else order[::-1]:
                        await db.pool.execute("TRUNCATE calls CASCADE")
                        res = await _run(target, url, bot_id, n, args)
                        rows = await counts(db.pool)
                        assert rows["calls"] == n and rows["turns"] == n * args.turns, rows
                        print(
                            f"{n:>5} {name:<22} {res['peak'] - 1:>10.0f} {res['p50_ms']:>8.2f}ms "
                            f"{res['p99_ms']:>8.2f}ms {res['wall_s']:>6.2f}s",
                            flush=True,
                        )
        await db.close()
    finally:
        cluster.destroy()


if __name__ == "__main__":
    asyncio.run(main())
