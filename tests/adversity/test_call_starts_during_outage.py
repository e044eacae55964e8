"""Adversity: calls that start while Postgres is down. The call process opens its pool lazily (no
connection, no error), records to the journal, and the calls are finalized once Postgres returns:
one that also ended during the outage by the sweeper, one still live at recovery by its own process."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

from tests.conftest import PrivatePostgres
from tests.outcomes.conftest import run_until
from voicebot.outcomes import CallFacts, Reaper
from voicebot.runtime_outcomes import build_outcome_services
from voicebot.settings import Settings
from voicebot.storage import Database, Journal, PostgresSink, Recorder, create_pool

from .conftest import Receiver, booked, booking_call, fast_settings, make_tenant


async def test_calls_started_during_an_outage_are_recorded_and_finalized_after_it(
    private_postgres: PrivatePostgres, receiver: Receiver, tmp_path: Path
) -> None:
    admin = await create_pool(private_postgres.url, min_size=1, max_size=1)
    await admin.execute("TRUNCATE calls, companies CASCADE")
    tenant = await make_tenant(admin, receiver.url)
    receiver.secret = tenant.secret
    await admin.close()
    settings = Settings(data_dir=tmp_path, database_url=private_postgres.url)
    day = dt.date.today() + dt.timedelta(days=5)

    await asyncio.to_thread(private_postgres.stop)
    opened = time.monotonic()
    db = await Database.open(settings, max_size=2, lazy=True)  # what a call's process does: no error
    assert time.monotonic() - opened < 6
    recorder = Recorder(
        sink=PostgresSink(db.pool, timeout=1.0),
        journal=Journal(tmp_path / "journal"),
        spill_after=0.2,
        max_backoff=0.2,
    )
    services = build_outcome_services(db.pool, fast_settings())
    await recorder.start()
    ended = booking_call(tenant, recorder.record)  # starts and ends inside the outage
    live = booking_call(tenant, recorder.record)  # starts inside the outage, ends after it
    for call in (ended, live):
        call.turn("caller", "book me for Friday", state="patient")
    ended.finished(booked(day), end_reason="completed", final_state="goodbye")
    await asyncio.sleep(0.5)
    assert not recorder.healthy

    await asyncio.to_thread(private_postgres.start)
    live.turn("bot", "You're booked", state="goodbye")
    finished = booked(day)
    live.finished(finished, end_reason="completed", final_state="goodbye")
    assert await recorder.flush(timeout=20)
    await services.finalizer.finalize(
        finished,
        CallFacts(
            call_id=live.info.call_id,
            bot_id=tenant.bot_id,
            started_at=dt.datetime.now(dt.UTC),
            slot_types=live.info.slot_types,
        ),
    )
    await recorder.aclose()
    sweeper = Reaper(store=services.outcomes, finalizer=services.finalizer, timeout=60, interval=0.1, grace=0)
    stop = asyncio.Event()
    sweeping = asyncio.create_task(sweeper.run(stop))
    try:
        await run_until(lambda: len(receiver.delivered_ids()) >= 4, services.dispatcher(), 30)
    finally:
        stop.set()
        await sweeping
        await services.aclose()
    got = {(r.payload["type"], r.payload["data"]["call_id"]) for r in receiver.requests if r.status == 200}
    assert got == {
        (kind, str(call.info.call_id))
        for kind in ("call.completed", "booking.created")
        for call in (ended, live)
    }
    rows = await db.pool.fetch(
        "SELECT c.status, o.outcome_type FROM calls c JOIN outcomes o ON o.call_id = c.id"
    )
    assert sorted((r["status"], r["outcome_type"]) for r in rows) == [("completed", "booking")] * 2
    assert await db.pool.fetchval("SELECT count(*) FROM turns") == 3
    await db.close()


async def test_a_fresh_call_process_finds_its_bot_during_an_outage_from_the_last_snapshot(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    from voicebot.errors import StorageError
    from voicebot.storage import Bots

    pool = await create_pool(private_postgres.url, min_size=0, max_size=1, command_timeout=5)
    await pool.execute("TRUNCATE calls, companies CASCADE")
    tenant = await make_tenant(pool, None)
    version = await pool.fetchval(
        """INSERT INTO scenario_versions (bot_id, version, sha256, source)
           VALUES ($1, 1, $2, 'bot: {}') RETURNING id""",
        tenant.bot_id,
        "0" * 64,
    )
    await pool.execute("UPDATE bots SET current_version_id = $2 WHERE id = $1", tenant.bot_id, version)
    number = await pool.fetchval("SELECT phone_number FROM bots WHERE id = $1", tenant.bot_id)
    earlier = Bots(pool)
    earlier.snapshot_dir = tmp_path / "bots"
    seen = await earlier.by_phone(number)  # an earlier call process, while Postgres was up
    assert seen is not None
    await asyncio.to_thread(private_postgres.stop)
    try:
        fresh = Bots(pool)  # a new call process: empty cache
        with_snapshot = Bots(pool)
        with_snapshot.snapshot_dir = tmp_path / "bots"
        assert await with_snapshot.by_phone(number) == seen
        try:
            await fresh.by_phone(number)
            raise AssertionError("a lookup without a snapshot cannot succeed while Postgres is down")
        except StorageError as exc:
            assert exc.retryable
    finally:
        await asyncio.to_thread(private_postgres.start)
        await pool.close()
