"""Reading back what the recorder wrote (admin API, tests, debugging). Writing goes through the Recorder."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from voicebot.errors import NotFoundError
from voicebot.storage.errors import translated
from voicebot.storage.records import Checkpoint, SlotFilled, Transition, Turn

__all__ = ["CallSummary", "Calls"]


@dataclass(frozen=True, slots=True)
class CallSummary:
    id: uuid.UUID
    bot_id: uuid.UUID | None
    direction: str
    caller_number: str | None
    dialed_number: str | None
    scenario_version_id: uuid.UUID | None
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration_ms: int | None
    final_state: str | None
    end_reason: str | None


class Calls:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def get(self, call_id: uuid.UUID) -> CallSummary:
        with translated():
            row = await self._pool.fetchrow(
                """SELECT id, bot_id, direction, caller_number, dialed_number, scenario_version_id, status,
                          started_at, ended_at, duration_ms, final_state, end_reason
                   FROM calls WHERE id = $1""",
                call_id,
            )
        if row is None:
            raise NotFoundError(f"no call with id {call_id}")
        return CallSummary(**dict(row))

    async def turns(self, call_id: uuid.UUID) -> list[Turn]:
        with translated():
            rows = await self._pool.fetch(
                """SELECT call_id, seq, role, text, state, interrupted, stt_ms, engine_ms, llm_ms, tts_ms,
                          e2e_ms, metadata, at FROM turns WHERE call_id = $1 ORDER BY seq""",
                call_id,
            )
        return [Turn(**dict(r)) for r in rows]

    async def transitions(self, call_id: uuid.UUID) -> list[Transition]:
        with translated():
            rows = await self._pool.fetch(
                """SELECT call_id, seq, from_state, to_state, trigger_type, trigger_data, latency_ms,
                          turn_seq, at FROM state_transitions WHERE call_id = $1 ORDER BY seq""",
                call_id,
            )
        return [Transition(**dict(r)) for r in rows]

    async def slots(self, call_id: uuid.UUID) -> list[SlotFilled]:
        with translated():
            rows = await self._pool.fetch(
                """SELECT call_id, seq, name, value, confidence, method, validated, turn_seq, at
                   FROM extracted_slots WHERE call_id = $1 ORDER BY seq""",
                call_id,
            )
        return [SlotFilled(**dict(r)) for r in rows]

    async def last_checkpoint(self, call_id: uuid.UUID) -> Checkpoint | None:
        """The call's state after its latest recorded turn (to inspect or resume a call)."""
        with translated():
            row = await self._pool.fetchrow(
                """SELECT call_id, turn_seq, state, slots, retries, at FROM call_checkpoints
                   WHERE call_id = $1 ORDER BY turn_seq DESC LIMIT 1""",
                call_id,
            )
        return None if row is None else Checkpoint(**dict(row))
