"""Recorder benchmark: turn rows per second into Postgres, and the caller's cost of handing a turn over.

    python bench/bench_recorder.py [--calls 200] [--turns 500] [--batch 2000]

Uses DATABASE_URL when set (a scratch database is created and dropped), otherwise a throwaway embedded
cluster with normal durability (fsync on). Results are recorded in docs/performance.md ("Recorder").

* Throughput: ``calls`` concurrent calls each record ``turns`` turns (one Turn row each, plus a
  CallStarted and CallEnded) as fast as the event loop allows; the clock runs from the first record to
  the moment every row is committed (``Recorder.flush``).
* Caller's path: per turn, what the engine driver does on the event loop: build a Turn, a Transition, a
  SlotFilled and a Checkpoint and ``record()`` them; timed per turn with perf_counter_ns.

The calls belong to a company's bot, so the live-event triggers of migration 0016 (call_events) fire on
every row. ``--rounds N`` alternates, in the same run, a database with those triggers dropped (the
baseline: the recorder as before live events) and one with them, N times each.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.database import bench_server, fresh_database
from voicebot.storage import (
    CallEnded,
    CallStarted,
    Checkpoint,
    Journal,
    NullRecorderMetrics,
    PostgresSink,
    Recorder,
    SlotFilled,
    Transition,
    Turn,
    create_pool,
)


class Spills(NullRecorderMetrics):
    spilled_n = 0

    def spilled(self, records: int) -> None:
        self.spilled_n += records


_EVENT_TRIGGERS = (
    ("call_events_calls_inserted", "calls"),
    ("call_events_calls_ended", "calls"),
    ("call_events_calls_deleted", "calls"),
    ("call_events_turns", "turns"),
    ("call_events_transitions", "state_transitions"),
    ("call_events_slots", "extracted_slots"),
    ("call_events_actions", "call_actions"),
)


async def seed_bot(url: str, *, events: bool) -> uuid.UUID:
    """A company and its bot (the calls' owner); with ``events=False`` the call_events triggers dropped."""
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        company = await pool.fetchval(
            """INSERT INTO companies (name, api_key_hash, api_key_prefix, webhook_secret)
               VALUES ('Bench', md5(random()::text), 'vbk_bench', 'whsec_bench') RETURNING id"""
        )
        bot: uuid.UUID = await pool.fetchval(
            """INSERT INTO bots (company_id, slug, name, phone_number, language)
               VALUES ($1, 'bench', 'Bench', '+14155550100', 'en') RETURNING id""",
            company,
        )
        if not events:
            for trigger, table in _EVENT_TRIGGERS:
                await pool.execute(f"DROP TRIGGER {trigger} ON {table}")
        return bot
    finally:
        await pool.close()


async def throughput(
    url: str, journal: Path, calls: int, turns: int, batch: int, bot: uuid.UUID | None = None
) -> float:
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
        recorder.record(CallStarted(call_id, bot, "inbound", "+14155550111", "+14155550100", None))
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


async def caller_path(url: str, journal: Path, turns: int, bot: uuid.UUID | None = None) -> list[float]:
    pool = await create_pool(url, min_size=1, max_size=2)
    recorder = Recorder(sink=PostgresSink(pool), journal=Journal(journal))
    await recorder.start()
    call_id = uuid.uuid4()
    recorder.record(CallStarted(call_id, bot, "inbound", "+14155550111", "+14155550100", None))
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


async def one_round(
    admin: str, tmp: Path, args: argparse.Namespace, *, events: bool
) -> tuple[float, list[float]]:
    tag = uuid.uuid4().hex[:6]
    async with fresh_database(admin) as url:
        bot = await seed_bot(url, events=events)
        rate = await throughput(url, tmp / f"j1{tag}", args.calls, args.turns, args.batch, bot)
        samples = await caller_path(url, tmp / f"j2{tag}", 20_000, bot)
        return rate, samples


def _report(label: str, rate: float, samples: list[float], args: argparse.Namespace) -> None:
    q = statistics.quantiles(samples, n=100)
    print(
        f"{label}: {args.calls * args.turns} turn rows, {rate:,.0f} turn rows/s (batch {args.batch}); "
        f"caller's path per turn (4 records): mean {statistics.fmean(samples):.1f} us, "
        f"p50 {q[49]:.1f} us, p99 {q[98]:.1f} us, max {max(samples):.1f} us",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2, help="baseline/with-events pairs, alternated")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_server(args.database_url, Path(tmp)) as admin:
            for _ in range(args.rounds):
                for events in (False, True):
                    rate, samples = await one_round(admin, Path(tmp), args, events=events)
                    _report(
                        "with live-event triggers" if events else "baseline (no triggers)",
                        rate,
                        samples,
                        args,
                    )


if __name__ == "__main__":
    asyncio.run(main())
