"""Comparing a recorded call with its replay: the verdict, the reasons, and a readable diff.

Verdicts (docs/testing.md, "Replay"):

* ``unchanged``: same path (states entered, in order), same slots, same outcome;
* ``regressed`` ("now failing"): a dead end (the new version left the caller with no reply, or still
  waiting where the recorded call had been finished by the bot), or an outcome ranked lower;
* ``improved``: a change that matches a declared expectation, or an outcome ranked higher;
* ``changed``: any other difference.

Outcome order, best first, unless declared otherwise (``outcome_order`` in the expectations file):
outcomes set by a state that ends the call (the scenario's goal, e.g. ``booking``), then every other
outcome the scenario names and ``completed``, then outcomes of transfer states and ``transferred`` (a
person had to take over), then ``hangup``, ``no_input``, ``error``, ``dropped``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from voicebot.dialogue.compiled import CompiledScenario
from voicebot.replay.recorded import RecordedCall
from voicebot.replay.runner import ReplayedCall

__all__ = ["Better", "CallVerdict", "Divergence", "Expectations", "compare", "outcome_ranks"]

Verdict = Literal["unchanged", "improved", "changed", "regressed", "skipped"]
FAILURES = ("hangup", "no_input", "error", "dropped")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Better(_Model):
    """A change declared for the better: every field given must hold for the call."""

    from_outcome: str | None = None
    to_outcome: str | None = Field(default=None, description="The call now ends with this outcome.")
    reaches: str | None = Field(default=None, description="The call now visits this state.")
    avoids: str | None = Field(default=None, description="The call no longer visits this state.")
    fills: str | None = Field(default=None, description="The call now fills this slot.")


class Expectations(_Model):
    """``<scenario>.replay.yaml`` (or ``--expect FILE``): what the new version is meant to change."""

    outcome_order: list[str] | None = Field(default=None, description="Outcomes, best first.")
    better: list[Better] = Field(default_factory=list)


def outcome_ranks(compiled: CompiledScenario, expectations: Expectations | None = None) -> dict[str, int]:
    """Outcome -> rank (higher is better); an outcome not listed ranks as "every other outcome"."""
    if expectations is not None and expectations.outcome_order:
        order = expectations.outcome_order
        return {name: len(order) - i for i, name in enumerate(order)}
    ranks: dict[str, int] = {"completed": 2, "transferred": 1}
    for rule in compiled.scenario.outcomes:
        ranks.setdefault(rule.outcome, 2)
    for state in compiled.scenario.states.values():
        if state.outcome is None:
            continue
        if state.transfer is not None:
            ranks[state.outcome] = 1
        elif state.end:
            ranks[state.outcome] = 3
        else:
            ranks.setdefault(state.outcome, 2)
    for name in FAILURES:
        ranks[name] = 0
    return ranks


@dataclass(frozen=True, slots=True)
class Divergence:
    turn: int
    """1-based caller input after which the new version first did something else (0: the greeting)."""
    caller: str
    old_states: tuple[str, ...]
    new_states: tuple[str, ...]
    old_reply: str
    new_reply: str


@dataclass(slots=True)
class CallVerdict:
    call_id: str
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)
    old_outcome: str | None = None
    new_outcome: str | None = None
    path_same: bool = True
    slots_same: bool = True
    slot_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    divergence: Divergence | None = None
    notes: list[str] = field(default_factory=list)
    turns: int = 0
    scenario_version: int | None = None


def _caller(call: RecordedCall, turn: int) -> str:
    if turn == 0:
        return "(greeting)"
    given = call.steps[turn - 1].input
    return {"dtmf": f"[keys {given.text}]", "no_input": "[silence]"}.get(given.kind, given.text)


def _divergence(old: RecordedCall, new: ReplayedCall, *, by_reply: bool) -> Divergence | None:
    pairs = [(old.greeting, new.greeting), *zip(old.steps, new.steps, strict=True)]
    for turn, (o, n) in enumerate(pairs):
        differs = tuple(o.states) != tuple(n.states) or (by_reply and o.reply != n.reply)
        if differs:
            return Divergence(turn, _caller(old, turn), tuple(o.states), tuple(n.states), o.reply, n.reply)
    return None


def _same(a: Any, b: Any) -> bool:
    return a == b or str(a) == str(b)


def compare(
    compiled: CompiledScenario,
    old: RecordedCall,
    new: ReplayedCall,
    *,
    expectations: Expectations | None = None,
    ranks: Mapping[str, int] | None = None,
) -> CallVerdict:
    ranks = ranks if ranks is not None else outcome_ranks(compiled, expectations)
    v = CallVerdict(
        old.call_id,
        "unchanged",
        old_outcome=old.outcome,
        new_outcome=new.outcome,
        notes=list(new.notes),
        turns=len(old.steps),
        scenario_version=old.scenario_version,
    )
    known = set(compiled.slots)
    gone = sorted(set(old.slots) - known)
    if gone:
        where = f"version {old.scenario_version}" if old.scenario_version else "an older version"
        v.notes.append(f"slots recorded under {where} no longer exist: {', '.join(gone)} (not compared)")
    for name in sorted(known & (set(old.slots) | set(new.slots))):
        before, after = old.slots.get(name), new.slots.get(name)
        if not _same(before, after):
            v.slot_changes[name] = (before, after)
    v.slots_same = not v.slot_changes
    v.path_same = tuple(old.path) == tuple(new.path)
    v.divergence = _divergence(old, new, by_reply=False) if not v.path_same else None
    if v.path_same:
        wording = _divergence(old, new, by_reply=True)
        if wording is not None:
            v.notes.append(f"same path; the bot's words differ from turn {wording.turn}")
            v.divergence = wording
    outcome_same = old.outcome == new.outcome
    if not v.path_same:
        v.reasons.append("path changed")
    if not v.slots_same:
        v.reasons.append("slots changed: " + ", ".join(sorted(v.slot_changes)))
    if not outcome_same:
        v.reasons.append(f"outcome {old.outcome} -> {new.outcome}")
    if new.dead_end is not None:
        v.verdict = "regressed"
        v.reasons.insert(0, f"dead end: {new.dead_end}")
        return v
    if v.path_same and v.slots_same and outcome_same:
        return v
    if _declared_better(old, new, expectations):
        v.verdict = "improved"
        v.reasons.append("matches a declared expectation")
        return v
    middle = 2 if expectations is None or not expectations.outcome_order else 0
    before = ranks.get(old.outcome or "", middle)
    after = ranks.get(new.outcome or "", middle)
    if after < before:
        v.verdict = "regressed"
        v.reasons.insert(0, f"lower outcome: {old.outcome} -> {new.outcome}")
    elif after > before:
        v.verdict = "improved"
    else:
        v.verdict = "changed"
    return v


def _declared_better(old: RecordedCall, new: ReplayedCall, expectations: Expectations | None) -> bool:
    if expectations is None:
        return False
    old_path, new_path = set(old.path), set(new.path)
    for rule in expectations.better:
        checks = [
            rule.from_outcome is None or old.outcome == rule.from_outcome,
            rule.to_outcome is None or (new.outcome == rule.to_outcome and old.outcome != rule.to_outcome),
            rule.reaches is None or (rule.reaches in new_path and rule.reaches not in old_path),
            rule.avoids is None or (rule.avoids in old_path and rule.avoids not in new_path),
            rule.fills is None or (rule.fills in new.slots and rule.fills not in old.slots),
        ]
        if all(checks):
            return True
    return False
