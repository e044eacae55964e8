"""Per-company retention: delete old calls, old turns and old raw text, in batches.

* ``companies.retention_calls_days``: calls (ended, started longer ago) are deleted with everything
  that cascades from them (turns, transitions, slots, checkpoints, outcome, analysis); webhook events,
  appointments and error logs stay with their ``call_id`` set to NULL;
* ``companies.retention_turns_days``: the call row, its outcome and analysis stay; its turns (and their
  cleaned/redacted texts) are deleted and ``calls.turns_purged_at`` is set;
* a privacy policy ``redact_drop_raw`` with ``drop_raw_after_days``: the raw text of each turn of an
  analyzed call is replaced by its redacted copy and ``calls.raw_dropped_at`` is set.

Each batch is one short statement over at most ``batch`` calls (``FOR UPDATE SKIP LOCKED``), so a run
never holds long locks and live calls are never touched (active calls are skipped). A run takes a
session advisory lock: a second run started by cron meanwhile returns at once (``skipped=True``).
Safe to run at any time, as often as wanted.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

from voicebot.errors import ConfigError, NotFoundError
from voicebot.storage.errors import translated

__all__ = ["Retention", "RetentionReport", "check_days"]

_LOCK_KEY: Final = 0x766F_6963_6572_6574  # "voiceret": one retention run at a time per database

_CALLS = """
WITH victims AS (
    SELECT c.id FROM calls c JOIN bots b ON b.id = c.bot_id
    JOIN companies co ON co.id = b.company_id
    WHERE co.retention_calls_days IS NOT NULL AND c.status <> 'active'
      AND c.started_at < now() - make_interval(days => co.retention_calls_days)
    LIMIT $1
    FOR UPDATE OF c SKIP LOCKED
)
DELETE FROM calls WHERE id IN (SELECT id FROM victims)"""

_TURNS = """
WITH victims AS (
    SELECT c.id FROM calls c JOIN bots b ON b.id = c.bot_id
    JOIN companies co ON co.id = b.company_id
    WHERE co.retention_turns_days IS NOT NULL AND c.status <> 'active' AND c.turns_purged_at IS NULL
      AND c.started_at < now() - make_interval(days => co.retention_turns_days)
    LIMIT $1
    FOR UPDATE OF c SKIP LOCKED
), gone AS (
    DELETE FROM turns WHERE call_id IN (SELECT id FROM victims) RETURNING 1
), marked AS (
    UPDATE calls SET turns_purged_at = now() WHERE id IN (SELECT id FROM victims) RETURNING 1
)
SELECT (SELECT count(*) FROM marked) AS calls, (SELECT count(*) FROM gone) AS turns"""

_RAW = """
WITH victims AS (
    SELECT c.id FROM calls c JOIN bots b ON b.id = c.bot_id
    JOIN LATERAL (
        SELECT p.mode, p.drop_raw_after_days FROM privacy_policies p
        WHERE p.company_id = b.company_id AND (p.bot_id = b.id OR p.bot_id IS NULL)
        ORDER BY p.bot_id NULLS LAST LIMIT 1
    ) p ON true
    WHERE p.mode = 'redact_drop_raw' AND c.raw_dropped_at IS NULL AND c.ended_at IS NOT NULL
      AND c.ended_at < now() - make_interval(days => p.drop_raw_after_days)
      AND EXISTS (SELECT 1 FROM call_analyses a WHERE a.call_id = c.id)
    LIMIT $1
    FOR UPDATE OF c SKIP LOCKED
), t AS (
    UPDATE turns SET text = tt.redacted_text FROM turn_texts tt
    WHERE turns.call_id IN (SELECT id FROM victims) AND tt.call_id = turns.call_id AND tt.seq = turns.seq
      AND tt.redacted_text IS NOT NULL
    RETURNING 1
), x AS (
    UPDATE turn_texts SET raw_dropped_at = now() WHERE call_id IN (SELECT id FROM victims) RETURNING 1
), marked AS (
    UPDATE calls SET raw_dropped_at = now() WHERE id IN (SELECT id FROM victims) RETURNING 1
)
SELECT (SELECT count(*) FROM marked) AS calls, (SELECT count(*) FROM t) AS turns"""


def check_days(value: int | None, what: str) -> int | None:
    """``value`` if it is a valid retention in days (None: keep forever); ConfigError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"{what} retention of {value!r} days is invalid: give a whole number of days, 1 or more"
        )
    return value


@dataclass(frozen=True, slots=True)
class RetentionReport:
    calls_deleted: int = 0
    turns_deleted: int = 0
    calls_turns_purged: int = 0
    raw_dropped_calls: int = 0
    raw_dropped_turns: int = 0
    batches: int = 0
    seconds: float = 0.0
    skipped: bool = False


class Retention:
    def __init__(self, pool: Any, *, batch: int = 1000) -> None:
        if batch < 1:
            raise ConfigError(f"retention batch={batch} must be at least 1")
        self._pool = pool
        self._batch = batch

    async def set(self, company_id: uuid.UUID, *, calls_days: int | None, turns_days: int | None) -> None:
        """Set a company's retention (None: keep forever). Raises ConfigError for 0 or negative days."""
        check_days(calls_days, "call")
        check_days(turns_days, "turn")
        with translated():
            result: str = await self._pool.execute(
                """UPDATE companies SET retention_calls_days = $2, retention_turns_days = $3,
                       updated_at = now() WHERE id = $1""",
                company_id,
                calls_days,
                turns_days,
            )
        if result.endswith(" 0"):
            raise NotFoundError(f"company {company_id} not found")

    async def get(self, company_id: uuid.UUID) -> dict[str, int | None]:
        with translated():
            row = await self._pool.fetchrow(
                "SELECT retention_calls_days, retention_turns_days FROM companies WHERE id = $1", company_id
            )
        if row is None:
            raise NotFoundError(f"company {company_id} not found")
        return {"calls_days": row[0], "turns_days": row[1]}

    async def run(self, *, max_batches: int | None = None) -> RetentionReport:
        """Apply every company's retention until nothing is left (or ``max_batches`` per kind)."""
        started = time.perf_counter()
        calls = turns = purged = raw_calls = raw_turns = batches = 0
        with translated():
            async with self._pool.acquire() as conn:
                if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK_KEY):
                    return RetentionReport(skipped=True)
                try:
                    while max_batches is None or batches < max_batches:
                        n = int((await conn.execute(_CALLS, self._batch)).split()[-1])
                        batches += 1
                        calls += n
                        if n < self._batch:
                            break
                    done = 0
                    while max_batches is None or done < max_batches:
                        row = await conn.fetchrow(_TURNS, self._batch)
                        batches += 1
                        done += 1
                        purged += row["calls"]
                        turns += row["turns"]
                        if row["calls"] < self._batch:
                            break
                    done = 0
                    while max_batches is None or done < max_batches:
                        row = await conn.fetchrow(_RAW, self._batch)
                        batches += 1
                        done += 1
                        raw_calls += row["calls"]
                        raw_turns += row["turns"]
                        if row["calls"] < self._batch:
                            break
                finally:
                    await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        return RetentionReport(
            calls, turns, purged, raw_calls, raw_turns, batches, round(time.perf_counter() - started, 3)
        )
