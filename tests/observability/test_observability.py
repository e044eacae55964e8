"""Logs carry the call's ids and never its PII; metrics are exported with unit-suffixed names."""

from __future__ import annotations

import io
import json

import structlog
from prometheus_client import REGISTRY, generate_latest

from voicebot.observability import bind_call, configure_logging, metrics


def test_json_lines_carry_call_context_and_redact_pii() -> None:
    out = io.StringIO()
    configure_logging(level="info", fmt="json", stream=out)
    try:
        with bind_call(call_id="c-1", bot_id="b-1"):
            structlog.get_logger("t").info(
                "call_started", caller_number="+14155550123", text="my card is 4111"
            )
        structlog.get_logger("t").info("outside")
    finally:
        structlog.reset_defaults()
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["event"] == "call_started" and first["call_id"] == "c-1" and first["bot_id"] == "b-1"
    assert first["caller_number"] == "[redacted]" and first["text"] == "[redacted]"
    assert "+14155550123" not in out.getvalue() and "4111" not in out.getvalue()
    assert "call_id" not in second


def test_metrics_are_exported_by_stage_and_outcome_without_call_ids() -> None:
    metrics.call_started("inbound")
    metrics.turn_latency("engine", 0.0004)
    metrics.turn_latency("not-a-stage", 1.0)
    metrics.call_ended("completed")
    text = generate_latest(REGISTRY).decode()
    assert 'voicebot_turn_latency_seconds_count{stage="engine"}' in text
    assert "not-a-stage" not in text
    assert 'voicebot_calls_ended_total{status="completed"}' in text
    assert "voicebot_calls_active" in text and "voicebot_recorder_backlog_records" in text
