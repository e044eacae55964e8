"""A finished call's outcome, appointment and webhook outbox rows, written in one transaction; call
heartbeats and the query that finds calls whose worker died.

:meth:`Outcomes.finalize` is idempotent per call: the call row is locked first, and a call that already
has an outcome is left as it is (a reaper and a late worker cannot both emit webhooks). It does not
depend on the recorder having flushed: it inserts the call row itself when it is missing (the
recorder's later insert of the same row is a no-op).
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from voicebot.errors import ConflictError
from voicebot.storage.errors import translated
from voicebot.storage.queue import JobQueue, JobSpec

__all__ = ["FinalizeContext", "Finalized", "NewEvent", "Outcomes", "StaleCall", "TranscriptRow"]


@dataclass(frozen=True, slots=True)
class FinalizeContext:
    """What the transaction learned before the outbox rows are built."""

    company_id: uuid.UUID | None
    appointment_id: uuid.UUID | None
    confirmation_code: str | None
    slot_values: bool = True
    """The company's contract: slot values in webhooks (``companies.webhook_slot_values``)."""
    privacy_mode: str = "off"
    """The call's privacy policy mode (the bot's, else the company's; ``off`` without one)."""
    booked: Mapping[str, Any] | None = None
    """The call's booking in the built-in book (date, time, type, resource, starts_at, ends_at), which
    finalize links to instead of writing a second appointment; None when the call made none."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """One outbox row to insert (``event_id`` is the webhook-id and the receiver's idempotency key)."""

    event_id: uuid.UUID
    event_type: str
    version: int
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Finalized:
    """The result of :meth:`Outcomes.finalize`. ``already`` means an earlier finalize won: nothing written."""

    call_id: uuid.UUID
    already: bool
    company_id: uuid.UUID | None
    event_ids: tuple[uuid.UUID, ...] = ()
    appointment_id: uuid.UUID | None = None
    confirmation_code: str | None = None


@dataclass(frozen=True, slots=True)
class TranscriptRow:
    role: str
    text: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class StaleCall:
    """An active call whose worker stopped beating, with what was recorded of it."""

    call_id: uuid.UUID
    bot_id: uuid.UUID | None
    direction: str
    caller_number: str | None
    dialed_number: str | None
    scenario_version_id: uuid.UUID | None
    started_at: dt.datetime
    last_seen_at: dt.datetime
    state: str | None
    slots: dict[str, Any] = field(default_factory=dict)
    transcript: tuple[TranscriptRow, ...] = ()
    ended_at: dt.datetime | None = None
    """Set for an ended call (:meth:`Outcomes.unfinalized`), with its end reason and journaled decision."""
    end_reason: str | None = None
    final_state: str | None = None
    decision: dict[str, Any] | None = None


_ENSURE_CALL = """
INSERT INTO calls (id, bot_id, direction, caller_number, dialed_number, scenario_version_id, started_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO NOTHING"""

_LOCK_CALL = """
SELECT c.id, b.company_id, EXISTS (SELECT 1 FROM outcomes o WHERE o.call_id = c.id) AS finalized,
       coalesce(co.webhook_slot_values, true) AS slot_values,
       coalesce((SELECT p.mode FROM privacy_policies p
                 WHERE p.company_id = b.company_id AND (p.bot_id = b.id OR p.bot_id IS NULL)
                 ORDER BY p.bot_id NULLS LAST LIMIT 1), 'off') AS privacy_mode
FROM calls c LEFT JOIN bots b ON b.id = c.bot_id LEFT JOIN companies co ON co.id = b.company_id
WHERE c.id = $1
FOR UPDATE OF c"""

_END_CALL = """
UPDATE calls SET ended_at = coalesce(ended_at, $2), status = $3, final_state = $4, end_reason = $5
WHERE id = $1"""

_INSERT_APPOINTMENT = """
INSERT INTO appointments (call_id, bot_id, appointment_date, appointment_time, appointment_type,
                          contact_name, contact_phone, contact_email, confirmation_code, metadata)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id"""

_BOOKED = """
SELECT a.id, a.confirmation_code, a.appointment_date AS date, a.appointment_time AS time,
       a.appointment_type AS type, r.name AS resource, a.starts_at, a.ends_at,
       a.contact_name, a.contact_phone, a.contact_email
FROM appointments a JOIN book_resources r ON r.id = a.resource_id
WHERE a.booked_by_call = $1 AND a.status = 'confirmed'
ORDER BY a.created_at DESC LIMIT 1"""

_INSERT_EVENT = """
INSERT INTO webhook_outbox (event_id, company_id, call_id, event_type, version, payload)
VALUES ($1, $2, $3, $4, $5, $6)"""

_INSERT_OUTCOME = """
INSERT INTO outcomes (call_id, outcome_type, confidence, summary, extracted_data, webhook_event_id)
VALUES ($1, $2, $3, $4, $5, $6)"""

_STALE = """
SELECT c.id, c.bot_id, c.direction, c.caller_number, c.dialed_number, c.scenario_version_id, c.started_at,
       coalesce(c.last_heartbeat_at, c.started_at) AS last_seen_at, cp.state, cp.slots
FROM calls c
LEFT JOIN LATERAL (SELECT state, slots FROM call_checkpoints k WHERE k.call_id = c.id
                   ORDER BY turn_seq DESC LIMIT 1) cp ON true
WHERE c.status = 'active' AND coalesce(c.last_heartbeat_at, c.started_at) < now() - $1::interval
  AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.call_id = c.id)
ORDER BY coalesce(c.last_heartbeat_at, c.started_at)
LIMIT $2"""


_UNFINALIZED = """
SELECT c.id, c.bot_id, c.direction, c.caller_number, c.dialed_number, c.scenario_version_id, c.started_at,
       c.ended_at AS last_seen_at, c.ended_at, c.end_reason, c.final_state, c.decision, cp.state, cp.slots
FROM calls c
LEFT JOIN LATERAL (SELECT state, slots FROM call_checkpoints k WHERE k.call_id = c.id
                   ORDER BY turn_seq DESC LIMIT 1) cp ON true
WHERE c.status <> 'active' AND c.ended_at < now() - $1::interval AND c.ended_at > now() - $3::interval
  AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.call_id = c.id)
ORDER BY c.ended_at
LIMIT $2"""


class Outcomes:
    """``outcomes``, ``appointments`` and the outbox inserts of a finished call; call heartbeats."""

    def __init__(self, pool: Any, *, post_call_queue: str | None = None) -> None:
        """``post_call_queue``: the durable queue (storage.queue) that gets one job per finalized call,
        enqueued in the outcome's own transaction (the post-call pipeline, voicebot.analysis)."""
        self._pool = pool
        self._post_call_queue = post_call_queue

    async def finalize(
        self,
        *,
        call_id: uuid.UUID,
        bot_id: uuid.UUID | None,
        direction: str,
        caller_number: str | None,
        dialed_number: str | None,
        scenario_version_id: uuid.UUID | None,
        started_at: dt.datetime,
        ended_at: dt.datetime,
        status: str,
        final_state: str | None,
        end_reason: str,
        outcome: str,
        confidence: float,
        summary: str | None,
        extracted_data: Mapping[str, Any],
        appointment: Mapping[str, Any] | None,
        new_code: Callable[[], str],
        events: Callable[[FinalizeContext], Sequence[NewEvent]],
        code_tries: int = 8,
    ) -> Finalized:
        """End the call, write its outcome, its appointment (if any) and its outbox rows atomically.

        ``appointment`` holds the appointments columns (appointment_date, appointment_time,
        appointment_type, contact_name, contact_phone, contact_email, metadata); its confirmation code
        comes from ``new_code``, drawn again on a unique violation (up to ``code_tries`` times).
        ``events`` builds the outbox rows once the company and the code are known; no rows are written
        for a call whose bot (hence company) is unknown. The first event is the outcome's webhook.
        """
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    _ENSURE_CALL,
                    call_id,
                    bot_id,
                    direction,
                    caller_number,
                    dialed_number,
                    scenario_version_id,
                    started_at,
                )
                row = await conn.fetchrow(_LOCK_CALL, call_id)
                company_id: uuid.UUID | None = row["company_id"]
                if row["finalized"]:
                    return Finalized(call_id, True, company_id)
                await conn.execute(_END_CALL, call_id, ended_at, status, final_state, end_reason)
                appointment_id: uuid.UUID | None = None
                code: str | None = None
                # A booking the call made in the built-in book is the appointment: link, don't duplicate.
                booked_row = await conn.fetchrow(_BOOKED, call_id)
                booked = None if booked_row is None else dict(booked_row)
                if booked is not None:
                    appointment_id, code = booked.pop("id"), booked.pop("confirmation_code")
                    await conn.execute(
                        "UPDATE appointments SET call_id = $1 WHERE id = $2", call_id, appointment_id
                    )
                elif appointment is not None:
                    appointment_id, code = await _insert_appointment(
                        conn, call_id, bot_id, appointment, new_code, code_tries
                    )
                context = FinalizeContext(
                    company_id, appointment_id, code, row["slot_values"], row["privacy_mode"], booked
                )
                new_events = list(events(context))
                if company_id is None:
                    new_events = []
                for event in new_events:
                    await conn.execute(
                        _INSERT_EVENT,
                        event.event_id,
                        company_id,
                        call_id,
                        event.event_type,
                        event.version,
                        dict(event.payload),
                    )
                await conn.execute(
                    _INSERT_OUTCOME,
                    call_id,
                    outcome,
                    confidence,
                    summary,
                    dict(extracted_data),
                    new_events[0].event_id if new_events else None,
                )
                if self._post_call_queue is not None:
                    await JobQueue(self._pool).enqueue(
                        self._post_call_queue,
                        JobSpec(
                            payload={"call_id": str(call_id)},
                            key=f"{call_id}:analyze",
                            company_id=company_id,
                            call_id=call_id,
                        ),
                        conn=conn,
                    )
        return Finalized(
            call_id, False, company_id, tuple(e.event_id for e in new_events), appointment_id, code
        )

    async def beat(self, call_ids: Sequence[uuid.UUID]) -> int:
        """Mark these active calls as alive now (one statement for all of a worker's calls)."""
        if not call_ids:
            return 0
        with translated():
            result: str = await self._pool.execute(
                "UPDATE calls SET last_heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND status = 'active'",
                list(call_ids),
            )
        return int(result.rsplit(" ", 1)[-1])

    async def stale(self, older_than: dt.timedelta, *, limit: int = 100) -> builtins.list[StaleCall]:
        """Active calls without an outcome whose last heartbeat (or start) is older than ``older_than``."""
        return await self._calls(_STALE, older_than, limit)

    async def unfinalized(
        self,
        older_than: dt.timedelta,
        *,
        limit: int = 100,
        horizon: dt.timedelta = dt.timedelta(days=7),
    ) -> builtins.list[StaleCall]:
        """Ended calls (within ``horizon``) that have no outcome ``older_than`` after their end."""
        return await self._calls(_UNFINALIZED, older_than, limit, horizon)

    async def _calls(self, sql: str, *args: Any) -> builtins.list[StaleCall]:
        with translated():
            async with self._pool.acquire() as conn:
                rows = await conn.fetch(sql, *args)
                turns = await conn.fetch(
                    """SELECT call_id, role, text, at FROM turns WHERE call_id = ANY($1::uuid[])
                       ORDER BY call_id, seq""",
                    [r["id"] for r in rows],
                )
        by_call: dict[uuid.UUID, list[TranscriptRow]] = {}
        for t in turns:
            by_call.setdefault(t["call_id"], []).append(TranscriptRow(t["role"], t["text"], t["at"]))
        return [
            StaleCall(
                call_id=r["id"],
                bot_id=r["bot_id"],
                direction=r["direction"],
                caller_number=r["caller_number"],
                dialed_number=r["dialed_number"],
                scenario_version_id=r["scenario_version_id"],
                started_at=r["started_at"],
                last_seen_at=r["last_seen_at"],
                state=r["state"],
                slots=dict(r["slots"] or {}),
                transcript=tuple(by_call.get(r["id"], ())),
                **(
                    {
                        "ended_at": r["ended_at"],
                        "end_reason": r["end_reason"],
                        "final_state": r["final_state"],
                        "decision": r["decision"],
                    }
                    if "decision" in r.keys()  # noqa: SIM118 (an asyncpg Record)
                    else {}
                ),
            )
            for r in rows
        ]

    async def outcome(self, call_id: uuid.UUID) -> dict[str, Any] | None:
        """The stored outcome row of a call, or None."""
        with translated():
            row = await self._pool.fetchrow(
                """SELECT call_id, outcome_type, confidence, summary, extracted_data, webhook_event_id,
                          created_at FROM outcomes WHERE call_id = $1""",
                call_id,
            )
        return None if row is None else dict(row)


async def _insert_appointment(
    conn: Any,
    call_id: uuid.UUID,
    bot_id: uuid.UUID | None,
    appointment: Mapping[str, Any],
    new_code: Callable[[], str],
    tries: int,
) -> tuple[uuid.UUID, str]:
    for _ in range(tries):
        code = new_code()
        try:
            async with conn.transaction():  # a savepoint: a taken code does not abort the outer transaction
                appointment_id: uuid.UUID = await conn.fetchval(
                    _INSERT_APPOINTMENT,
                    call_id,
                    bot_id,
                    appointment["appointment_date"],
                    appointment["appointment_time"],
                    appointment.get("appointment_type"),
                    appointment.get("contact_name"),
                    appointment.get("contact_phone"),
                    appointment.get("contact_email"),
                    code,
                    dict(appointment.get("metadata") or {}),
                )
            return appointment_id, code
        except asyncpg.exceptions.UniqueViolationError as exc:
            if getattr(exc, "constraint_name", None) != "appointments_confirmation_code_key":
                raise
    raise ConflictError(f"no free confirmation code after {tries} tries")
