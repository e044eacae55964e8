"""Deciding a call's outcome from the scenario's rules when the call ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voicebot.dialogue.actions import CallFinished
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.dialogue.nlu import to_json
from voicebot.dialogue.state import CallState
from voicebot.dialogue.turn import Turn

__all__ = ["DEFAULT_OUTCOMES", "SYSTEM_ENDS", "Decision", "condition_env", "decide_outcome", "finish_call"]

DEFAULT_OUTCOMES = {
    "caller_hangup": "hangup",
    "no_input": "no_input",
    "transferred": "transferred",
    "completed": "completed",
    "error": "error",
    "dropped": "dropped",
    "voicemail": "voicemail",
}
"""The outcome of a call that no state set and no rule matched, by how the call ended."""

SYSTEM_ENDS = frozenset({"error", "dropped"})
"""End reasons that are the system's doing; they decide the outcome unless a state already set one."""


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str
    confidence: float
    rule: str


def condition_env(call: CallState, lang: str, **extra: Any) -> dict[str, Any]:
    """The names a condition sees: every slot (JSON form; unfilled slots are None) and call facts."""
    env: dict[str, Any] = {name: to_json(value) for name, value in call.slots.items()}
    env.update(state=call.state, lang=lang, retries=call.retries)
    env.update(extra)
    return env


def decide_outcome(compiled: CompiledScenario, call: CallState, end_reason: str) -> Decision:
    """The outcome: the one a state set, else the first matching rule, else a default by end reason.

    A state's ``outcome`` is an explicit statement by the scenario writer and wins (confidence 1.0);
    then an end by the system (``error``, ``dropped``) is its own outcome; then rules are tried in the
    order written, with the confidence each declares.
    """
    if end_reason == "voicemail":  # a machine answered: nothing the scenario set applies to a person
        return Decision("voicemail", 1.0, "end:voicemail")
    if call.outcome is not None:
        return Decision(call.outcome, 1.0, f"state:{call.state}")
    if end_reason in SYSTEM_ENDS:
        # A provider failure or a lost worker is not something the caller did: no scenario rule
        # (least of all a catch-all) may hide it.
        return Decision(DEFAULT_OUTCOMES[end_reason], 1.0, f"end:{end_reason}")
    env = condition_env(
        call,
        compiled.lang,
        end_reason=end_reason,
        transferred=call.transferred_to is not None,
        outcome=call.outcome,
    )
    for index, rule in enumerate(compiled.outcomes):
        if rule.condition.evaluate(env, filled=call.slots.__contains__, visited=call.visited.__contains__):
            return Decision(rule.outcome, rule.confidence, f"rule[{index}]: {rule.condition.source}")
    return Decision(DEFAULT_OUTCOMES.get(end_reason, end_reason), 0.5, f"default:{end_reason}")


def finish_call(t: Turn, reason: str) -> None:
    """End the call (once): decide its outcome and append the CallFinished action."""
    call = t.call
    if call.ended:
        return
    call.ended = True
    call.end_reason = reason
    decision = decide_outcome(t.compiled, call, reason)
    t.out.append(
        CallFinished(
            outcome=decision.outcome,
            confidence=decision.confidence,
            rule=decision.rule,
            end_reason=reason,
            final_state=call.state,
            slots=dict(call.slots),
            transfer=dict(call.transfer) if call.transfer is not None else None,
        )
    )
