"""A company's webhook endpoint and its events, scoped by ``company_id`` (admin API).

Delivery itself is the dispatcher's (``voicebot webhooks run``): this class sets the URL, lists the
company's outbox events and their delivery logs, makes one due again, and enqueues test events.
An event of another company is a :class:`NotFoundError` worded like one that does not exist.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voicebot.errors import NotFoundError
from voicebot.storage.errors import translated
from voicebot.storage.repositories.companies import _check_url
from voicebot.storage.repositories.outbox import DeliveryAttempt, OutboxEvent

__all__ = ["CompanyWebhooks", "WebhookEndpoint"]


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    url: str | None
    disabled_at: dt.datetime | None
    disabled_reason: str | None
    previous_secret_expires_at: dt.datetime | None  # a rotation's grace period, while it lasts


_EVENT_COLUMNS = """event_id, company_id, call_id, event_type, version, status, attempts, next_attempt_at,
                    last_error, created_at, delivered_at"""

_ENDPOINT = """
SELECT webhook_url AS url, webhook_disabled_at AS disabled_at, webhook_disabled_reason AS disabled_reason,
       CASE WHEN webhook_secret_previous_expires_at > now() THEN webhook_secret_previous_expires_at END
           AS previous_secret_expires_at
FROM companies WHERE id = $1"""


class CompanyWebhooks:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def endpoint(self, company_id: uuid.UUID) -> WebhookEndpoint:
        with translated():
            row = await self._pool.fetchrow(_ENDPOINT, company_id)
        if row is None:
            raise NotFoundError(f"no company with id {company_id}")
        return WebhookEndpoint(**dict(row))

    async def set_url(self, company_id: uuid.UUID, url: str | None) -> WebhookEndpoint:
        """Set (or, with None, remove) the endpoint. A changed URL clears a 410's disablement."""
        url = _check_url(url)
        with translated():
            updated = await self._pool.fetchval(
                """UPDATE companies
                   SET webhook_disabled_at = CASE WHEN webhook_url IS DISTINCT FROM $2 THEN NULL
                                                  ELSE webhook_disabled_at END,
                       webhook_disabled_reason = CASE WHEN webhook_url IS DISTINCT FROM $2 THEN NULL
                                                      ELSE webhook_disabled_reason END,
                       webhook_url = $2, updated_at = now()
                   WHERE id = $1 RETURNING id""",
                company_id,
                url,
            )
        if updated is None:
            raise NotFoundError(f"no company with id {company_id}")
        return await self.endpoint(company_id)

    async def enqueue(
        self,
        company_id: uuid.UUID,
        event_id: uuid.UUID,
        event_type: str,
        version: int,
        payload: Mapping[str, Any],
    ) -> OutboxEvent:
        """A new pending outbox event without a call (e.g. ``webhook.test``), due now."""
        with translated():
            row = await self._pool.fetchrow(
                f"""INSERT INTO webhook_outbox (event_id, company_id, event_type, version, payload)
                    VALUES ($1, $2, $3, $4, $5) RETURNING {_EVENT_COLUMNS}""",
                event_id,
                company_id,
                event_type,
                version,
                dict(payload),
            )
        return OutboxEvent(**dict(row))

    async def events(
        self,
        company_id: uuid.UUID,
        *,
        status: str | None = None,
        limit: int = 50,
        after: tuple[dt.datetime, uuid.UUID] | None = None,
    ) -> builtins.list[OutboxEvent]:
        """Newest first; ``after`` is the (created_at, event_id) of the previous page's last row."""
        with translated():
            rows = await self._pool.fetch(
                f"""SELECT {_EVENT_COLUMNS} FROM webhook_outbox
                    WHERE company_id = $1 AND ($2::text IS NULL OR status = $2)
                      AND ($3::timestamptz IS NULL OR (created_at, event_id) < ($3, $4::uuid))
                    ORDER BY created_at DESC, event_id DESC LIMIT $5""",
                company_id,
                status,
                after[0] if after else None,
                after[1] if after else None,
                limit,
            )
        return [OutboxEvent(**dict(r)) for r in rows]

    async def event(
        self, company_id: uuid.UUID, event_id: uuid.UUID
    ) -> tuple[OutboxEvent, builtins.list[DeliveryAttempt]]:
        """One event and its delivery log, oldest attempt first."""
        with translated():
            async with self._pool.acquire() as conn:
                row = await conn.fetchrow(
                    f"SELECT {_EVENT_COLUMNS} FROM webhook_outbox WHERE company_id = $1 AND event_id = $2",
                    company_id,
                    event_id,
                )
                if row is None:
                    raise NotFoundError(f"no webhook event with id {event_id}")
                attempts = await conn.fetch(
                    """SELECT event_id, attempt, url, attempted_at, status_code, error, duration_ms
                       FROM webhook_deliveries WHERE event_id = $1 ORDER BY attempt""",
                    event_id,
                )
        return OutboxEvent(**dict(row)), [DeliveryAttempt(**dict(a)) for a in attempts]

    async def redeliver(self, company_id: uuid.UUID, event_id: uuid.UUID) -> OutboxEvent:
        """Due now with a fresh retry schedule, whatever its status (same event id: receivers deduplicate)."""
        with translated():
            row = await self._pool.fetchrow(
                f"""UPDATE webhook_outbox
                    SET status = 'pending', next_attempt_at = now(), retry_base = attempts,
                        last_error = NULL, claimed_by = NULL
                    WHERE company_id = $1 AND event_id = $2 RETURNING {_EVENT_COLUMNS}""",
                company_id,
                event_id,
            )
        if row is None:
            raise NotFoundError(f"no webhook event with id {event_id}")
        return OutboxEvent(**dict(row))
