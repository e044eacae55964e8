"""Turning one call's engine actions and session messages into recorder records (write-behind).

Sequence numbers are per call and per kind, so every write is idempotent on its natural key. Nothing
here awaits: :meth:`CallLog.record` hands records to the recorder's buffer and returns.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from livekit.agents import llm
from livekit.agents.voice import SpeechHandle

from voicebot.dialogue import CallFinished, RecordSlot, RecordTransition, TurnResult
from voicebot.dialogue.nlu import to_json
from voicebot.dialogue.state import CallState
from voicebot.observability import metrics
from voicebot.outcomes.finalize import call_status
from voicebot.storage.records import (
    CallEnded,
    CallStarted,
    Checkpoint,
    ErrorLogged,
    Record,
    SlotFilled,
    Transition,
    Turn,
)

__all__ = ["CallInfo", "CallLog", "RecordFn", "end_status", "record_bot_turn"]

RecordFn = Callable[[Record], None]
"""Where records go: ``Recorder.record`` (never blocks, never awaits)."""


@dataclass(frozen=True, slots=True)
class CallInfo:
    """Who and what a call is, known when it is answered."""

    call_id: uuid.UUID
    bot_id: uuid.UUID | None
    bot_slug: str
    direction: Literal["inbound", "outbound"] = "inbound"
    caller_number: str | None = None
    dialed_number: str | None = None
    scenario_version_id: uuid.UUID | None = None
    slot_types: Mapping[str, str] = field(default_factory=dict)
    """Slot name -> scenario slot type: journaled with the call's end so the sweeper can finalize it."""
    outcome_names: tuple[str, ...] = ()


def end_status(end_reason: str) -> Literal["completed", "transferred", "abandoned", "failed"]:
    """The ``calls.status`` of a call that ended for ``end_reason``: the one table of
    :func:`voicebot.outcomes.finalize.call_status` (``dropped`` -> ``failed``), so the call row written
    by the recorder and the one written by finalize always agree."""
    return call_status(end_reason)  # type: ignore[return-value]


def _json(value: Any) -> Any:
    try:
        return to_json(value)
    except (TypeError, ValueError):
        return str(value)


class CallLog:
    """The records of one call, numbered."""

    def __init__(self, info: CallInfo, record: RecordFn) -> None:
        self.info = info
        self._record = record
        self._turn = 0
        self._transition = 0
        self._slot = 0
        self._checkpoint = -1
        self.ended = False

    def started(self) -> None:
        i = self.info
        self._record(
            CallStarted(
                i.call_id, i.bot_id, i.direction, i.caller_number, i.dialed_number, i.scenario_version_id
            )
        )

    def turn(
        self,
        role: Literal["caller", "bot", "system"],
        text: str,
        *,
        state: str | None,
        interrupted: bool = False,
        latencies: Mapping[str, float | None] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> int:
        """Record one turn; returns its seq. ``latencies`` keys: stt, engine, llm, tts, e2e (ms)."""
        seq = self._turn
        self._turn += 1
        lat = latencies or {}
        self._record(
            Turn(
                self.info.call_id,
                seq,
                role,
                text,
                state=state,
                interrupted=interrupted,
                stt_ms=lat.get("stt"),
                engine_ms=lat.get("engine"),
                llm_ms=lat.get("llm"),
                tts_ms=lat.get("tts"),
                e2e_ms=lat.get("e2e"),
                metadata=metadata or {},
            )
        )
        return seq

    def actions(self, result: TurnResult, call: CallState, *, turn_seq: int | None) -> None:
        """Transitions and slots of one engine result, then a checkpoint of the call's state."""
        for action in result.actions:
            if isinstance(action, RecordTransition):
                self._record(
                    Transition(
                        self.info.call_id,
                        self._transition,
                        action.source,
                        action.dest,
                        action.trigger,
                        {k: _json(v) for k, v in action.data.items()},
                        latency_ms=round(result.engine_ms, 3),
                        turn_seq=turn_seq,
                    )
                )
                self._transition += 1
            elif isinstance(action, RecordSlot):
                self._record(
                    SlotFilled(
                        self.info.call_id,
                        self._slot,
                        action.name,
                        _json(action.value),
                        action.confidence,
                        action.method,
                        validated=action.validated,
                        turn_seq=turn_seq,
                    )
                )
                self._slot += 1
        if turn_seq is not None and turn_seq > self._checkpoint:
            self._checkpoint = turn_seq
            point = call.checkpoint()
            slots = {k: _json(v) for k, v in point["slots"].items()}
            self._record(Checkpoint(self.info.call_id, turn_seq, call.state, slots, point["retries"]))

    def error(self, error_type: str, message: str, *, context: dict[str, Any] | None = None) -> None:
        self._record(ErrorLogged(self.info.call_id, self.info.bot_id, error_type, message, context or {}))

    def finished(self, finished: CallFinished | None, *, end_reason: str, final_state: str | None) -> None:
        if self.ended:
            return
        self.ended = True
        reason = finished.end_reason if finished is not None else end_reason
        state = finished.final_state if finished is not None else final_state
        decision = None
        if finished is not None:
            decision = {
                "outcome": finished.outcome,
                "confidence": finished.confidence,
                "rule": finished.rule,
                "slots": {k: _json(v) for k, v in finished.slots.items()},
                "bot_slug": self.info.bot_slug,
                "slot_types": dict(self.info.slot_types),
                "outcome_names": list(self.info.outcome_names),
            }
        self._record(
            CallEnded(self.info.call_id, dt.datetime.now(dt.UTC), end_status(reason), state, reason, decision)
        )


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


def record_bot_turn(
    calllog: CallLog,
    handle: SpeechHandle | None,
    planned: str,
    state: str,
    lat: dict[str, float | None],
    sources: Sequence[str],
    chunks: list[str],
) -> None:
    """Record the bot's turn as heard (an interrupted speech: what was played, the plan in metadata),
    with the TTS and end-to-end latencies from the message's metrics."""
    message = None
    if handle is not None:
        message = next(
            (i for i in handle.chat_items if isinstance(i, llm.ChatMessage) and i.role == "assistant"),
            None,
        )
    heard = message.text_content or "" if message is not None else ""
    interrupted = bool(message.interrupted) if message is not None else bool(handle and handle.interrupted)
    if message is None and not interrupted:
        heard = planned
    m = message.metrics if message is not None else {}
    latencies = dict(lat, tts=_ms(m.get("tts_node_ttfb")), e2e=_ms(m.get("e2e_latency")))
    for stage in ("tts", "e2e"):
        if (value := latencies.get(stage)) is not None:
            metrics.turn_latency(stage, value / 1000)
    meta: dict[str, Any] = {"source": sources}
    if chunks:
        meta["chunks"] = chunks
    if interrupted and heard != planned:
        meta["planned"] = planned
    calllog.turn("bot", heard, state=state, interrupted=interrupted, latencies=latencies, metadata=meta)
