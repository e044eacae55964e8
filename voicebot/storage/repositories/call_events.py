"""A call's live events (table ``call_events``, migration 0016), read for the API's event streams.

Rows are written by triggers on the recorder's tables, never by this module. A turn event's text is
read here, at delivery, from ``turns`` and ``turn_texts``: the redacted copy where the post-call pipeline
made one, as ``GET /v1/calls/{id}`` shows it; a turn deleted by retention is not served at all.
Every read is scoped by company.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from voicebot.storage.errors import translated

__all__ = ["CALL_KINDS", "CHANNEL", "CallEvent", "CallEvents"]

CHANNEL: Final = "voicebot_call_events"
"""The NOTIFY channel; each payload is ``'lo:hi'``, the id range one statement added."""

CALL_KINDS: Final = ("call.started", "call.ended")
"""The kinds on a company's stream of calls."""

_SELECT = """
SELECT e.id, e.company_id, e.call_id, e.kind, e.created_at,
       CASE WHEN e.kind = 'turn'
            THEN e.payload || jsonb_build_object('text', coalesce(tt.redacted_text, t.text))
            ELSE e.payload END AS payload
FROM call_events e
LEFT JOIN turns t ON e.kind = 'turn' AND t.call_id = e.call_id AND t.seq = e.seq
LEFT JOIN turn_texts tt ON e.kind = 'turn' AND tt.call_id = e.call_id AND tt.seq = e.seq
WHERE (e.kind <> 'turn' OR t.seq IS NOT NULL) AND """

_FOR_CALL = _SELECT + "e.company_id = $1 AND e.call_id = $2 AND e.id > $3 ORDER BY e.id LIMIT $4"
_FOR_COMPANY = _SELECT + "e.company_id = $1 AND e.kind = ANY($2::text[]) AND e.id > $3 ORDER BY e.id LIMIT $4"
_IN_RANGE = (
    _SELECT
    + """e.id BETWEEN $1 AND $2
     AND (e.call_id = ANY($3::uuid[]) OR (e.company_id = ANY($4::uuid[]) AND e.kind = ANY($5::text[])))
   ORDER BY e.id LIMIT $6"""
)
_CALL_STATUS = """SELECT c.status FROM calls c JOIN bots b ON b.id = c.bot_id
                  WHERE b.company_id = $1 AND c.id = $2"""


@dataclass(frozen=True, slots=True)
class CallEvent:
    id: int
    company_id: uuid.UUID
    call_id: uuid.UUID
    kind: str
    at: dt.datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, row: Any) -> CallEvent:
        return cls(
            row["id"], row["company_id"], row["call_id"], row["kind"], row["created_at"], row["payload"]
        )


class CallEvents:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def call_status(self, company_id: uuid.UUID, call_id: uuid.UUID) -> str | None:
        """The call's status, or None when the company has no such call."""
        with translated():
            status: str | None = await self._pool.fetchval(_CALL_STATUS, company_id, call_id)
        return status

    async def for_call(
        self, company_id: uuid.UUID, call_id: uuid.UUID, *, after: int = 0, limit: int = 1000
    ) -> list[CallEvent]:
        """The call's events with an id above ``after``, oldest first."""
        with translated():
            rows = await self._pool.fetch(_FOR_CALL, company_id, call_id, after, limit)
        return [CallEvent.of(r) for r in rows]

    async def for_company(
        self, company_id: uuid.UUID, *, after: int = 0, limit: int = 1000
    ) -> list[CallEvent]:
        """The company's call.started / call.ended events with an id above ``after``, oldest first."""
        with translated():
            rows = await self._pool.fetch(_FOR_COMPANY, company_id, list(CALL_KINDS), after, limit)
        return [CallEvent.of(r) for r in rows]

    async def in_range(
        self,
        lo: int,
        hi: int,
        *,
        calls: Sequence[uuid.UUID],
        companies: Sequence[uuid.UUID],
        limit: int = 10_000,
    ) -> list[CallEvent]:
        """Events with ids in [lo, hi] of the given calls, and call starts/ends of the given companies."""
        with translated():
            rows = await self._pool.fetch(
                _IN_RANGE, lo, hi, list(calls), list(companies), list(CALL_KINDS), limit
            )
        return [CallEvent.of(r) for r in rows]

    async def latest_id(self) -> int:
        with translated():
            value: int | None = await self._pool.fetchval("SELECT max(id) FROM call_events")
        return value or 0
