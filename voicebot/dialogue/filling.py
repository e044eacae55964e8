"""Slot filling: extraction from an utterance, validation, read-back confirmation and corrections.

Every value, from the offline NLU or proposed by an LLM, goes through the same gate
(:func:`_accept`): it is validated against the slot's rules before it is kept, and rejected values are
recorded with ``validated=False`` so extraction accuracy can be measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from voicebot.dialogue.actions import RecordSlot
from voicebot.dialogue.calendar_check import calendar_refusal
from voicebot.dialogue.nlu import Extraction, is_correction, speak, speak_day, to_json, validate
from voicebot.dialogue.state import PendingConfirm
from voicebot.dialogue.turn import Turn
from voicebot.scenario.model import EnumSlot

__all__ = [
    "Change",
    "accept",
    "answer_confirmation",
    "apply_proposed",
    "ask_confirmation",
    "describe_open",
    "extract",
    "first_missing",
    "prefill_from_call",
    "slot_context",
]


@dataclass(slots=True)
class Change:
    """What one utterance did to the slots."""

    filled: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    pending: bool = False

    @property
    def any(self) -> bool:
        return bool(self.filled or self.corrected or self.invalid or self.pending)


def prefill_from_call(t: Turn) -> None:
    """Fill slots whose default comes from the call (e.g. the caller's number), and, on an outbound call,
    slots named like one of the number's variables (each read and validated like an answer)."""
    context = t.call.context
    for var, given in context.variables.items():
        spec = t.compiled.slots.get(var)
        if spec is None or not isinstance(given, str) or not given.strip():
            continue
        heard = t.compiled.extractor.extract(given, candidates=(var,), asked=var, now=t.now).get(var)
        if heard is not None and validate(spec.spec, heard.value, now=t.now) is None:
            t.call.slots[var] = heard.value
            t.out.append(RecordSlot(var, to_json(heard.value), 1.0, "call", True, 0))
    for name, slot in t.compiled.slots.items():
        source = slot.spec.default_from
        raw = {"caller_number": context.caller_number, "dialed_number": context.dialed_number}.get(
            source or ""
        )
        if not raw:
            continue
        found = t.compiled.extractor.extract(raw, candidates=(name,), asked=name, now=t.now).get(name)
        if found is not None and validate(slot.spec, found.value, now=t.now) is None:
            t.call.slots[name] = found.value
            t.out.append(RecordSlot(name, to_json(found.value), 1.0, "call", True, 0))


def extract(t: Turn, text: str, intent: str | None, *, edit: bool = False) -> Change:
    """Fill open slots from ``text``; with a correction cue (or in an edit state), overwrite filled ones."""
    call, compiled = t.call, t.compiled
    asked = call.asked
    if asked is not None and intent is not None and compiled.slots[asked].spec.type == "text":
        # "can you repeat that" answers no question about a name: an intent wins over free text.
        asked = None
    found = compiled.extractor.extract(text, candidates=compiled.slot_names, asked=asked, now=t.now)
    change = Change()
    cue: bool | None = None
    if compiled.scenario.settings.corrections and call.slots:  # nothing filled: nothing to correct
        cue = edit or intent == "no" or is_correction(text, compiled.lang)
        if cue:
            found = {**_time_only_corrections(t, text, found), **found}
            if not found:
                found = _number_correction(t, text)
    found = _held_day(t, text, asked, found, change)
    if not found:
        return change
    for name, extraction in found.items():
        known = name in call.slots
        if known:
            if call.slots[name] == extraction.value or not compiled.scenario.settings.corrections:
                continue
            if cue is None:
                cue = edit or intent == "no" or is_correction(text, compiled.lang)
            if not cue:
                continue
        _accept(t, name, extraction.value, extraction.confidence, extraction.method, change, corrected=known)
    return change


def _held_day(
    t: Turn, text: str, asked: str | None, found: dict[str, Extraction], change: Change
) -> dict[str, Extraction]:
    """A day alone for an asked date-and-time ("friday afternoon") is kept and its time asked for; the
    time said next ("2:30") goes with that day, not with today."""
    call, compiled = t.call, t.compiled
    if asked is None or compiled.slots[asked].spec.type != "datetime" or asked in call.slots:
        return found
    got = found.get(asked)
    held = call.held_days.get(asked)
    if got is not None:
        if held is not None and got.method == "asked" and isinstance(got.value, datetime):
            return {**found, asked: replace(got, value=datetime.combine(held, got.value.timetz()))}
        return found
    day = compiled.extractor.day_alone(text, now=t.now)
    if day is not None:
        call.held_days[asked] = day
        t.say_text(None, key="ask_time_for_day", value=speak_day(day, lang=t.lang, now=t.now))
        change.pending = True
    return found


def _time_only_corrections(t: Turn, text: str, found: Mapping[str, Extraction]) -> dict[str, Extraction]:
    """A time alone ("no, make it 11:30") corrects the time of a filled datetime and keeps its date."""
    out: dict[str, Extraction] = {}
    for name, value in t.call.slots.items():
        if name in found or not isinstance(value, datetime):
            continue
        fresh = t.compiled.extractor.extract(text, candidates=(name,), asked=name, now=t.now).get(name)
        if fresh is not None and isinstance(fresh.value, datetime):
            moved = value.replace(hour=fresh.value.hour, minute=fresh.value.minute, second=0, microsecond=0)
            out[name] = replace(fresh, value=moved)
    return out


def _number_correction(t: Turn, text: str) -> dict[str, Extraction]:
    """A bare number with a correction cue ("actually make it three") changes the one filled number slot.

    Numbers are only taken for the slot being asked; once filled, a number slot could otherwise never be
    changed. With several filled number slots the number is ambiguous and nothing is changed.
    """
    compiled = t.compiled
    filled = [n for n in t.call.slots if compiled.slots[n].spec.type == "number"]
    if len(filled) != 1:
        return {}
    name = filled[0]
    fresh = compiled.extractor.extract(text, candidates=(name,), asked=name, now=t.now).get(name)
    return {name: fresh} if fresh is not None else {}


def apply_proposed(t: Turn, proposed: Mapping[str, Any]) -> Change:
    """Values an LLM proposed: re-parsed by the offline NLU and validated like any other."""
    call, compiled = t.call, t.compiled
    change = Change()
    for name, raw in proposed.items():
        if name not in compiled.slots or name in call.slots or raw is None:
            continue
        found = compiled.extractor.extract(str(raw), candidates=(name,), asked=name, now=t.now).get(name)
        if found is not None:
            _accept(t, name, found.value, min(found.confidence, 0.9), "llm", change, corrected=False)
    return change


def accept(t: Turn, name: str, value: Any, confidence: float, method: str) -> Change:
    """A value from outside the NLU (typed on the keypad), validated and confirmed like any other."""
    change = Change()
    _accept(t, name, value, confidence, method, change, corrected=name in t.call.slots)
    return change


def _accept(
    t: Turn, name: str, value: Any, confidence: float, method: str, change: Change, *, corrected: bool
) -> None:
    call = t.call
    slot = t.compiled.slots[name]
    spoken = speak(slot.spec, value, lang=t.lang, now=t.now)
    reason = validate(slot.spec, value, now=t.now)
    refusal = calendar_refusal(t, name, value) if reason is None else None  # the business calendar
    if reason is not None or refusal is not None:
        t.out.append(RecordSlot(name, to_json(value), confidence, method, False, call.turn))
        if refusal is not None:
            t.say(refusal)
        elif slot.invalid is not None:
            t.say(
                slot.invalid.template(t.lang).render(lambda key: spoken if key == "value" else t.spoken(key))
            )
        else:
            t.say_text(None, key="invalid", value=spoken)
        change.invalid.append(name)
        return
    # A corrected value is not read back on its own: the caller hears it in the acknowledgement and
    # in the read-back that follows a correction.
    if slot.spec.confirm and slot.spec.type != "yes_no" and call.pending_confirm is None and not corrected:
        call.pending_confirm = PendingConfirm(name, value, confidence, method)
        change.pending = True
        return
    call.slots[name] = value
    call.held_days.pop(name, None)
    t.out.append(RecordSlot(name, to_json(value), confidence, method, True, call.turn))
    if corrected:
        change.corrected.append(name)
        t.say_text(None, key="ack_correction", value=spoken)
    else:
        change.filled.append(name)


def answer_confirmation(t: Turn, text: str, intent: str | None) -> bool:
    """Handle the caller's answer to a read-back; False when the utterance was not an answer to it."""
    call = t.call
    pending = call.pending_confirm
    if pending is None:
        return False
    found = t.compiled.extractor.extract(text, candidates=(pending.slot,), asked=pending.slot, now=t.now)
    new = found.get(pending.slot)
    if new is not None and new.value != pending.value:
        call.pending_confirm = None
        _accept(t, pending.slot, new.value, new.confidence, new.method, Change(), corrected=False)
        return True
    if intent == "yes":
        call.pending_confirm = None
        call.slots[pending.slot] = pending.value
        t.out.append(RecordSlot(pending.slot, to_json(pending.value), 1.0, pending.method, True, call.turn))
        return True
    if intent == "no":
        call.pending_confirm = None
        return True
    return False


def ask_confirmation(t: Turn) -> None:
    pending = t.call.pending_confirm
    if pending is None:
        return
    spoken = speak(t.compiled.slots[pending.slot].spec, pending.value, lang=t.lang, now=t.now)
    t.say_text(None, key="confirm_again" if t.call.retries else "confirm_slot", value=spoken)


def first_missing(t: Turn) -> str | None:
    """The first slot the current state collects that is still empty."""
    slots = t.call.slots
    for name in t.state.spec.collect:
        if name not in slots and t.compiled.slots[name].spec.required:
            return name
    return None


def describe_open(t: Turn) -> dict[str, str]:
    """Open slots described for an LLM: name -> type (and allowed values for enums)."""
    described: dict[str, str] = {}
    for name, slot in t.compiled.slots.items():
        if name in t.call.slots:
            continue
        spec = slot.spec
        described[name] = f"one of: {', '.join(spec.synonyms())}" if isinstance(spec, EnumSlot) else spec.type
    return described


def slot_context(t: Turn) -> str:
    """Known slot values, appended to an LLM state's instructions."""
    if not t.call.slots:
        return ""
    known = "; ".join(f"{name}={to_json(value)}" for name, value in t.call.slots.items())
    return f"\n\nKnown details of this call: {known}."
