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

from voicebot.dialogue import (
    CallFinished,
    Dtmf,
    Event,
    NoInput,
    RecordSlot,
    RecordTransition,
    Say,
    TurnResult,
)
from voicebot.dialogue.action_step import mask_secrets
from voicebot.dialogue.nlu import to_json
from voicebot.dialogue.state import CallState
from voicebot.observability import metrics
from voicebot.outcomes.finalize import call_status
from voicebot.storage.records import (
    ActionCalled,
    CallEnded,
    CallStarted,
    Checkpoint,
    ErrorLogged,
    Record,
    SlotFilled,
    Transition,
    Turn,
)

__all__ = ["CallInfo", "CallLog", "RecordFn", "end_status", "record_bot_turn", "replay_facts"]

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


_PLAIN = (str, int, float, bool)


def _json(value: Any) -> Any:
    if value is None or type(value) in _PLAIN:  # most slot and trigger values: nothing to convert
        return value
    try:
        return to_json(value)
    except (TypeError, ValueError):
        return str(value)


def replay_facts(result: TurnResult) -> dict[str, Any]:
    """The bot turn's metadata beside its sources: ``chunks`` (the knowledge passages used) and what a
    replay needs to answer this turn's requests as they were answered then: ``answers``, the text of each
    knowledge or LLM reply in order (``voicebot replay``, docs/testing.md)."""
    facts: dict[str, Any] = {"chunks": list(result.chunks)} if result.chunks else {}
    answers = [
        {"source": a.source, "text": a.text}
        for a in result.actions
        if isinstance(a, Say) and a.source in ("knowledge", "llm")
    ]
    if answers:
        facts["answers"] = answers
    return facts


class CallLog:
    """The records of one call, numbered."""

    def __init__(self, info: CallInfo, record: RecordFn) -> None:
        self.info = info
        self._record = record
        self._turn = 0
        self._transition = 0
        self._slot = 0
        self._checkpoint = -1
        self._action = 0
        self.ended = False
        self.stt_confidence: float | None = None
        self.stt_words: list[dict[str, Any]] = []
        """Word timings of the final transcripts since the last caller turn (``stt_words.py``)."""
        """The STT confidence of the caller turn about to be recorded (set by the bridge; kept in the
        turn's metadata as ``stt_confidence`` for the post-call pipeline, then cleared)."""

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
        if role == "caller" and self.stt_confidence is not None:
            metadata = {**(metadata or {}), "stt_confidence": self.stt_confidence}
            self.stt_confidence = None
        if role == "caller" and self.stt_words:
            metadata = {**(metadata or {}), "words": self.stt_words}
            self.stt_words = []
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

    def caller_event(self, event: Event, *, state: str | None) -> int | None:
        """Record a caller input that is not speech (DTMF, a no-input timeout) as a turn, so a replay can
        feed it again; returns its seq (None for other events: a hang-up is the call's end record)."""
        if isinstance(event, Dtmf):
            return self.turn("caller", event.digits, state=state, metadata={"event": "dtmf"})
        if isinstance(event, NoInput):
            return self.turn("system", "", state=state, metadata={"event": "no_input"})
        return None

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
        if result.action_calls:
            self._action_calls(result, turn_seq)
        if turn_seq is not None and turn_seq > self._checkpoint:
            self._checkpoint = turn_seq
            slots = {k: _json(v) for k, v in call.slots.items()}  # call.checkpoint()'s slots and retries
            retries = {"not_understood": call.retries, "no_input": call.no_input}
            self._record(Checkpoint(self.info.call_id, turn_seq, call.state, slots, retries))

    def _action_calls(self, result: TurnResult, turn_seq: int | None) -> None:
        """One ActionCalled per action run, with where the call went on its result."""
        moves = [a for a in result.actions if isinstance(a, RecordTransition) and a.trigger == "action"]
        for run, done in result.action_calls:
            move = next((m for m in moves if m.data.get("action") == run.name), None)
            if move is not None:
                moves.remove(move)
            if run.kind == "http":
                request: dict[str, Any] = {
                    "method": run.method,
                    "url": mask_secrets(run.url),
                    "headers": mask_secrets(dict(run.headers)),
                    "body": _json(mask_secrets(run.body)),
                }
            else:
                request = {"args": _json(mask_secrets(dict(run.args)))}
            self._record(
                ActionCalled(
                    self.info.call_id,
                    self._action,
                    run.name,
                    run.kind,
                    request,
                    done.status,
                    http_status=done.http_status,
                    error=done.error,
                    error_kind=done.error_kind,
                    latency_ms=done.latency_ms,
                    attempts=done.attempts,
                    filler=done.filler,
                    next_state=move.dest if move is not None else None,
                    turn_seq=turn_seq,
                )
            )
            self._action += 1

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
                "transfer": dict(finished.transfer) if finished.transfer is not None else None,
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
    result: TurnResult,
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
    meta: dict[str, Any] = {"source": sources, **replay_facts(result)}
    if interrupted and heard != planned:
        meta["planned"] = planned
    calllog.turn("bot", heard, state=state, interrupted=interrupted, latencies=latencies, metadata=meta)
