"""Per-turn series are written in batches while a call runs, and never missed by a scrape or a call's end."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY, generate_latest

from voicebot.observability import batch, metrics


def _count(trigger: str) -> float:
    return REGISTRY.get_sample_value("voicebot_transitions_total", {"trigger": trigger}) or 0.0


def _engine_turns() -> float:
    return REGISTRY.get_sample_value("voicebot_turn_latency_seconds_count", {"stage": "engine"}) or 0.0


async def test_a_turn_inside_a_call_is_written_within_the_flush_interval() -> None:
    before = _count("batch_test_timer")
    metrics.transition("batch_test_timer")
    metrics.transition("batch_test_timer")
    assert batch._PENDING, "queued while the loop runs"
    await asyncio.sleep(batch.FLUSH_SECONDS + 0.3)
    assert not batch._PENDING
    assert _count("batch_test_timer") == before + 2


async def test_a_scrape_counts_what_is_queued() -> None:
    before = _engine_turns()
    metrics.turn_latency("engine", 0.0004)
    text = generate_latest(REGISTRY).decode()  # what /metrics serves, without waiting for the timer
    line = next(
        x for x in text.splitlines() if x.startswith('voicebot_turn_latency_seconds_count{stage="engine"}')
    )
    assert float(line.split()[-1]) == before + 1


async def test_the_end_of_a_call_writes_its_turns_first() -> None:
    before = _count("batch_test_end")
    metrics.call_started("inbound")
    metrics.transition("batch_test_end")
    metrics.call_ended("completed")
    assert _count("batch_test_end") == before + 1


async def test_a_flush_scheduled_on_a_loop_that_stopped_does_not_stall_the_next_loop() -> None:
    def old_loop() -> None:
        async def one() -> None:
            metrics.transition("batch_test_loops")

        asyncio.run(one())  # the loop stops before its flush timer fires

    before = _count("batch_test_loops")
    await asyncio.to_thread(old_loop)
    metrics.transition("batch_test_loops")  # this loop schedules its own flush
    await asyncio.sleep(batch.FLUSH_SECONDS + 0.3)
    assert not batch._PENDING  # the timer wrote both (reading the registry would flush as well)
    assert _count("batch_test_loops") == before + 2


def test_without_a_running_loop_an_observation_is_written_at_once() -> None:
    before = _count("batch_test_sync")
    metrics.transition("batch_test_sync")
    assert _count("batch_test_sync") == before + 1
