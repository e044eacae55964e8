"""The webhook outbox as the dispatcher and operators see it: claim, settle, list, redeliver.

Claims are one short statement (``FOR UPDATE SKIP LOCKED``): concurrent dispatchers never claim the
same row, and no transaction stays open while a request is in flight. A claim *leases* the row: it
increments ``attempts`` and moves ``next_attempt_at`` one lease ahead, so a row whose dispatcher died
becomes due again when the lease ends. Settling checks that the row still carries the claimed attempt
number (a fencing token): a dispatcher that outlived its lease cannot overwrite a newer attempt. Each
settlement writes its row of the delivery log in the same transaction.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

from voicebot.errors import NotFoundError
from voicebot.storage.errors import translated

__all__ = ["ClaimedEvent", "DeliveryAttempt", "Outbox", "OutboxEvent"]

Settlement = Literal["delivered", "retry", "dead", "disabled"]


@dataclass(frozen=True, slots=True)
class ClaimedEvent:
    """A due outbox row leased to one dispatcher, with what is needed to sign and send it."""

    event_id: uuid.UUID
    company_id: uuid.UUID
    event_type: str
    version: int
    payload: dict[str, Any]
    attempt: int  # 1-based number of this attempt; the fencing token for settle()
    retry_index: int  # attempts since the last redelivery, minus one: the position in the retry schedule
    created_at: dt.datetime
    url: str
    secrets: tuple[str, ...]  # current secret first, then the previous one during its grace period


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One outbox row for operators (``voicebot webhooks list``)."""

    event_id: uuid.UUID
    company_id: uuid.UUID
    call_id: uuid.UUID | None
    event_type: str
    version: int
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One row of the delivery log."""

    event_id: uuid.UUID
    attempt: int
    url: str
    attempted_at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: float | None


# Rows of companies without an endpoint, or whose endpoint a 410 disabled, are not sent: they are
# marked 'disabled' (an operator can redeliver them once the endpoint is fixed).
_DISABLE_UNSENDABLE = """
WITH due AS (
    SELECT o.event_id FROM webhook_outbox o JOIN companies c ON c.id = o.company_id
    WHERE o.status = 'pending' AND o.next_attempt_at <= now()
      AND (c.webhook_url IS NULL OR c.webhook_disabled_at IS NOT NULL OR NOT c.is_active)
    ORDER BY o.next_attempt_at
    LIMIT $1
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE webhook_outbox o
SET status = 'disabled', claimed_by = NULL,
    last_error = CASE WHEN c.webhook_url IS NULL THEN 'the company has no webhook URL'
                      WHEN NOT c.is_active THEN 'the company is inactive'
                      ELSE 'endpoint disabled: ' || coalesce(c.webhook_disabled_reason, 'by an operator') END
FROM due, companies c
WHERE o.event_id = due.event_id AND c.id = o.company_id"""

_CLAIM = """
WITH due AS (
    SELECT o.event_id FROM webhook_outbox o JOIN companies c ON c.id = o.company_id
    WHERE o.status = 'pending' AND o.next_attempt_at <= now()
      AND c.webhook_url IS NOT NULL AND c.webhook_disabled_at IS NULL AND c.is_active
    ORDER BY o.next_attempt_at
    LIMIT $1
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE webhook_outbox o
SET attempts = o.attempts + 1, next_attempt_at = now() + $2::interval, claimed_by = $3
FROM due, companies c
WHERE o.event_id = due.event_id AND c.id = o.company_id
RETURNING o.event_id, o.company_id, o.event_type, o.version, o.payload, o.attempts,
          o.attempts - o.retry_base - 1 AS retry_index, o.created_at, c.webhook_url,
          c.webhook_secret,
          CASE WHEN c.webhook_secret_previous_expires_at > now() THEN c.webhook_secret_previous END
              AS previous_secret"""

_SETTLE = """
UPDATE webhook_outbox
SET status = $3,
    next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + $4::interval ELSE next_attempt_at END,
    last_error = $5,
    delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
    claimed_by = NULL
WHERE event_id = $1 AND attempts = $2 AND status = 'pending'
RETURNING company_id"""

_LOG = """
INSERT INTO webhook_deliveries (event_id, attempt, url, status_code, error, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (event_id, attempt) DO NOTHING"""

_DISABLE_ENDPOINT = """
UPDATE companies SET webhook_disabled_at = now(), webhook_disabled_reason = $2, updated_at = now()
WHERE id = $1 AND webhook_disabled_at IS NULL"""

_EVENT_COLUMNS = """event_id, company_id, call_id, event_type, version, status, attempts, next_attempt_at,
                    last_error, created_at, delivered_at"""


class Outbox:
    """The ``webhook_outbox`` and ``webhook_deliveries`` tables over an asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def claim(self, limit: int, *, lease: dt.timedelta, worker: str) -> builtins.list[ClaimedEvent]:
        """Lease up to ``limit`` due rows to ``worker``; rows that cannot be sent are marked 'disabled'."""
        with translated():
            async with self._pool.acquire() as conn:
                try:
                    async with conn.transaction():
                        await conn.execute(_DISABLE_UNSENDABLE, limit)
                        rows = await conn.fetch(_CLAIM, limit, lease, worker)
                except asyncpg.exceptions.InternalClientError:
                    # The protocol state is broken (e.g. "cannot switch to state 15" after a server
                    # restart): this connection must not go back to the pool.
                    conn.terminate()
                    raise
        return [
            ClaimedEvent(
                event_id=r["event_id"],
                company_id=r["company_id"],
                event_type=r["event_type"],
                version=r["version"],
                payload=r["payload"],
                attempt=r["attempts"],
                retry_index=max(0, r["retry_index"]),
                created_at=r["created_at"],
                url=r["webhook_url"],
                secrets=tuple(s for s in (r["webhook_secret"], r["previous_secret"]) if s),
            )
            for r in rows
        ]

    async def settle(
        self,
        event_id: uuid.UUID,
        attempt: int,
        *,
        outcome: Settlement,
        url: str,
        status_code: int | None,
        error: str | None,
        duration_ms: float | None,
        retry_in: dt.timedelta | None = None,
        disable_endpoint: bool = False,
    ) -> bool:
        """Record one attempt in the delivery log and move the row on, in one transaction.

        ``outcome`` 'retry' keeps the row pending for ``retry_in``; 'dead' dead-letters it; 'disabled'
        marks it so and, with ``disable_endpoint``, disables the company's endpoint. Returns False when
        the row no longer carries ``attempt`` (the lease ran out and another attempt took over, or an
        operator changed it): the log row is still written, the row is left alone.
        """
        status = "pending" if outcome == "retry" else outcome
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_LOG, event_id, attempt, url, status_code, error, duration_ms)
                company_id = await conn.fetchval(
                    _SETTLE, event_id, attempt, status, retry_in or dt.timedelta(0), error
                )
                if company_id is not None and disable_endpoint:
                    await conn.execute(_DISABLE_ENDPOINT, company_id, error or "disabled")
        return company_id is not None

    async def list(
        self,
        *,
        company_id: uuid.UUID | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> builtins.list[OutboxEvent]:
        """Newest first, optionally only one company's and / or one status."""
        with translated():
            rows = await self._pool.fetch(
                f"""SELECT {_EVENT_COLUMNS} FROM webhook_outbox
                    WHERE ($1::uuid IS NULL OR company_id = $1) AND ($2::text IS NULL OR status = $2)
                    ORDER BY created_at DESC, event_id LIMIT $3""",
                company_id,
                status,
                limit,
            )
        return [OutboxEvent(**dict(r)) for r in rows]

    async def get(self, event_id: uuid.UUID) -> OutboxEvent:
        with translated():
            row = await self._pool.fetchrow(
                f"SELECT {_EVENT_COLUMNS} FROM webhook_outbox WHERE event_id = $1", event_id
            )
        if row is None:
            raise NotFoundError(f"no webhook event with id {event_id}")
        return OutboxEvent(**dict(row))

    async def payload(self, event_id: uuid.UUID) -> dict[str, Any]:
        with translated():
            row = await self._pool.fetchrow(
                "SELECT payload FROM webhook_outbox WHERE event_id = $1", event_id
            )
        if row is None:
            raise NotFoundError(f"no webhook event with id {event_id}")
        payload: dict[str, Any] = row["payload"]
        return payload

    async def attempts(self, event_id: uuid.UUID) -> builtins.list[DeliveryAttempt]:
        """The delivery log of one event, oldest attempt first."""
        with translated():
            rows = await self._pool.fetch(
                """SELECT event_id, attempt, url, attempted_at, status_code, error, duration_ms
                   FROM webhook_deliveries WHERE event_id = $1 ORDER BY attempt""",
                event_id,
            )
        return [DeliveryAttempt(**dict(r)) for r in rows]

    async def redeliver(self, event_id: uuid.UUID) -> OutboxEvent:
        """Make an event due now with a fresh retry schedule, whatever its status (same event id).

        The event id is the receiver's idempotency key, so redelivering a delivered event is safe.
        """
        with translated():
            row = await self._pool.fetchrow(
                f"""UPDATE webhook_outbox
                    SET status = 'pending', next_attempt_at = now(), retry_base = attempts,
                        last_error = NULL, claimed_by = NULL
                    WHERE event_id = $1 RETURNING {_EVENT_COLUMNS}""",
                event_id,
            )
        if row is None:
            raise NotFoundError(f"no webhook event with id {event_id}")
        return OutboxEvent(**dict(row))

    async def enable_endpoint(self, company_id: uuid.UUID) -> bool:
        """Re-enable a company's endpoint disabled by a 410; False if it was not disabled."""
        with translated():
            row = await self._pool.fetchrow(
                """WITH before AS (SELECT id, webhook_disabled_at FROM companies WHERE id = $1 FOR UPDATE)
                   UPDATE companies c SET webhook_disabled_at = NULL, webhook_disabled_reason = NULL,
                          updated_at = now()
                   FROM before WHERE c.id = before.id
                   RETURNING before.webhook_disabled_at IS NOT NULL AS was_disabled""",
                company_id,
            )
        if row is None:
            raise NotFoundError(f"no company with id {company_id}")
        return bool(row["was_disabled"])

    async def counts(self) -> dict[str, int]:
        """Rows per status (for ``webhooks list`` summaries and benchmarks)."""
        with translated():
            rows = await self._pool.fetch("SELECT status, count(*) AS n FROM webhook_outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    async def backlog(self) -> tuple[dict[str, int], float]:
        """Rows per status and the age in seconds of the oldest pending row (0 when none): the
        dispatcher's queue depth, dead letters and outbox age for its metrics."""
        with translated():
            rows = await self._pool.fetch(
                """SELECT status, count(*) AS n,
                          coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
                   FROM webhook_outbox GROUP BY status"""
            )
        counts = {r["status"]: r["n"] for r in rows}
        age = next((float(r["age"]) for r in rows if r["status"] == "pending"), 0.0)
        return counts, age
