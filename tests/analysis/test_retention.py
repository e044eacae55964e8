"""Retention against real Postgres: old calls, old turns and old raw text go in batches; recent calls,
active calls and other companies' calls stay; bad retention values are clear errors."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from tests.outcomes.conftest import Tenant, make_tenant
from voicebot.errors import ConfigError, NotFoundError
from voicebot.runtime_analysis import AnalysisServices
from voicebot.runtime_outcomes import OutcomeServices
from voicebot.storage.retention import Retention

from .helpers import finalize, seed_call

CALLS = 2000
TURNS_PER_CALL = 100  # 200,000 turns


async def _bulk(pool: Any, tenant: Tenant, *, days_ago: int, calls: int, status: str = "completed") -> None:
    """``calls`` calls started ``days_ago`` days ago with TURNS_PER_CALL turns each, in two statements."""
    await pool.execute(
        """INSERT INTO calls (id, bot_id, direction, started_at, ended_at, status)
           SELECT gen_random_uuid(), $1, 'inbound', now() - make_interval(days => $2),
                  CASE WHEN $4 = 'active' THEN NULL
                       ELSE now() - make_interval(days => $2) + interval '1 minute' END,
                  $4
           FROM generate_series(1, $3)""",
        tenant.bot_id,
        days_ago,
        calls,
        status,
    )
    await pool.execute(
        """INSERT INTO turns (call_id, seq, role, text, at)
           SELECT c.id, s, CASE WHEN s % 2 = 0 THEN 'bot' ELSE 'caller' END, 'turn ' || s, c.started_at
           FROM calls c CROSS JOIN generate_series(0, $2 - 1) s
           WHERE c.bot_id = $1 AND c.started_at < now() - make_interval(days => $3 - 1)
             AND c.started_at > now() - make_interval(days => $3 + 1)""",
        tenant.bot_id,
        TURNS_PER_CALL,
        days_ago,
    )


async def _turns(pool: Any, tenant: Tenant) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM turns t JOIN calls c ON c.id = t.call_id WHERE c.bot_id = $1", tenant.bot_id
        )
    )


async def test_turn_retention_on_200k_turns_deletes_in_batches_and_keeps_recent_calls(db_pool: Any) -> None:
    acme = await make_tenant(db_pool, None, name="Acme")
    other = await make_tenant(db_pool, None, name="Other")
    await _bulk(db_pool, acme, days_ago=40, calls=CALLS // 2)
    await _bulk(db_pool, acme, days_ago=5, calls=CALLS // 2)
    await _bulk(db_pool, other, days_ago=40, calls=10)
    await _bulk(db_pool, acme, days_ago=60, calls=3, status="active")  # a live (stuck) call: never touched
    assert await _turns(db_pool, acme) == (CALLS + 3) * TURNS_PER_CALL

    retention = Retention(db_pool, batch=250)
    await retention.set(acme.company_id, calls_days=None, turns_days=30)
    started = time.perf_counter()
    report = await retention.run()
    seconds = time.perf_counter() - started
    print(
        f"retention: {report.turns_deleted} turns of {report.calls_turns_purged} calls in {seconds:.2f} s, "
        f"{report.batches} batches"
    )
    assert report.calls_turns_purged == CALLS // 2
    assert report.turns_deleted == CALLS // 2 * TURNS_PER_CALL
    assert report.batches >= (CALLS // 2) // 250
    assert await _turns(db_pool, acme) == (CALLS // 2 + 3) * TURNS_PER_CALL
    assert await _turns(db_pool, other) == 10 * TURNS_PER_CALL  # no retention set: kept
    assert await db_pool.fetchval("SELECT count(*) FROM calls WHERE bot_id = $1", acme.bot_id) == CALLS + 3
    assert seconds < 60

    again = await retention.run()  # nothing left to do: cheap
    assert again.turns_deleted == 0 and again.calls_deleted == 0


async def test_call_retention_deletes_old_calls_with_their_rows(
    db_pool: Any, services: OutcomeServices, analysis: AnalysisServices, tenant: Tenant
) -> None:
    old_id, start, end = await seed_call(db_pool, tenant, [("caller", "hello", 1.0)])
    await finalize(services, tenant, old_id, start, end)
    await analysis.worker(name="t").run_until_idle()
    await db_pool.execute("UPDATE calls SET started_at = now() - interval '100 days' WHERE id = $1", old_id)
    new_id, start, end = await seed_call(db_pool, tenant, [("caller", "hello", 1.0)])
    await analysis.retention.set(tenant.company_id, calls_days=90, turns_days=None)
    report = await analysis.retention.run()
    assert report.calls_deleted == 1
    assert await db_pool.fetchval("SELECT count(*) FROM calls WHERE id = $1", old_id) == 0
    assert await db_pool.fetchval("SELECT count(*) FROM call_analyses WHERE call_id = $1", old_id) == 0
    assert await db_pool.fetchval("SELECT count(*) FROM outcomes WHERE call_id = $1", old_id) == 0
    # the delivered-or-not webhook events stay, detached from the call
    assert (
        await db_pool.fetchval(
            "SELECT count(*) FROM webhook_outbox WHERE company_id = $1 AND call_id IS NULL", tenant.company_id
        )
        >= 1
    )
    assert await db_pool.fetchval("SELECT count(*) FROM calls WHERE id = $1", new_id) == 1
    # a post_call job of a deleted call completes as skipped
    assert await analysis.pipeline.run(old_id) == {"skipped": "call gone"}


async def test_raw_text_is_dropped_after_the_policy_days(
    db_pool: Any, services: OutcomeServices, analysis: AnalysisServices, tenant: Tenant
) -> None:
    await analysis.store.set_policy(
        tenant.company_id, bot=None, mode="redact_drop_raw", drop_raw_after_days=7, recognizers=("email",)
    )
    call_id, start, end = await seed_call(db_pool, tenant, [("caller", "mail me at a.b@example.com", 1.0)])
    await finalize(services, tenant, call_id, start, end)
    await analysis.worker(name="t").run_until_idle()
    assert (await analysis.retention.run()).raw_dropped_calls == 0  # not 7 days old yet
    await db_pool.execute("UPDATE calls SET ended_at = now() - interval '8 days' WHERE id = $1", call_id)
    report = await analysis.retention.run()
    assert report.raw_dropped_calls == 1 and report.raw_dropped_turns == 1
    assert (
        await db_pool.fetchval("SELECT text FROM turns WHERE call_id = $1", call_id) == "mail me at [EMAIL]"
    )


@pytest.mark.parametrize("days", [-1, 0])
async def test_a_retention_of_minus_one_or_zero_days_is_a_clear_error(
    db_pool: Any, tenant: Tenant, days: int
) -> None:
    with pytest.raises(ConfigError, match=f"retention of {days} days is invalid"):
        await Retention(db_pool).set(tenant.company_id, calls_days=days, turns_days=None)
    with pytest.raises(NotFoundError):
        await Retention(db_pool).set(uuid.uuid4(), calls_days=30, turns_days=None)


async def test_two_runs_at_once_do_not_fight(db_pool: Any, tenant: Tenant) -> None:
    retention = Retention(db_pool)
    async with db_pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", 0x766F_6963_6572_6574)
        try:
            assert (await retention.run()).skipped
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", 0x766F_6963_6572_6574)
    assert not (await retention.run()).skipped
    await asyncio.sleep(0)
