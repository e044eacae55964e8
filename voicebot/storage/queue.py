"""The one durable job queue (table ``jobs``): the post-call pipeline and outbound campaigns use it.

Each job belongs to a named queue. A claim is one short ``FOR UPDATE SKIP LOCKED`` statement that
*leases* due jobs to a worker: it increments ``attempts`` and moves ``run_at`` one lease ahead, so no
transaction stays open while the work runs and a job whose worker died is due again when its lease
ends (at-least-once: handlers must be idempotent, e.g. by the job's key). Settling a job
(:meth:`JobQueue.complete`, :meth:`~JobQueue.retry`, :meth:`~JobQueue.fail`) checks that the job still
carries the claimed attempt number, a fencing token: a worker that outlived its lease cannot overwrite
a newer attempt. ``(queue, key)`` is unique, so enqueueing the same work twice is a no-op.

Statuses: ``pending`` (due at ``run_at``), ``paused`` (its group is paused), ``done``, ``dead`` (out of
attempts or failed for good: the dead letter, see :meth:`JobQueue.requeue`) and ``cancelled``.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

from voicebot.errors import NotFoundError, StorageError
from voicebot.storage.errors import translated

__all__ = ["Job", "JobQueue", "JobRow", "JobSpec", "JobStatus"]

JobStatus = Literal["pending", "paused", "done", "dead", "cancelled"]


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job to enqueue."""

    payload: Mapping[str, Any]
    key: str | None = None  # idempotency key: a second job with the same (queue, key) is skipped
    group: str | None = None  # e.g. a campaign id: pause / resume / cancel act on a group
    company_id: uuid.UUID | None = None
    call_id: uuid.UUID | None = None
    run_at: dt.datetime | None = None  # not due before this (default: now)
    max_attempts: int = 10

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts is {self.max_attempts}; it must be at least 1")
        if self.run_at is not None and self.run_at.tzinfo is None:
            raise ValueError("run_at must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Job:
    """A job leased to one worker; ``attempt`` is the fencing token its settle call must still hold."""

    id: uuid.UUID
    queue: str
    payload: dict[str, Any]
    key: str | None
    group: str | None
    company_id: uuid.UUID | None
    call_id: uuid.UUID | None
    attempt: int  # 1-based
    max_attempts: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class JobRow:
    """A job as operators see it."""

    id: uuid.UUID
    queue: str
    key: str | None
    group: str | None
    company_id: uuid.UUID | None
    call_id: uuid.UUID | None
    payload: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    run_at: dt.datetime
    claimed_by: str | None
    last_error: str | None
    result: dict[str, Any] | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


_COLUMNS = """id, queue, key, group_key AS "group", company_id, call_id, payload, status, attempts,
              max_attempts, run_at, claimed_by, last_error, result, created_at, finished_at"""

_INSERT = """
INSERT INTO jobs (queue, key, group_key, company_id, call_id, payload, run_at, max_attempts)
VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()), $8)
ON CONFLICT (queue, key) DO NOTHING
RETURNING id"""

_INSERT_MANY = """
INSERT INTO jobs (queue, key, group_key, company_id, call_id, payload, run_at, max_attempts)
SELECT $1, k, g, c, ca, p, coalesce(r, now()), m
FROM unnest($2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::jsonb[], $7::timestamptz[], $8::int[])
     AS t(k, g, c, ca, p, r, m)
ON CONFLICT (queue, key) DO NOTHING"""

_CLAIM = """
WITH due AS (
    SELECT id FROM jobs
    WHERE queue = $1 AND status = 'pending' AND run_at <= now()
    ORDER BY run_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE jobs j
SET attempts = j.attempts + 1, run_at = now() + $3::interval, claimed_by = $4
FROM due WHERE j.id = due.id
RETURNING j.id, j.queue, j.payload, j.key, j.group_key, j.company_id, j.call_id, j.attempts,
          j.max_attempts, j.created_at"""

_COMPLETE = """
UPDATE jobs SET status = 'done', result = $3, finished_at = now(), claimed_by = NULL, last_error = NULL
WHERE id = $1 AND attempts = $2 AND status = 'pending'"""

_RETRY = """
UPDATE jobs
SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
    run_at = now() + $3::interval, last_error = $4, claimed_by = NULL,
    finished_at = CASE WHEN attempts >= max_attempts THEN now() END
WHERE id = $1 AND attempts = $2 AND status = 'pending'"""

_FAIL = """
UPDATE jobs SET status = 'dead', last_error = $3, finished_at = now(), claimed_by = NULL
WHERE id = $1 AND attempts = $2 AND status = 'pending'"""

_EXTEND = """
UPDATE jobs SET run_at = now() + $3::interval
WHERE id = $1 AND attempts = $2 AND status = 'pending'"""

_GROUP_MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "paused": (("pending",), "paused"),
    "pending": (("paused",), "pending"),
    "cancelled": (("pending", "paused"), "cancelled"),
}


def _updated(tag: str) -> bool:
    return tag.split()[-1] != "0"


class JobQueue:
    """The ``jobs`` table over an asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def enqueue(self, queue: str, spec: JobSpec, *, conn: Any = None) -> uuid.UUID | None:
        """Add one job; its id, or None when ``(queue, spec.key)`` is already there.

        With ``conn`` the job is inserted on that connection, inside the caller's transaction (e.g.
        with the outcome it follows from), so both commit or neither does.
        """
        args = (queue, spec.key, spec.group, spec.company_id, spec.call_id, dict(spec.payload))
        with translated():
            target = conn if conn is not None else self._pool
            job_id: uuid.UUID | None = await target.fetchval(_INSERT, *args, spec.run_at, spec.max_attempts)
        return job_id

    async def enqueue_many(self, queue: str, specs: Sequence[JobSpec], *, conn: Any = None) -> int:
        """Add many jobs in one statement; how many were inserted (duplicate keys are skipped)."""
        if not specs:
            return 0
        columns = (
            [s.key for s in specs],
            [s.group for s in specs],
            [s.company_id for s in specs],
            [s.call_id for s in specs],
            [dict(s.payload) for s in specs],
            [s.run_at for s in specs],
            [s.max_attempts for s in specs],
        )
        with translated():
            target = conn if conn is not None else self._pool
            tag: str = await target.execute(_INSERT_MANY, queue, *columns)
        return int(tag.split()[-1])

    async def claim(self, queue: str, *, limit: int, lease: dt.timedelta, worker: str) -> builtins.list[Job]:
        """Lease up to ``limit`` due jobs of ``queue`` to ``worker``, oldest due first."""
        with translated():
            async with self._pool.acquire() as conn:
                try:
                    rows = await conn.fetch(_CLAIM, queue, limit, lease, worker)
                except asyncpg.exceptions.InternalClientError:
                    conn.terminate()  # a broken protocol state must not go back to the pool
                    raise
        return [
            Job(
                id=r["id"],
                queue=r["queue"],
                payload=r["payload"],
                key=r["key"],
                group=r["group_key"],
                company_id=r["company_id"],
                call_id=r["call_id"],
                attempt=r["attempts"],
                max_attempts=r["max_attempts"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    async def complete(self, job: Job, *, result: Mapping[str, Any] | None = None) -> bool:
        """Mark the job done; False when it no longer carries ``job.attempt`` (its lease was lost)."""
        with translated():
            tag = await self._pool.execute(
                _COMPLETE, job.id, job.attempt, dict(result) if result is not None else None
            )
        return _updated(tag)

    async def retry(self, job: Job, *, error: str, delay: dt.timedelta) -> bool:
        """Make the job due again after ``delay``; dead-letter it if it has no attempts left."""
        with translated():
            tag = await self._pool.execute(_RETRY, job.id, job.attempt, delay, error[:2000])
        return _updated(tag)

    async def fail(self, job: Job, *, error: str) -> bool:
        """Dead-letter the job now (the error is not worth retrying)."""
        with translated():
            tag = await self._pool.execute(_FAIL, job.id, job.attempt, error[:2000])
        return _updated(tag)

    async def extend(self, job: Job, *, lease: dt.timedelta) -> bool:
        """Push the lease of a long-running job ahead; False when it was lost."""
        with translated():
            tag = await self._pool.execute(_EXTEND, job.id, job.attempt, lease)
        return _updated(tag)

    async def set_group(
        self, queue: str, group: str, *, status: Literal["paused", "pending", "cancelled"]
    ) -> int:
        """Pause (pending -> paused), resume (paused -> pending) or cancel (pending/paused ->
        cancelled) every job of a group; the number of jobs moved. Leased jobs keep running."""
        if status not in _GROUP_MOVES:
            raise StorageError(f"a group can be set to paused, pending or cancelled, not {status!r}")
        sources, target = _GROUP_MOVES[status]
        with translated():
            tag = await self._pool.execute(
                """UPDATE jobs SET status = $4,
                          finished_at = CASE WHEN $4 = 'cancelled' THEN now() END
                   WHERE queue = $1 AND group_key = $2 AND status = ANY($3::text[])
                     AND (status <> 'pending' OR claimed_by IS NULL OR run_at <= now())""",
                queue,
                group,
                list(sources),
                target,
            )
        return int(tag.split()[-1])

    async def counts(self, queue: str, *, group: str | None = None) -> dict[str, int]:
        """Jobs per status in a queue (or one group of it)."""
        with translated():
            rows = await self._pool.fetch(
                """SELECT status, count(*) AS n FROM jobs
                   WHERE queue = $1 AND ($2::text IS NULL OR group_key = $2) GROUP BY status""",
                queue,
                group,
            )
        return {r["status"]: r["n"] for r in rows}

    async def backlog(self, queue: str) -> tuple[int, float]:
        """(jobs due and pending, seconds the oldest of them has waited since it became due)."""
        with translated():
            row = await self._pool.fetchrow(
                """SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(run_at)), 0) AS age
                   FROM jobs WHERE queue = $1 AND status = 'pending' AND run_at <= now()""",
                queue,
            )
        return int(row["n"]), float(row["age"])

    async def get(self, job_id: uuid.UUID) -> JobRow:
        with translated():
            row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM jobs WHERE id = $1", job_id)
        if row is None:
            raise NotFoundError(f"no job with id {job_id}")
        return JobRow(**dict(row))

    async def list(
        self, queue: str, *, group: str | None = None, status: str | None = None, limit: int = 100
    ) -> builtins.list[JobRow]:
        """Newest first."""
        with translated():
            rows = await self._pool.fetch(
                f"""SELECT {_COLUMNS} FROM jobs
                    WHERE queue = $1 AND ($2::text IS NULL OR group_key = $2)
                      AND ($3::text IS NULL OR status = $3)
                    ORDER BY created_at DESC, id LIMIT $4""",
                queue,
                group,
                status,
                limit,
            )
        return [JobRow(**dict(r)) for r in rows]

    async def requeue(self, job_id: uuid.UUID) -> JobRow:
        """Make a dead (or cancelled) job due now again with a fresh set of attempts."""
        with translated():
            row = await self._pool.fetchrow(
                f"""UPDATE jobs SET status = 'pending', run_at = now(),
                           max_attempts = attempts + max_attempts,
                           last_error = NULL, claimed_by = NULL, finished_at = NULL
                    WHERE id = $1 AND status IN ('dead', 'cancelled') RETURNING {_COLUMNS}""",
                job_id,
            )
            if row is None:
                exists = await self._pool.fetchval("SELECT status FROM jobs WHERE id = $1", job_id)
                if exists is None:
                    raise NotFoundError(f"no job with id {job_id}")
                raise StorageError(f"job {job_id} is {exists}; only dead or cancelled jobs can be requeued")
        return JobRow(**dict(row))
