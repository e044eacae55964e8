"""What the post-call pipeline reads of a call and what it produces: frozen, typed, no I/O.

Storage loads a :class:`CallRecord` (the call, its turns, transitions and slots, its company's policy
and analysis config layers); the pipeline turns it into a :class:`PostCallResult` that storage writes
in one transaction with the ``call.analyzed`` outbox row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Analysis",
    "CallRecord",
    "Cost",
    "DiscardedTurn",
    "Effort",
    "PostCallResult",
    "SlotRow",
    "TransitionRow",
    "TurnRow",
    "TurnText",
]


@dataclass(frozen=True, slots=True)
class TurnRow:
    seq: int
    role: Literal["caller", "bot", "system"]
    text: str
    state: str | None
    at: dt.datetime
    llm_ms: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TransitionRow:
    seq: int
    from_state: str | None
    to_state: str
    trigger_type: str
    turn_seq: int | None


@dataclass(frozen=True, slots=True)
class SlotRow:
    seq: int
    name: str
    value: Any
    method: str
    turn_seq: int | None


@dataclass(frozen=True, slots=True)
class CallRecord:
    call_id: uuid.UUID
    company_id: uuid.UUID | None
    bot_id: uuid.UUID | None
    bot_slug: str | None
    language: str
    direction: Literal["inbound", "outbound"]
    status: str
    end_reason: str | None
    final_state: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    outcome: str | None
    scenario_version_id: uuid.UUID | None
    providers: Mapping[str, Any] = field(default_factory=dict)
    slot_types: Mapping[str, str] = field(default_factory=dict)
    turns: tuple[TurnRow, ...] = ()
    transitions: tuple[TransitionRow, ...] = ()
    slots: tuple[SlotRow, ...] = ()
    policy: Mapping[str, Any] | None = None
    """The privacy policy's JSON (the bot's if it has one, else the company's; None: off)."""
    config_layers: tuple[Mapping[str, Any], ...] = ()
    """The analysis_configs rows in order of precedence, least specific first."""
    webhook_slot_values: bool = True

    @property
    def duration_s(self) -> float:
        if self.ended_at is None:
            return 0.0
        return max(0.0, (self.ended_at - self.started_at).total_seconds())


@dataclass(frozen=True, slots=True)
class TurnText:
    """What the pipeline keeps beside one turn's raw text."""

    seq: int
    cleaned_text: str | None
    redacted_text: str | None
    corrections: tuple[Mapping[str, Any], ...] = ()
    stt_confidence: float | None = None
    words: tuple[Mapping[str, Any], ...] | None = None
    pii: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DiscardedTurn:
    seq: int
    reason: Literal["empty", "noise", "garbage", "low_confidence"]
    stt_confidence: float | None
    chars: int
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Effort:
    reasks: int
    corrections: int
    no_inputs: int

    @property
    def score(self) -> int:
        """0 (effortless) upwards: one point per re-ask, correction or silence."""
        return self.reasks + self.corrections + self.no_inputs

    def as_json(self) -> dict[str, int]:
        return {
            "reasks": self.reasks,
            "corrections": self.corrections,
            "no_inputs": self.no_inputs,
            "score": self.score,
        }


@dataclass(frozen=True, slots=True)
class Analysis:
    summary: str
    sentiment: Literal["negative", "neutral", "positive"]
    sentiment_score: float
    effort: Effort
    quality_flags: tuple[str, ...]
    analyzed_by: Literal["rules", "llm"] = "rules"
    model: str | None = None
    llm_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Cost:
    stt_seconds: float
    tts_characters: int
    llm_tokens: int
    stt: float
    tts: float
    llm: float
    currency: str

    @property
    def total(self) -> float:
        return round(self.stt + self.tts + self.llm, 6)

    def as_json(self) -> dict[str, Any]:
        return {
            "stt_seconds": round(self.stt_seconds, 3),
            "tts_characters": self.tts_characters,
            "llm_tokens": self.llm_tokens,
            "stt": round(self.stt, 6),
            "tts": round(self.tts, 6),
            "llm": round(self.llm, 6),
            "total": self.total,
            "currency": self.currency,
        }


@dataclass(frozen=True, slots=True)
class PostCallResult:
    call_id: uuid.UUID
    company_id: uuid.UUID | None
    texts: tuple[TurnText, ...]
    discarded: tuple[DiscardedTurn, ...]
    analysis: Analysis
    cost: Cost
    config_snapshot: Mapping[str, Any]
    pii: Mapping[str, int]
    drop_raw_now: bool = False
    drop_raw_after_days: int | None = None
    event: Mapping[str, Any] | None = None
    """The ``call.analyzed`` payload (None: no company, no webhook)."""
    event_id: uuid.UUID | None = None
