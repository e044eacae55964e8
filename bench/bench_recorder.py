"""Recorder benchmark: turn rows per second into Postgres, and the caller's cost of handing a turn over.

    python bench/bench_recorder.py [--calls 200] [--turns 500] [--batch 2000]

Uses DATABASE_URL when set (a scratch database is created and dropped), otherwise a throwaway embedded
cluster with normal durability (fsync on). Results are recorded in docs/performance.md ("Recorder").

* Throughput: ``calls`` concurrent calls each record ``turns`` turns (one Turn row each, plus a
  CallStarted and CallEnded) as fast as the event loop allows; the clock runs from the first record to
  the moment every row is committed (``Recorder.flush``).
* Caller's path: per turn, what the engine driver does on the event loop: build a Turn, a Transition, a
  SlotFilled and a Checkpoint and ``record()`` them; timed per turn with perf_counter_ns.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voicebot.storage import (
    CallEnded,
    CallStarted,
    Checkpoint,
    EmbeddedPostgres,
    Journal,
    NullRecorderMetrics,
    PostgresSink,
    Recorder,
    SlotFilled,
    Transition,
    Turn,
    create_pool,
    migrate_url,
)


class Spills(NullRecorderMetrics):
    spilled_n = 0

    def spilled(self, records: int) -> None:
        self.spilled_n += records


async def throughput(url: str, journal: Path, calls: int, turns: int, batch: int) -> float:
    pool = await create_pool(url, min_size=1, max_size=2)
    metrics = Spills()
    recorder = Recorder(
        sink=PostgresSink(pool),
        journal=Journal(journal),
        batch_max=batch,
        buffer_max=batch * 4,
        metrics=metrics,
    )
    await recorder.start()
    ids = [uuid.uuid4() for _ in range(calls)]
    started = time.perf_counter()
    for call_id in ids:
        recorder.record(CallStarted(call_id, None, "inbound", "+14155550111", "+14155550100", None))
    for seq in range(turns):
        for call_id in ids:
            recorder.record(
                Turn(call_id, seq, "caller", "I would like a manicure tomorrow at three", state="ask")
            )
        # Offer load as fast as the recorder absorbs it without spilling: that is its sustained rate.
        await asyncio.sleep(0)
        while recorder.buffered > 2 * batch:
            await asyncio.sleep(0.001)
    now = dt.datetime.now(dt.UTC)
    for call_id in ids:
        recorder.record(CallEnded(call_id, now, "completed", "done", "hangup"))
    assert await recorder.flush(timeout=600)
    elapsed = time.perf_counter() - started
    await recorder.aclose()
    rows = await pool.fetchval("SELECT count(*) FROM turns")
    await pool.close()
    assert rows == calls * turns, (rows, calls * turns)
    assert metrics.spilled_n == 0, f"{metrics.spilled_n} records spilled: not a sustained rate"
    return rows / elapsed


async def caller_path(url: str, journal: Path, turns: int) -> list[float]:
    pool = await create_pool(url, min_size=1, max_size=2)
    recorder = Recorder(sink=PostgresSink(pool), journal=Journal(journal))
    await recorder.start()
    call_id = uuid.uuid4()
    recorder.record(CallStarted(call_id, None, "inbound", "+14155550111", "+14155550100", None))
    samples: list[float] = []
    for seq in range(turns):
        t0 = time.perf_counter_ns()
        recorder.record(
            Turn(call_id, seq, "caller", "tomorrow at three", state="ask_time", stt_ms=180.0, e2e_ms=640.0)
        )
        recorder.record(
            Transition(call_id, seq, "ask_time", "confirm", "intent", {"intent": "time"}, 0.1, seq)
        )
        recorder.record(SlotFilled(call_id, seq, "time", "15:00", 0.92, "regex", True, seq))
        recorder.record(Checkpoint(call_id, seq, "confirm", {"time": "15:00"}, {"ask_time": 0}))
        samples.append((time.perf_counter_ns() - t0) / 1000)
        if seq % 50 == 0:
            await asyncio.sleep(0)
    await recorder.aclose()
    await pool.close()
    return samples


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cluster = None
        admin = args.database_url
        if admin is None:
            cluster = EmbeddedPostgres(Path(tmp) / "data")
            admin = cluster.start()
        pool = await create_pool(admin)
        name = f"vb_bench_{uuid.uuid4().hex[:8]}"
        await pool.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(urlsplit(admin)._replace(path="/" + name))
        try:
            await migrate_url(url)
            rate = await throughput(url, Path(tmp) / "j1", args.calls, args.turns, args.batch)
            print(
                f"throughput: {args.calls * args.turns} turn rows, {rate:,.0f} turn rows/s "
                f"(batch {args.batch})"
            )
            samples = await caller_path(url, Path(tmp) / "j2", 20_000)
            q = statistics.quantiles(samples, n=100)
            print(
                f"caller's path per turn (4 records): mean {statistics.fmean(samples):.1f} us, "
                f"p50 {q[49]:.1f} us, p99 {q[98]:.1f} us, max {max(samples):.1f} us"
            )
        finally:
            await pool.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await pool.close()
            if cluster is not None:
                cluster.destroy()


if __name__ == "__main__":
    asyncio.run(main())
