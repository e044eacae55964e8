"""Helpers of the recorder tests: a scripted call's records, counting what reached the database."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

from voicebot.storage import CallEnded, CallStarted, Checkpoint, Record, SlotFilled, Transition, Turn

TABLES = ("calls", "turns", "state_transitions", "extracted_slots", "call_checkpoints")


def call_records(call_id: uuid.UUID, bot_id: uuid.UUID | None, turns: int) -> Iterator[Record]:
    """What one call of ``turns`` turns produces: per turn a turn, a transition, a slot and a checkpoint."""
    yield CallStarted(call_id, bot_id, "inbound", "+14155550111", "+14155550100", None)
    for i in range(turns):
        yield Turn(
            call_id, i, "caller" if i % 2 else "bot", f"turn {i}", state=f"s{i}", stt_ms=12.5, e2e_ms=420.0
        )
        yield Transition(
            call_id, i, f"s{i}", f"s{i + 1}", "intent", {"intent": "yes"}, latency_ms=0.2, turn_seq=i
        )
        yield SlotFilled(call_id, i, f"slot{i}", {"n": i}, 0.9, "regex", validated=True, turn_seq=i)
        yield Checkpoint(call_id, i, f"s{i + 1}", {"n": i}, {"ask": 0})
    yield CallEnded(call_id, dt.datetime.now(dt.UTC), "completed", f"s{turns}", "hangup")


async def counts(pool: Any) -> dict[str, int]:
    return {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


def expected(calls: int, turns: int) -> dict[str, int]:
    return {"calls": calls, **{t: calls * turns for t in TABLES[1:]}}


async def assert_complete(pool: Any, call_ids: list[uuid.UUID], turns: int) -> None:
    """Every call has all its rows, numbered 0..turns-1 with no gap, and ended."""
    assert await counts(pool) == expected(len(call_ids), turns)
    rows = await pool.fetch(
        """SELECT c.id, c.status, array_agg(t.seq ORDER BY t.seq) AS seqs FROM calls c
           JOIN turns t ON t.call_id = c.id GROUP BY c.id, c.status"""
    )
    assert {r["id"] for r in rows} == set(call_ids)
    for r in rows:
        assert r["seqs"] == list(range(turns)) and r["status"] == "completed"
