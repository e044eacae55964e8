"""Seeding calls in a real Postgres for the post-call pipeline tests, and finalizing them the way a
call does (which enqueues the post_call job in the outcome's transaction)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from tests.outcomes.conftest import Tenant, facts, finished

__all__ = ["facts", "finalize", "finished", "seed_call"]
from voicebot.runtime_outcomes import OutcomeServices

Turn = tuple[str, str, float] | tuple[str, str, float, dict[str, Any]]  # role, text, seconds after start
Slot = tuple[str, Any, int]  # name, value, turn seq


async def seed_call(
    pool: Any,
    tenant: Tenant,
    turns: Sequence[Turn],
    *,
    slots: Sequence[Slot] = (),
    transitions: Sequence[tuple[str | None, str, str, int | None]] = (),
    slot_types: dict[str, str] | None = None,
    started_at: dt.datetime | None = None,
    duration_s: float = 60.0,
    direction: str = "inbound",
) -> tuple[uuid.UUID, dt.datetime, dt.datetime]:
    """Insert a call with its turns, slots and transitions, as the recorder would have written them."""
    call_id = uuid.uuid4()
    start = started_at or dt.datetime.now(dt.UTC) - dt.timedelta(seconds=duration_s)
    end = start + dt.timedelta(seconds=duration_s)
    decision = {"slot_types": slot_types or {}, "bot_slug": "clinic"}
    await pool.execute(
        """INSERT INTO calls (id, bot_id, direction, caller_number, dialed_number, started_at, ended_at,
                              status, decision)
           VALUES ($1, $2, $3, '+12125550123', '+15550001111', $4, $5, 'completed', $6)""",
        call_id,
        tenant.bot_id,
        direction,
        start,
        end,
        decision,
    )
    for seq, turn in enumerate(turns):
        role, text, at = turn[0], turn[1], turn[2]
        meta = turn[3] if len(turn) > 3 else {}  # type: ignore[misc]
        await pool.execute(
            """INSERT INTO turns (call_id, seq, role, text, state, metadata, at)
               VALUES ($1, $2, $3, $4, 'ask', $5, $6)""",
            call_id,
            seq,
            role,
            text,
            meta,
            start + dt.timedelta(seconds=at),
        )
    for seq, (name, value, turn_seq) in enumerate(slots):
        await pool.execute(
            """INSERT INTO extracted_slots (call_id, seq, name, value, confidence, method, turn_seq, at)
               VALUES ($1, $2, $3, $4, 0.9, 'nlu', $5, now())""",
            call_id,
            seq,
            name,
            value,
            turn_seq,
        )
    for seq, (source, dest, trigger, turn_seq) in enumerate(transitions):
        await pool.execute(
            """INSERT INTO state_transitions (call_id, seq, from_state, to_state, trigger_type, turn_seq, at)
               VALUES ($1, $2, $3, $4, $5, $6, now())""",
            call_id,
            seq,
            source,
            dest,
            trigger,
            turn_seq,
        )
    return call_id, start, end


async def finalize(
    services: OutcomeServices,
    tenant: Tenant,
    call_id: uuid.UUID,
    start: dt.datetime,
    end: dt.datetime,
    *,
    end_reason: str = "completed",
    slots: dict[str, Any] | None = None,
) -> None:
    await services.finalizer.finalize(
        finished("information", end_reason=end_reason, slots=slots or {}),
        facts(tenant, call_id=call_id, started_at=start, ended_at=end),
    )
