"""The built-in book as an action runner, ActionCall in and ActionResult out, on a real Postgres."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from tests.actions.book.bookhelp import Clinic, clinic
from voicebot.actions.book import ActionCall, ActionResult

pytestmark = pytest.mark.integration


def action(c: Clinic, kind: str, key: str | None = None, **args: Any) -> ActionCall:
    return ActionCall(
        name=kind.split(".")[1],
        kind=kind,
        args=args,
        call_id=None,
        company_id=c.company_id,
        bot_id=c.bot_id,
        idempotency_key=key or str(uuid.uuid4()),
        timeout_s=10.0,
    )


async def run(c: Clinic, kind: str, key: str | None = None, **args: Any) -> ActionResult:
    return await c.runner.run(action(c, kind, key, **args))


@pytest.fixture
async def c(db_pool: Any) -> Clinic:
    value = await clinic(db_pool)
    await value.store.add_resource(value.company_id, value.bot_id, name="Dr Lee", slot_minutes=30)
    return value


async def test_a_free_time_is_available_and_books_with_a_code(c: Clinic) -> None:
    free = await run(c, "book.availability", datetime="2027-01-04T10:00")
    assert free.status == "ok" and free.data["available"] is True and free.data["resource"] == "Dr Lee"
    booked = await run(c, "book.reserve", date="2027-01-04", time="10:00", name="Ann", phone="+447700900123")
    assert booked.status == "ok", booked
    code = booked.data["confirmation_code"]
    assert len(code) == 6 and not set(code) & set("01OI")
    assert booked.data["starts_at"] == "2027-01-04T10:00:00+00:00"
    assert booked.data["ends_at"] == "2027-01-04T10:30:00+00:00"
    taken = await run(c, "book.availability", datetime="2027-01-04T10:00")
    assert taken.data["available"] is False and taken.data["reason"] == "taken"
    assert [a["time"] for a in taken.data["alternatives"]] == ["09:30", "10:30", "09:00"]
    found = await run(c, "book.lookup", code=code.lower())
    assert found.status == "ok" and found.data["found"] is True and found.data["status"] == "confirmed"
    row = await c.pool.fetchrow("SELECT appointment_date, appointment_time, contact_name FROM appointments")
    assert (row["appointment_date"], row["appointment_time"], row["contact_name"]) == (
        dt.date(2027, 1, 4),
        dt.time(10, 0),
        "Ann",
    )


async def test_the_calendar_is_respected_lunch_holiday_and_closed_days(c: Clinic) -> None:
    lunch = await run(c, "book.reserve", datetime="2027-01-04T12:00")
    assert lunch.status == "error" and lunch.error == "closed"
    assert [a["time"] for a in lunch.data["alternatives"]] == [
        "11:30",
        "11:00",
        "13:00",
    ]  # a tie: the earlier first
    late = await run(c, "book.availability", datetime="2027-01-04T16:45")  # would end after 17:00
    assert late.data["reason"] == "closed"
    holiday = await run(c, "book.availability", datetime="2027-01-05T10:00")  # Tuesday, closed by date
    assert holiday.data["available"] is False and holiday.data["reason"] == "closed"
    assert [a["starts_at"][:16] for a in holiday.data["alternatives"]] == [
        "2027-01-06T09:00",
        "2027-01-06T09:30",
        "2027-01-06T10:00",
    ]
    past = await run(c, "book.reserve", datetime="2027-01-01T10:00")
    assert past.error == "past"


async def test_a_full_day_offers_the_next_open_days(c: Clinic) -> None:
    for hour in ("09:00", "09:30", "10:00", "10:30", "11:00", "11:30"):
        assert (await run(c, "book.reserve", datetime=f"2027-01-06T{hour}")).status == "ok"
    full = await run(c, "book.reserve", datetime="2027-01-06T10:00")
    assert full.error == "taken"
    # Thursday to Sunday are closed; the next open day is Monday 11 January.
    assert [a["starts_at"][:16] for a in full.data["alternatives"]] == [
        "2027-01-11T09:00",
        "2027-01-11T09:30",
        "2027-01-11T10:00",
    ]


async def test_cancel_frees_the_slot_and_reschedule_keeps_the_code(c: Clinic) -> None:
    first = await run(c, "book.reserve", datetime="2027-01-04T10:00")
    code = first.data["confirmation_code"]
    moved = await run(c, "book.reschedule", code=code, datetime="2027-01-06T11:00")
    assert moved.status == "ok" and moved.data["confirmation_code"] == code
    assert moved.data["starts_at"] == "2027-01-06T11:00:00+00:00"
    assert (await run(c, "book.availability", datetime="2027-01-04T10:00")).data["available"] is True
    other = await run(c, "book.reserve", datetime="2027-01-04T10:00")
    clash = await run(c, "book.reschedule", code=other.data["confirmation_code"], datetime="2027-01-06T11:00")
    assert clash.error == "taken" and clash.data["alternatives"]
    cancelled = await run(c, "book.cancel", code=code)
    assert cancelled.status == "ok" and cancelled.data["status"] == "cancelled"
    again = await run(c, "book.cancel", code=code)
    assert again.error == "not_confirmed"
    assert (await run(c, "book.reserve", datetime="2027-01-06T11:00")).status == "ok"
    assert (await run(c, "book.lookup", code="ZZZZZZ")).error == "not_found"


async def test_a_retried_reserve_with_the_same_key_books_once(c: Clinic) -> None:
    first = await run(c, "book.reserve", "call-1:reserve", datetime="2027-01-04T10:00")
    second = await run(c, "book.reserve", "call-1:reserve", datetime="2027-01-04T10:00")
    assert first.data["confirmation_code"] == second.data["confirmation_code"]
    assert await c.pool.fetchval("SELECT count(*) FROM appointments") == 1


async def test_resources_by_service_and_party_size(db_pool: Any) -> None:
    c = await clinic(db_pool, calendar=None)
    await c.store.add_resource(c.company_id, c.bot_id, name="table for 2", capacity=1, party_max=2)
    await c.store.add_resource(c.company_id, c.bot_id, name="table for 6", capacity=1, party_max=6)
    await c.store.add_resource(c.company_id, c.bot_id, name="Dr Lee", services=["vaccination"], party_max=1)
    pair = await run(c, "book.reserve", datetime="2027-01-09T20:00", party_size=2)
    assert pair.data["resource"] == "table for 2"
    four = await run(c, "book.reserve", datetime="2027-01-09T20:00", party_size="4")
    assert four.data["resource"] == "table for 6"
    assert (await run(c, "book.reserve", datetime="2027-01-09T20:00", party_size=4)).error == "taken"
    assert (await run(c, "book.reserve", datetime="2027-01-09T20:00", party_size=9)).error == "no_resource"
    shot = await run(c, "book.reserve", datetime="2027-01-09T20:00", service="Vaccination", party_size=1)
    assert shot.data["resource"] == "Dr Lee"


@pytest.mark.parametrize(
    ("kind", "args", "error"),
    [
        ("book.reserve", {}, "bad_request"),
        ("book.reserve", {"datetime": "half past ten"}, "bad_request"),
        ("book.availability", {"datetime": "2027-01-04T10:00", "party_size": "many"}, "bad_request"),
        ("book.cancel", {}, "bad_request"),
        ("book.teleport", {}, "bad_request"),
        ("book.reserve", {"datetime": "2027-01-04T10:00", "resource": "Dr Who"}, "no_resource"),
        ("book.reserve", {"datetime": "2027-01-04T10:00", "name": "Ann\x00"}, "bad_request"),
        ("book.reserve", {"datetime": "2027-01-04T10:00", "name": "x" * 5000}, "bad_request"),
        ("book.lookup", {"code": "\ud800"}, "bad_request"),
        ("book.reserve", {"datetime": "2027-01-04T10:00", "party_size": 0}, "bad_request"),
        ("book.reserve", {"date": "2027-13-40", "time": "10:00"}, "bad_request"),
        ("book.reserve", {"datetime": "9999-12-31T23:30"}, "bad_request"),
        ("book.availability", {"datetime": "9999-12-31T23:30"}, "bad_request"),
    ],
)
async def test_bad_arguments_are_a_declared_error_not_a_traceback(
    c: Clinic, kind: str, args: dict[str, Any], error: str
) -> None:
    result = await run(c, kind, **args)
    assert result.status == "error" and result.error == error and result.data["message"]


async def test_a_database_outage_is_an_error_result(database_url: str) -> None:
    from voicebot.storage import create_pool

    pool = await create_pool(database_url, min_size=1, max_size=2)
    c = await clinic(pool)
    await c.store.add_resource(c.company_id, c.bot_id, name="Dr Lee")
    await pool.close()
    result = await run(c, "book.reserve", datetime="2027-01-04T10:00")
    assert result.status == "error" and result.error == "unavailable"


async def test_deleting_the_bot_deletes_its_resources_and_bookings(c: Clinic) -> None:
    assert (await run(c, "book.reserve", datetime="2027-01-04T10:00")).status == "ok"
    await c.pool.execute("DELETE FROM bots WHERE id = $1", c.bot_id)
    assert await c.pool.fetchval("SELECT count(*) FROM appointments") == 0
    assert await c.pool.fetchval("SELECT count(*) FROM book_resources") == 0
