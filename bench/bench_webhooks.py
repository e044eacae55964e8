"""Webhook benchmark: call end to webhook delivered (p50/p95), deliveries per minute with a healthy
receiver and with one failing half its requests, and lost events (must be zero).

Run: ``python bench/bench_webhooks.py [--events N]`` (results are recorded in docs/performance.md).
Everything is real: PostgreSQL (DATABASE_URL, else a throwaway embedded cluster with durability ON),
the production finalizer and dispatcher (``voicebot.runtime_outcomes``), and an aiohttp receiver on
127.0.0.1 that verifies every signature with the ``standardwebhooks`` package. Receiver, dispatcher and
the finalizing "calls" share one process and event loop (a conservative setup on a 2-core machine).
Goals: p50 < 500 ms; at least 1,000 deliveries per minute; zero lost.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicebot.dialogue.actions import CallFinished  # noqa: E402
from voicebot.outcomes import CallFacts, HostPolicy, RetrySchedule, WebhookSettings  # noqa: E402
from voicebot.runtime_outcomes import build_outcome_services  # noqa: E402
from voicebot.storage import Companies, EmbeddedPostgres, create_pool, migrate_url  # noqa: E402


class Receiver:
    def __init__(self, secret: str) -> None:
        self.webhook = Webhook(secret)
        self.fail_every_other = False
        self.requests = 0
        self.first_ok: dict[str, float] = {}
        self.duplicates = 0
        self.bad_signatures = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests += 1
        try:
            self.webhook.verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.bad_signatures += 1
            return web.Response(status=400)
        if self.fail_every_other and self.requests % 2 == 0:
            return web.Response(status=500)
        event_id = request.headers["webhook-id"]
        if event_id in self.first_ok:
            self.duplicates += 1
        else:
            self.first_ok[event_id] = time.monotonic()
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


def _finished() -> CallFinished:
    return CallFinished(
        outcome="lead",
        confidence=0.7,
        rule="rule[0]: filled('patient_name') and filled('appointment')",
        end_reason="caller_hangup",
        final_state="confirm",
        slots={"patient_name": "John Smith", "reason": "check-up", "phone": "+12125550123"},
    )


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _run(url: str, events: int) -> dict[str, Any]:
    pool = await create_pool(url, min_size=2, max_size=8)
    results: dict[str, Any] = {}
    try:
        new = await Companies(pool).create("Bench", webhook_url="http://placeholder.invalid/")
        receiver = Receiver(new.webhook_secret)
        await receiver.start()
        await pool.execute(
            "UPDATE companies SET webhook_url = $1 WHERE id = $2", receiver.url, new.company.id
        )
        bot_id = await pool.fetchval(
            "INSERT INTO bots (company_id, slug, name, phone_number, language) "
            "VALUES ($1, 'bench', 'Bench', '+15550009999', 'en') RETURNING id",
            new.company.id,
        )
        settings = WebhookSettings(
            schedule=RetrySchedule((0.05,) * 30, jitter=0.2),
            timeout=5.0,
            lease=30.0,
            allow=HostPolicy.parse("127.0.0.0/8"),
            poll_interval=0.05,
        )
        services = build_outcome_services(pool, settings)

        async def finalize() -> tuple[uuid.UUID, float]:
            t0 = time.monotonic()
            now = dt.datetime.now(dt.UTC)
            facts = CallFacts(call_id=uuid.uuid4(), bot_id=bot_id, started_at=now - dt.timedelta(minutes=2))
            result = await services.finalizer.finalize(_finished(), facts, ())
            return result.event_ids[0], t0

        # 1. Call end -> delivered, one call at a time with a running dispatcher.
        stop = asyncio.Event()
        task = asyncio.create_task(services.dispatcher().run(stop))
        ended: dict[str, float] = {}
        finalize_ms: list[float] = []
        for _ in range(200):
            event_id, t0 = await finalize()
            finalize_ms.append((time.monotonic() - t0) * 1000)
            ended[str(event_id)] = t0
            await asyncio.sleep(0.03)
        while not all(e in receiver.first_ok for e in ended):
            await asyncio.sleep(0.01)
        stop.set()
        await task
        latencies = [(receiver.first_ok[e] - t0) * 1000 for e, t0 in ended.items()]
        results["latency"] = {
            "calls": len(latencies),
            "p50_ms": statistics.median(latencies),
            "p95_ms": _pct(latencies, 95),
            "finalize_p50_ms": statistics.median(finalize_ms),
        }

        # 2. and 3. Throughput: a backlog of `events` drained by one dispatcher.
        for name, failing in (("healthy", False), ("half_failing", True)):
            receiver.fail_every_other = failing
            receiver.first_ok.clear()
            receiver.requests = 0
            t0 = time.monotonic()
            ids = [str((await finalize())[0]) for _ in range(events)]
            fill_s = time.monotonic() - t0
            dispatcher = services.dispatcher()
            stop = asyncio.Event()
            t1 = time.monotonic()
            task = asyncio.create_task(dispatcher.run(stop))
            deadline = t1 + 600
            while not all(e in receiver.first_ok for e in ids) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            drain_s = time.monotonic() - t1
            stop.set()
            await task
            statuses = await pool.fetch(
                """SELECT status, count(*) AS n FROM webhook_outbox
                   WHERE event_id = ANY($1::uuid[]) GROUP BY status""",
                [uuid.UUID(e) for e in ids],
            )
            results[name] = {
                "events": events,
                "finalizes_per_s": events / fill_s,
                "drain_s": drain_s,
                "deliveries_per_min": events / drain_s * 60,
                "requests": receiver.requests,
                "lost": sum(e not in receiver.first_ok for e in ids),
                "outbox": {r["status"]: r["n"] for r in statuses},
            }
        results["duplicates"] = receiver.duplicates
        results["bad_signatures"] = receiver.bad_signatures
        await services.aclose()
        await receiver.stop()
    finally:
        await pool.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="backlog size for the throughput runs")
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
        r = asyncio.run(_run(url, args.events))
    finally:
        if cluster is not None:
            cluster.destroy()
        if tmp is not None:
            tmp.cleanup()
    lat = r["latency"]
    print(
        f"call end -> delivered ({lat['calls']} calls): "
        f"p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms"
        f" (finalize transaction p50 {lat['finalize_p50_ms']:.1f} ms)"
    )
    for name in ("healthy", "half_failing"):
        x = r[name]
        print(
            f"{name}: {x['events']} events drained in {x['drain_s']:.1f} s = {x['deliveries_per_min']:.0f}"
            f" deliveries/min ({x['requests']} requests), lost {x['lost']}, outbox {x['outbox']};"
            f" finalize {x['finalizes_per_s']:.0f}/s"
        )
    print(f"duplicates seen by the receiver: {r['duplicates']}, bad signatures: {r['bad_signatures']}")


if __name__ == "__main__":
    main()
