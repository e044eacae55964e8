"""Deeper static checks: value types in conditions, slot actions, loops that cannot end, unused slots.

Registered in :data:`voicebot.scenario.checks.CHECKS`. Loops and unused slots are warnings (the scenario
still loads); everything else is an error that says what to write instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from voicebot.errors import Problem
from voicebot.scenario.calendar import WEEKDAYS
from voicebot.scenario.expressions import Condition, ConditionSyntaxError, compile_condition
from voicebot.scenario.model import (
    DateSlot,
    DateTimeSlot,
    EnumSlot,
    NumberSlot,
    Scenario,
    Slot,
    TimeSlot,
    YesNoSlot,
)
from voicebot.scenario.validation import dotted

if TYPE_CHECKING:
    from voicebot.scenario.checks import _Context
    from voicebot.scenario.yamlsource import KeyPath

__all__ = [
    "check_calendar_slots",
    "check_condition_types",
    "check_loops",
    "check_slot_actions",
    "check_unused_slots",
]


@functools.lru_cache(maxsize=4096)
def cached_condition(source: str) -> Condition:
    """:func:`compile_condition`, once per source text across all the checks (errors are not cached)."""
    return compile_condition(source)


_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME: Final = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
_DATETIME: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d")


def _type_error(name: str, slot: Slot, value: object) -> str | None:
    """Why ``value`` can never meaningfully be compared with slot ``name``, or None if it can."""
    if value is None:
        return None
    shown = f"'{value}'" if isinstance(value, str) else str(value).lower()
    if isinstance(slot, DateSlot):
        if isinstance(value, str) and _DATE.match(value):
            return None
        return (
            f"'{name}' is a date and is never equal to {shown}; compare it with a date written "
            f"'YYYY-MM-DD' (such as {name} >= '2026-12-24')"
        )
    if isinstance(slot, TimeSlot):
        if isinstance(value, str) and _TIME.match(value):
            return None
        hint = f"'{int(value):02d}:00'" if isinstance(value, int | float) and 0 <= value < 24 else "'18:00'"
        return (
            f"'{name}' is a time of day and is never equal to {shown}; compare it with a time written "
            f"'HH:MM', 24-hour (such as {name} >= {hint})"
        )
    if isinstance(slot, DateTimeSlot):
        if isinstance(value, str) and (_DATETIME.match(value) or _DATE.match(value)):
            return None
        return (
            f"'{name}' is a date and time and is never equal to {shown}; compare it with "
            f"'YYYY-MM-DDTHH:MM' (such as {name} >= '2026-12-24T18:00')"
        )
    if isinstance(slot, NumberSlot):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        return (
            f"'{name}' is a number and is never equal to {shown}; "
            f"compare it with a number (such as {name} >= 2)"
        )
    if isinstance(slot, YesNoSlot):
        if isinstance(value, bool):
            return None
        return f"'{name}' is yes/no and is never equal to {shown}; compare it with true or false"
    if isinstance(slot, EnumSlot):
        return None  # values are checked in checks._check_compared
    if not isinstance(value, str):
        return f"'{name}' is text and is never equal to {shown}; compare it with quoted text"
    return None


def _literal_offset(source: str, name: str, value: object) -> int:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    for candidate in (f"'{text}'", f'"{text}"', text):
        found = source.find(candidate)
        if found >= 0:
            return found
    match = re.search(rf"\b{re.escape(name)}\b", source)
    return match.start() if match else 0


def check_condition_types(c: _Context) -> Iterator[Problem]:
    """A slot compared with a literal of another type (a date with 'воскресенье', a time with 18)."""
    from voicebot.scenario.checks import _conditions

    slots = c.scenario.slots
    for where, source, _ in _conditions(c.scenario):
        try:
            condition = cached_condition(source)
        except ConditionSyntaxError:
            continue  # reported by check_conditions
        for name, value in dict.fromkeys(condition.compared):
            if name == "weekday()" and value not in WEEKDAYS:
                offset = _literal_offset(source, name, value)
                wrong = (
                    f"weekday() is one of {', '.join(WEEKDAYS)}, never {value!r} "
                    "(such as weekday(visit_date) == 'sun')"
                )
                yield c.at_text(where, offset, f"{dotted(where)}: {wrong}")
                continue
            slot = slots.get(name)
            if slot is None:
                continue
            message = _type_error(name, slot, value)
            if message is not None:
                offset = _literal_offset(source, name, value)
                yield c.at_text(where, offset, f"{dotted(where)}: {message}")


def check_slot_actions(c: _Context) -> Iterator[Problem]:
    """``clear``, ``set`` and ``copy`` name known slots; ``set`` values fit the slot's type."""
    from voicebot.dialogue.nlu.values import from_json
    from voicebot.scenario.checks import _unknown

    slots = c.scenario.slots
    for state_name, state in c.scenario.states.items():
        base: KeyPath = ("states", state_name)
        for i, name in enumerate(state.clear):
            if name not in slots:
                where = (*base, "clear", i)
                yield c.at_value(where, f"{dotted(where)}: {_unknown('slot', name, slots)}")
        for name, raw in state.set_.items():
            where = (*base, "set", name)
            slot = slots.get(name)
            if slot is None:
                yield c.at_key(where, f"{dotted(base)}.set: {_unknown('slot', name, slots)}")
                continue
            problem = _type_error(name, slot, raw)
            if problem is None:
                try:
                    from_json(slot, raw)
                except ValueError as exc:
                    problem = str(exc)
            if problem is None and isinstance(slot, EnumSlot) and raw not in slot.synonyms():
                problem = (
                    f"'{raw}' is not a value of enum slot '{name}' (values: {', '.join(slot.synonyms())})"
                )
            if problem is not None:
                yield c.at_value(
                    where, f"{dotted(where)}: {problem.replace('is never equal to', 'cannot be')}"
                )
        for target, source in state.copy_.items():
            where = (*base, "copy", target)
            if target not in slots:
                yield c.at_key(where, f"{dotted(base)}.copy: {_unknown('slot', target, slots)}")
            if source not in slots:
                yield c.at_value(where, f"{dotted(where)}: {_unknown('slot', source, slots)}")
            elif target in slots and slots[target].type != slots[source].type:
                yield c.at_value(
                    where,
                    f"{dotted(where)}: cannot copy {slots[source].type} slot '{source}' "
                    f"into {slots[target].type} slot '{target}'",
                )


def check_calendar_slots(c: _Context) -> Iterator[Problem]:
    """A slot with ``calendar: true`` needs a bot-level ``calendar``."""
    if c.scenario.calendar is not None:
        return
    for name, slot in c.scenario.slots.items():
        if getattr(slot, "calendar", False):
            yield c.at_value(
                ("slots", name, "calendar"),
                f"slots.{name}.calendar: there is no business calendar; add a top-level 'calendar:' with "
                "'hours' (see docs/scenarios.md, Business calendar)",
            )


def _moves(scenario: Scenario) -> dict[str, list[str]]:
    """Moves that need no caller input: ``next`` and ``when`` transitions (tried on entering a state)."""
    moves: dict[str, list[str]] = {}
    for name, state in scenario.states.items():
        if state.terminal or state.knowledge is not None or state.llm is not None:
            continue  # ends, or waits for a knowledge answer / the LLM
        if state.next is not None:
            moves[name] = [state.next]
        else:
            moves[name] = [
                t.to
                for t in state.transitions
                if t.when is not None and "visited(" not in t.when and _compiles(t.when)
            ]
    return moves


def _compiles(source: str) -> bool:
    try:
        cached_condition(source)
    except ConditionSyntaxError:
        return False  # reported by check_conditions
    return True


def _cycles(moves: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components with a cycle (Tarjan), each in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in moves.get(node, []):
            if target not in index:
                if target in moves:
                    visit(target)
                    low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in moves.get(node, []):
                found.append(sorted(component, key=list(moves).index))

    for node in moves:
        if node not in index:
            visit(node)
    return found


def check_loops(c: _Context) -> Iterator[Problem]:
    """Warn about states that move among themselves automatically with nothing that changes a slot."""
    states = c.scenario.states
    for cycle in _cycles(_moves(c.scenario)):
        if any(states[name].clear or states[name].set_ or states[name].copy_ for name in cycle):
            continue
        loop = " -> ".join([*cycle, cycle[0]])
        yield Problem(
            c.path,
            *c.positions.key(("states", cycle[0])),
            f"states {loop} move on by themselves ('next' or 'when') and nothing in the loop changes a "
            "slot, so once entered it repeats until the turn's hop limit; add a slot action "
            f"(such as 'clear: [slot]') to one of them, or let one wait for the caller",
            warning=True,
        )


def _read_slots(scenario: Scenario) -> set[str]:
    """Slots that a template, condition or slot action reads."""
    import string

    from voicebot.scenario.action_checks import action_reads
    from voicebot.scenario.checks import _conditions, _templates

    read: set[str] = set()
    for _, text, _ in _templates(scenario):
        for value in [text] if isinstance(text, str) else list(text.values()):
            try:
                read.update(f for _, f, _, _ in string.Formatter().parse(value) if f)
            except ValueError:
                continue
    for _, source, _ in _conditions(scenario):
        try:
            condition = cached_condition(source)
        except ConditionSyntaxError:
            continue
        read.update(condition.names)
        read.update(arg for fn, arg in condition.calls if fn != "visited")
    for state in scenario.states.values():
        read.update(state.copy_.values())
    read.update(name for spec in scenario.actions.values() for name in action_reads(spec))
    return read


def check_unused_slots(c: _Context) -> Iterator[Problem]:
    """Warn about slots no state asks for (and nothing fills) and slots nothing asks for nor reads."""
    filled: set[str] = set()
    for state in c.scenario.states.values():
        filled.update(state.collect)
        filled.update(state.set_)
        filled.update(state.copy_)
    filled.update(name for spec in c.scenario.actions.values() for name in spec.result)
    read = _read_slots(c.scenario)
    for name, slot in c.scenario.slots.items():
        if name in filled or slot.default_from is not None:
            continue
        if name in read:
            message = (
                f"slot '{name}' is read but never asked: no state collects it (add it to a state's "
                "'collect') and no slot action fills it, so it is always empty"
            )
        else:
            message = f"slot '{name}' is never asked nor used (no state collects it); remove it or collect it"
        yield Problem(c.path, *c.positions.key(("slots", name)), message, warning=True)
