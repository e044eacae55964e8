"""Declared actions as LLM tools: what the LLM may call in an LLM state, and the checks before the call.

An LLM state lists the actions it offers (``llm.tools``). Each becomes a function whose parameters are
the slots the action's templates read, typed from the slot types (JSON Schema); slots already filled
are optional. When the LLM asks for a call (:class:`~voicebot.dialogue.events.ToolCalled`):

* a name the state does not offer is refused (the LLM cannot call anything undeclared);
* every argument must be one of the parameters and read as its slot's type (an enum value must be one
  of its values); a parameter neither given nor filled is missing;
* a refusal goes back to the LLM as a note, without tools, so it asks the caller instead;
* valid arguments fill their slots (method ``llm``) and the action runs (``RunAction``); its result
  fills the mapped slots and goes back to the LLM (without tools), which answers the caller.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from voicebot.dialogue import action_step, filling
from voicebot.dialogue.actions import GenerateReply, RecordSlot
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.dialogue.events import ActionDone, ToolCalled
from voicebot.dialogue.nlu.values import from_json, to_json
from voicebot.dialogue.ports import LlmMessage, ToolSpec
from voicebot.dialogue.state import CallState
from voicebot.dialogue.turn import Turn
from voicebot.scenario.action_checks import action_reads
from voicebot.scenario.slots import DateSlot, DateTimeSlot, EnumSlot, NumberSlot, Slot, TimeSlot, YesNoSlot

if TYPE_CHECKING:
    from voicebot.dialogue.engine import Engine

__all__ = ["on_tool_call", "on_tool_result", "tools_for"]


def _param_schema(slot: Slot) -> dict[str, Any]:
    if isinstance(slot, EnumSlot):
        return {"type": "string", "enum": sorted(slot.synonyms())}
    if isinstance(slot, NumberSlot):
        return {"type": "integer" if slot.integer else "number"}
    if isinstance(slot, YesNoSlot):
        return {"type": "boolean"}
    if isinstance(slot, DateTimeSlot):
        return {"type": "string", "description": "ISO 8601 date and time"}
    if isinstance(slot, DateSlot):
        return {"type": "string", "description": "ISO 8601 date (YYYY-MM-DD)"}
    if isinstance(slot, TimeSlot):
        return {"type": "string", "description": "24-hour time (HH:MM)"}
    return {"type": "string"}


def _params(compiled: CompiledScenario, name: str) -> list[str]:
    spec = compiled.scenario.actions[name]
    return sorted(p for p in action_reads(spec) if p in compiled.slots)


def tools_for(compiled: CompiledScenario, call: CallState) -> tuple[ToolSpec, ...]:
    """The tools the call's current state offers the LLM (empty when it offers none)."""
    llm = compiled.states[call.state].spec.llm
    if llm is None:
        return ()
    tools: list[ToolSpec] = []
    for name in llm.tools:
        spec = compiled.scenario.actions.get(name)
        if spec is None:
            continue
        params = _params(compiled, name)
        schema = {
            "type": "object",
            "properties": {p: _param_schema(compiled.slots[p].spec) for p in params},
            "required": [p for p in params if p not in call.slots],
            "additionalProperties": False,
        }
        tools.append(ToolSpec(name, spec.description or f"Run the action '{name}'.", schema))
    return tuple(tools)


def _messages(t: Turn, note: str) -> tuple[LlmMessage, ...]:
    llm = t.state.spec.llm
    assert llm is not None
    system = llm.instructions + filling.slot_context(t) + "\n\n" + note
    history = [
        LlmMessage("user" if role == "caller" else "assistant", text) for role, text in t.call.history[-12:]
    ]
    return (LlmMessage("system", system), *history)


def _refuse(t: Turn, reason: str) -> None:
    note = f"Your call was refused: {reason}. Do not call it again now; ask the caller what is missing."
    t.out.append(GenerateReply(_messages(t, note), allow_tools=False))


def on_tool_call(engine: Engine, t: Turn, event: ToolCalled) -> None:
    """Validate the LLM's call against the state's tools and the slot types; run it or refuse it."""
    call, compiled = t.call, t.compiled
    llm = t.state.spec.llm
    if llm is None:
        return
    if event.name not in llm.tools or event.name not in compiled.scenario.actions:
        _refuse(t, f"'{event.name}' is not an action you may call here")
        return
    params = _params(compiled, event.name)
    values: dict[str, Any] = {}
    for key, raw in event.arguments.items():
        if key not in params:
            _refuse(t, f"'{key}' is not a parameter of {event.name}")
            return
        slot = compiled.slots[key].spec
        try:
            value = from_json(slot, raw, tz=compiled.tz)
        except (ValueError, TypeError):
            _refuse(t, f"{key}={raw!r} is not a valid {slot.type}")
            return
        if isinstance(slot, EnumSlot) and value not in slot.synonyms():
            _refuse(t, f"{key}={raw!r} is not one of {', '.join(sorted(slot.synonyms()))}")
            return
        values[key] = value
    missing = [p for p in params if p not in values and p not in call.slots]
    if missing:
        _refuse(t, f"missing {', '.join(missing)}")
        return
    for key, value in values.items():
        call.slots[key] = value
        t.out.append(RecordSlot(key, to_json(value), 1.0, "llm", True, call.turn))
    action_step.run(t, event.name)


def on_tool_result(t: Turn, event: ActionDone) -> None:
    """A tool's result in an LLM state: map it into slots, then let the LLM answer the caller."""
    call = t.call
    if call.pending_action != event.name:
        return
    call.pending_action = None
    spec = t.compiled.scenario.actions[event.name]
    if event.status == "ok":
        action_step.map_result(t, spec, event.data)
        result = json.dumps(dict(event.data), ensure_ascii=False, default=str)[:4000]
        note = f"Result of {event.name}: {result}. Answer the caller from it, briefly."
    else:
        note = (
            f"{event.name} failed ({event.status}). Tell the caller you cannot check right now and "
            "that someone will call them back."
        )
    t.out.append(GenerateReply(_messages(t, note), allow_tools=False))
