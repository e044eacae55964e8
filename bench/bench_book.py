"""Built-in appointment book benchmark: bookings per second through the whole ``book.reserve`` action,
beside a bare asyncpg INSERT of the same appointments row, interleaved in one run.

    python bench/bench_book.py [--rounds 6] [--per-round 400] [--concurrency 16] [--race 50]

Uses --database-url (a scratch database is created and dropped), otherwise a throwaway embedded cluster
with normal durability (fsync on). Results are recorded in docs/performance.md ("Appointment book").

* book: ``BookRunner.run(ActionCall(kind="book.reserve"))`` per booking: the bot's resources, the calendar
  grid, the seats in use, the insert in a savepoint (the exclusion constraint checked), the booking read
  back, in one transaction; each on its own free slot, ``concurrency`` at a time.
* bare: one ``INSERT INTO appointments`` of the same columns (same table, same constraint and indexes)
  per booking on another resource, ``concurrency`` at a time: the floor of any booking.
* Rounds alternate book / bare so machine noise hits both; the median round rate is reported.
* alone: 200 bookings one at a time (interleaved book / bare): the latency one caller waits.
* race: ``race`` callers booking the same slot at once (capacity 1): time until every one has an answer.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.database import bench_server, fresh_database
from voicebot.actions.book import ActionCall, AppointmentBook, BookRunner, Hours
from voicebot.outcomes import new_confirmation_code
from voicebot.scenario.loader import load_text
from voicebot.storage import Bots, Companies, create_pool
from voicebot.storage.repositories.book import Book

SCENARIO = """\
version: 1
bot: {id: bench, name: Bench, language: en, greeting: "Hello."}
start: done
states:
  done: {say: "Bye.", end: true, outcome: done}
"""
BASE = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

_BARE = """
INSERT INTO appointments (bot_id, resource_id, starts_at, ends_at, seat, party_size, appointment_date,
                          appointment_time, confirmation_code, idempotency_key, metadata)
VALUES ($1, $2, $3, $4, 1, 1, $5, $6, $7, $8, '{}')"""


async def _pooled(limit: int, jobs: list[Any]) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(j) for j in jobs))


async def run(url: str, rounds: int, per_round: int, concurrency: int, race: int) -> None:
    pool = await create_pool(url, min_size=concurrency, max_size=max(concurrency, race))
    created = await Companies(pool).create("Bench")
    company = created.company.id
    bot = (await Bots(pool).deploy(company, "+14155550142", load_text(SCENARIO, "bench.yaml"))).bot_id
    store = Book(pool)
    await store.add_resource(company, bot, name="book", slot_minutes=30)
    bare_res = await store.add_resource(company, bot, name="bare", slot_minutes=30)
    race_res = await store.add_resource(company, bot, name="race", slot_minutes=30)

    async def hours(_: uuid.UUID) -> Hours:
        return Hours(None, "UTC")

    runner = BookRunner(book=AppointmentBook(store=store, hours=hours, clock=lambda: BASE))
    slot = iter(range(10**7))

    def book_job() -> Any:
        start = BASE + dt.timedelta(minutes=30 * next(slot))

        async def job() -> None:
            result = await runner.run(
                ActionCall(
                    "r",
                    "book.reserve",
                    {"datetime": start.isoformat(), "resource": "book"},
                    None,
                    company,
                    bot,
                    str(uuid.uuid4()),
                    30.0,
                )
            )
            assert result.status == "ok", result

        return job

    def bare_job() -> Any:
        start = BASE + dt.timedelta(minutes=30 * next(slot))

        async def job() -> None:
            await pool.execute(
                _BARE,
                bot,
                bare_res.id,
                start,
                start + dt.timedelta(minutes=30),
                start.date(),
                start.time(),
                new_confirmation_code(),
                str(uuid.uuid4()),
            )

        return job

    rates: dict[str, list[float]] = {"book": [], "bare": []}
    await _pooled(concurrency, [book_job() for _ in range(50)] + [bare_job() for _ in range(50)])  # warm-up
    for _ in range(rounds):
        for name, make in (("book", book_job), ("bare", bare_job)):
            jobs = [make() for _ in range(per_round)]
            started = time.perf_counter()
            await _pooled(concurrency, jobs)
            rates[name].append(per_round / (time.perf_counter() - started))
    for name, values in rates.items():
        print(
            f"{name}: median {statistics.median(values):,.0f} bookings/s "
            f"(rounds: {', '.join(f'{v:,.0f}' for v in values)}), concurrency {concurrency}"
        )
    ratio = statistics.median(rates["book"]) / statistics.median(rates["bare"])
    print(f"book / bare: {ratio:.2f}")

    latency: dict[str, list[float]] = {"book": [], "bare": []}
    for _ in range(200):  # one at a time, interleaved: what one caller waits
        for name, make in (("book", book_job), ("bare", bare_job)):
            job = make()
            started = time.perf_counter()
            await job()
            latency[name].append((time.perf_counter() - started) * 1000)
    for name, values in latency.items():
        q = statistics.quantiles(values, n=100)
        print(f"{name} alone: p50 {q[49]:.2f} ms, p99 {q[98]:.2f} ms")

    racers = [
        ActionCall(
            "r",
            "book.reserve",
            {"datetime": "2031-01-01T10:00", "resource": "race"},
            None,
            company,
            bot,
            str(uuid.uuid4()),
            30.0,
        )
        for _ in range(race)
    ]
    started = time.perf_counter()
    results = await asyncio.gather(*(runner.run(c) for c in racers))
    elapsed = (time.perf_counter() - started) * 1000
    won = sum(r.status == "ok" for r in results)
    offered = all(r.data.get("alternatives") for r in results if r.status != "ok")
    print(
        f"race: {race} callers for one slot: {won} booked, {race - won} taken with alternatives={offered}, "
        f"all answered in {elapsed:.0f} ms"
    )
    assert won == race_res.capacity
    await pool.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--race", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_server(args.database_url, Path(tmp)) as admin, fresh_database(admin) as url:
            await run(url, args.rounds, args.per_round, args.concurrency, args.race)


if __name__ == "__main__":
    asyncio.run(main())
