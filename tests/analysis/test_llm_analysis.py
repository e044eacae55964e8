"""The LLM analysis through the real OpenAI plugin against the fake OpenAI server on loopback: used
when the company's config asks for it, fed the redacted transcript only, and replaced by the rules
when the model fails or answers nonsense."""

from __future__ import annotations

import json
from typing import Any

import pytest
from structlog.testing import capture_logs

from tests.fakes.openai import Fail, FakeOpenAI
from tests.outcomes.conftest import Tenant
from voicebot.analysis.config import PipelineSettings
from voicebot.runtime_analysis import build_analysis_services
from voicebot.runtime_outcomes import OutcomeServices
from voicebot.telephony.llm import LivekitLLM

from .helpers import finalize, seed_call

TURNS = [
    ("bot", "How can I help?", 0.0),
    ("caller", "my card is 4111 1111 1111 1111 and this is useless", 2.0),
    ("bot", "Let me transfer you.", 4.0),
]
ANSWER = json.dumps(
    {"summary": "The caller was unhappy about a payment.", "sentiment": "negative", "score": -0.8}
)


async def _run(db_pool: Any, tenant: Tenant, services: OutcomeServices, fake: FakeOpenAI) -> dict[str, Any]:
    analysis = build_analysis_services(
        db_pool, PipelineSettings(), llm=LivekitLLM(fake.llm(model="gpt-test")), llm_model="gpt-test"
    )
    await analysis.store.set_policy(
        tenant.company_id, bot=None, mode="redact", drop_raw_after_days=None, recognizers=("card",)
    )
    await analysis.store.set_config(tenant.company_id, bot=None, direction=None, config={"use_llm": True})
    call_id, start, end = await seed_call(db_pool, tenant, TURNS)
    await finalize(services, tenant, call_id, start, end, end_reason="transferred")
    assert await analysis.worker(name="t").run_until_idle() == 1
    return dict(await db_pool.fetchrow("SELECT * FROM call_analyses WHERE call_id = $1", call_id))


@pytest.mark.usefixtures("lk_http")
async def test_the_llm_writes_summary_and_sentiment_from_the_redacted_transcript(
    db_pool: Any, tenant: Tenant, services: OutcomeServices, fake_openai: FakeOpenAI
) -> None:
    fake_openai.replies.append(ANSWER)
    row = await _run(db_pool, tenant, services, fake_openai)
    assert row["analyzed_by"] == "llm" and row["model"] == "gpt-test"
    assert row["summary"] == "The caller was unhappy about a payment."
    assert row["sentiment"] == "negative" and row["sentiment_score"] == pytest.approx(-0.8)
    assert "negative_sentiment" in row["quality_flags"]
    assert row["cost"]["llm_tokens"] > 0 and row["config_snapshot"]["llm_model"] == "gpt-test"
    [request] = fake_openai.requests
    sent = json.dumps(request.messages)
    assert "[CARD]" in sent and "4111" not in sent


@pytest.mark.usefixtures("lk_http")
@pytest.mark.parametrize("reply", [Fail(500), "I think the caller was happy"])
async def test_a_failing_or_unparseable_llm_leaves_the_rules_analysis(
    db_pool: Any, tenant: Tenant, services: OutcomeServices, fake_openai: FakeOpenAI, reply: Any
) -> None:
    fake_openai.replies.append(reply)
    with capture_logs() as logs:
        row = await _run(db_pool, tenant, services, fake_openai)
    assert row["analyzed_by"] == "rules" and row["sentiment"] == "negative"  # "useless": the lexicon
    assert "transfer_after_failure" in row["quality_flags"]
    assert any(e["event"] == "analysis_llm_failed" for e in logs)
