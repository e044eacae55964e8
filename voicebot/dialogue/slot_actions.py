"""Slot actions of a state (``clear``, ``set``, ``copy``), run on entering it, before it speaks.

They let a loop change what its conditions read ("Sorry, we're closed then" + ``clear: [res_time]`` asks
for the time again instead of looping). Order: clear, then set, then copy. ``set`` values were checked
against the slot types when the scenario was loaded; a cleared slot is simply unfilled again (nothing is
recorded for it), a set or copied value is recorded like a filled slot (method ``scenario``).
"""

from __future__ import annotations

from voicebot.dialogue.actions import RecordSlot
from voicebot.dialogue.nlu.values import from_json, to_json
from voicebot.dialogue.turn import Turn
from voicebot.scenario.model import State

__all__ = ["has_slot_actions", "run_slot_actions"]


def has_slot_actions(spec: State) -> bool:
    return bool(spec.clear or spec.set_ or spec.copy_)


def run_slot_actions(t: Turn) -> None:
    call, spec, compiled = t.call, t.state.spec, t.compiled
    for name in spec.clear:
        call.slots.pop(name, None)
    for name, raw in spec.set_.items():
        value = from_json(compiled.slots[name].spec, raw, tz=compiled.tz)
        call.slots[name] = value
        t.out.append(RecordSlot(name, to_json(value), 1.0, "scenario", True, call.turn))
    for target, source in spec.copy_.items():
        if source in call.slots:
            value = call.slots[source]
            call.slots[target] = value
            t.out.append(RecordSlot(target, to_json(value), 1.0, "scenario", True, call.turn))
