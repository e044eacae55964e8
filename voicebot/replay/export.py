"""A recorded call as a ``*.test.yaml`` scenario test case (``voicebot replay --export-test``).

The case feeds the call's caller inputs in order (redacted by :mod:`voicebot.replay.redact`), with the
clock frozen at the call's start, and asserts what the recorded call did: the state after each input
and the outcome. Run it with ``voicebot test``; once the bug it shows is fixed, edit the expectations.
"""

from __future__ import annotations

from typing import Any

import yaml

from voicebot.dialogue.compiled import CompiledScenario
from voicebot.replay.recorded import RecordedCall
from voicebot.replay.redact import Redactor

__all__ = ["export_test"]


def _name_slots(compiled: CompiledScenario) -> list[str]:
    return [name for name, slot in compiled.slots.items() if "name" in name and slot.spec.type == "text"]


def export_test(call: RecordedCall, compiled: CompiledScenario, *, scenario: str | None = None) -> str:
    """The YAML text of a test file with one case: this call, redacted."""
    names = [str(call.slots[n]) for n in _name_slots(compiled) if call.slots.get(n)]
    redactor = Redactor(
        caller_number=call.caller_number,
        names=names,
        lang=compiled.lang,
        region=compiled.scenario.bot.region or "US",
    )
    steps: list[dict[str, Any]] = []
    for step in call.steps:
        given = step.input
        item: dict[str, Any]
        if given.kind == "dtmf":
            item = {"dtmf": redactor.digits(given.text)}
        elif given.kind == "no_input":
            item = {"silence": True}
        else:
            item = {"caller": redactor.text(given.text)}
        if step.states:
            item["expect"] = {"state": step.states[-1]}
        steps.append(item)
    if call.end_reason == "caller_hangup":
        steps.append({"hangup": True})
    if not steps:
        steps.append({"expect": {"ended": False}})
    case: dict[str, Any] = {"name": f"recorded call {call.call_id}", "steps": steps}
    if call.outcome:
        case["outcome"] = call.outcome
    doc: dict[str, Any] = {}
    if scenario:
        doc["scenario"] = scenario
    started = call.started_at.astimezone(compiled.tz).replace(tzinfo=None)
    doc["now"] = started.isoformat(timespec="seconds")
    doc["caller_number"] = redactor.phone
    doc["tests"] = [case]
    header = (
        f"# Exported by `voicebot replay --export-test {call.call_id}` (scenario version "
        f"{call.scenario_version or '?'}).\n# Phones, e-mails, card-like numbers and names are replaced "
        "by placeholders: read it before committing.\n"
    )
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)
