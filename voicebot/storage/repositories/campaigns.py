"""Campaigns as a company manages them: create (numbers by COPY, one transaction), start, pause,
resume, stop, list, progress. Every query is scoped by ``company_id``; another company's campaign is
"not found".

The call attempts are jobs of the durable queue (:mod:`voicebot.storage.queue`), queue
``campaign_call``, group = the campaign id, key = ``campaign:phone:attempt``; starting a campaign
enqueues every pending number's first attempt in the same transaction as its status change.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voicebot.errors import ConfigError, ConflictError, NotFoundError
from voicebot.storage.errors import translated
from voicebot.storage.queue import JobQueue, JobSpec

__all__ = ["CAMPAIGN_QUEUE", "CampaignInfo", "CampaignProgress", "Campaigns", "NewCampaign", "NewNumber"]

CAMPAIGN_QUEUE = "campaign_call"  # = voicebot.campaigns.QUEUE_NAME (tests/campaigns check they agree)
JOB_MAX_ATTEMPTS = 1_000_000
"""Queue attempts of one dial job: every claim counts, and a job waiting for its window or for a free
slot is claimed again and again, so the queue's dead letter is not the campaign's limit (max_attempts
of the campaign counts *dials*, in campaign_attempts)."""


@dataclass(frozen=True, slots=True)
class NewNumber:
    row: int
    phone: str
    timezone: str
    variables: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class NewCampaign:
    bot_id: uuid.UUID
    name: str
    window_start: dt.time
    window_end: dt.time
    window_days: tuple[int, ...]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    default_timezone: str | None
    max_concurrent: int
    max_attempts: int
    retry_on: tuple[str, ...]
    retry_delays_s: tuple[int, ...]
    trunk_id: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    id: uuid.UUID
    company_id: uuid.UUID
    bot_id: uuid.UUID
    name: str
    status: str
    default_timezone: str | None
    window_start: dt.time
    window_end: dt.time
    window_days: list[int]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    max_concurrent: int
    max_attempts: int
    retry_on: list[str]
    retry_delays_s: list[int]
    trunk_id: str | None
    number_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CampaignProgress:
    numbers: dict[str, int]
    """Numbers per status: pending, answered, exhausted, do_not_call, expired, cancelled."""
    attempts: dict[str, int]
    """Dial attempts per status (answered, busy, no_answer, failed, interrupted, ...)."""
    live: int
    """Attempts dialing or answered and not yet ended (counted against max_concurrent)."""
    outcomes: dict[str, int]
    """Outcome mix of the answered calls that have finished (outcome type -> calls)."""
    jobs: dict[str, int]
    """The campaign's queue jobs per status."""


_COLUMNS = """id, company_id, bot_id, name, status, default_timezone, window_start, window_end,
              window_days::int[] AS window_days, starts_at, ends_at, max_concurrent, max_attempts,
              retry_on, retry_delays_s, trunk_id, number_count, created_at, updated_at"""

LIVE_ATTEMPTS = """
SELECT count(*) FROM campaign_attempts a
WHERE a.campaign_id = $1 AND a.status IN ('dialing', 'answered')
  AND a.started_at > now() - $2::interval
  AND (a.status = 'dialing'
       OR NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = a.call_id AND c.ended_at IS NOT NULL))"""
"""Live attempts of a campaign: dialing, or answered whose call has not ended (the call's process
records the call under the attempt's call_id). $2 bounds how long an answered call may count."""

MAX_CALL = dt.timedelta(hours=2)


def _missing(campaign_id: uuid.UUID) -> NotFoundError:
    return NotFoundError(f"no campaign with id {campaign_id}")


class Campaigns:
    def __init__(self, pool: Any, *, queue: JobQueue | None = None) -> None:
        self._pool = pool
        self._queue = queue or JobQueue(pool)

    async def create(
        self, company_id: uuid.UUID, campaign: NewCampaign, numbers: Sequence[NewNumber]
    ) -> CampaignInfo:
        """The campaign (status ``draft``) and all its numbers in one transaction: all or nothing."""
        if not numbers:
            raise ConfigError("the campaign has no numbers")
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                owned = await conn.fetchval(
                    "SELECT is_active FROM bots WHERE id = $1 AND company_id = $2",
                    campaign.bot_id,
                    company_id,
                )
                if owned is None:
                    raise NotFoundError(f"no bot with id {campaign.bot_id}")
                if not owned:
                    raise ConfigError(f"bot {campaign.bot_id} is not active: activate it before a campaign")
                row = await conn.fetchrow(
                    f"""INSERT INTO campaigns (company_id, bot_id, name, default_timezone, window_start,
                            window_end, window_days, starts_at, ends_at, max_concurrent, max_attempts,
                            retry_on, retry_delays_s, trunk_id, number_count)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                        RETURNING {_COLUMNS}""",
                    company_id,
                    campaign.bot_id,
                    campaign.name,
                    campaign.default_timezone,
                    campaign.window_start,
                    campaign.window_end,
                    list(campaign.window_days),
                    campaign.starts_at,
                    campaign.ends_at,
                    campaign.max_concurrent,
                    campaign.max_attempts,
                    list(campaign.retry_on),
                    list(campaign.retry_delays_s),
                    campaign.trunk_id,
                    len(numbers),
                )
                # COPY (binary) into a staging table with the variables as text: asyncpg has no binary
                # jsonb encoder for our text codec; the INSERT ... SELECT casts them
                await conn.execute(
                    """CREATE TEMP TABLE campaign_numbers_in (phone_number text, row_no int, timezone text,
                           variables text) ON COMMIT DROP"""
                )
                await conn.copy_records_to_table(
                    "campaign_numbers_in",
                    records=[
                        (n.phone, n.row, n.timezone, json.dumps(dict(n.variables), ensure_ascii=False))
                        for n in numbers
                    ],
                )
                await conn.execute(
                    """INSERT INTO campaign_numbers (campaign_id, phone_number, row_no, timezone, variables)
                       SELECT $1, phone_number, row_no, timezone, variables::jsonb
                       FROM campaign_numbers_in""",
                    row["id"],
                )
        return CampaignInfo(**dict(row))

    async def get(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignInfo:
        with translated():
            row = await self._pool.fetchrow(
                f"SELECT {_COLUMNS} FROM campaigns WHERE company_id = $1 AND id = $2", company_id, campaign_id
            )
        if row is None:
            raise _missing(campaign_id)
        return CampaignInfo(**dict(row))

    async def list(self, company_id: uuid.UUID, *, limit: int = 100) -> builtins.list[CampaignInfo]:
        with translated():
            rows = await self._pool.fetch(
                f"SELECT {_COLUMNS} FROM campaigns WHERE company_id = $1 ORDER BY created_at DESC LIMIT $2",
                company_id,
                limit,
            )
        return [CampaignInfo(**dict(r)) for r in rows]

    async def timezones(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> builtins.list[str]:
        """The distinct time zones of the campaign's pending numbers (to compute their first due times)."""
        await self.get(company_id, campaign_id)
        with translated():
            rows = await self._pool.fetch(
                """SELECT DISTINCT timezone FROM campaign_numbers
                   WHERE campaign_id = $1 AND status = 'pending'""",
                campaign_id,
            )
        return [r["timezone"] for r in rows]

    async def start(
        self, company_id: uuid.UUID, campaign_id: uuid.UUID, first_due: Mapping[str, dt.datetime | None]
    ) -> CampaignInfo:
        """draft -> running, with each pending number's first attempt enqueued at ``first_due[its
        timezone]`` (None: its window never opens again -> the number is ``expired``), atomically."""
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                status = await conn.fetchval(
                    "SELECT status FROM campaigns WHERE company_id = $1 AND id = $2 FOR UPDATE",
                    company_id,
                    campaign_id,
                )
                if status is None:
                    raise _missing(campaign_id)
                if status != "draft":
                    raise ConflictError(f"the campaign is {status}: only a draft campaign can be started")
                rows = await conn.fetch(
                    """SELECT phone_number, timezone FROM campaign_numbers
                       WHERE campaign_id = $1 AND status = 'pending'""",
                    campaign_id,
                )
                group = str(campaign_id)
                specs = []
                never: list[str] = []
                for r in rows:
                    due = first_due.get(r["timezone"])
                    if due is None:
                        never.append(r["phone_number"])
                        continue
                    phone = r["phone_number"]
                    specs.append(
                        JobSpec(
                            payload={"campaign_id": group, "phone": phone, "attempt_no": 1},
                            key=f"{campaign_id}:{phone}:1",
                            group=group,
                            company_id=company_id,
                            run_at=due,
                            max_attempts=JOB_MAX_ATTEMPTS,
                        )
                    )
                await self._queue.enqueue_many(CAMPAIGN_QUEUE, specs, conn=conn)
                if never:
                    await conn.execute(
                        """UPDATE campaign_numbers SET status = 'expired', last_status = 'expired',
                                  updated_at = now()
                           WHERE campaign_id = $1 AND phone_number = ANY($2::text[])""",
                        campaign_id,
                        never,
                    )
                await conn.execute(
                    """UPDATE campaigns SET status = CASE WHEN $2 THEN 'running' ELSE 'completed' END,
                              updated_at = now() WHERE id = $1""",
                    campaign_id,
                    bool(specs),
                )
        return await self.get(company_id, campaign_id)

    async def pause(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignInfo:
        """running -> paused: no new dial starts (calls in progress go on)."""
        await self._move(company_id, campaign_id, ("running",), "paused")
        await self._queue.set_group(CAMPAIGN_QUEUE, str(campaign_id), status="paused")
        return await self.get(company_id, campaign_id)

    async def resume(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignInfo:
        await self._move(company_id, campaign_id, ("paused",), "running")
        await self._queue.set_group(CAMPAIGN_QUEUE, str(campaign_id), status="pending")
        return await self.get(company_id, campaign_id)

    async def stop(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignInfo:
        """Stop for good: pending numbers become ``cancelled``; calls in progress go on."""
        await self._move(company_id, campaign_id, ("draft", "running", "paused"), "stopped")
        await self._queue.set_group(CAMPAIGN_QUEUE, str(campaign_id), status="cancelled")
        with translated():
            await self._pool.execute(
                """UPDATE campaign_numbers SET status = 'cancelled', updated_at = now()
                   WHERE campaign_id = $1 AND status = 'pending'""",
                campaign_id,
            )
        return await self.get(company_id, campaign_id)

    async def _move(
        self, company_id: uuid.UUID, campaign_id: uuid.UUID, sources: tuple[str, ...], target: str
    ) -> None:
        with translated():
            status = await self._pool.fetchval(
                "SELECT status FROM campaigns WHERE company_id = $1 AND id = $2", company_id, campaign_id
            )
            if status is None:
                raise _missing(campaign_id)
            if status == target:
                return  # idempotent: pausing a paused campaign (or re-running after a crash) is fine
            moved = await self._pool.fetchval(
                """UPDATE campaigns SET status = $3, updated_at = now()
                   WHERE company_id = $1 AND id = $2 AND status = ANY($4::text[]) RETURNING id""",
                company_id,
                campaign_id,
                target,
                list(sources),
            )
        if moved is None:
            raise ConflictError(f"the campaign is {status}: it cannot become {target}")

    async def progress(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignProgress:
        await self.get(company_id, campaign_id)
        with translated():
            numbers = await self._pool.fetch(
                "SELECT status, count(*) AS n FROM campaign_numbers WHERE campaign_id = $1 GROUP BY status",
                campaign_id,
            )
            attempts = await self._pool.fetch(
                "SELECT status, count(*) AS n FROM campaign_attempts WHERE campaign_id = $1 GROUP BY status",
                campaign_id,
            )
            live = await self._pool.fetchval(LIVE_ATTEMPTS, campaign_id, MAX_CALL)
            outcomes = await self._pool.fetch(
                """SELECT o.outcome_type, count(*) AS n
                   FROM campaign_attempts a JOIN outcomes o ON o.call_id = a.call_id
                   WHERE a.campaign_id = $1 GROUP BY o.outcome_type""",
                campaign_id,
            )
        jobs = await self._queue.counts(CAMPAIGN_QUEUE, group=str(campaign_id))
        return CampaignProgress(
            numbers={r["status"]: r["n"] for r in numbers},
            attempts={r["status"]: r["n"] for r in attempts},
            live=int(live or 0),
            outcomes={r["outcome_type"]: r["n"] for r in outcomes},
            jobs=jobs,
        )

    async def attempts(
        self, company_id: uuid.UUID, campaign_id: uuid.UUID, *, phone: str | None = None, limit: int = 100
    ) -> builtins.list[dict[str, Any]]:
        """Attempts newest first (optionally of one number)."""
        await self.get(company_id, campaign_id)
        with translated():
            rows = await self._pool.fetch(
                """SELECT id, phone_number, attempt_no, status, sip_status_code, sip_status, error, call_id,
                          room, worker, started_at, ended_at
                   FROM campaign_attempts WHERE campaign_id = $1 AND ($2::text IS NULL OR phone_number = $2)
                   ORDER BY started_at DESC, attempt_no DESC LIMIT $3""",
                campaign_id,
                phone,
                limit,
            )
        return [dict(r) for r in rows]
