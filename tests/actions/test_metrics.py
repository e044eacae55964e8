"""Per-action metrics: the latency histogram by action and status, errors by kind."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from tests.fakes import FakeCompanyApi
from voicebot.actions import ActionRegistry
from voicebot.actions.http import HttpActionRunner
from voicebot.dialogue import CallContext, RunAction
from voicebot.outcomes import HostPolicy
from voicebot.telephony.actions import CallActions


def _run(name: str, url: str) -> RunAction:
    return RunAction(name, "http", "GET", url, {}, None, {}, (), 1.0, 0, f"k:{name}")


def _value(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


async def test_each_call_is_timed_by_action_and_status_and_failures_counted_by_kind() -> None:
    name = f"probe_{uuid.uuid4().hex[:8]}"
    async with FakeCompanyApi() as api, HttpActionRunner(policy=HostPolicy.parse("127.0.0.0/8")) as http:
        actions = CallActions(ActionRegistry({"http": http}), call_id=None, company_id=None, bot_id=None)
        ok = await actions.perform(_run(name, f"{api.origin}/accounts/12345"), CallContext())
        bad = await actions.perform(_run(name, f"{api.origin}/status/503"), CallContext())
    assert (ok.status, bad.status, bad.error_kind) == ("ok", "error", "http_5xx")
    assert _value("voicebot_action_duration_seconds_count", action=name, status="ok") == 1
    assert _value("voicebot_action_duration_seconds_count", action=name, status="error") == 1
    assert _value("voicebot_action_errors_total", action=name, kind="http_5xx") == 1
    assert _value("voicebot_action_errors_total", action=name, kind="timeout") == 0
