"""Campaign creation at 100,000 numbers: validate, store (COPY), start (enqueue_many), against the
row-at-a-time way in the same run.

Run: ``python bench/bench_campaigns.py [--numbers N]`` (results in docs/performance.md).

* validate: CSV bytes -> checked rows (E.164 via phonenumbers, time zone per number, duplicates,
  do-not-call, window) with :func:`voicebot.campaigns.numbers.validate_numbers`;
* create: the campaign row and its numbers in one transaction (COPY into a staging table, one
  INSERT ... SELECT) vs the baseline: the same rows with ``executemany`` INSERTs in one transaction;
* start: every number's first attempt enqueued with ``JobQueue.enqueue_many`` (one statement) vs the
  baseline: ``JobQueue.enqueue`` one job at a time (measured on a fiftieth of the numbers, scaled).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.storage.helpers import mini_scenario  # noqa: E402
from voicebot.campaigns import CallingWindow, RetryPolicy  # noqa: E402
from voicebot.campaigns.spec import CampaignSpec  # noqa: E402
from voicebot.runtime_campaigns import CampaignService  # noqa: E402
from voicebot.scenario.loader import load_text  # noqa: E402
from voicebot.storage import Bots, Companies, EmbeddedPostgres, create_pool, migrate_url  # noqa: E402
from voicebot.storage.queue import JobQueue, JobSpec  # noqa: E402


def csv_of(n: int) -> bytes:
    lines = ["phone,timezone,first_name,order"]
    lines += [f"+4930{i:07d},Europe/Berlin,Name{i},{i}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


async def _run(url: str, n: int) -> dict[str, Any]:
    pool = await create_pool(url, min_size=1, max_size=4)
    try:
        created = await Companies(pool).create("Bench")
        company = created.company.id
        bot = (
            await Bots(pool).deploy(
                company, "+4930999000", load_text(mini_scenario(bot_id="bench"), "bench.yaml")
            )
        ).bot_id
        service = CampaignService(pool)
        spec = CampaignSpec(
            bot_id=bot,
            name="bench",
            window=CallingWindow(start=dt.time(0), end=dt.time.max),
            default_timezone="Europe/Berlin",
            policy=RetryPolicy(),
        )
        data = csv_of(n)
        out: dict[str, Any] = {"numbers": n, "csv_bytes": len(data)}

        from voicebot.campaigns.numbers import rows_from_csv, validate_numbers

        t = time.perf_counter()
        rows, lines, _ = rows_from_csv(data)
        checked = validate_numbers(rows, window=spec.window, now=dt.datetime.now(dt.UTC), lines=lines)
        out["validate_s"] = time.perf_counter() - t
        out["load_avg_1m"] = os.getloadavg()[0]
        assert checked.ok

        numbers = [_n(r) for r in checked.rows]
        t = time.perf_counter()
        info = await service.campaigns.create(company, _new(spec), numbers)
        out["store_copy_s"] = time.perf_counter() - t

        t = time.perf_counter()
        await service.start(company, info.id)
        out["start_enqueue_many_s"] = time.perf_counter() - t

        # Baselines, same database, same rows.
        other = await service.campaigns.create(company, _new(spec), numbers[:1])
        t = time.perf_counter()
        async with pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                """INSERT INTO campaign_numbers (campaign_id, phone_number, row_no, timezone, variables)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
                [(other.id, r.phone, r.row, r.timezone, r.variables) for r in checked.rows[1:]],
            )
        out["baseline_executemany_s"] = time.perf_counter() - t
        sample = max(1, n // 50)
        queue = JobQueue(pool)
        t = time.perf_counter()
        for r in checked.rows[:sample]:
            await queue.enqueue(
                "campaign_call",
                JobSpec(
                    payload={"campaign_id": str(other.id), "phone": r.phone, "attempt_no": 1},
                    key=f"{other.id}:{r.phone}:1",
                    group=str(other.id),
                ),
            )
        out["baseline_enqueue_one_by_one_s"] = (time.perf_counter() - t) * n / sample
        out["baseline_enqueue_sample"] = sample
        return out
    finally:
        await pool.close()


def _new(spec: CampaignSpec) -> Any:
    from voicebot.storage.repositories.campaigns import NewCampaign

    w = spec.window
    return NewCampaign(
        bot_id=spec.bot_id,
        name="baseline",
        window_start=w.start,
        window_end=w.end,
        window_days=w.days,
        starts_at=None,
        ends_at=None,
        default_timezone=spec.default_timezone,
        max_concurrent=5,
        max_attempts=3,
        retry_on=spec.policy.retry_on,
        retry_delays_s=spec.policy.delays,
    )


def _n(r: Any) -> Any:
    from voicebot.storage.repositories.campaigns import NewNumber

    return NewNumber(r.row, r.phone, r.timezone, r.variables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=100_000)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    url = os.environ.get("DATABASE_URL")
    cluster = None
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory(prefix="vb-bench-")
        cluster = EmbeddedPostgres(Path(tmp.name))  # durability on, like production
        url = cluster.start()
        asyncio.run(migrate_url(url))
    try:
        r = asyncio.run(_run(url, args.numbers))
    finally:
        if cluster is not None:
            cluster.destroy()
        if tmp is not None:
            tmp.cleanup()
    print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
