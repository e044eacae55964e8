"""Webhook events: frozen, typed, versioned payload models, and their JSON Schemas.

Every event is an envelope ``{id, type, version, timestamp, company_id, data}``. ``id`` equals the
``webhook-id`` header and is the receiver's idempotency key (it is the same on every retry). ``type`` and
``version`` together name the schema of ``data``. Versioning policy (docs/webhooks.md): within a version
fields are only *added*, never removed, renamed or retyped; a breaking change is a new version, sent
alongside the old one for a deprecation period. The schemas in docs/webhooks.md are generated from these
models (``voicebot webhooks schemas``) and a test keeps them in sync.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "EVENT_MODELS",
    "AnalyzedTurn",
    "AppointmentInfo",
    "BookingCreatedData",
    "BookingCreatedV1",
    "CallAnalyzedData",
    "CallAnalyzedV1",
    "CallCompletedData",
    "CallCompletedV1",
    "EffortInfo",
    "TranscriptEntry",
    "TransferInfo",
    "WebhookEvent",
    "event_schemas",
    "render_schemas_markdown",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TranscriptEntry(_Frozen):
    """One line of the conversation."""

    role: Literal["caller", "bot", "system"]
    text: str
    at: dt.datetime | None = None


class AppointmentInfo(_Frozen):
    """An appointment booked during the call."""

    appointment_id: uuid.UUID
    confirmation_code: str = Field(description="Six characters from 23456789ABCDEFGHJKLMNPQRSTUVWXYZ.")
    date: dt.date
    time: dt.time
    type: str | None = Field(default=None, description="The kind of appointment, e.g. the service booked.")
    contact_name: str | None = None
    contact_phone: str | None = Field(default=None, description="E.164")
    contact_email: str | None = None
    resource: str | None = Field(
        default=None, description="The built-in book's resource booked (a doctor, a chair, a table size)."
    )
    starts_at: dt.datetime | None = Field(default=None, description="The built-in book's slot start (UTC).")
    ends_at: dt.datetime | None = Field(default=None, description="The built-in book's slot end.")


class TransferInfo(_Frozen):
    """The call's transfer to a person (added in version 1: absent or null when there was none)."""

    mode: Literal["cold", "warm"]
    to: str = Field(description="The person's number (E.164).")
    result: Literal["requested", "connected", "no_answer", "busy", "declined", "failed", "pending"] = Field(
        description=(
            "cold: requested (handed to the phone network). warm: connected (the person took the call), "
            "or no_answer, busy, declined, failed (the caller came back to the bot)."
        )
    )
    agent: str | None = Field(
        default=None, description="Who took the call: the person's participant identity (warm, connected)."
    )


class CallCompletedData(_Frozen):
    """A call ended, for whatever reason; what happened in it."""

    call_id: uuid.UUID
    bot_id: uuid.UUID | None
    bot_slug: str | None = Field(default=None, description="bot.id of the scenario.")
    direction: Literal["inbound", "outbound"]
    caller_number: str | None
    dialed_number: str | None
    started_at: dt.datetime
    ended_at: dt.datetime
    duration_ms: int = Field(ge=0)
    outcome: str = Field(
        description="The scenario's outcome name, e.g. booking, lead, support, hangup, dropped."
    )
    confidence: float = Field(ge=0, le=1)
    decided_by: Literal["rules", "llm"] = Field(
        description="'rules': the scenario's outcome rules decided; 'llm': they were ambiguous, an LLM chose."
    )
    rule: str = Field(
        description="Which rule fired, e.g. 'state:booked', 'rule[0]: filled(...)', 'default:no_input'."
    )
    end_reason: str = Field(
        description="completed, caller_hangup, transferred, no_input, error, dropped, ..."
    )
    final_state: str | None
    summary: str
    slots: dict[str, Any] = Field(description="Extracted data: slot name -> JSON value (dates as ISO 8601).")
    appointment: AppointmentInfo | None = None
    transcript: tuple[TranscriptEntry, ...] = ()
    transfer: TransferInfo | None = Field(default=None, description="The transfer to a person, if any.")


class BookingCreatedData(_Frozen):
    """An appointment was booked during a call."""

    call_id: uuid.UUID
    bot_id: uuid.UUID | None
    bot_slug: str | None = None
    appointment: AppointmentInfo
    slots: dict[str, Any]


class CallCompletedV1(_Frozen):
    """``call.completed`` version 1."""

    id: uuid.UUID = Field(description="Equal to the webhook-id header; the idempotency key.")
    type: Literal["call.completed"] = "call.completed"
    version: Literal[1] = 1
    timestamp: dt.datetime = Field(description="When the event happened (the call ended).")
    company_id: uuid.UUID
    data: CallCompletedData


class BookingCreatedV1(_Frozen):
    """``booking.created`` version 1."""

    id: uuid.UUID = Field(description="Equal to the webhook-id header; the idempotency key.")
    type: Literal["booking.created"] = "booking.created"
    version: Literal[1] = 1
    timestamp: dt.datetime
    company_id: uuid.UUID
    data: BookingCreatedData


class AnalyzedTurn(_Frozen):
    """One line of the analyzed transcript: redacted when the company's privacy policy redacts."""

    role: Literal["caller", "bot", "system"]
    text: str
    cleaned_text: str | None = Field(
        default=None, description="Caller turns: fillers and false starts removed, numbers as digits."
    )


class EffortInfo(_Frozen):
    """How hard the caller had to work."""

    reasks: int = Field(ge=0, description="Caller turns the bot did not understand and asked again.")
    corrections: int = Field(ge=0, description="Times the caller corrected what the bot had understood.")
    no_inputs: int = Field(ge=0, description="Times the caller stayed silent when asked.")
    score: int = Field(ge=0, description="reasks + corrections + no_inputs.")


class CallAnalyzedData(_Frozen):
    """The post-call analysis of a call (sent after call.completed, once the pipeline ran)."""

    call_id: uuid.UUID
    bot_id: uuid.UUID | None
    bot_slug: str | None = None
    direction: Literal["inbound", "outbound"]
    outcome: str | None
    summary: str = Field(description="Rule-based or LLM-written; never contains slot values by the rules.")
    sentiment: Literal["negative", "neutral", "positive"]
    sentiment_score: float = Field(ge=-1, le=1)
    effort: EffortInfo
    quality_flags: tuple[str, ...] = Field(
        description="dead_end, transfer_after_failure, long_silence, many_reasks, discarded_turns, "
        "negative_sentiment."
    )
    analyzed_by: Literal["rules", "llm"]
    estimated_cost: dict[str, Any] = Field(
        description="stt_seconds, tts_characters, llm_tokens, stt, tts, llm, total, currency."
    )
    discarded_turns: int = Field(ge=0, description="Caller turns that were empty, noise or garbage.")
    redaction: Literal["off", "redact", "redact_drop_raw"] = Field(
        description="The privacy policy's mode the transcript was produced under."
    )
    pii: dict[str, int] = Field(
        description="Kind (card, iban, email, phone, address, name...) -> spans redacted."
    )
    slot_names: tuple[str, ...] = ()
    slots: dict[str, Any] | None = Field(
        default=None,
        description="Slot values; null unless the company's contract includes them (webhook_slot_values).",
    )
    transcript: tuple[AnalyzedTurn, ...] = ()


class CallAnalyzedV1(_Frozen):
    """``call.analyzed`` version 1."""

    id: uuid.UUID = Field(description="Equal to the webhook-id header; the idempotency key.")
    type: Literal["call.analyzed"] = "call.analyzed"
    version: Literal[1] = 1
    timestamp: dt.datetime = Field(description="When the call ended.")
    company_id: uuid.UUID
    data: CallAnalyzedData


WebhookEvent = Annotated[CallCompletedV1 | BookingCreatedV1 | CallAnalyzedV1, Field(discriminator="type")]

EVENT_MODELS: dict[tuple[str, int], type[BaseModel]] = {
    ("call.completed", 1): CallCompletedV1,
    ("booking.created", 1): BookingCreatedV1,
    ("call.analyzed", 1): CallAnalyzedV1,
}


def event_schemas() -> dict[str, dict[str, Any]]:
    """``"<type>.v<version>"`` -> the JSON Schema of that event."""
    return {
        f"{etype}.v{version}": model.model_json_schema(mode="serialization")
        for (etype, version), model in sorted(EVENT_MODELS.items())
    }


BEGIN_MARK = "<!-- BEGIN GENERATED SCHEMAS: voicebot webhooks schemas -->"
END_MARK = "<!-- END GENERATED SCHEMAS -->"


def render_schemas_markdown() -> str:
    """The generated part of docs/webhooks.md, markers included."""
    parts = [BEGIN_MARK, ""]
    for name, schema in event_schemas().items():
        parts += [
            f"#### `{name}`",
            "",
            "```json",
            json.dumps(schema, indent=2, ensure_ascii=False),
            "```",
            "",
        ]
    parts.append(END_MARK)
    return "\n".join(parts)
