"""A company's analytics: outcome counts per day and a bot's per-state funnel (sql/0003_analytics.sql).

Both are scoped by ``company_id`` through ``bots``. Days are UTC calendar days of the call's start.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from voicebot.errors import NotFoundError
from voicebot.storage.errors import translated

__all__ = ["Analytics", "FunnelStep", "OutcomeCount"]


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    day: dt.date
    outcome: str
    calls: int


@dataclass(frozen=True, slots=True)
class FunnelStep:
    state: str
    calls_reached: int
    calls_ended_here: int
    calls_dropped_here: int
    drop_off_pct: float


_OUTCOMES = """
SELECT (c.started_at AT TIME ZONE 'UTC')::date AS day, o.outcome_type AS outcome, count(*) AS calls
FROM outcomes o
JOIN calls c ON c.id = o.call_id
JOIN bots b ON b.id = c.bot_id
WHERE b.company_id = $1
  AND ($2::uuid IS NULL OR c.bot_id = $2)
  AND ($3::timestamptz IS NULL OR c.started_at >= $3)
  AND ($4::timestamptz IS NULL OR c.started_at < $4)
GROUP BY 1, 2
ORDER BY 1, 2"""

# The view counts per (bot, scenario version, state); summing over versions is exact because each call
# ran one version. The percentage is recomputed from the sums.
_FUNNEL = """
SELECT f.state,
       sum(f.calls_reached)::bigint AS calls_reached,
       sum(f.calls_ended_here)::bigint AS calls_ended_here,
       sum(f.calls_dropped_here)::bigint AS calls_dropped_here
FROM state_funnel f
JOIN bots b ON b.id = f.bot_id
LEFT JOIN scenario_versions v ON v.id = f.scenario_version_id
WHERE b.company_id = $1 AND f.bot_id = $2 AND ($3::int IS NULL OR v.version = $3)
GROUP BY f.state
ORDER BY calls_reached DESC, f.state"""


class Analytics:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def outcomes_per_day(
        self,
        company_id: uuid.UUID,
        *,
        bot_id: uuid.UUID | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> builtins.list[OutcomeCount]:
        with translated():
            rows = await self._pool.fetch(_OUTCOMES, company_id, bot_id, since, until)
        return [OutcomeCount(**dict(r)) for r in rows]

    async def funnel(
        self, company_id: uuid.UUID, bot_id: uuid.UUID, *, version: int | None = None
    ) -> builtins.list[FunnelStep]:
        """Per state of the bot: calls that reached it, ended in it, dropped off in it; most reached first."""
        with translated():
            async with self._pool.acquire() as conn:
                owned = await conn.fetchval(
                    "SELECT true FROM bots WHERE company_id = $1 AND id = $2", company_id, bot_id
                )
                if not owned:
                    raise NotFoundError(f"no bot with id {bot_id}")
                rows = await conn.fetch(_FUNNEL, company_id, bot_id, version)
        return [
            FunnelStep(
                state=r["state"],
                calls_reached=r["calls_reached"],
                calls_ended_here=r["calls_ended_here"],
                calls_dropped_here=r["calls_dropped_here"],
                drop_off_pct=round(100.0 * r["calls_dropped_here"] / r["calls_reached"], 2)
                if r["calls_reached"]
                else 0.0,
            )
            for r in rows
        ]
