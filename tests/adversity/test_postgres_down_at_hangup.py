"""Adversity: Postgres stops while several calls hang up. Their finalize fails and their processes exit;
when Postgres returns, every call gets exactly one outcome (with its appointment) and its webhooks."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import time
from pathlib import Path

import pytest

from tests.conftest import PrivatePostgres
from tests.outcomes.conftest import run_until
from voicebot.errors import StorageError
from voicebot.outcomes import CallFacts, Reaper
from voicebot.runtime_outcomes import build_outcome_services
from voicebot.storage import Journal, PostgresSink, Recorder, create_pool

from .conftest import Receiver, booked, booking_call, fast_settings, make_tenant

CALLS = 8


async def test_every_call_ended_during_an_outage_gets_one_outcome_and_its_webhooks(
    private_postgres: PrivatePostgres, receiver: Receiver, tmp_path: Path
) -> None:
    pool = await create_pool(private_postgres.url, min_size=0, max_size=4, command_timeout=5)
    await pool.execute("TRUNCATE calls, companies CASCADE")
    tenant = await make_tenant(pool, receiver.url)
    receiver.secret = tenant.secret
    services = build_outcome_services(pool, fast_settings())
    journal = tmp_path / "journal"
    first = Recorder(
        sink=PostgresSink(pool, timeout=1.0), journal=Journal(journal), spill_after=0.2, max_backoff=0.2
    )
    day = dt.date.today() + dt.timedelta(days=2)
    await first.start()
    calls = [booking_call(tenant, first.record) for _ in range(CALLS)]
    for call in calls:
        call.turn("caller", "I'd like an appointment", state="patient")
    assert await first.flush(timeout=5)

    await asyncio.to_thread(private_postgres.stop)
    # The long-running process on this host (`voicebot webhooks run`): it replays what others left.
    second = Recorder(sink=PostgresSink(pool, timeout=1.0), journal=Journal(journal), max_backoff=0.2)
    await second.start()
    for call in calls:  # the callers hang up: the end is recorded, the outcome cannot be written
        finished = booked(day)
        call.finished(finished, end_reason="completed", final_state="goodbye")
        facts = CallFacts(
            call_id=call.info.call_id,
            bot_id=tenant.bot_id,
            started_at=dt.datetime.now(dt.UTC),
            slot_types=call.info.slot_types,
        )
        with pytest.raises(StorageError) as failed:
            await services.finalizer.finalize(finished, facts)
        assert failed.value.retryable
    await first.aclose(timeout=0.5)  # the call processes exit: their end records are in the journal
    assert await second.adopt() >= 1

    await asyncio.to_thread(private_postgres.start)
    back = time.monotonic()
    sweeper = Reaper(
        store=services.outcomes, finalizer=services.finalizer, timeout=60, interval=0.1, grace=0.0
    )
    stop = asyncio.Event()
    try:
        async with second:  # (started above; closed on exit)
            sweeping = asyncio.create_task(sweeper.run(stop))
            await run_until(lambda: len(receiver.delivered_ids()) >= 2 * CALLS, services.dispatcher(), 30)
            recovery = time.monotonic() - back
            await asyncio.sleep(0.5)  # nothing more arrives
            stop.set()
            await sweeping
    finally:
        await services.aclose()
    print(f"\n{CALLS} calls: outcomes and webhooks delivered {recovery:.2f} s after Postgres came back")

    ids = receiver.delivered_ids()
    assert len(ids) == len(set(ids)) == 2 * CALLS  # exactly one call.completed and one booking.created each
    kinds = collections.Counter(
        (r.payload["type"], r.payload["data"]["call_id"]) for r in receiver.requests if r.status == 200
    )
    for call in calls:
        assert kinds[("call.completed", str(call.info.call_id))] == 1
        assert kinds[("booking.created", str(call.info.call_id))] == 1
    rows = await pool.fetch(
        """SELECT c.status, o.outcome_type, count(a.id) AS appointments FROM calls c
           JOIN outcomes o ON o.call_id = c.id LEFT JOIN appointments a ON a.call_id = c.id
           GROUP BY c.id, c.status, o.outcome_type"""
    )
    assert len(rows) == CALLS
    got = {(r["status"], r["outcome_type"], r["appointments"]) for r in rows}
    assert got == {("completed", "booking", 1)}
    await pool.close()
