"""Finalizing a call: the outcome, the appointment of a booking and the webhook outbox rows, atomically.

The telephony bridge calls :meth:`Finalizer.finalize` once per call with the engine's
:class:`~voicebot.dialogue.actions.CallFinished`, the call's facts and its transcript. Any LLM work
happens first, outside the transaction; then one transaction (storage's ``Outcomes.finalize``) ends the
call row, writes the outcome, the appointment (with a unique speakable confirmation code) and the
``call.completed`` (and ``booking.created``) outbox rows. The write is shielded from cancellation: a
hangup that cancels the call's task does not lose the outcome. Finalizing the same call twice is a no-op.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from voicebot.dialogue.actions import CallFinished
from voicebot.dialogue.nlu import to_json
from voicebot.outcomes.booking import appointment_fields, new_confirmation_code
from voicebot.outcomes.payloads import (
    AppointmentInfo,
    BookingCreatedData,
    BookingCreatedV1,
    CallCompletedData,
    CallCompletedV1,
    TranscriptEntry,
    TransferInfo,
)
from voicebot.outcomes.summary import Advice, OutcomeAdvisor
from voicebot.scenario.model import Scenario

__all__ = ["CallFacts", "FinalizeContextLike", "Finalizer", "OutcomeStore", "call_status", "outcome_names"]

log = structlog.get_logger("voicebot.outcomes.finalize")

_STATUS = {
    "completed": "completed",
    "transferred": "transferred",
    "caller_hangup": "abandoned",
    "hangup": "abandoned",
    "no_input": "abandoned",
    "error": "failed",
    "dropped": "failed",
}


def call_status(end_reason: str) -> str:
    """The calls.status for an end reason."""
    return _STATUS.get(end_reason, "completed")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the bridge knows about the call besides the engine's decision."""

    call_id: uuid.UUID
    bot_id: uuid.UUID | None
    started_at: dt.datetime
    ended_at: dt.datetime | None = None  # default: now
    direction: str = "inbound"
    caller_number: str | None = None
    dialed_number: str | None = None
    scenario_version_id: uuid.UUID | None = None
    bot_slug: str | None = None
    slot_types: Mapping[str, str] = field(default_factory=dict)
    """Slot name -> scenario slot type (date, time, datetime, phone, email, text, enum...): how a booking's
    slots become an appointment. :meth:`for_scenario` fills it."""
    outcome_names: Sequence[str] = ()
    """The outcomes an LLM may choose among for an ambiguous call (:func:`outcome_names`)."""

    @classmethod
    def for_scenario(cls, scenario: Scenario, **facts: Any) -> CallFacts:
        """Facts with ``bot_slug``, ``slot_types`` and ``outcome_names`` taken from the scenario."""
        return cls(
            bot_slug=scenario.bot.id,
            slot_types={name: slot.type for name, slot in scenario.slots.items()},
            outcome_names=outcome_names(scenario),
            **facts,
        )


def outcome_names(scenario: Scenario) -> tuple[str, ...]:
    """Every outcome a scenario can produce: its states' and rules' outcomes."""
    names = [s.outcome for s in scenario.states.values() if s.outcome]
    names += [rule.outcome for rule in scenario.outcomes]
    return tuple(dict.fromkeys(names))


class FinalizeContextLike(Protocol):
    @property
    def company_id(self) -> uuid.UUID | None: ...
    @property
    def appointment_id(self) -> uuid.UUID | None: ...
    @property
    def confirmation_code(self) -> str | None: ...
    @property
    def slot_values(self) -> bool: ...
    @property
    def privacy_mode(self) -> str: ...
    @property
    def booked(self) -> Mapping[str, Any] | None: ...


class FinalizedLike(Protocol):
    @property
    def call_id(self) -> uuid.UUID: ...
    @property
    def already(self) -> bool: ...
    @property
    def event_ids(self) -> tuple[uuid.UUID, ...]: ...
    @property
    def confirmation_code(self) -> str | None: ...


class OutcomeStore(Protocol):
    """storage's ``Outcomes``: the one transaction, and the builder of the outbox rows it calls."""

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
        events: Callable[[Any], Sequence[Any]],
        code_tries: int = 8,
    ) -> FinalizedLike: ...


EventFactory = Callable[[uuid.UUID, str, int, Mapping[str, Any]], Any]
"""(event_id, type, version, payload) -> the store's row object (storage's NewEvent)."""


class Finalizer:
    """Builds and writes a finished call's outcome. One per process; safe to share between calls."""

    def __init__(
        self,
        *,
        store: OutcomeStore,
        new_event: EventFactory,
        advisor: OutcomeAdvisor | None = None,
        booking_outcomes: frozenset[str] = frozenset({"booking"}),
        new_code: Callable[[], str] = new_confirmation_code,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._store = store
        self._new_event = new_event
        self._advisor = advisor or OutcomeAdvisor()
        self._booking_outcomes = booking_outcomes
        self._new_code = new_code
        self._clock = clock

    async def finalize(
        self, finished: CallFinished, facts: CallFacts, transcript: Sequence[TranscriptEntry] = ()
    ) -> FinalizedLike:
        """Write the call's outcome (+ appointment) and its webhooks; returns what was written.

        Raises StorageError when the database is unavailable (retryable): the caller may retry, and
        the reaper finalizes the call as dropped if nobody does.
        """
        advice = await self._advisor.advise(finished, transcript, outcome_names=facts.outcome_names)
        ended_at = facts.ended_at or self._clock()
        slots = {k: to_json(v) for k, v in finished.slots.items()}
        appointment = None
        if advice.outcome in self._booking_outcomes:
            appointment = appointment_fields(finished.slots, facts.slot_types)
            if appointment is None:
                log.warning("booking_without_date_time", call_id=str(facts.call_id), outcome=advice.outcome)
        call_event_id, booking_event_id = uuid.uuid4(), uuid.uuid4()

        def events(ctx: FinalizeContextLike) -> list[Any]:
            if ctx.company_id is None:
                return []
            info = _appointment_info(ctx, appointment)
            # The company's contract and privacy policy: no slot values unless it includes them; no
            # transcript as heard when its policy redacts (call.analyzed carries the redacted one).
            shared = slots if ctx.slot_values else {}
            heard = () if ctx.privacy_mode != "off" else transcript
            completed = CallCompletedV1(
                id=call_event_id,
                timestamp=ended_at,
                company_id=ctx.company_id,
                data=_call_data(finished, facts, advice, shared, ended_at, info, heard),
            )
            rows = [self._row(completed)]
            if info is not None:
                booked = BookingCreatedV1(
                    id=booking_event_id,
                    timestamp=ended_at,
                    company_id=ctx.company_id,
                    data=BookingCreatedData(
                        call_id=facts.call_id,
                        bot_id=facts.bot_id,
                        bot_slug=facts.bot_slug,
                        appointment=info,
                        slots=shared,
                    ),
                )
                rows.append(self._row(booked))
            return rows

        write = self._store.finalize(
            call_id=facts.call_id,
            bot_id=facts.bot_id,
            direction=facts.direction,
            caller_number=facts.caller_number,
            dialed_number=facts.dialed_number,
            scenario_version_id=facts.scenario_version_id,
            started_at=facts.started_at,
            ended_at=ended_at,
            status=call_status(finished.end_reason),
            final_state=finished.final_state,
            end_reason=finished.end_reason,
            outcome=advice.outcome,
            confidence=advice.confidence,
            summary=advice.summary,
            extracted_data={"slots": slots, "rule": advice.rule, "decided_by": advice.decided_by},
            appointment=appointment,
            new_code=self._new_code,
            events=events,
        )
        result = await asyncio.shield(asyncio.ensure_future(write))
        log.info(
            "call_finalized",
            call_id=str(facts.call_id),
            outcome=advice.outcome,
            confidence=advice.confidence,
            decided_by=advice.decided_by,
            rule=advice.rule,
            already=result.already,
            events=len(result.event_ids),
        )
        return result

    def _row(self, event: CallCompletedV1 | BookingCreatedV1) -> Any:
        return self._new_event(event.id, event.type, event.version, event.model_dump(mode="json"))


def _appointment_info(ctx: FinalizeContextLike, fields: Mapping[str, Any] | None) -> AppointmentInfo | None:
    if ctx.appointment_id is None or ctx.confirmation_code is None:
        return None
    if ctx.booked is not None:  # the built-in book's booking: its own time and resource
        b = ctx.booked
        return AppointmentInfo(
            appointment_id=ctx.appointment_id,
            confirmation_code=ctx.confirmation_code,
            date=b["date"],
            time=b["time"],
            type=b.get("type"),
            contact_name=b.get("contact_name") or (fields or {}).get("contact_name"),
            contact_phone=b.get("contact_phone") or (fields or {}).get("contact_phone"),
            contact_email=b.get("contact_email") or (fields or {}).get("contact_email"),
            resource=b.get("resource"),
            starts_at=b.get("starts_at"),
            ends_at=b.get("ends_at"),
        )
    if fields is None:
        return None
    return AppointmentInfo(
        appointment_id=ctx.appointment_id,
        confirmation_code=ctx.confirmation_code,
        date=fields["appointment_date"],
        time=fields["appointment_time"],
        type=fields.get("appointment_type"),
        contact_name=fields.get("contact_name"),
        contact_phone=fields.get("contact_phone"),
        contact_email=fields.get("contact_email"),
    )


def _call_data(
    finished: CallFinished,
    facts: CallFacts,
    advice: Advice,
    slots: dict[str, Any],
    ended_at: dt.datetime,
    appointment: AppointmentInfo | None,
    transcript: Sequence[TranscriptEntry],
) -> CallCompletedData:
    duration = max(0, int((ended_at - facts.started_at).total_seconds() * 1000))
    return CallCompletedData(
        call_id=facts.call_id,
        bot_id=facts.bot_id,
        bot_slug=facts.bot_slug,
        direction="outbound" if facts.direction == "outbound" else "inbound",
        caller_number=facts.caller_number,
        dialed_number=facts.dialed_number,
        started_at=facts.started_at,
        ended_at=ended_at,
        duration_ms=duration,
        outcome=advice.outcome,
        confidence=advice.confidence,
        decided_by="llm" if advice.decided_by == "llm" else "rules",
        rule=advice.rule,
        end_reason=finished.end_reason,
        final_state=finished.final_state,
        summary=advice.summary,
        slots=slots,
        appointment=appointment,
        transcript=tuple(transcript),
        transfer=TransferInfo.model_validate(finished.transfer) if finished.transfer else None,
    )
