"""A company's calls for the admin API: filtered, keyset-paginated lists and one call in full.

Every query joins ``bots`` and filters on the company: a call of another company's bot is a
:class:`NotFoundError` worded like a call that does not exist. Calls whose bot was deleted
(``bot_id`` NULL) belong to nobody and are not shown.

Pagination is by keyset on ``(started_at, id)``, newest first: a page is one index range scan of
``calls_bot_started`` / ``calls_started`` however deep it is, and rows inserted meanwhile do not shift
later pages.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from voicebot.errors import NotFoundError
from voicebot.storage.errors import translated
from voicebot.storage.records import ActionCalled, SlotFilled, Transition, Turn
from voicebot.storage.repositories.outbox import DeliveryAttempt, OutboxEvent

__all__ = ["CallDetail", "CallFilters", "CallHistory", "CallOutcome", "CallRow", "CallWebhook"]


@dataclass(frozen=True, slots=True)
class CallFilters:
    bot_id: uuid.UUID | None = None
    since: dt.datetime | None = None  # started_at >= since
    until: dt.datetime | None = None  # started_at < until
    outcome: str | None = None
    status: str | None = None
    phone: str | None = None  # digits anywhere in the caller's number (the console's phone search)


@dataclass(frozen=True, slots=True)
class CallRow:
    id: uuid.UUID
    bot_id: uuid.UUID
    bot_slug: str
    direction: str
    caller_number: str | None
    dialed_number: str | None
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration_ms: int | None
    final_state: str | None
    end_reason: str | None
    outcome: str | None
    scenario_version: int | None


@dataclass(frozen=True, slots=True)
class CallOutcome:
    outcome: str
    confidence: float | None
    summary: str | None
    extracted_data: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CallWebhook:
    event: OutboxEvent
    attempts: tuple[DeliveryAttempt, ...]


@dataclass(frozen=True, slots=True)
class CallDetail:
    call: CallRow
    turns: tuple[Turn, ...] = ()
    transitions: tuple[Transition, ...] = ()
    slots: tuple[SlotFilled, ...] = ()
    outcome: CallOutcome | None = None
    webhooks: tuple[CallWebhook, ...] = field(default_factory=tuple)
    actions: tuple[ActionCalled, ...] = ()


CALL_SELECT = """
SELECT c.id, c.bot_id, b.slug AS bot_slug, c.direction, c.caller_number, c.dialed_number, c.status,
       c.started_at, c.ended_at, c.duration_ms, c.final_state, c.end_reason,
       o.outcome_type AS outcome, v.version AS scenario_version
FROM calls c
JOIN bots b ON b.id = c.bot_id
LEFT JOIN outcomes o ON o.call_id = c.id
LEFT JOIN scenario_versions v ON v.id = c.scenario_version_id"""

_LIST = f"""{CALL_SELECT}
WHERE b.company_id = $1
  AND ($2::uuid IS NULL OR c.bot_id = $2)
  AND ($3::timestamptz IS NULL OR c.started_at >= $3)
  AND ($4::timestamptz IS NULL OR c.started_at < $4)
  AND ($5::text IS NULL OR o.outcome_type = $5)
  AND ($6::text IS NULL OR c.status = $6)
  AND ($7::timestamptz IS NULL OR (c.started_at, c.id) < ($7, $8::uuid))
  AND ($10::text IS NULL OR c.caller_number LIKE '%' || $10 || '%')
ORDER BY c.started_at DESC, c.id DESC
LIMIT $9"""


class CallHistory:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def list(
        self,
        company_id: uuid.UUID,
        filters: CallFilters | None = None,
        *,
        limit: int = 50,
        after: tuple[dt.datetime, uuid.UUID] | None = None,
    ) -> builtins.list[CallRow]:
        """Newest first; ``after`` is the (started_at, id) of the last row of the previous page."""
        f = filters or CallFilters()
        with translated():
            rows = await self._pool.fetch(
                _LIST,
                company_id,
                f.bot_id,
                f.since,
                f.until,
                f.outcome,
                f.status,
                after[0] if after else None,
                after[1] if after else None,
                limit,
                f.phone or None,
            )
        return [CallRow(**dict(r)) for r in rows]

    async def get(self, company_id: uuid.UUID, call_id: uuid.UUID) -> CallDetail:
        """One call with its transcript, state path, slots, outcome and webhook deliveries."""
        with translated():
            async with self._pool.acquire() as conn:
                row = await conn.fetchrow(
                    f"{CALL_SELECT} WHERE b.company_id = $1 AND c.id = $2", company_id, call_id
                )
                if row is None:
                    raise NotFoundError(f"no call with id {call_id}")
                # The redacted copy where the post-call pipeline made one (the company's privacy policy).
                turns = await conn.fetch(
                    """SELECT t.call_id, t.seq, t.role, coalesce(tt.redacted_text, t.text) AS text, t.state,
                              t.interrupted, t.stt_ms, t.engine_ms, t.llm_ms, t.tts_ms, t.e2e_ms,
                              t.metadata, t.at
                       FROM turns t LEFT JOIN turn_texts tt ON tt.call_id = t.call_id AND tt.seq = t.seq
                       WHERE t.call_id = $1 ORDER BY t.seq""",
                    call_id,
                )
                transitions = await conn.fetch(
                    """SELECT call_id, seq, from_state, to_state, trigger_type, trigger_data, latency_ms,
                              turn_seq, at FROM state_transitions WHERE call_id = $1 ORDER BY seq""",
                    call_id,
                )
                slots = await conn.fetch(
                    """SELECT call_id, seq, name, value, confidence, method, validated, turn_seq, at
                       FROM extracted_slots WHERE call_id = $1 ORDER BY seq""",
                    call_id,
                )
                actions = await conn.fetch(
                    """SELECT call_id, seq, action, kind AS action_kind, request, status, http_status, error,
                              error_kind,
                              latency_ms, attempts, filler, next_state, turn_seq, at
                       FROM call_actions WHERE call_id = $1 ORDER BY seq""",
                    call_id,
                )
                outcome = await conn.fetchrow(
                    """SELECT outcome_type AS outcome, confidence, summary, extracted_data, created_at
                       FROM outcomes WHERE call_id = $1""",
                    call_id,
                )
                events = await conn.fetch(
                    """SELECT event_id, company_id, call_id, event_type, version, status, attempts,
                              next_attempt_at, last_error, created_at, delivered_at
                       FROM webhook_outbox WHERE call_id = $1 AND company_id = $2
                       ORDER BY created_at, event_id""",
                    call_id,
                    company_id,
                )
                attempts = await conn.fetch(
                    """SELECT d.event_id, d.attempt, d.url, d.attempted_at, d.status_code, d.error,
                              d.duration_ms
                       FROM webhook_deliveries d JOIN webhook_outbox o ON o.event_id = d.event_id
                       WHERE o.call_id = $1 AND o.company_id = $2 ORDER BY d.event_id, d.attempt""",
                    call_id,
                    company_id,
                )
        by_event: dict[uuid.UUID, builtins.list[DeliveryAttempt]] = {}
        for a in attempts:
            by_event.setdefault(a["event_id"], []).append(DeliveryAttempt(**dict(a)))
        return CallDetail(
            call=CallRow(**dict(row)),
            turns=tuple(Turn(**dict(t)) for t in turns),
            transitions=tuple(Transition(**dict(t)) for t in transitions),
            slots=tuple(SlotFilled(**dict(s)) for s in slots),
            outcome=None if outcome is None else CallOutcome(**dict(outcome)),
            webhooks=tuple(
                CallWebhook(OutboxEvent(**dict(e)), tuple(by_event.get(e["event_id"], ()))) for e in events
            ),
            actions=tuple(ActionCalled(**dict(a)) for a in actions),
        )
