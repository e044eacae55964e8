"""The dispatcher's metrics as Prometheus scrapes them: attempts by settlement, the outbox's queue
depth, dead letters and the age of its oldest pending event (the alerts of infra/prometheus/alerts.yml)."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

from voicebot.cli.webhooks import sample_backlog
from voicebot.observability.metrics import exposition
from voicebot.runtime_outcomes import OutcomeServices

from .conftest import Receiver, Tenant, facts, finished, run_until


def _samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body, _ = exposition()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def _value(name: str, **labels: str) -> float:
    return _samples().get((name, tuple(sorted(labels.items()))), 0.0)


async def _sample(services: OutcomeServices) -> None:
    stop = asyncio.Event()
    stop.set()  # one sample, then return
    await sample_backlog(services.outbox, stop)


async def test_a_dead_letter_shows_in_attempts_and_in_the_outbox_gauges(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.behaviour = lambda n: 500
    dead_before = _value("voicebot_webhook_attempts_total", outcome="dead")
    retry_before = _value("voicebot_webhook_attempts_total", outcome="retry")
    await services.finalizer.finalize(finished(), facts(tenant))
    await asyncio.sleep(0.2)
    await _sample(services)
    assert _value("voicebot_webhook_outbox_events", status="pending") >= 1
    assert _value("voicebot_webhook_outbox_oldest_pending_seconds") > 0

    await run_until(lambda: len(receiver.requests) == 4, services.dispatcher())
    await asyncio.sleep(0.3)
    assert _value("voicebot_webhook_attempts_total", outcome="retry") == retry_before + 3
    assert _value("voicebot_webhook_attempts_total", outcome="dead") == dead_before + 1
    await _sample(services)
    assert _value("voicebot_webhook_outbox_events", status="dead") >= 1
    assert _value("voicebot_webhook_outbox_events", status="pending") == 0
    assert _value("voicebot_webhook_outbox_oldest_pending_seconds") == 0
