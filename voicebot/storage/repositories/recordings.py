"""Recorded calls as a replay reads them, and replay results kept with a scenario version.

:class:`Recordings` only reads the call tables (``calls``, ``turns``, ``state_transitions``,
``extracted_slots``, ``outcomes``): a replay never writes them. A bot's calls are read in batches of
``batch`` calls, four queries a batch (one index range scan each), so replaying thousands of calls
reads them in seconds. :class:`ReplayResults` writes the one table a replay owns,
``scenario_version_replays``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from voicebot.errors import ConfigError, NotFoundError
from voicebot.storage.errors import translated
from voicebot.storage.records import SlotFilled, Transition, Turn

__all__ = ["BotRef", "CallRecording", "Recordings", "ReplayResults", "ReplaySummaryRow"]


@dataclass(frozen=True, slots=True)
class BotRef:
    id: uuid.UUID
    company_id: uuid.UUID
    slug: str
    phone_number: str
    version_id: uuid.UUID | None
    version: int | None


@dataclass(frozen=True, slots=True)
class CallRecording:
    """One recorded call: its row, turns, transitions and slots in order, and its outcome."""

    id: uuid.UUID
    bot_id: uuid.UUID | None
    direction: str
    caller_number: str | None
    dialed_number: str | None
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    final_state: str | None
    end_reason: str | None
    scenario_version: int | None
    outcome: str | None
    decision: dict[str, Any] | None
    turns: tuple[Turn, ...]
    transitions: tuple[Transition, ...]
    slots: tuple[SlotFilled, ...]


@dataclass(frozen=True, slots=True)
class ReplaySummaryRow:
    id: uuid.UUID
    version_id: uuid.UUID
    version: int
    calls: int
    unchanged: int
    improved: int
    changed: int
    regressed: int
    skipped: int
    forced: bool
    report: dict[str, Any]
    created_at: dt.datetime


_CALLS = """
SELECT c.id, c.bot_id, c.direction, c.caller_number, c.dialed_number, c.status, c.started_at, c.ended_at,
       c.final_state, c.end_reason, v.version AS scenario_version, o.outcome_type AS outcome, c.decision
FROM calls c
LEFT JOIN outcomes o ON o.call_id = c.id
LEFT JOIN scenario_versions v ON v.id = c.scenario_version_id"""


class Recordings:
    """Read-only access to recorded calls for replay."""

    def __init__(self, pool: Any, *, batch: int = 500) -> None:
        if batch < 1:
            raise ValueError(f"batch={batch} must be at least 1")
        self._pool = pool
        self._batch = batch

    async def bot(self, ref: str) -> BotRef:
        """A bot by id (uuid) or by slug (``bot.id`` of its scenario; must name one bot)."""
        try:
            key: uuid.UUID | None = uuid.UUID(ref)
        except ValueError:
            key = None
        sql = """SELECT b.id, b.company_id, b.slug, b.phone_number, b.current_version_id AS version_id,
                        v.version FROM bots b LEFT JOIN scenario_versions v ON v.id = b.current_version_id"""
        with translated():
            if key is not None:
                rows = await self._pool.fetch(f"{sql} WHERE b.id = $1", key)
            else:
                rows = await self._pool.fetch(f"{sql} WHERE b.slug = $1 ORDER BY b.created_at", ref)
        if not rows:
            raise NotFoundError(f"no bot {ref!r} (give its id or its scenario's bot.id)")
        if len(rows) > 1:
            ids = ", ".join(str(r["id"]) for r in rows)
            raise ConfigError(f"several bots are called {ref!r}: give the bot's id ({ids})")
        return BotRef(**dict(rows[0]))

    async def call_ids(self, bot_id: uuid.UUID, *, since: dt.datetime | None) -> list[uuid.UUID]:
        """The bot's ended calls (oldest first) started at or after ``since``."""
        with translated():
            rows = await self._pool.fetch(
                """SELECT id FROM calls WHERE bot_id = $1 AND status <> 'active'
                   AND ($2::timestamptz IS NULL OR started_at >= $2) ORDER BY started_at, id""",
                bot_id,
                since,
            )
        return [r["id"] for r in rows]

    async def calls(self, ids: Sequence[uuid.UUID]) -> AsyncIterator[CallRecording]:
        """The recordings of ``ids`` (in that order; ids with no call are left out)."""
        for start in range(0, len(ids), self._batch):
            chunk = list(ids[start : start + self._batch])
            for recording in await self._read(chunk):
                yield recording

    async def _read(self, ids: list[uuid.UUID]) -> list[CallRecording]:
        with translated():
            async with self._pool.acquire() as conn:
                rows = await conn.fetch(f"{_CALLS} WHERE c.id = ANY($1::uuid[])", ids)
                turns = await conn.fetch(
                    """SELECT call_id, seq, role, text, state, interrupted, stt_ms, engine_ms, llm_ms, tts_ms,
                              e2e_ms, metadata, at FROM turns WHERE call_id = ANY($1::uuid[])
                       ORDER BY call_id, seq""",
                    ids,
                )
                transitions = await conn.fetch(
                    """SELECT call_id, seq, from_state, to_state, trigger_type, trigger_data, latency_ms,
                              turn_seq, at FROM state_transitions WHERE call_id = ANY($1::uuid[])
                       ORDER BY call_id, seq""",
                    ids,
                )
                slots = await conn.fetch(
                    """SELECT call_id, seq, name, value, confidence, method, validated, turn_seq, at
                       FROM extracted_slots WHERE call_id = ANY($1::uuid[]) ORDER BY call_id, seq""",
                    ids,
                )
        by_turn: dict[uuid.UUID, list[Turn]] = {}
        for t in turns:
            by_turn.setdefault(t["call_id"], []).append(Turn(**dict(t)))
        by_transition: dict[uuid.UUID, list[Transition]] = {}
        for t in transitions:
            by_transition.setdefault(t["call_id"], []).append(Transition(**dict(t)))
        by_slot: dict[uuid.UUID, list[SlotFilled]] = {}
        for s in slots:
            by_slot.setdefault(s["call_id"], []).append(SlotFilled(**dict(s)))
        found = {r["id"]: r for r in rows}
        out = []
        for call_id in ids:
            row = found.get(call_id)
            if row is None:
                continue
            out.append(
                CallRecording(
                    **dict(row),
                    turns=tuple(by_turn.get(call_id, ())),
                    transitions=tuple(by_transition.get(call_id, ())),
                    slots=tuple(by_slot.get(call_id, ())),
                )
            )
        return out


class ReplayResults:
    """Replay results kept with the scenario version they were run for."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def save(
        self,
        *,
        bot_id: uuid.UUID,
        version_id: uuid.UUID,
        since: dt.datetime | None,
        counts: dict[str, int],
        forced: bool,
        report: dict[str, Any],
    ) -> uuid.UUID:
        with translated():
            value: uuid.UUID = await self._pool.fetchval(
                """INSERT INTO scenario_version_replays (version_id, bot_id, since, calls, unchanged,
                          improved, changed, regressed, skipped, forced, report)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id""",
                version_id,
                bot_id,
                since,
                counts.get("calls", 0),
                counts.get("unchanged", 0),
                counts.get("improved", 0),
                counts.get("changed", 0),
                counts.get("regressed", 0),
                counts.get("skipped", 0),
                forced,
                report,
            )
        return value

    async def for_bot(self, bot_id: uuid.UUID, *, limit: int = 20) -> list[ReplaySummaryRow]:
        """The bot's kept replay results, newest first."""
        with translated():
            rows = await self._pool.fetch(
                """SELECT r.id, r.version_id, v.version, r.calls, r.unchanged, r.improved, r.changed,
                          r.regressed, r.skipped, r.forced, r.report, r.created_at
                   FROM scenario_version_replays r JOIN scenario_versions v ON v.id = r.version_id
                   WHERE r.bot_id = $1 ORDER BY r.created_at DESC LIMIT $2""",
                bot_id,
                limit,
            )
        return [ReplaySummaryRow(**dict(r)) for r in rows]
