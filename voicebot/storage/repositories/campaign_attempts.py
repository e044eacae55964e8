"""The campaign dispatcher's side of the campaign tables: read an attempt's context, reserve a dial
under ``max_concurrent`` across every dispatcher instance, record how it ended, settle the number,
enqueue the next attempt.

The concurrency limit is counted in Postgres: :meth:`CampaignAttempts.begin` locks the campaign row
(``FOR UPDATE``: one reservation at a time per campaign, whichever instance), counts its live attempts
and inserts the new attempt row only below the limit. ``UNIQUE (campaign_id, phone_number, attempt_no)``
makes a second reservation of the same attempt (a dispatcher that took over an expired lease) return
the existing row instead of dialing again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from voicebot.storage.errors import translated
from voicebot.storage.queue import JobQueue, JobSpec
from voicebot.storage.repositories.campaigns import CAMPAIGN_QUEUE, JOB_MAX_ATTEMPTS, LIVE_ATTEMPTS, MAX_CALL

__all__ = ["AttemptRow", "CampaignAttempts", "Reservation"]


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """An attempt's context as stored (campaign, number, bot, do-not-call)."""

    campaign_id: uuid.UUID
    company_id: uuid.UUID
    campaign_status: str
    number_status: str
    phone: str
    timezone: str
    variables: dict[str, str]
    bot_number: str
    bot_active: bool
    trunk_id: str | None
    window_start: dt.time
    window_end: dt.time
    window_days: list[int]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    max_concurrent: int
    max_attempts: int
    retry_on: list[str]
    retry_delays_s: list[int]
    on_do_not_call: bool


@dataclass(frozen=True, slots=True)
class Reservation:
    kind: Literal["started", "full", "exists"]
    attempt_id: uuid.UUID | None = None
    call_id: uuid.UUID | None = None
    status: str | None = None


class CampaignAttempts:
    def __init__(
        self, pool: Any, *, queue: JobQueue | None = None, max_call: dt.timedelta = MAX_CALL
    ) -> None:
        self._pool = pool
        self._queue = queue or JobQueue(pool)
        self._max_call = max_call

    async def context(self, campaign_id: uuid.UUID, phone: str) -> AttemptRow | None:
        with translated():
            row = await self._pool.fetchrow(
                """SELECT c.id AS campaign_id, c.company_id, c.status AS campaign_status,
                          n.status AS number_status, n.phone_number AS phone, n.timezone, n.variables,
                          b.phone_number AS bot_number, b.is_active AS bot_active, c.trunk_id,
                          c.window_start, c.window_end, c.window_days::int[] AS window_days, c.starts_at,
                          c.ends_at, c.max_concurrent, c.max_attempts, c.retry_on, c.retry_delays_s,
                          EXISTS (SELECT 1 FROM do_not_call d
                                  WHERE d.company_id = c.company_id AND d.phone_number = n.phone_number)
                              AS on_do_not_call
                   FROM campaigns c
                   JOIN campaign_numbers n ON n.campaign_id = c.id
                   JOIN bots b ON b.id = c.bot_id
                   WHERE c.id = $1 AND n.phone_number = $2""",
                campaign_id,
                phone,
            )
        return None if row is None else AttemptRow(**dict(row))

    async def begin(
        self,
        *,
        campaign_id: uuid.UUID,
        phone: str,
        attempt_no: int,
        job_id: uuid.UUID,
        worker: str,
        max_concurrent: int,
    ) -> Reservation:
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id)
                existing = await conn.fetchrow(
                    """SELECT id, call_id, status FROM campaign_attempts
                       WHERE campaign_id = $1 AND phone_number = $2 AND attempt_no = $3""",
                    campaign_id,
                    phone,
                    attempt_no,
                )
                if existing is not None:
                    return Reservation("exists", existing["id"], existing["call_id"], existing["status"])
                live = await conn.fetchval(LIVE_ATTEMPTS, campaign_id, self._max_call)
                if live >= max_concurrent:
                    return Reservation("full")
                row = await conn.fetchrow(
                    """INSERT INTO campaign_attempts
                           (campaign_id, phone_number, attempt_no, job_id, worker, call_id, status)
                       VALUES ($1, $2, $3, $4, $5, gen_random_uuid(), 'dialing') RETURNING id, call_id""",
                    campaign_id,
                    phone,
                    attempt_no,
                    job_id,
                    worker,
                )
                await conn.execute(
                    """UPDATE campaign_numbers SET attempts = $3, updated_at = now()
                       WHERE campaign_id = $1 AND phone_number = $2""",
                    campaign_id,
                    phone,
                    attempt_no,
                )
        return Reservation("started", row["id"], row["call_id"], "dialing")

    async def finish(
        self,
        attempt_id: uuid.UUID,
        *,
        status: str,
        sip_status_code: int | None = None,
        sip_status: str | None = None,
        error: str | None = None,
        room: str | None = None,
    ) -> None:
        with translated():
            await self._pool.execute(
                """UPDATE campaign_attempts
                   SET status = $2, sip_status_code = $3, sip_status = $4, error = $5,
                       room = coalesce($6, room), ended_at = now()
                   WHERE id = $1 AND status = 'dialing'""",
                attempt_id,
                status,
                sip_status_code,
                sip_status,
                None if error is None else error[:2000],
                room,
            )

    async def record_skipped(
        self, campaign_id: uuid.UUID, phone: str, attempt_no: int, *, status: str
    ) -> None:
        """An attempt that was not dialed (do_not_call, expired), so the history says why it stopped."""
        with translated():
            await self._pool.execute(
                """INSERT INTO campaign_attempts (campaign_id, phone_number, attempt_no, status, ended_at)
                   VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING""",
                campaign_id,
                phone,
                attempt_no,
                status,
            )

    async def settle_number(
        self, campaign_id: uuid.UUID, phone: str, *, status: str, attempts: int, last_status: str
    ) -> None:
        with translated():
            await self._pool.execute(
                """UPDATE campaign_numbers SET status = $3, attempts = greatest(attempts, $4),
                          last_status = $5, updated_at = now()
                   WHERE campaign_id = $1 AND phone_number = $2 AND status = 'pending'""",
                campaign_id,
                phone,
                status,
                attempts,
                last_status,
            )

    async def schedule_next(
        self, campaign_id: uuid.UUID, phone: str, *, attempt_no: int, run_at: dt.datetime, last_status: str
    ) -> None:
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                company_id = await conn.fetchval(
                    """UPDATE campaign_numbers n SET last_status = $3, updated_at = now()
                       FROM campaigns c WHERE c.id = n.campaign_id
                         AND n.campaign_id = $1 AND n.phone_number = $2 RETURNING c.company_id""",
                    campaign_id,
                    phone,
                    last_status,
                )
                group = str(campaign_id)
                await self._queue.enqueue(
                    CAMPAIGN_QUEUE,
                    JobSpec(
                        payload={"campaign_id": group, "phone": phone, "attempt_no": attempt_no},
                        key=f"{campaign_id}:{phone}:{attempt_no}",
                        group=group,
                        company_id=company_id,
                        run_at=run_at,
                        max_attempts=JOB_MAX_ATTEMPTS,
                    ),
                    conn=conn,
                )

    async def complete_if_done(self, campaign_id: uuid.UUID) -> bool:
        """running -> completed once no number is pending; True when it happened now."""
        with translated():
            moved = await self._pool.fetchval(
                """UPDATE campaigns SET status = 'completed', updated_at = now()
                   WHERE id = $1 AND status = 'running'
                     AND NOT EXISTS (SELECT 1 FROM campaign_numbers
                                     WHERE campaign_id = $1 AND status = 'pending')
                   RETURNING id""",
                campaign_id,
            )
        return moved is not None
