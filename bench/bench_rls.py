"""What row-level security costs the admin API: the same routes with and without the tenant wrapper.

Two companies with 50,000 calls each (outcomes on 80 %, 3 transitions each), one call of 200 turns,
webhook events. Two apps share one pool: ``api_services_on(pool, rls=True)`` (the shipped path: every
statement in a transaction as ``voicebot_tenant`` for the request's company, under the policies of
sql/0015) and ``rls=False`` (the repositories on the bare pool, as before). Requests alternate between
the two apps, so both see the same cache and machine load; medians and p95 of RUNS requests each. The
last rows are the bare statement: ``SELECT 1`` through TenantPool against the pool itself.

    python3 bench/bench_rls.py            # DATABASE_URL, else a throwaway embedded cluster
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.storage.helpers import loaded  # noqa: E402
from voicebot.api import create_app  # noqa: E402
from voicebot.runtime_api import api_services_on  # noqa: E402
from voicebot.settings import Settings  # noqa: E402
from voicebot.storage import (  # noqa: E402
    Bots,
    Companies,
    EmbeddedPostgres,
    PostgresSink,
    Transition,
    Turn,
    create_pool,
    migrate_url,
)
from voicebot.storage.tenancy import TenantPool, company_scope  # noqa: E402

CALLS_PER_COMPANY = 50_000
TURNS = 200
RUNS = 60


async def _company(pool: Any, n: int) -> tuple[str, uuid.UUID, uuid.UUID, uuid.UUID]:
    """(API key, company, bot, the long call) of company ``n``."""
    created = await Companies(pool).create(f"Bench {n}", webhook_url="https://bench.example.com/hooks")
    company = created.company.id
    deployed = await Bots(pool).deploy(company, f"+1415555{n:04d}", loaded(bot_id="bench"))
    bot = deployed.bot_id
    await pool.execute(
        """INSERT INTO calls (id, bot_id, direction, caller_number, dialed_number, scenario_version_id,
                              status, started_at, ended_at, final_state, end_reason)
           SELECT gen_random_uuid(), $1, 'inbound', '+1312' || lpad((g % 10000000)::text, 7, '0'),
                  '+14155550000', $2, (ARRAY['completed','abandoned','transferred','failed'])[1 + g % 4],
                  now() - make_interval(secs => g * 30), now() - make_interval(secs => g * 30 - 40),
                  'done', 'completed'
           FROM generate_series(1, $3) g""",
        bot,
        deployed.version_id,
        CALLS_PER_COMPANY,
    )
    await pool.execute(
        """INSERT INTO outcomes (call_id, outcome_type, confidence, summary)
           SELECT c.id,
                  (ARRAY['finished','booking','callback','transfer'])[1 + (abs(hashtext(c.id::text)) % 4)],
                  1.0, 'ok'
           FROM calls c WHERE c.bot_id = $1 AND abs(hashtext(c.id::text)) % 5 <> 0""",
        bot,
    )
    await pool.execute(
        """INSERT INTO state_transitions (call_id, seq, from_state, to_state, trigger_type, at)
           SELECT c.id, g, CASE WHEN g = 0 THEN NULL ELSE 'ask' END,
                  CASE WHEN g = 2 THEN 'done' ELSE 'ask' END, 'intent', c.started_at
           FROM calls c, generate_series(0, 2) g WHERE c.bot_id = $1""",
        bot,
    )
    await pool.execute(
        """INSERT INTO webhook_outbox (company_id, event_type, payload, status, attempts)
           SELECT $1, 'call.completed', '{}', 'delivered', 1 FROM generate_series(1, 2000)""",
        company,
    )
    long_call = uuid.uuid4()
    await pool.execute(
        """INSERT INTO calls (id, bot_id, direction, status, started_at, ended_at, final_state)
           VALUES ($1, $2, 'inbound', 'completed', now(), now(), 'done')""",
        long_call,
        bot,
    )
    await pool.execute(
        """INSERT INTO turns (call_id, seq, role, text, state, e2e_ms, at)
           SELECT $1, g, CASE WHEN g % 2 = 0 THEN 'bot' ELSE 'caller' END,
                  'turn number ' || g || ' with a sentence of ordinary length', 'ask', 420, now()
           FROM generate_series(0, $2 - 1) g""",
        long_call,
        TURNS,
    )
    return created.api_key, company, bot, long_call


def _p95(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95) - 1]


async def _interleaved(
    with_rls: Callable[[], Awaitable[Any]], without: Callable[[], Awaitable[Any]]
) -> tuple[list[float], list[float]]:
    for _ in range(3):
        await with_rls()
        await without()
    a: list[float] = []
    b: list[float] = []
    for i in range(RUNS):
        pair = ((with_rls, a), (without, b)) if i % 2 == 0 else ((without, b), (with_rls, a))
        for fn, samples in pair:
            started = time.perf_counter()
            await fn()
            samples.append((time.perf_counter() - started) * 1000)
    return a, b


async def _run(url: str) -> list[tuple[str, list[float], list[float]]]:
    pool = await create_pool(url, min_size=4, max_size=4)
    try:
        key, company, bot, long_call = await _company(pool, 1)
        await _company(pool, 2)
        await pool.execute("ANALYZE")
        rows: list[tuple[str, list[float], list[float]]] = []
        with tempfile.TemporaryDirectory() as data:
            clients = []
            for rls in (True, False):
                services, _ = api_services_on(pool, Settings(data_dir=Path(data)), rls=rls)
                clients.append(
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=create_app(services)), base_url="http://b"
                    )
                )
            rls_client, plain_client = clients
            headers = {"Authorization": f"Bearer {key}"}
            deep = await pool.fetchrow(
                """SELECT started_at, id FROM calls WHERE bot_id = $1
                   ORDER BY started_at DESC, id DESC OFFSET 25000""",
                bot,
            )
            from voicebot.api.pagination import encode_cursor

            cursor = encode_cursor(deep["started_at"], deep["id"])
            routes: list[tuple[str, str, dict[str, str]]] = [
                ("GET /v1/bots", "/v1/bots", {}),
                ("GET /v1/calls (first page of 50)", "/v1/calls", {}),
                ("GET /v1/calls (page at row 25,000)", "/v1/calls", {"cursor": cursor}),
                ("GET /v1/calls?status=abandoned", "/v1/calls", {"status": "abandoned"}),
                (f"GET /v1/calls/{{id}} ({TURNS} turns)", f"/v1/calls/{long_call}", {}),
                ("GET /v1/analytics/outcomes (50,000 calls)", "/v1/analytics/outcomes", {}),
                ("GET funnel (50,000 calls, 150,000 transitions)", f"/v1/analytics/bots/{bot}/funnel", {}),
                ("GET /v1/webhook/events", "/v1/webhook/events", {}),
            ]
            try:
                for name, path, params in routes:

                    def get(
                        client: httpx.AsyncClient, path: str = path, params: dict[str, str] = params
                    ) -> Any:
                        async def call() -> None:
                            r = await client.get(path, params=params, headers=headers)
                            assert r.status_code == 200, r.text[:300]

                        return call

                    rows.append((name, *await _interleaved(get(rls_client), get(plain_client))))
            finally:
                for client in clients:
                    await client.aclose()
        tenant = TenantPool(pool)
        with company_scope(company):
            rows.append(
                (
                    "SELECT 1 (TenantPool vs pool)",
                    *await _interleaved(
                        lambda: tenant.fetchval("SELECT 1"), lambda: pool.fetchval("SELECT 1")
                    ),
                )
            )

            async def in_transaction(p: Any) -> None:
                async with p.acquire() as conn, conn.transaction():
                    for _ in range(5):
                        await conn.fetchval("SELECT 1")

            rows.append(
                (
                    "transaction of 5 statements",
                    *await _interleaved(lambda: in_transaction(tenant), lambda: in_transaction(pool)),
                )
            )
        rows.append(await _recorder_batches(pool, bot))
        return rows
    finally:
        await pool.close()


# The recorder's two INSERTs as they were before sql/0015 (no company_id label): the baseline.
_MAIN_TURNS = """
INSERT INTO turns (call_id, seq, role, text, state, interrupted, stt_ms, engine_ms, llm_ms, tts_ms, e2e_ms,
                   metadata, at)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::real[],
                     $8::real[], $9::real[], $10::real[], $11::real[], $12::jsonb[], $13::timestamptz[])
ON CONFLICT (call_id, seq) DO NOTHING"""
_MAIN_TRANSITIONS = """
INSERT INTO state_transitions (call_id, seq, from_state, to_state, trigger_type, trigger_data, latency_ms,
                               turn_seq, at)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::real[],
                     $8::int[], $9::timestamptz[])
ON CONFLICT (call_id, seq) DO NOTHING"""


async def _recorder_batches(pool: Any, bot: uuid.UUID) -> tuple[str, list[float], list[float]]:
    """The recorder's write of one batch (1,000 turns + 1,000 transitions of 50 calls, as the owner):
    this branch's sink (labels company_id in a join) against the statements before sql/0015 with the
    label trigger disabled (as if the column did not exist)."""
    from voicebot.storage import sink as sink_module

    sink = PostgresSink(pool)
    ours = sink_module._STATEMENTS
    main = tuple(
        (kind, _MAIN_TURNS if kind is Turn else _MAIN_TRANSITIONS if kind is Transition else sql)
        for kind, sql in ours
    )

    def batch() -> tuple[list[uuid.UUID], list[Any]]:
        calls = [uuid.uuid4() for _ in range(50)]
        records: list[Any] = []
        for call in calls:
            for seq in range(20):
                records.append(Turn(call, seq, "caller", "tomorrow at three", state="ask", e2e_ms=640.0))
                records.append(Transition(call, seq, "ask", "confirm", "intent", {"intent": "x"}, 0.1, seq))
        return calls, records

    samples: dict[bool, list[float]] = {True: [], False: []}

    async def write(labelled: bool) -> None:
        calls, records = batch()
        await pool.execute(
            """INSERT INTO calls (id, bot_id, direction, started_at)
               SELECT unnest($1::uuid[]), $2, 'inbound', now()""",
            calls,
            bot,
        )
        if not labelled:
            sink_module._STATEMENTS = main
            for table in ("turns", "state_transitions"):
                await pool.execute(f"ALTER TABLE {table} DISABLE TRIGGER company_of_call")
        try:
            started = time.perf_counter()
            refused = await sink.write(records)
            samples[labelled].append((time.perf_counter() - started) * 1000)
            assert not refused
        finally:
            if not labelled:
                sink_module._STATEMENTS = ours
                for table in ("turns", "state_transitions"):
                    await pool.execute(f"ALTER TABLE {table} ENABLE TRIGGER company_of_call")

    for i in range(2 * RUNS // 3):
        await write(i % 2 == 0)
        await write(i % 2 == 1)
    return (
        "recorder batch, 1,000 turns + 1,000 transitions (labelled vs before)",
        samples[True],
        samples[False],
    )


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    url = os.environ.get("DATABASE_URL")
    cluster = None
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory(prefix="vb-bench-")
        cluster = EmbeddedPostgres(Path(tmp.name))
        url = cluster.start()
        asyncio.run(migrate_url(url))
    try:
        rows = asyncio.run(_run(url))
    finally:
        if cluster is not None:
            cluster.destroy()
        if tmp is not None:
            tmp.cleanup()
    print(f"2 companies x {CALLS_PER_COMPANY:,} calls; {RUNS} requests each way, interleaved")
    print("| request | RLS median | RLS p95 | no RLS median | no RLS p95 | median difference |")
    print("|---|---|---|---|---|---|")
    for name, a, b in rows:
        ma, mb = statistics.median(a), statistics.median(b)
        figures = f"{ma:.2f} ms | {_p95(a):.2f} ms | {mb:.2f} ms | {_p95(b):.2f} ms"
        print(f"| {name} | {figures} | {ma - mb:+.2f} ms |")


if __name__ == "__main__":
    main()
