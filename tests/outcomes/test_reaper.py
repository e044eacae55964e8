"""No call stays open forever: a call without heartbeats is finalized as dropped and its webhook sent."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from voicebot.outcomes import Reaper
from voicebot.runtime_outcomes import OutcomeServices
from voicebot.storage.repositories.outcomes import Outcomes

from .conftest import Receiver, Tenant, run_until


async def _active_call(pool: Any, tenant: Tenant, *, age: float) -> uuid.UUID:
    call_id = uuid.uuid4()
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age)
    await pool.execute(
        """INSERT INTO calls (id, bot_id, direction, caller_number, dialed_number, started_at)
           VALUES ($1, $2, 'inbound', '+12125550123', '+15550001111', $3)""",
        call_id,
        tenant.bot_id,
        started,
    )
    await pool.execute(
        """INSERT INTO turns (call_id, seq, role, text, state, at)
           VALUES ($1, 0, 'caller', 'book me', 'patient', $2)""",
        call_id,
        started,
    )
    await pool.execute(
        """INSERT INTO call_checkpoints (call_id, turn_seq, state, slots, at)
           VALUES ($1, 0, 'patient', '{"patient_name": "John Smith"}', $2)""",
        call_id,
        started,
    )
    return call_id


async def test_a_silent_call_is_dropped_and_its_webhook_delivered(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    stale = await _active_call(tenant.pool, tenant, age=300)
    fresh = await _active_call(tenant.pool, tenant, age=300)
    assert await Outcomes(tenant.pool).beat([fresh]) == 1  # its worker is alive
    reaper = Reaper(store=services.outcomes, finalizer=services.finalizer, timeout=120)
    assert await reaper.run_once() == 1
    assert await reaper.run_once() == 0  # idempotent
    row = await tenant.pool.fetchrow(
        """SELECT c.status, c.end_reason, o.outcome_type
           FROM calls c JOIN outcomes o ON o.call_id = c.id WHERE c.id = $1""",
        stale,
    )
    assert (row["status"], row["end_reason"], row["outcome_type"]) == ("failed", "dropped", "dropped")
    assert await tenant.pool.fetchval("SELECT count(*) FROM outcomes WHERE call_id=$1", fresh) == 0

    await run_until(lambda: len(receiver.requests) == 1, services.dispatcher())
    data = receiver.requests[0].payload["data"]
    assert receiver.requests[0].verified
    assert (data["outcome"], data["end_reason"], data["rule"]) == (
        "dropped",
        "dropped",
        "reaper:no_heartbeat",
    )
    assert data["slots"] == {"patient_name": "John Smith"} and data["final_state"] == "patient"
    assert data["transcript"][0]["text"] == "book me"


async def test_a_call_that_never_beat_counts_from_its_start(
    services: OutcomeServices, tenant: Tenant
) -> None:
    young = await _active_call(tenant.pool, tenant, age=5)
    reaper = Reaper(store=services.outcomes, finalizer=services.finalizer, timeout=120)
    assert await reaper.run_once() == 0
    assert await tenant.pool.fetchval("SELECT status FROM calls WHERE id=$1", young) == "active"
