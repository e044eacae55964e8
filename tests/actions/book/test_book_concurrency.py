"""Must hold: 50 simultaneous bookings of one slot on a real Postgres yield exactly ``capacity``
bookings; every other caller is told the time is taken and offered alternatives."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.actions.book.bookhelp import Clinic, clinic
from voicebot.actions.book import ActionCall, ActionResult
from voicebot.storage import create_pool

pytestmark = pytest.mark.integration


async def _race(c: Clinic, *, resource: str | None = None, callers: int = 50) -> list[ActionResult]:
    """``callers`` callers booking 2027-01-04 10:00 (of ``resource``, or any) at the same moment."""
    extra = {"resource": resource} if resource is not None else {}
    calls = [
        ActionCall(
            name="reserve",
            kind="book.reserve",
            args={"datetime": "2027-01-04T10:00", "name": f"caller {i}", **extra},
            call_id=None,
            company_id=c.company_id,
            bot_id=c.bot_id,
            idempotency_key=str(uuid.uuid4()),
            timeout_s=30.0,
        )
        for i in range(callers)
    ]
    return list(await asyncio.gather(*(c.runner.run(call) for call in calls)))


@pytest.mark.parametrize("capacity", [1, 3])
async def test_fifty_callers_race_for_one_slot(database_url: str, capacity: int) -> None:
    pool = await create_pool(database_url, min_size=50, max_size=50)
    try:
        c = await clinic(pool)
        await c.store.add_resource(c.company_id, c.bot_id, name="Dr Lee", capacity=capacity, slot_minutes=30)
        results = await _race(c)
        booked = [r for r in results if r.status == "ok"]
        refused = [r for r in results if r.status != "ok"]
        assert len(booked) == capacity
        assert {r.error for r in refused} == {"taken"}
        for r in refused:
            offered = [a["starts_at"] for a in r.data["alternatives"]]
            assert len(offered) == 3 and "2027-01-04T10:00:00+00:00" not in offered
            assert offered[:2] == ["2027-01-04T09:30:00+00:00", "2027-01-04T10:30:00+00:00"]
        rows = await pool.fetch(
            "SELECT seat, confirmation_code FROM appointments"
            " WHERE resource_id IS NOT NULL AND status = 'confirmed'"
        )
        assert sorted(r["seat"] for r in rows) == list(range(1, capacity + 1))
        assert len({r["confirmation_code"] for r in rows}) == capacity
    finally:
        await pool.close()


async def test_races_again_and_again_never_tell_a_caller_the_system_failed(database_url: str) -> None:
    """Concurrent inserts that collide on the exclusion constraint used to deadlock (each waiting for the
    other; Postgres fails one after deadlock_timeout): a caller heard "the booking system failed" and the
    others waited seconds. One round did not always show it; a dozen did."""
    pool = await create_pool(database_url, min_size=50, max_size=50)
    try:
        c = await clinic(pool)
        for round_ in range(12):
            doctor = f"Dr {round_}"
            await c.store.add_resource(c.company_id, c.bot_id, name=doctor, capacity=3, slot_minutes=30)
            results = await _race(c, resource=doctor)
            answers = sorted(r.error or r.status for r in results)
            assert answers == ["ok"] * 3 + ["taken"] * 47, f"round {round_}"
    finally:
        await pool.close()
