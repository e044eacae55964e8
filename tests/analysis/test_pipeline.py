"""The post-call pipeline against real Postgres: finalize enqueues one job in the outcome's transaction;
a worker redacts, cleans, analyzes and writes the call.analyzed outbox row once."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.outcomes.conftest import Tenant
from voicebot.errors import ConfigError, NotFoundError
from voicebot.outcomes.payloads import CallAnalyzedV1, event_schemas
from voicebot.runtime_analysis import AnalysisServices
from voicebot.runtime_outcomes import OutcomeServices
from voicebot.storage.repositories.call_history import CallHistory

from .helpers import finalize, seed_call

TURNS = [
    ("bot", "Hello! What number can we reach you on?", 0.0),
    ("caller", "Um, my number is two one two five five five oh one two three", 3.0, {"stt_confidence": 0.91}),
    ("bot", "Thanks. And how would you like to pay?", 6.0),
    ("caller", "my card is 4111 1111 1111 1111", 9.0),
    ("bot", "Sorry, I didn't catch that.", 12.0),
    ("caller", "", 14.0),
    ("bot", "Are you still there?", 30.0),
    ("caller", "thanks, that is great, my name is Anna Lee", 33.0),
]
SLOTS = [("phone", "+12125550123", 1)]
PII = ("4111", "555", "Anna", "Lee", "+1212")


async def _jobs(pool: Any, call_id: Any) -> list[Any]:
    return list(await pool.fetch("SELECT key, status, company_id FROM jobs WHERE call_id = $1", call_id))


async def test_finalize_enqueues_one_job_in_the_outcome_transaction(
    db_pool: Any, tenant: Tenant, services: OutcomeServices
) -> None:
    call_id, start, end = await seed_call(db_pool, tenant, TURNS[:2])
    await finalize(services, tenant, call_id, start, end)
    await finalize(services, tenant, call_id, start, end)  # a second finalize writes nothing
    [job] = await _jobs(db_pool, call_id)
    assert job["key"] == f"{call_id}:analyze" and job["status"] == "pending"
    assert job["company_id"] == tenant.company_id


async def test_a_redacting_company_gets_redacted_texts_analysis_and_one_event(
    db_pool: Any, tenant: Tenant, services: OutcomeServices, analysis: AnalysisServices
) -> None:
    await analysis.store.set_policy(
        tenant.company_id,
        bot=None,
        mode="redact",
        drop_raw_after_days=None,
        recognizers=("card", "phone", "name"),
    )
    call_id, start, end = await seed_call(
        db_pool,
        tenant,
        TURNS,
        slots=SLOTS,
        transitions=[(None, "ask", "start", None), ("ask", "pay", "intent", 1)],
    )
    await finalize(services, tenant, call_id, start, end)
    assert await analysis.worker(name="test-1").run_until_idle() == 1

    texts = {r["seq"]: r for r in await db_pool.fetch("SELECT * FROM turn_texts WHERE call_id=$1", call_id)}
    assert texts[1]["redacted_text"] == "Um, my number is [PHONE]"
    assert texts[1]["cleaned_text"] == "My number is [PHONE]"
    assert texts[1]["stt_confidence"] == pytest.approx(0.91)
    assert texts[3]["redacted_text"] == "my card is [CARD]"
    assert "[NAME]" in texts[7]["redacted_text"]
    kinds = [c["kind"] for c in texts[1]["corrections"]]
    assert "filler" in kinds and "slot" in kinds
    # the raw text stays (mode redact) but the API's history shows the redacted copy
    assert await db_pool.fetchval("SELECT text FROM turns WHERE call_id=$1 AND seq=3", call_id) == TURNS[3][1]
    detail = await CallHistory(db_pool).get(tenant.company_id, call_id)
    assert [t.text for t in detail.turns if t.role == "caller"][:2] == [
        "Um, my number is [PHONE]",
        "my card is [CARD]",
    ]

    [discarded] = await db_pool.fetch("SELECT * FROM discarded_turns WHERE call_id=$1", call_id)
    assert discarded["seq"] == 5 and discarded["reason"] == "empty"

    row = await db_pool.fetchrow("SELECT * FROM call_analyses WHERE call_id=$1", call_id)
    assert row["analyzed_by"] == "rules" and row["sentiment"] == "positive"
    assert row["effort"]["no_inputs"] >= 1 and row["effort"]["reasks"] >= 1
    assert "long_silence" in row["quality_flags"] and "discarded_turns" in row["quality_flags"]
    assert row["cost"]["tts_characters"] == sum(len(t[1]) for t in TURNS if t[0] == "bot")
    assert row["cost"]["stt_seconds"] == pytest.approx(60.0)
    assert float(row["estimated_cost"]) > 0 and row["currency"] == "USD"
    assert row["config_snapshot"]["privacy"]["mode"] == "redact"
    assert row["config_snapshot"]["analysis"]["long_silence_seconds"] == 8.0
    assert row["pii"] == {"phone": 1, "card": 1, "name": 1}

    [event] = await db_pool.fetch(
        "SELECT * FROM webhook_outbox WHERE call_id=$1 AND event_type='call.analyzed'", call_id
    )
    assert row["webhook_event_id"] == event["event_id"]
    payload = event["payload"]
    jsonschema.validate(payload, event_schemas()["call.analyzed.v1"])
    CallAnalyzedV1.model_validate(payload)
    body = json.dumps(payload["data"]["transcript"])
    assert not any(p in body for p in PII), body
    assert payload["data"]["slots"] == {"phone": "+12125550123"}  # the default contract includes slots

    # the job is done; running again handles nothing, and a replayed job writes nothing more
    assert await analysis.worker(name="test-2").run_until_idle() == 0
    assert await analysis.pipeline.run(call_id) == {
        "written": False,
        "analyzed_by": "rules",
        "event_id": None,
    }
    assert (
        await db_pool.fetchval(
            "SELECT count(*) FROM webhook_outbox WHERE call_id=$1 AND event_type='call.analyzed'", call_id
        )
        == 1
    )


async def test_a_company_without_slot_values_in_its_contract_gets_none(
    db_pool: Any, tenant: Tenant, services: OutcomeServices, analysis: AnalysisServices
) -> None:
    await db_pool.execute("UPDATE companies SET webhook_slot_values = false WHERE id=$1", tenant.company_id)
    call_id, start, end = await seed_call(db_pool, tenant, TURNS[:2], slots=SLOTS)
    await finalize(services, tenant, call_id, start, end)
    await analysis.worker(name="t").run_until_idle()
    payload = await db_pool.fetchval(
        "SELECT payload FROM webhook_outbox WHERE call_id=$1 AND event_type='call.analyzed'", call_id
    )
    assert payload["data"]["slots"] is None and payload["data"]["slot_names"] == ["phone"]
    assert payload["data"]["redaction"] == "off"


async def test_drop_raw_at_once_replaces_the_raw_text(
    db_pool: Any, tenant: Tenant, services: OutcomeServices, analysis: AnalysisServices
) -> None:
    await analysis.store.set_policy(
        tenant.company_id, bot="clinic", mode="redact_drop_raw", drop_raw_after_days=0, recognizers=("card",)
    )
    call_id, start, end = await seed_call(db_pool, tenant, TURNS[:4])
    await finalize(services, tenant, call_id, start, end)
    await analysis.worker(name="t").run_until_idle()
    texts = [
        r["text"]
        for r in await db_pool.fetch("SELECT text FROM turns WHERE call_id=$1 ORDER BY seq", call_id)
    ]
    assert texts[3] == "my card is [CARD]"
    assert await db_pool.fetchval("SELECT raw_dropped_at IS NOT NULL FROM calls WHERE id=$1", call_id)


async def test_layered_config_company_wins_over_bot_and_direction_applies(
    db_pool: Any, tenant: Tenant, services: OutcomeServices, analysis: AnalysisServices
) -> None:
    store = analysis.store
    await store.set_config(
        tenant.company_id, bot="clinic", direction=None, config={"long_silence_seconds": 100.0}
    )
    await store.set_config(tenant.company_id, bot=None, direction=None, config={"reask_limit": 0})
    await store.set_config(
        tenant.company_id, bot=None, direction="inbound", config={"long_silence_seconds": 50.0}
    )
    await store.set_config(
        tenant.company_id, bot=None, direction="outbound", config={"long_silence_seconds": 1.0}
    )
    call_id, start, end = await seed_call(db_pool, tenant, TURNS)
    await finalize(services, tenant, call_id, start, end)
    await analysis.worker(name="t").run_until_idle()
    row = await db_pool.fetchrow(
        "SELECT config_snapshot, quality_flags FROM call_analyses WHERE call_id=$1", call_id
    )
    assert row["config_snapshot"]["analysis"]["long_silence_seconds"] == 50.0
    assert row["config_snapshot"]["analysis"]["reask_limit"] == 0
    assert "long_silence" not in row["quality_flags"] and "many_reasks" in row["quality_flags"]


async def test_bad_policy_and_config_input_are_clear_errors(
    tenant: Tenant, analysis: AnalysisServices
) -> None:
    from voicebot.analysis import PrivacyPolicy
    from voicebot.analysis.config import check_layer

    with pytest.raises(ConfigError, match="unknown recognizer 'passport'"):
        PrivacyPolicy(mode="redact", recognizers=("card", "passport"))
    with pytest.raises(ConfigError, match="needs drop_raw_after_days"):
        PrivacyPolicy(mode="redact_drop_raw")
    with pytest.raises(ConfigError, match="unknown key 'silence'"):
        check_layer({"silence": 3})
    with pytest.raises(ConfigError, match="use_llm=1 must be a bool"):
        check_layer({"use_llm": 1})
    with pytest.raises(NotFoundError, match="bot 'nope'"):
        await analysis.store.set_config(tenant.company_id, bot="nope", direction=None, config={})


async def test_call_completed_follows_the_contract_and_the_policy_too(
    db_pool: Any, tenant: Tenant, services: OutcomeServices, analysis: AnalysisServices
) -> None:
    from voicebot.outcomes import TranscriptEntry

    from .helpers import facts, finished

    transcript = [TranscriptEntry(role="caller", text="my card is 4111 1111 1111 1111")]
    slots = {"phone": "+12125550123"}

    async def completed() -> dict[str, Any]:
        call_id, start, end = await seed_call(db_pool, tenant, TURNS[:2])
        await services.finalizer.finalize(
            finished("information", slots=slots),
            facts(tenant, call_id=call_id, started_at=start, ended_at=end),
            transcript,
        )
        payload: dict[str, Any] = await db_pool.fetchval(
            "SELECT payload FROM webhook_outbox WHERE call_id=$1 AND event_type='call.completed'", call_id
        )
        return payload["data"]

    data = await completed()  # defaults: slot values included, no policy: the transcript as heard
    assert data["slots"] == slots and data["transcript"][0]["text"] == transcript[0].text
    await db_pool.execute("UPDATE companies SET webhook_slot_values = false WHERE id=$1", tenant.company_id)
    await analysis.store.set_policy(
        tenant.company_id, bot=None, mode="redact", drop_raw_after_days=None, recognizers=("card",)
    )
    data = await completed()
    assert data["slots"] == {} and data["transcript"] == []


async def test_a_stored_policy_naming_an_unknown_recognizer_dead_letters_with_the_reason(
    db_pool: Any, tenant: Tenant, services: OutcomeServices, analysis: AnalysisServices
) -> None:
    await db_pool.execute(
        "INSERT INTO privacy_policies (company_id, mode, recognizers) VALUES ($1, 'redact', '{card,ssn}')",
        tenant.company_id,
    )
    call_id, start, end = await seed_call(db_pool, tenant, TURNS[:2])
    await finalize(services, tenant, call_id, start, end)
    assert await analysis.worker(name="t").run_until_idle() == 1
    job = await db_pool.fetchrow("SELECT status, attempts, last_error FROM jobs WHERE call_id=$1", call_id)
    assert job["status"] == "dead" and job["attempts"] == 1  # not retried: it would fail the same way
    assert "unknown recognizer 'ssn'" in job["last_error"]
    assert await db_pool.fetchval("SELECT count(*) FROM call_analyses WHERE call_id=$1", call_id) == 0
