"""Where the recorder's batches go: Postgres, in one transaction per batch, idempotently.

Each table gets one ``INSERT ... SELECT FROM unnest($1::type[], ...) ON CONFLICT DO NOTHING`` per
batch: one round trip and one statement however many rows (asyncpg's executemany pays a statement
execution per row, and COPY cannot skip conflicting rows). Calls are inserted first and call ends
applied last, so a batch that holds a call's start and its children satisfies the foreign keys.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import asyncpg
import structlog

from voicebot.storage.errors import is_connection_error, translate
from voicebot.storage.records import (
    ActionCalled,
    CallEnded,
    CallStarted,
    Checkpoint,
    ErrorLogged,
    Record,
    SlotFilled,
    Transition,
    Turn,
    json_default,
)

__all__ = ["PostgresSink", "RecordSink"]

log = structlog.get_logger("voicebot.storage.sink")


class RecordSink(Protocol):
    """Writes batches of records. Raises a retryable StorageError when the database is unreachable;
    returns the records the database refused (bad data), which will never succeed."""

    async def write(self, batch: Sequence[Record]) -> Sequence[Record]: ...


_INSERT_CALLS = """
INSERT INTO calls (id, bot_id, direction, caller_number, dialed_number, scenario_version_id, started_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[],
                     $7::timestamptz[])
ON CONFLICT (id) DO NOTHING"""

# Turns and transitions carry their call's company_id (row-level security, sql/0015): labelled here in one
# join for the batch; the table's trigger would otherwise look it up row by row.
_INSERT_TURNS = """
INSERT INTO turns (call_id, seq, role, text, state, interrupted, stt_ms, engine_ms, llm_ms, tts_ms, e2e_ms,
                   metadata, at, company_id)
SELECT u.*, b.company_id
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::real[],
            $8::real[], $9::real[], $10::real[], $11::real[], $12::jsonb[], $13::timestamptz[])
     AS u(call_id, seq, role, text, state, interrupted, stt_ms, engine_ms, llm_ms, tts_ms, e2e_ms, metadata,
          at)
LEFT JOIN calls c ON c.id = u.call_id LEFT JOIN bots b ON b.id = c.bot_id
ON CONFLICT (call_id, seq) DO NOTHING"""

_INSERT_TRANSITIONS = """
INSERT INTO state_transitions (call_id, seq, from_state, to_state, trigger_type, trigger_data, latency_ms,
                               turn_seq, at, company_id)
SELECT u.*, b.company_id
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::real[],
            $8::int[], $9::timestamptz[])
     AS u(call_id, seq, from_state, to_state, trigger_type, trigger_data, latency_ms, turn_seq, at)
LEFT JOIN calls c ON c.id = u.call_id LEFT JOIN bots b ON b.id = c.bot_id
ON CONFLICT (call_id, seq) DO NOTHING"""

_INSERT_SLOTS = """
INSERT INTO extracted_slots (call_id, seq, name, value, confidence, method, validated, turn_seq, at)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::jsonb[], $5::real[], $6::text[], $7::bool[],
                     $8::int[], $9::timestamptz[])
ON CONFLICT (call_id, seq) DO NOTHING"""

_INSERT_CHECKPOINTS = """
INSERT INTO call_checkpoints (call_id, turn_seq, state, slots, retries, at)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::jsonb[], $5::jsonb[], $6::timestamptz[])
ON CONFLICT (call_id, turn_seq) DO NOTHING"""

_INSERT_ERRORS = """
INSERT INTO error_logs (call_id, bot_id, error_type, message, context, severity, created_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::text[],
                     $7::timestamptz[])"""

_INSERT_ACTIONS = """
INSERT INTO call_actions (call_id, seq, action, kind, request, status, http_status, error, error_kind,
                          latency_ms, attempts, filler, next_state, turn_seq, at)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::int[],
                     $8::text[], $9::text[], $10::real[], $11::int[], $12::bool[], $13::text[], $14::int[],
                     $15::timestamptz[])
ON CONFLICT (call_id, seq) DO NOTHING"""

# Only an active call is ended here: a call already finalized (by the reaper, or by a finalize that ran
# before this record was replayed from the journal) keeps the status that agrees with its outcome.
_END_CALLS = """
UPDATE calls AS c
SET ended_at = u.ended_at, status = u.status, final_state = u.final_state, end_reason = u.end_reason,
    decision = u.decision::jsonb
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
     AS u(id, ended_at, status, final_state, end_reason, decision)
WHERE c.id = u.id AND c.status = 'active'"""


_BEAT = "UPDATE calls SET last_heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND status = 'active'"

_COLS: dict[type, tuple[str, ...]] = {
    CallStarted: (
        "call_id",
        "bot_id",
        "direction",
        "caller_number",
        "dialed_number",
        "scenario_version_id",
        "started_at",
    ),
    Turn: (
        "call_id",
        "seq",
        "role",
        "text",
        "state",
        "interrupted",
        "stt_ms",
        "engine_ms",
        "llm_ms",
        "tts_ms",
        "e2e_ms",
        "metadata",
        "at",
    ),
    Transition: (
        "call_id",
        "seq",
        "from_state",
        "to_state",
        "trigger_type",
        "trigger_data",
        "latency_ms",
        "turn_seq",
        "at",
    ),
    SlotFilled: ("call_id", "seq", "name", "value", "confidence", "method", "validated", "turn_seq", "at"),
    Checkpoint: ("call_id", "turn_seq", "state", "slots", "retries", "at"),
    CallEnded: ("call_id", "ended_at", "status", "final_state", "end_reason", "decision_json"),
    ErrorLogged: ("call_id", "bot_id", "error_type", "message", "context", "severity", "at"),
    ActionCalled: (
        "call_id",
        "seq",
        "action",
        "action_kind",
        "request",
        "status",
        "http_status",
        "error",
        "error_kind",
        "latency_ms",
        "attempts",
        "filler",
        "next_state",
        "turn_seq",
        "at",
    ),
}
# Order matters: a call's row before its children, its end after them.
_STATEMENTS: tuple[tuple[type, str], ...] = (
    (CallStarted, _INSERT_CALLS),
    (Turn, _INSERT_TURNS),
    (Transition, _INSERT_TRANSITIONS),
    (SlotFilled, _INSERT_SLOTS),
    (ActionCalled, _INSERT_ACTIONS),
    (Checkpoint, _INSERT_CHECKPOINTS),
    (CallEnded, _END_CALLS),
    (ErrorLogged, _INSERT_ERRORS),
)


def _value(record: Any, name: str) -> Any:
    if name == "decision_json":
        decision = record.decision
        return None if decision is None else json.dumps(decision, default=json_default, ensure_ascii=False)
    return getattr(record, name)


async def _write(conn: Any, batch: Sequence[Record]) -> None:
    groups: dict[type, list[Any]] = {}
    for record in batch:
        groups.setdefault(type(record), []).append(record)
    if ends := groups.get(CallEnded):
        groups[CallEnded] = list({r.call_id: r for r in ends}.values())  # a repeated end: the last one wins
    for kind, sql in _STATEMENTS:
        rows = groups.get(kind)
        if rows:
            await conn.execute(sql, *([_value(r, name) for r in rows] for name in _COLS[kind]))


class PostgresSink:
    """The real :class:`RecordSink` over an asyncpg pool."""

    def __init__(self, pool: Any, *, timeout: float = 10.0) -> None:
        self._pool = pool
        self._timeout = timeout

    async def _transaction(self, batch: Sequence[Record]) -> None:
        async with self._pool.acquire(timeout=self._timeout) as conn, conn.transaction():
            await _write(conn, batch)

    async def beat(self, call_ids: Sequence[uuid.UUID]) -> None:
        """The heartbeat of this process's live calls: one statement for all of them."""
        if not call_ids:
            return
        try:
            await self._pool.execute(_BEAT, list(call_ids), timeout=self._timeout)
        except (
            asyncpg.exceptions.PostgresError,
            asyncpg.exceptions.InterfaceError,
            asyncpg.exceptions.InternalClientError,
            OSError,
            TimeoutError,
        ) as exc:
            raise translate(exc) from exc

    async def write(self, batch: Sequence[Record]) -> Sequence[Record]:
        if not batch:
            return []
        try:
            await self._transaction(batch)
            return []
        except (TypeError, ValueError) as exc:  # a value asyncpg cannot encode
            log.warning("recorder_batch_refused", error=str(exc), records=len(batch))
        except (
            asyncpg.exceptions.PostgresError,
            asyncpg.exceptions.InterfaceError,
            asyncpg.exceptions.InternalClientError,
            OSError,
            TimeoutError,
        ) as exc:
            if is_connection_error(exc):
                raise translate(exc) from exc
            log.warning("recorder_batch_refused", error=str(exc), records=len(batch))
        # Bad data somewhere in the batch: write record by record, in order, and return the refused ones.
        rejected: list[Record] = []
        for record in batch:
            try:
                await self._transaction([record])
            except (
                asyncpg.exceptions.PostgresError,
                asyncpg.exceptions.InterfaceError,
                asyncpg.exceptions.InternalClientError,
                OSError,
                TimeoutError,
                TypeError,
                ValueError,
            ) as exc:
                if is_connection_error(exc):
                    raise translate(exc) from exc
                rejected.append(record)
                log.error("recorder_record_refused", error=str(exc), kind=type(record).__name__)
        return rejected
