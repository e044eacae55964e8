"""Finalizing a call against real Postgres: outcome, appointment and outbox rows in one transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest

from voicebot.dialogue.fakes import ScriptedLLM
from voicebot.errors import ProviderError
from voicebot.outcomes import CODE_ALPHABET, Finalizer, OutcomeAdvisor, TranscriptEntry, speakable
from voicebot.runtime_outcomes import OutcomeServices
from voicebot.storage.repositories.outcomes import NewEvent, Outcomes

from .conftest import Tenant, facts, finished

SLOT_TYPES = {"patient_name": "text", "reason": "enum", "appointment": "datetime", "phone": "phone"}
BOOKING_SLOTS = {
    "patient_name": "John Smith",
    "reason": "check-up",
    "appointment": dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    "phone": "+12125550123",
}
TRANSCRIPT = [
    TranscriptEntry(role="bot", text="How can I help you today?"),
    TranscriptEntry(role="caller", text="I'd like to book a check-up"),
]


def _booking() -> Any:
    return finished("booking", confidence=1.0, rule="state:booked", final_state="booked", slots=BOOKING_SLOTS)


async def _rows(pool: Any, call_id: uuid.UUID) -> dict[str, Any]:
    return {
        "call": await pool.fetchrow(
            "SELECT status, end_reason, final_state, ended_at FROM calls WHERE id=$1", call_id
        ),
        "outcome": await pool.fetchrow("SELECT * FROM outcomes WHERE call_id=$1", call_id),
        "appointments": await pool.fetch("SELECT * FROM appointments WHERE call_id=$1", call_id),
        "events": await pool.fetch(
            "SELECT * FROM webhook_outbox WHERE call_id=$1 ORDER BY event_type", call_id
        ),
    }


async def test_booking_writes_outcome_appointment_and_two_events(
    services: OutcomeServices, tenant: Tenant
) -> None:
    f = facts(tenant, slot_types=SLOT_TYPES)
    result = await services.finalizer.finalize(_booking(), f, TRANSCRIPT)
    rows = await _rows(tenant.pool, f.call_id)
    assert rows["call"]["status"] == "completed" and rows["call"]["final_state"] == "booked"
    assert rows["outcome"]["outcome_type"] == "booking" and rows["outcome"]["confidence"] == 1.0
    assert rows["outcome"]["extracted_data"]["rule"] == "state:booked"
    [appointment] = rows["appointments"]
    code = appointment["confirmation_code"]
    assert code == result.confirmation_code and len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    assert appointment["appointment_date"] == dt.date(2026, 11, 24)
    assert appointment["appointment_time"] == dt.time(10, 0)
    assert appointment["contact_name"] == "John Smith" and appointment["appointment_type"] == "check-up"
    types = [e["event_type"] for e in rows["events"]]
    assert types == ["booking.created", "call.completed"]
    completed = rows["events"][1]["payload"]
    assert completed["id"] == str(rows["events"][1]["event_id"]) == str(rows["outcome"]["webhook_event_id"])
    assert completed["data"]["appointment"]["confirmation_code"] == code
    assert completed["data"]["slots"]["appointment"] == "2026-11-24T10:00-05:00"
    assert completed["data"]["duration_ms"] == 42_000
    assert completed["data"]["transcript"][1]["text"] == "I'd like to book a check-up"
    assert rows["events"][0]["payload"]["data"]["appointment"]["confirmation_code"] == code
    assert speakable(code).count(" ") == 5


async def test_finalizing_twice_writes_once(services: OutcomeServices, tenant: Tenant) -> None:
    f = facts(tenant)
    first = await services.finalizer.finalize(finished(), f)
    second = await services.finalizer.finalize(finished("hangup"), f)
    assert not first.already and second.already
    rows = await _rows(tenant.pool, f.call_id)
    assert len(rows["events"]) == 1 and rows["outcome"]["outcome_type"] == "information"


async def test_concurrent_finalizers_write_once(services: OutcomeServices, tenant: Tenant) -> None:
    f = facts(tenant)
    results = await asyncio.gather(*(services.finalizer.finalize(finished(), f) for _ in range(5)))
    assert sum(not r.already for r in results) == 1
    assert len((await _rows(tenant.pool, f.call_id))["events"]) == 1


async def test_a_taken_confirmation_code_is_drawn_again(db_pool: Any, tenant: Tenant) -> None:
    codes = iter(["AAAAAA", "AAAAAA", "BBBBBB"])
    finalizer = Finalizer(store=Outcomes(db_pool), new_event=NewEvent, new_code=lambda: next(codes))
    one = await finalizer.finalize(_booking(), facts(tenant, slot_types=SLOT_TYPES))
    two = await finalizer.finalize(_booking(), facts(tenant, slot_types=SLOT_TYPES))
    assert (one.confirmation_code, two.confirmation_code) == ("AAAAAA", "BBBBBB")


async def test_a_failure_inside_the_transaction_writes_nothing(db_pool: Any, tenant: Tenant) -> None:
    def broken_event(*args: Any) -> Any:
        raise RuntimeError("payload builder failed")

    finalizer = Finalizer(store=Outcomes(db_pool), new_event=broken_event)
    f = facts(tenant, slot_types=SLOT_TYPES)
    with pytest.raises(RuntimeError):
        await finalizer.finalize(_booking(), f)
    rows = await _rows(db_pool, f.call_id)
    assert (
        rows["call"] is None and rows["outcome"] is None and not rows["appointments"] and not rows["events"]
    )


async def test_the_call_row_is_created_when_the_recorder_has_not_flushed_yet(
    services: OutcomeServices, tenant: Tenant
) -> None:
    f = facts(tenant)
    await services.finalizer.finalize(finished(end_reason="caller_hangup"), f)
    call = (await _rows(tenant.pool, f.call_id))["call"]
    assert call["status"] == "abandoned" and call["end_reason"] == "caller_hangup"


async def test_offline_summary_is_a_deterministic_template(services: OutcomeServices, tenant: Tenant) -> None:
    f = facts(tenant, slot_types=SLOT_TYPES)
    await services.finalizer.finalize(_booking(), f, TRANSCRIPT)
    summary = (await _rows(tenant.pool, f.call_id))["outcome"]["summary"]
    assert summary.startswith("Outcome booking: the bot completed the conversation in state booked.")
    assert "patient_name=John Smith" in summary


async def test_llm_classifies_an_ambiguous_call_and_summarizes(db_pool: Any, tenant: Tenant) -> None:
    llm = ScriptedLLM(
        replies=["The caller asked about prices and hung up."], intents={"price": "information"}
    )
    finalizer = Finalizer(store=Outcomes(db_pool), new_event=NewEvent, advisor=OutcomeAdvisor(llm=llm))
    f = facts(tenant, outcome_names=("booking", "information", "hangup"))
    ambiguous = finished("hangup", confidence=0.5, rule="rule[3]: true", end_reason="caller_hangup")
    transcript = [TranscriptEntry(role="caller", text="what's the price of a check-up?")]
    await finalizer.finalize(ambiguous, f, transcript)
    rows = await _rows(db_pool, f.call_id)
    assert rows["outcome"]["outcome_type"] == "information"
    assert rows["outcome"]["summary"] == "The caller asked about prices and hung up."
    data = rows["events"][0]["payload"]["data"]
    assert data["decided_by"] == "llm" and data["rule"].startswith("llm:information")
    assert [kind for kind, _ in llm.requests] == ["classify", "reply"]


async def test_llm_never_overrides_a_state_outcome(db_pool: Any, tenant: Tenant) -> None:
    llm = ScriptedLLM(replies=["Booked a check-up."], intents={"check-up": "information"})
    finalizer = Finalizer(store=Outcomes(db_pool), new_event=NewEvent, advisor=OutcomeAdvisor(llm=llm))
    f = facts(tenant, slot_types=SLOT_TYPES, outcome_names=("booking", "information"))
    await finalizer.finalize(_booking(), f, TRANSCRIPT)
    assert (await _rows(db_pool, f.call_id))["outcome"]["outcome_type"] == "booking"
    assert [kind for kind, _ in llm.requests] == ["reply"]


class _FailingLLM(ScriptedLLM):
    async def reply(self, messages: Any) -> str:
        raise ProviderError("llm down", provider="fake")


async def test_llm_failure_falls_back_to_rules_and_template(db_pool: Any, tenant: Tenant) -> None:
    finalizer = Finalizer(
        store=Outcomes(db_pool), new_event=NewEvent, advisor=OutcomeAdvisor(llm=_FailingLLM())
    )
    f = facts(tenant)
    await finalizer.finalize(finished(), f, TRANSCRIPT)
    assert (await _rows(db_pool, f.call_id))["outcome"]["summary"].startswith("Outcome information")


async def test_a_company_without_webhook_url_still_gets_outcome_and_event(db_pool: Any) -> None:
    from .conftest import make_tenant

    t = await make_tenant(db_pool, None)
    f = facts(t)
    result = await Finalizer(store=Outcomes(db_pool), new_event=NewEvent).finalize(finished(), f)
    assert len(result.event_ids) == 1
