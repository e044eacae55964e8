"""A booking made mid-call in the built-in book is the call's appointment: finalize links to it (one row,
the code the caller heard) and the booking.created webhook carries it, with its resource and times."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from tests.actions.book.bookhelp import clinic
from voicebot.actions.book import ActionCall
from voicebot.dialogue.actions import CallFinished
from voicebot.outcomes import CallFacts, Finalizer
from voicebot.storage.repositories.outcomes import NewEvent, Outcomes

pytestmark = pytest.mark.integration

SLOT_TYPES = {"patient_name": "text", "appointment": "datetime"}


async def test_finalize_links_the_book_booking_instead_of_writing_another(db_pool: Any) -> None:
    c = await clinic(db_pool)
    await c.store.add_resource(c.company_id, c.bot_id, name="Dr Lee")
    call_id = uuid.uuid4()  # the recorder has not written the call row yet: the booking must not need it
    booked = await c.runner.run(
        ActionCall(
            name="reserve",
            kind="book.reserve",
            args={"datetime": "2027-01-04T10:00", "name": "Ann"},
            call_id=call_id,
            company_id=c.company_id,
            bot_id=c.bot_id,
            idempotency_key=f"{call_id}:reserve",
            timeout_s=5.0,
        )
    )
    assert booked.status == "ok", booked
    code = booked.data["confirmation_code"]
    finalizer = Finalizer(store=Outcomes(db_pool), new_event=NewEvent)
    finished = CallFinished(
        outcome="booking",
        confidence=1.0,
        rule="state:booked",
        end_reason="completed",
        final_state="booked",
        slots={"patient_name": "Ann", "appointment": dt.datetime(2027, 1, 4, 10, 0)},
    )
    now = dt.datetime.now(dt.UTC)
    result = await finalizer.finalize(
        finished, CallFacts(call_id=call_id, bot_id=c.bot_id, started_at=now, slot_types=SLOT_TYPES)
    )
    assert result.confirmation_code == code
    rows = await db_pool.fetch("SELECT call_id, confirmation_code FROM appointments")
    assert [(r["call_id"], r["confirmation_code"]) for r in rows] == [(call_id, code)]
    payload = await db_pool.fetchval(
        "SELECT payload FROM webhook_outbox WHERE call_id = $1 AND event_type = 'booking.created'", call_id
    )
    appointment = payload["data"]["appointment"]
    assert appointment["confirmation_code"] == code and appointment["resource"] == "Dr Lee"
    assert appointment["starts_at"].startswith("2027-01-04T10:00:00")
    assert appointment["date"] == "2027-01-04" and appointment["time"] == "10:00:00"
