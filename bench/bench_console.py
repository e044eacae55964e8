"""The company console's pages against the raw queries behind them, in the same run.

A company with 100,000 calls (two bots, outcomes on 80 %) and one call of 200 turns. Each console page
is requested through the real app (create_app with the console, in-process ASGI, signed in with a
session cookie); its server time is the request's wall time. The baseline is the repository query the
page is built on (CallHistory.list / CallHistory.get) and the admin API's JSON for the same data.

    python3 bench/bench_console.py            # DATABASE_URL, else a throwaway embedded cluster
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
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

from voicebot.api import create_app  # noqa: E402
from voicebot.runtime_api import api_services_on  # noqa: E402
from voicebot.scenario import load_text  # noqa: E402
from voicebot.settings import Settings  # noqa: E402
from voicebot.storage import Bots, Companies, EmbeddedPostgres, create_pool, migrate_url  # noqa: E402
from voicebot.storage.repositories.call_history import CallFilters, CallHistory  # noqa: E402

CALLS = 100_000
TURNS = 200
RUNS = 30
SCENARIO = """\
version: 1
bot:
  id: {slug}
  name: Bench {slug}
  language: en
  greeting: "Hello."
start: ask
states:
  ask:
    say: "Do you want a callback?"
    transitions:
      - intent: "yes"
        to: done
      - fallback: true
        to: done
  done:
    say: "Goodbye."
    outcome: finished
    end: true
"""


async def _seed(pool: Any) -> tuple[Any, list[uuid.UUID], uuid.UUID]:
    created = await Companies(pool).create("Bench", webhook_url="https://bench.example.com/hooks")
    company = created.company.id
    bots = []
    for i, slug in enumerate(("alpha", "beta")):
        scenario = load_text(SCENARIO.format(slug=slug))
        deployed = await Bots(pool).deploy(company, f"+1415555{i:04d}", scenario)
        bots.append(deployed.bot_id)
    await pool.execute(
        """INSERT INTO calls (id, bot_id, direction, caller_number, dialed_number, scenario_version_id,
                              status, started_at, ended_at, final_state, end_reason)
           SELECT gen_random_uuid(), (ARRAY[$1::uuid, $2::uuid])[1 + g % 2], 'inbound',
                  '+1312' || lpad((g % 10000000)::text, 7, '0'), '+14155550000',
                  (SELECT current_version_id FROM bots WHERE id = (ARRAY[$1::uuid, $2::uuid])[1 + g % 2]),
                  (ARRAY['completed','abandoned','transferred','failed'])[1 + g % 4],
                  now() - make_interval(secs => g * 30), now() - make_interval(secs => g * 30 - 40),
                  'done', 'completed'
           FROM generate_series(1, $3) g""",
        bots[0],
        bots[1],
        CALLS,
    )
    await pool.execute(
        """INSERT INTO outcomes (call_id, outcome_type, confidence, summary)
           SELECT id, (ARRAY['finished','booking','callback','transfer'])[1 + (abs(hashtext(id::text)) % 4)],
                  1.0, 'ok'
           FROM calls WHERE abs(hashtext(id::text)) % 5 <> 0"""
    )
    long_call = uuid.uuid4()
    await pool.execute(
        """INSERT INTO calls (id, bot_id, direction, caller_number, dialed_number, status, started_at,
                              ended_at, final_state, end_reason)
           VALUES ($1, $2, 'inbound', '+13125550000', '+14155550000', 'completed', now(), now(), 'done',
                   'completed')""",
        long_call,
        bots[0],
    )
    await pool.execute(
        """INSERT INTO turns (call_id, seq, role, text, state, stt_ms, engine_ms, tts_ms, e2e_ms, metadata,
                              at)
           SELECT $1, g, CASE WHEN g % 2 = 0 THEN 'bot' ELSE 'caller' END,
                  'turn number ' || g || ' with a sentence of ordinary length <b>for</b> the page',
                  'ask', 120, 3, 180, 420,
                  CASE WHEN g % 10 = 0 THEN '{"source": ["knowledge"], "chunks": ["doc:1", "doc:2"]}'::jsonb
                       ELSE '{"source": ["template"]}'::jsonb END,
                  now()
           FROM generate_series(0, $2 - 1) g""",
        long_call,
        TURNS,
    )
    await pool.execute(
        """INSERT INTO state_transitions (call_id, seq, from_state, to_state, trigger_type, turn_seq, at)
           SELECT $1, g, 'ask', 'ask', 'intent', g * 2 + 1, now() FROM generate_series(0, $2 / 2 - 1) g""",
        long_call,
        TURNS,
    )
    await pool.execute(
        """INSERT INTO extracted_slots (call_id, seq, name, value, confidence, method, turn_seq, at)
           SELECT $1, g, 'slot_' || (g % 10), to_jsonb(g), 0.9, 'nlu', g * 4 + 1, now()
           FROM generate_series(0, $2 / 4 - 1) g""",
        long_call,
        TURNS,
    )
    await pool.execute("ANALYZE")
    return created, bots, long_call


async def _median_ms(fn: Callable[[], Awaitable[Any]]) -> float:
    for _ in range(3):
        await fn()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def _run(url: str) -> list[tuple[str, float, str, float]]:
    pool = await create_pool(url, min_size=2, max_size=4)
    try:
        created, bots, long_call = await _seed(pool)
        company = created.company.id
        with tempfile.TemporaryDirectory() as data:
            services, _ = api_services_on(pool, Settings(data_dir=Path(data)))
            app = create_app(services)
            history = CallHistory(pool)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench"
            ) as client:
                page = await client.get("/console/login")
                token = re.search(r'name="csrf" value="([^"]+)"', page.text)
                assert token
                signed = await client.post(
                    "/console/login", data={"api_key": created.api_key, "csrf": token.group(1)}
                )
                assert signed.status_code == 303
                api = {"Authorization": f"Bearer {created.api_key}"}
                deep = (await history.list(company, limit=50_001))[-1]
                from voicebot.api.pagination import encode_cursor

                cursor = encode_cursor(deep.started_at, deep.id)

                async def ok(response: Awaitable[httpx.Response]) -> None:
                    r = await response
                    assert r.status_code == 200, r.text[:300]

                rows: list[tuple[str, float, str, float]] = []
                cases: list[tuple[str, Callable[[], Awaitable[Any]], str, Callable[[], Awaitable[Any]]]] = [
                    (
                        "console /calls, first page",
                        lambda: ok(client.get("/console/calls")),
                        "CallHistory.list (50 rows)",
                        lambda: history.list(company, limit=51),
                    ),
                    (
                        "console /calls, page at row 50,000",
                        lambda: ok(client.get("/console/calls", params={"cursor": cursor})),
                        "CallHistory.list after row 50,000",
                        lambda: history.list(company, limit=51, after=(deep.started_at, deep.id)),
                    ),
                    (
                        "console /calls, bot + status + outcome",
                        lambda: ok(
                            client.get(
                                "/console/calls",
                                params={"bot": str(bots[1]), "status": "abandoned", "outcome": "booking"},
                            )
                        ),
                        "CallHistory.list, same filters",
                        lambda: history.list(
                            company,
                            CallFilters(bot_id=bots[1], status="abandoned", outcome="booking"),
                            limit=51,
                        ),
                    ),
                    (
                        "console /calls, phone search '5550000'",
                        lambda: ok(client.get("/console/calls", params={"phone": "5550000"})),
                        "API GET /v1/calls (JSON, first page)",
                        lambda: ok(client.get("/v1/calls", headers=api)),
                    ),
                    (
                        f"console call page, {TURNS} turns",
                        lambda: ok(client.get(f"/console/calls/{long_call}")),
                        "CallHistory.get (same call)",
                        lambda: history.get(company, long_call),
                    ),
                    (
                        f"API GET /v1/calls/{{id}}, {TURNS} turns (JSON)",
                        lambda: ok(client.get(f"/v1/calls/{long_call}", headers=api)),
                        "CallHistory.get (same call)",
                        lambda: history.get(company, long_call),
                    ),
                ]
                for name, page_fn, base_name, base_fn in cases:
                    rows.append((name, await _median_ms(page_fn), base_name, await _median_ms(base_fn)))
                return rows
    finally:
        await pool.close()


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
    print(f"{CALLS:,} calls, medians of {RUNS} requests")
    print("| page | server time | baseline (same run) | baseline time |")
    print("|---|---|---|---|")
    for name, ms, base, base_ms in rows:
        print(f"| {name} | {ms:.1f} ms | {base} | {base_ms:.1f} ms |")


if __name__ == "__main__":
    main()
