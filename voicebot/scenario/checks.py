"""Static checks over a validated scenario: everything that can be wrong before a call, found at load time.

Each check is a small function taking a :class:`_Context` and yielding problems that name the offending
key and point at it; :func:`run_checks` runs them all and never stops at the first problem. The checks
and their messages are listed in docs/scenarios.md ("Static checks").
"""

from __future__ import annotations

import difflib
import re
import string
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from voicebot.errors import Problem
from voicebot.scenario import action_checks, analysis, transfer
from voicebot.scenario.expressions import (
    CONTEXT_NAMES,
    END_REASONS,
    OUTCOME_CONTEXT_NAMES,
    Condition,
    ConditionSyntaxError,
)
from voicebot.scenario.formats import FORMATS
from voicebot.scenario.keypad import check_keypad
from voicebot.scenario.model import BUILTIN_INTENTS, EnumSlot, Scenario, State, Text
from voicebot.scenario.validation import dotted
from voicebot.scenario.yamlsource import KeyPath, Positions

__all__ = ["TEMPLATE_NAMES", "run_checks"]

TEMPLATE_NAMES: Final = ("bot_name", "caller_number")
"""Placeholders every template may use besides slot names (a slot's ``invalid`` may also use ``{value}``)."""

LANGUAGES: Final = ("en", "ru")


@dataclass(frozen=True, slots=True)
class _Context:
    scenario: Scenario
    positions: Positions
    path: str

    def at_key(self, where: KeyPath, message: str) -> Problem:
        line, col = self.positions.key(where)
        return Problem(self.path, line, col, message)

    def at_value(self, where: KeyPath, message: str) -> Problem:
        line, col = self.positions.value(where)
        return Problem(self.path, line, col, message)

    def at_text(self, where: KeyPath, offset: int, message: str) -> Problem:
        line, col = self.positions.text(where, offset)
        return Problem(self.path, line, col, message)


Check = Callable[[_Context], Iterable[Problem]]


def run_checks(scenario: Scenario, positions: Positions, path: str) -> list[Problem]:
    """Every static problem of ``scenario`` (already schema-valid); ``path`` names the file in problems."""
    context = _Context(scenario, positions, path)
    return [problem for check in CHECKS for problem in check(context)]


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    message = f"unknown {kind} '{name}'"
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return message + (f" (did you mean '{close[0]}'?)" if close else "")


# --------------------------------------------------------------------------- references


def check_start(c: _Context) -> Iterator[Problem]:
    """``start`` names a state."""
    states = c.scenario.states
    if c.scenario.start not in states:
        yield c.at_value(("start",), f"start: {_unknown('state', c.scenario.start, states)}")


def check_state_references(c: _Context) -> Iterator[Problem]:
    """``next``, ``collect``, and each transition's ``to`` and ``intent`` name things that exist."""
    states, slots = c.scenario.states, c.scenario.slots
    intents = set(BUILTIN_INTENTS) | set(c.scenario.intents)
    for name, state in states.items():
        base: KeyPath = ("states", name)
        if state.next is not None and state.next not in states:
            yield c.at_value(
                (*base, "next"), f"{dotted((*base, 'next'))}: {_unknown('state', state.next, states)}"
            )
        for i, slot in enumerate(state.collect):
            if slot not in slots:
                where = (*base, "collect", i)
                yield c.at_value(where, f"{dotted(where)}: {_unknown('slot', slot, slots)}")
        for i, transition in enumerate(state.transitions):
            where = (*base, "transitions", i)
            if transition.to not in states:
                yield c.at_value(
                    (*where, "to"), f"{dotted((*where, 'to'))}: {_unknown('state', transition.to, states)}"
                )
            if transition.intent is not None and transition.intent not in intents:
                yield c.at_value(
                    (*where, "intent"),
                    f"{dotted((*where, 'intent'))}: {_unknown('intent', transition.intent, intents)}",
                )
            if transition.event == "no_answer" and state.knowledge is None:
                yield c.at_value(
                    (*where, "event"),
                    f"{dotted((*where, 'event'))}: no_answer only fires in a knowledge state "
                    f"and state '{name}' has no 'knowledge'",
                )


def check_global_handlers(c: _Context) -> Iterator[Problem]:
    """Global handlers name known intents and states."""
    states = c.scenario.states
    intents = set(BUILTIN_INTENTS) | set(c.scenario.intents)
    for i, handler in enumerate(c.scenario.global_):
        where: KeyPath = ("global", i)
        if handler.intent not in intents:
            yield c.at_value(
                (*where, "intent"),
                f"{dotted((*where, 'intent'))}: {_unknown('intent', handler.intent, intents)}",
            )
        if handler.to is not None and handler.to not in states:
            yield c.at_value(
                (*where, "to"), f"{dotted((*where, 'to'))}: {_unknown('state', handler.to, states)}"
            )


# --------------------------------------------------------------------------- graph shape


def _successors(scenario: Scenario, state: State) -> set[str]:
    targets = {t.to for t in state.transitions} | {o.to for o in (state.menu.options if state.menu else ())}
    if state.next is not None:
        targets.add(state.next)
    if state.action is not None:
        targets.update(state.action.targets())
    targets.update(transfer.transfer_successors(state))
    # Global handlers apply in every state. A ``return: true`` state goes back to a state that was
    # already reached, so it adds nothing to reachability.
    targets.update(h.to for h in scenario.global_ if h.to is not None)
    return targets


def check_reachable(c: _Context) -> Iterator[Problem]:
    """Every state can be reached from ``start`` via transitions, ``next`` and global handlers."""
    states = c.scenario.states
    if c.scenario.start not in states:
        return
    seen = {c.scenario.start}
    queue = deque(seen)
    while queue:
        for target in _successors(c.scenario, states[queue.popleft()]):
            if target in states and target not in seen:
                seen.add(target)
                queue.append(target)
    for name in states:
        if name not in seen:
            yield c.at_key(("states", name), f"state '{name}' is unreachable from start '{c.scenario.start}'")


def _waits(state: State) -> bool:
    """A state waits for the caller unless it moves on by itself (next, return) or ends the call."""
    return state.next is None and not state.return_ and not state.terminal and state.action is None


def check_way_out(c: _Context) -> Iterator[Problem]:
    """A state that does not end the call has a way out: transitions, ``next`` or ``return``."""
    for name, state in c.scenario.states.items():
        if not _waits(state) or state.transitions or state.menu is not None:
            continue
        if state.knowledge is not None:
            message = f"knowledge state '{name}' needs 'return: true', 'next' or transitions"
        else:
            message = (
                f"state '{name}' has no way out: "
                "add transitions, 'next', 'return: true', 'end: true' or 'transfer'"
            )
        yield c.at_key(("states", name), message)


def check_fallback(c: _Context) -> Iterator[Problem]:
    """A state that waits for the caller has a ``fallback: true`` transition (the required fallback)."""
    for name, state in c.scenario.states.items():
        if _waits(state) and state.transitions and not any(t.fallback for t in state.transitions):
            yield c.at_key(
                ("states", name, "transitions"),
                f"state '{name}' waits for the caller but has no fallback transition "
                "(add '- {fallback: true, to: <state>}')",
            )


# --------------------------------------------------------------------------- outcomes


def _covers(condition: Condition, name: str, state: State) -> bool:
    """Whether an outcome rule can decide the outcome of a call that ended in terminal ``state``."""
    if ("state", name) in condition.compared or ("visited", name) in condition.calls:
        return True
    if not condition.names and not condition.calls:  # a constant such as "true": a catch-all rule
        return condition.evaluate({}, filled=lambda _: False, visited=lambda _: False)
    if state.transfer is not None:
        return "transferred" in condition.names or ("end_reason", "transferred") in condition.compared
    return ("end_reason", "completed") in condition.compared


def check_terminal_outcomes(c: _Context) -> Iterator[Problem]:
    """A state that ends the call sets an outcome, or some outcome rule covers it."""
    rules: list[Condition] = []
    for rule in c.scenario.outcomes:
        try:
            rules.append(analysis.cached_condition(rule.when))
        except ConditionSyntaxError:
            continue  # reported by check_conditions
    for name, state in c.scenario.states.items():
        if not state.terminal or state.outcome is not None:
            continue
        if any(_covers(rule, name, state) for rule in rules):
            continue
        yield c.at_key(
            ("states", name),
            f"terminal state '{name}' has no outcome: set 'outcome:' on it "
            f"or add an outcome rule naming it (when: \"state == '{name}'\")",
        )


# --------------------------------------------------------------------------- slots and templates


def check_prompts(c: _Context) -> Iterator[Problem]:
    """Every collected slot has a ``prompt``."""
    reported: set[str] = set()
    for state_name, state in c.scenario.states.items():
        for slot_name in state.collect:
            slot = c.scenario.slots.get(slot_name)
            if slot is None or slot.prompt is not None or slot_name in reported:
                continue
            reported.add(slot_name)
            yield c.at_key(
                ("slots", slot_name),
                f"slot '{slot_name}' is collected in state '{state_name}' but has no prompt",
            )


def _templates(scenario: Scenario) -> Iterator[tuple[KeyPath, Text, frozenset[str]]]:
    """Every spoken template: (path, text, extra placeholders allowed there)."""
    none: frozenset[str] = frozenset()
    yield ("bot", "greeting"), scenario.bot.greeting, none
    for key in ("no_input_message", "reprompt_message", "goodbye_message"):
        text = getattr(scenario.settings, key)
        if text is not None:
            yield ("settings", key), text, none
    for slot_name, slot in scenario.slots.items():
        for key in ("prompt", "reprompt", "invalid"):
            text = getattr(slot, key)
            if text is not None:
                yield ("slots", slot_name, key), text, frozenset({"value"}) if key == "invalid" else none
    for state_name, state in scenario.states.items():
        base: KeyPath = ("states", state_name)
        for key in ("say", "reprompt", "no_input"):
            text = getattr(state, key)
            if text is not None:
                yield (*base, key), text, none
        if state.llm is not None and state.llm.offline_reply is not None:
            yield (*base, "llm", "offline_reply"), state.llm.offline_reply, none
        for i, transition in enumerate(state.transitions):
            if transition.say is not None:
                yield (*base, "transitions", i, "say"), transition.say, none
        for subkey, subtext in transfer.templates_of(state):
            yield (*base, *subkey), subtext, none
    if scenario.voicemail is not None:
        yield ("voicemail", "message"), scenario.voicemail.message, none
    for i, handler in enumerate(scenario.global_):
        if handler.say is not None:
            yield ("global", i, "say"), handler.say, none


def check_templates(c: _Context) -> Iterator[Problem]:
    """Templates have the bot's language and name only known placeholders."""
    language = c.scenario.bot.language
    slots = set(c.scenario.slots)
    for where, text, extra in _templates(c.scenario):
        if isinstance(text, str):
            yield from _check_placeholders(c, where, text, slots | set(TEMPLATE_NAMES) | extra)
            continue
        if language not in text:
            yield c.at_value(
                where, f"{dotted(where)}: no '{language}' text (the bot's language is {language})"
            )
        for lang, value in text.items():
            yield from _check_placeholders(c, (*where, lang), value, slots | set(TEMPLATE_NAMES) | extra)


def _check_placeholders(c: _Context, where: KeyPath, text: str, known: set[str]) -> Iterator[Problem]:
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        yield c.at_value(
            where, f"{dotted(where)}: bad template: {exc} (write '{{{{' and '}}}}' for literal braces)"
        )
        return
    cursor = 0
    for field, spec, conversion in fields:
        written = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        found = text.find(written, cursor)
        offset = found if found >= 0 else 0
        cursor = found + len(written) if found >= 0 else cursor
        if not _PLACEHOLDER.match(field):
            message = f"placeholder '{written}' must be a plain name such as '{{date}}'"
        elif conversion:
            message = f"placeholder '{written}' takes no conversion; write '{{{field}}}'"
        elif spec and spec not in _formats_of(c, field):
            allowed = _formats_of(c, field)
            message = (
                f"placeholder '{written}': unknown format '{spec}' "
                f"(formats of '{field}': {', '.join(allowed)})"
                if allowed
                else f"placeholder '{written}' takes no format; write '{{{field}}}'"
            )
        elif field not in known:
            message = _unknown("placeholder", field, known).replace(f"'{field}'", f"'{{{field}}}'", 1)
            message = re.sub(r"did you mean '(\w+)'", r"did you mean '{\1}'", message)
        else:
            continue
        yield c.at_text(where, offset, f"{dotted(where)}: {message}")


def _formats_of(c: _Context, name: str) -> tuple[str, ...]:
    slot = c.scenario.slots.get(name)
    return FORMATS.get(slot.type, ()) if slot is not None else ()


_PLACEHOLDER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------- conditions


def _conditions(scenario: Scenario) -> Iterator[tuple[KeyPath, str, tuple[str, ...]]]:
    """Every condition: (path, source, context names allowed there)."""
    for state_name, state in scenario.states.items():
        for i, transition in enumerate(state.transitions):
            if transition.when is not None:
                yield ("states", state_name, "transitions", i, "when"), transition.when, CONTEXT_NAMES
    for i, rule in enumerate(scenario.outcomes):
        yield ("outcomes", i, "when"), rule.when, OUTCOME_CONTEXT_NAMES


def _name_offset(source: str, name: str) -> int:
    match = re.search(rf"(?<![\w'\"]){re.escape(name)}\b", source)
    return match.start() if match else 0


def check_conditions(c: _Context) -> Iterator[Problem]:
    """Conditions parse, and name only known slots, states, context names and values."""
    slots, states = c.scenario.slots, c.scenario.states
    for where, source, context in _conditions(c.scenario):
        try:
            condition = analysis.cached_condition(source)
        except ConditionSyntaxError as exc:
            yield c.at_text(where, exc.col - 1, f"{dotted(where)}: {exc.message}")
            continue
        known = set(slots) | set(context)
        for name in sorted(condition.names - known):
            message = _unknown("name", name, known)
            if name in OUTCOME_CONTEXT_NAMES:
                message = f"'{name}' is only available in outcome rules"
            yield c.at_text(where, _name_offset(source, name), f"{dotted(where)}: {message}")
        for function, argument in condition.calls:
            kind, names = ("state", states) if function == "visited" else ("slot", slots)
            if argument not in names:
                found = re.search(rf"{function}\s*\(\s*['\"]", source)
                offset = found.end() if found else 0
                yield c.at_text(
                    where, offset, f"{dotted(where)}: {function}(): {_unknown(kind, argument, names)}"
                )
        yield from _check_compared(c, where, source, condition, known)


def _check_compared(
    c: _Context, where: KeyPath, source: str, condition: Condition, known: set[str]
) -> Iterator[Problem]:
    """Literal values compared with ``state``, ``end_reason``, ``lang`` or an enum slot exist."""
    allowed: Mapping[str, Iterable[str]] = {
        "state": c.scenario.states,
        "end_reason": END_REASONS,
        "lang": LANGUAGES,
        **{
            name: list(slot.synonyms())
            for name, slot in c.scenario.slots.items()
            if isinstance(slot, EnumSlot)
        },
    }
    for name, value in dict.fromkeys(condition.compared):
        if name not in allowed or name not in known or not isinstance(value, str):
            continue
        values = list(allowed[name])
        if value in values:
            continue
        offset = max(source.find(f"'{value}'"), source.find(f'"{value}"'), 0)
        if name in c.scenario.slots:
            message = f"'{value}' is not a value of enum slot '{name}' (values: {', '.join(values)})"
        elif name == "state":
            message = _unknown("state", value, values)
        else:
            message = f"{name} is never '{value}' (it is one of {', '.join(values)})"
        yield c.at_text(where, offset, f"{dotted(where)}: {message}")


CHECKS: Final[tuple[Check, ...]] = (
    check_start,
    check_state_references,
    check_global_handlers,
    check_reachable,
    check_way_out,
    check_fallback,
    check_terminal_outcomes,
    check_prompts,
    check_templates,
    check_conditions,
    analysis.check_condition_types,
    analysis.check_slot_actions,
    analysis.check_calendar_slots,
    analysis.check_loops,
    analysis.check_unused_slots,
    *action_checks.CHECKS,
    transfer.check_transfers,
    check_keypad,
)
"""All checks, in the order they run."""
