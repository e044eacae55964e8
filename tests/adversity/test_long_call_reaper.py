"""Adversity: a call much longer than the heartbeat timeout, with the reaper running, is not reaped; a
call whose process died is, as dropped, and its row and outcome agree."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

from voicebot.outcomes import Reaper
from voicebot.runtime_outcomes import build_outcome_services
from voicebot.storage import Journal, PostgresSink, Recorder

from .conftest import Receiver, Tenant, booked, booking_call, fast_settings, make_tenant

TIMEOUT = 1.0  # VOICEBOT_CALL_HEARTBEAT_TIMEOUT, scaled down: the call below lasts 4x as long


async def _row(pool: Any, call_id: Any) -> Any:
    return await pool.fetchrow(
        """SELECT c.status, c.end_reason, o.outcome_type FROM calls c
           LEFT JOIN outcomes o ON o.call_id = c.id WHERE c.id = $1""",
        call_id,
    )


async def test_a_call_four_times_the_heartbeat_timeout_is_not_reaped(
    db_pool: Any, receiver: Receiver, tmp_path: Path
) -> None:
    tenant: Tenant = await make_tenant(db_pool, receiver.url)
    services = build_outcome_services(db_pool, fast_settings(heartbeat_timeout=TIMEOUT))
    reaper = Reaper(store=services.outcomes, finalizer=services.finalizer, timeout=TIMEOUT, interval=0.05)
    recorder = Recorder(
        sink=PostgresSink(db_pool), journal=Journal(tmp_path / "journal"), heartbeat_interval=TIMEOUT / 4
    )
    stop = asyncio.Event()
    try:
        async with recorder:
            reaping = asyncio.create_task(reaper.run(stop))
            call = booking_call(tenant, recorder.record)
            started = time.monotonic()
            seq = 0
            while time.monotonic() - started < 4 * TIMEOUT:
                call.turn("caller" if seq % 2 else "bot", f"turn {seq}", state="patient")
                seq += 1
                await asyncio.sleep(0.25)
            assert (await _row(db_pool, call.info.call_id))["status"] == "active"  # still live: not reaped
            finished = booked(dt.date.today() + dt.timedelta(days=3))
            call.finished(finished, end_reason="completed", final_state="goodbye")
            assert await recorder.flush(timeout=5)
            from voicebot.outcomes import CallFacts

            result = await services.finalizer.finalize(
                finished,
                CallFacts(
                    call_id=call.info.call_id,
                    bot_id=tenant.bot_id,
                    started_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=4 * TIMEOUT),
                    slot_types=call.info.slot_types,
                ),
            )
            assert not result.already  # the reaper did not get there first
            stop.set()
            await reaping
    finally:
        await services.aclose()
    row = await _row(db_pool, call.info.call_id)
    assert (row["status"], row["end_reason"], row["outcome_type"]) == ("completed", "completed", "booking")
    appointments = "SELECT count(*) FROM appointments WHERE call_id=$1"
    assert await db_pool.fetchval(appointments, call.info.call_id) == 1


async def test_a_call_whose_process_died_is_dropped_within_timeout_and_row_agrees(
    db_pool: Any, receiver: Receiver, tmp_path: Path
) -> None:
    tenant = await make_tenant(db_pool, receiver.url)
    services = build_outcome_services(db_pool, fast_settings(heartbeat_timeout=TIMEOUT))
    reaper = Reaper(store=services.outcomes, finalizer=services.finalizer, timeout=TIMEOUT, interval=0.05)
    recorder = Recorder(
        sink=PostgresSink(db_pool), journal=Journal(tmp_path / "journal"), heartbeat_interval=TIMEOUT / 4
    )
    stop = asyncio.Event()
    await recorder.start()
    call = booking_call(tenant, recorder.record)
    call.turn("caller", "book me", state="patient")
    assert await recorder.flush(timeout=5)
    await recorder.aclose()  # the process is gone: no more heartbeats, no end record
    died = time.monotonic()
    reaping = asyncio.create_task(reaper.run(stop))
    try:
        while (await _row(db_pool, call.info.call_id))["outcome_type"] is None:
            assert time.monotonic() - died < 5 * TIMEOUT, "the dead call was not reaped"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await reaping
        await services.aclose()
    row = await _row(db_pool, call.info.call_id)
    # One vocabulary: a dropped call is 'failed' in the call log and 'dropped' in its outcome.
    assert (row["status"], row["end_reason"], row["outcome_type"]) == ("failed", "dropped", "dropped")
