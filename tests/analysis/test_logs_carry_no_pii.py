"""No log line of finalize, the post-call pipeline or retention carries a transcript, a slot value or
a phone number: only ids, counts, kinds and reasons (ARCHITECTURE convention 8)."""

from __future__ import annotations

import json
from typing import Any

from structlog.testing import capture_logs

from tests.outcomes.conftest import Tenant
from voicebot.runtime_analysis import AnalysisServices
from voicebot.runtime_outcomes import OutcomeServices

from .helpers import finalize, seed_call

SECRETS = ("4111", "2125550", "Anna", "Baker", "anna.lee", "example.com", "DE89", "+1212")
TURNS = [
    ("bot", "Hi", 0.0),
    ("caller", "my name is Anna Lee, card 4111 1111 1111 1111", 1.0),
    ("caller", "email anna.lee@example.com, IBAN DE89 3704 0044 0532 0130 00", 2.0),
    ("caller", "I live at 221b Baker Street, call 212 555 0123", 3.0),
    ("caller", "", 4.0),
]


async def test_logs_of_the_whole_post_call_path_carry_no_pii(
    db_pool: Any, tenant: Tenant, services: OutcomeServices, analysis: AnalysisServices
) -> None:
    await analysis.store.set_policy(
        tenant.company_id, bot=None, mode="redact_drop_raw", drop_raw_after_days=0, recognizers=("card",)
    )
    with capture_logs() as logs:
        call_id, start, end = await seed_call(
            db_pool, tenant, TURNS, slots=[("patient_name", "Anna Lee", 1), ("phone", "+12125550123", 3)]
        )
        await finalize(services, tenant, call_id, start, end, slots={"patient_name": "Anna Lee"})
        await analysis.worker(name="t").run_until_idle()
        await analysis.retention.run()
    assert {e["event"] for e in logs} >= {"call_finalized", "call_analyzed", "turn_discarded"}
    text = json.dumps(logs, default=str)
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, (leaked, text)
