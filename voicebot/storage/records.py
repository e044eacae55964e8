"""What the recorder receives: immutable, typed records of one call.

The telephony bridge / engine driver creates them and hands them to :meth:`Recorder.record`. ``seq``
numbers are per call and per kind (turn 0, 1, 2...; transition 0, 1...); with ``call_id`` they are the
natural key that makes every write idempotent. ``call_id`` is a UUID chosen by the call's process.
Values in ``metadata``, ``trigger_data``, ``value``, ``slots`` and ``retries`` must be JSON-serializable
(dates, times, UUIDs and Decimals are converted to strings).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import uuid
from dataclasses import field
from typing import Any, Literal

from voicebot.values import value_class

__all__ = [
    "ActionCalled",
    "CallEnded",
    "CallStarted",
    "Checkpoint",
    "ErrorLogged",
    "Record",
    "SlotFilled",
    "Transition",
    "Turn",
    "from_json",
    "json_default",
    "to_json",
]

Role = Literal["caller", "bot", "system"]
Direction = Literal["inbound", "outbound"]
EndStatus = Literal["completed", "transferred", "abandoned", "failed"]

_ROLES = frozenset(("caller", "bot", "system"))
_DIRECTIONS = frozenset(("inbound", "outbound"))
_END_STATUSES = frozenset(("completed", "transferred", "abandoned", "failed"))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@value_class
class CallStarted:
    call_id: uuid.UUID
    bot_id: uuid.UUID | None
    direction: Direction
    caller_number: str | None
    dialed_number: str | None
    scenario_version_id: uuid.UUID | None
    started_at: dt.datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        if self.direction not in _DIRECTIONS:
            raise ValueError(f"direction={self.direction!r} must be 'inbound' or 'outbound'")


@value_class
class Turn:
    call_id: uuid.UUID
    seq: int
    role: Role
    text: str
    state: str | None = None
    interrupted: bool = False
    stt_ms: float | None = None
    engine_ms: float | None = None
    llm_ms: float | None = None
    tts_ms: float | None = None
    e2e_ms: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    at: dt.datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        if self.role not in _ROLES:
            raise ValueError(f"role={self.role!r} must be one of caller, bot, system")


@value_class
class Transition:
    call_id: uuid.UUID
    seq: int
    from_state: str | None
    to_state: str
    trigger_type: str
    trigger_data: dict[str, Any] = field(default_factory=dict)
    latency_ms: float | None = None
    turn_seq: int | None = None
    at: dt.datetime = field(default_factory=_now)


@value_class
class SlotFilled:
    call_id: uuid.UUID
    seq: int
    name: str
    value: Any
    confidence: float | None
    method: str
    validated: bool = False
    turn_seq: int | None = None
    at: dt.datetime = field(default_factory=_now)


@value_class
class Checkpoint:
    call_id: uuid.UUID
    turn_seq: int
    state: str
    slots: dict[str, Any] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)
    at: dt.datetime = field(default_factory=_now)


@value_class
class CallEnded:
    call_id: uuid.UUID
    ended_at: dt.datetime
    status: EndStatus
    final_state: str | None
    end_reason: str | None
    decision: dict[str, Any] | None = None
    """The engine's decision (outcome, confidence, rule, slots, and what finalizing needs of the
    scenario): the sweeper finalizes from it when the call's own finalize did not happen."""

    def __post_init__(self) -> None:
        if self.status not in _END_STATUSES:
            raise ValueError(f"status={self.status!r} must be one of {', '.join(sorted(_END_STATUSES))}")


@value_class
class ErrorLogged:
    """A provider or runtime failure during a call (an ``error_logs`` row; not idempotent: no natural key)."""

    call_id: uuid.UUID | None
    bot_id: uuid.UUID | None
    error_type: str
    message: str
    context: dict[str, Any] = field(default_factory=dict)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    at: dt.datetime = field(default_factory=_now)


@value_class
class ActionCalled:
    """One run of a declared action (a ``call_actions`` row). ``request`` has every secret masked.
    ``action_kind`` is the column ``kind`` (the journal line's ``kind`` names the record type)."""

    call_id: uuid.UUID
    seq: int
    action: str
    action_kind: str
    request: dict[str, Any]
    status: str
    http_status: int | None = None
    error: str | None = None
    error_kind: str | None = None
    latency_ms: float | None = None
    attempts: int = 1
    filler: bool = False
    next_state: str | None = None
    turn_seq: int | None = None
    at: dt.datetime = field(default_factory=_now)


Record = CallStarted | Turn | Transition | SlotFilled | Checkpoint | CallEnded | ErrorLogged | ActionCalled

_KINDS: dict[str, type[Record]] = {
    "call_started": CallStarted,
    "turn": Turn,
    "transition": Transition,
    "slot": SlotFilled,
    "checkpoint": Checkpoint,
    "call_ended": CallEnded,
    "error": ErrorLogged,
    "action": ActionCalled,
}
_KIND_OF: dict[type[Record], str] = {cls: kind for kind, cls in _KINDS.items()}
_UUIDS = frozenset(("call_id", "bot_id", "scenario_version_id"))
_TIMES = frozenset(("started_at", "at", "ended_at"))


def json_default(value: object) -> object:
    """``json.dumps`` default: dates/times as ISO 8601, UUIDs and Decimals as strings."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(record: Record) -> str:
    """One journal line (no newline)."""
    data: dict[str, Any] = {"kind": _KIND_OF[type(record)]}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if f.name in _UUIDS or f.name in _TIMES:
            value = None if value is None else (str(value) if f.name in _UUIDS else value.isoformat())
        data[f.name] = value
    return json.dumps(data, default=json_default, ensure_ascii=False, separators=(",", ":"))


def from_json(line: str) -> Record:
    """The record of one journal line; raises ValueError if it is not one."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("a journal line is a JSON object")
    cls = _KINDS.get(data.pop("kind", None))
    if cls is None:
        raise ValueError("unknown record kind")
    for name in _UUIDS & data.keys():
        data[name] = None if data[name] is None else uuid.UUID(data[name])
    for name in _TIMES & data.keys():
        data[name] = dt.datetime.fromisoformat(data[name])
    try:
        return cls(**data)
    except TypeError as exc:
        raise ValueError(str(exc)) from None
