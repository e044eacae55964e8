"""A recorded call as a replay sees it: the caller's inputs in order and what the bot did after each.

Built from what the recorder wrote (``turns``, ``state_transitions``, ``extracted_slots``, the call row
and its outcome) by :func:`recorded_call`. Pure: the storage repository reads the rows, this module only
reshapes them. What counts as a caller input:

* a ``caller`` turn: an utterance, text as heard (``metadata.event == "dtmf"``: keys pressed);
* a turn with ``metadata.event == "no_input"``: the caller said nothing for the no-input timeout;
* calls recorded before DTMF was a turn of its own: a ``dtmf`` transition that belongs to no turn;
* the caller's hang-up is the call's end reason (``caller_hangup``), fed after the last input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = ["CallerInput", "RecordedCall", "RecordedStep", "recorded_call"]

InputKind = Literal["utterance", "dtmf", "no_input"]


class _Turn(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    @property
    def at(self) -> dt.datetime: ...


class _Transition(Protocol):
    @property
    def to_state(self) -> str: ...
    @property
    def trigger_type(self) -> str: ...
    @property
    def trigger_data(self) -> dict[str, Any]: ...
    @property
    def turn_seq(self) -> int | None: ...
    @property
    def at(self) -> dt.datetime: ...


class _Slot(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> Any: ...
    @property
    def method(self) -> str: ...
    @property
    def turn_seq(self) -> int | None: ...


class Recording(Protocol):
    """What :func:`recorded_call` reads (voicebot.storage.repositories.recordings.CallRecording)."""

    @property
    def id(self) -> Any: ...
    @property
    def direction(self) -> str: ...
    @property
    def caller_number(self) -> str | None: ...
    @property
    def dialed_number(self) -> str | None: ...
    @property
    def started_at(self) -> dt.datetime: ...
    @property
    def ended_at(self) -> dt.datetime | None: ...
    @property
    def end_reason(self) -> str | None: ...
    @property
    def scenario_version(self) -> int | None: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def decision(self) -> dict[str, Any] | None: ...
    @property
    def turns(self) -> Sequence[_Turn]: ...
    @property
    def transitions(self) -> Sequence[_Transition]: ...
    @property
    def slots(self) -> Sequence[_Slot]: ...


@dataclass(frozen=True, slots=True)
class CallerInput:
    kind: InputKind
    text: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class RecordedStep:
    """One caller input and what the bot did after it, as recorded."""

    input: CallerInput
    states: tuple[str, ...] = ()
    reply: str = ""
    answers: tuple[tuple[str, str], ...] = ()
    """(source, text) of the knowledge and LLM answers the bot gave after this input, in order."""
    intent: str | None = None
    """The intent of the transition this input took (an LLM's understanding is replayed from it)."""
    llm_slots: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordedCall:
    call_id: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    direction: str
    caller_number: str | None
    dialed_number: str | None
    scenario_version: int | None
    greeting: RecordedStep
    steps: tuple[RecordedStep, ...]
    end_reason: str | None
    outcome: str | None
    slots: Mapping[str, Any]
    """The call's slot values at its end (JSON form; the last value recorded for each name)."""

    @property
    def path(self) -> tuple[str, ...]:
        return self.greeting.states + tuple(s for step in self.steps for s in step.states)

    @property
    def used_llm(self) -> bool:
        """The bot had an LLM on this call (an LLM reply or an LLM-understood slot was recorded)."""
        return any(src == "llm" for step in (self.greeting, *self.steps) for src, _ in step.answers) or any(
            step.llm_slots for step in self.steps
        )


def _input(turn: _Turn) -> CallerInput | None:
    event = turn.metadata.get("event") if isinstance(turn.metadata, dict) else None
    if event == "no_input":
        return CallerInput("no_input", "", turn.at)
    if turn.role != "caller":
        return None
    if event == "dtmf":
        return CallerInput("dtmf", turn.text, turn.at)
    return CallerInput("utterance", turn.text, turn.at)


def _answers(meta: Any) -> list[tuple[str, str]]:
    if not isinstance(meta, dict):
        return []
    out: list[tuple[str, str]] = []
    for item in meta.get("answers") or ():
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append((str(item.get("source", "")), item["text"]))
    return out


@dataclass
class _Building:
    input: CallerInput
    seq: int | None
    states: list[tuple[dt.datetime, str]] = field(default_factory=list)
    replies: list[tuple[dt.datetime, str]] = field(default_factory=list)
    answers: list[tuple[dt.datetime, str, str]] = field(default_factory=list)
    intent: str | None = None
    llm_slots: dict[str, Any] = field(default_factory=dict)

    def freeze(self) -> RecordedStep:
        return RecordedStep(
            self.input,
            tuple(s for _, s in self.states),
            " ".join(r for _, r in self.replies),
            tuple((src, text) for _, src, text in self.answers),
            self.intent,
            self.llm_slots,
        )


def recorded_call(rec: Recording) -> RecordedCall:
    """Reshape one recording into caller inputs and what followed each (never raises on odd rows)."""
    greeting = _Building(CallerInput("no_input", "", rec.started_at), None)
    steps: list[_Building] = []
    by_seq: dict[int, _Building] = {}
    for turn in rec.turns:
        got = _input(turn)
        if got is not None:
            steps.append(_Building(got, turn.seq))
            by_seq[turn.seq] = steps[-1]
            continue
        if turn.role == "bot":
            owner = steps[-1] if steps else greeting
            meta = turn.metadata if isinstance(turn.metadata, dict) else {}
            owner.replies.append((turn.at, str(meta.get("planned", turn.text))))
            found = _answers(meta)
            if not found and "knowledge" in (meta.get("source") or ()):
                found = [("knowledge", turn.text)]  # recorded before answers were kept: the whole reply
            owner.answers.extend((turn.at, src, text) for src, text in found)
    if not any(s.input.kind == "dtmf" for s in steps):
        _add_legacy_dtmf(rec, greeting, steps)
    for tr in rec.transitions:
        found_owner = by_seq.get(tr.turn_seq) if tr.turn_seq is not None else None
        owner = found_owner if found_owner is not None else _owner_at(tr.at, greeting, steps)
        owner.states.append((tr.at, tr.to_state))
        if tr.trigger_type in ("intent", "global") and owner is not greeting and owner.intent is None:
            intent = (tr.trigger_data or {}).get("intent")
            owner.intent = intent if isinstance(intent, str) else None
    final: dict[str, Any] = {}
    for slot in rec.slots:
        final[slot.name] = slot.value
        if slot.method == "llm" and slot.turn_seq in by_seq:
            by_seq[slot.turn_seq].llm_slots[slot.name] = slot.value
    if rec.decision and isinstance(rec.decision.get("slots"), dict):
        final = dict(rec.decision["slots"])
    return RecordedCall(
        call_id=str(rec.id),
        started_at=rec.started_at,
        ended_at=rec.ended_at,
        direction=rec.direction,
        caller_number=rec.caller_number,
        dialed_number=rec.dialed_number,
        scenario_version=rec.scenario_version,
        greeting=greeting.freeze(),
        steps=tuple(s.freeze() for s in steps),
        end_reason=rec.end_reason,
        outcome=rec.outcome or (rec.decision or {}).get("outcome"),
        slots=final,
    )


def _owner_at(at: dt.datetime, greeting: _Building, steps: list[_Building]) -> _Building:
    owner = greeting
    for s in steps:
        if s.input.at <= at:
            owner = s
    return owner


def _add_legacy_dtmf(rec: Recording, greeting: _Building, steps: list[_Building]) -> None:
    """Calls recorded before DTMF was a turn: the keys are only in a ``dtmf`` transition of no turn."""
    for tr in rec.transitions:
        digits = str((tr.trigger_data or {}).get("dtmf", "")) if tr.trigger_type == "dtmf" else ""
        if not digits or tr.turn_seq is not None:
            continue
        previous = _owner_at(tr.at, greeting, steps)
        new = _Building(CallerInput("dtmf", digits, tr.at), None)
        # What the bot said after the keys moves from the previous input to the keys.
        new.replies = [r for r in previous.replies if r[0] >= tr.at]
        previous.replies = [r for r in previous.replies if r[0] < tr.at]
        new.answers = [a for a in previous.answers if a[0] >= tr.at]
        previous.answers = [a for a in previous.answers if a[0] < tr.at]
        steps.insert(steps.index(previous) + 1 if previous is not greeting else 0, new)
