"""A scenario as a Mermaid ``stateDiagram-v2``, for docs and reviews (``voicebot graph``).

One edge per transition, labelled by its trigger; ``next`` edges; terminal states lead to ``[*]`` labelled
with their outcome; global handlers and ``return`` states are shown as notes. Labels are escaped with
Mermaid entity codes (``#58;`` for ':' and so on) so no scenario text can break the diagram's syntax.
"""

from __future__ import annotations

import re
from typing import Final

from voicebot.scenario.action_checks import action_edges
from voicebot.scenario.model import GlobalHandler, Scenario, State, Text, Transition
from voicebot.scenario.transfer import transfer_of, transfer_successors

__all__ = ["mermaid"]

MAX_LABEL: Final = 40
"""Longer conditions are shortened to this many characters."""

# Words Mermaid's state-diagram grammar treats specially; states with these names get an alias id.
_RESERVED: Final = frozenset(
    {"end", "state", "note", "direction", "class", "classdef", "style", "as", "left", "right", "of"}
)

# ';' ends a statement and ':' a one-line note or label; '#' would start an entity; '<' '>' are HTML.
_ESCAPES: Final = {"#": "#35;", ":": "#58;", ";": "#59;", "<": "#60;", ">": "#62;", '"': "#34;"}
_ESCAPE_RE: Final = re.compile("|".join(re.escape(ch) for ch in _ESCAPES))


def mermaid(scenario: Scenario) -> str:
    """The ``stateDiagram-v2`` source of ``scenario`` (ends with a newline)."""
    ids = {name: _state_id(name) for name in scenario.states}
    lines = ["stateDiagram-v2"]
    for name, state_id in ids.items():
        if state_id != name:
            lines.append(f'    state "{name}" as {state_id}')
        else:  # declared up front: Mermaid 11 cannot draw a note on a state no edge has named yet
            lines.append(f"    {state_id}")
    if scenario.start in ids:
        lines.append(f"    [*] --> {ids[scenario.start]}")
    for name, state in scenario.states.items():
        source = ids[name]
        for transition in state.transitions:
            target = ids.get(transition.to, _state_id(transition.to))
            lines.append(f"    {source} --> {target} : {_escape(_trigger(transition))}")
        for option in state.menu.options if state.menu is not None else ():
            target = ids.get(option.to, _state_id(option.to))
            lines.append(
                f"    {source} --> {target} : {_escape(f'key {option.key} / {_first_text(option.label)}')}"
            )
        if state.next is not None:
            lines.append(f"    {source} --> {ids.get(state.next, _state_id(state.next))} : next")
        if state.action is not None:
            for label, target in action_edges(state.action):
                lines.append(f"    {source} --> {ids.get(target, _state_id(target))} : {_escape(label)}")
        for fallback in transfer_successors(state):
            lines.append(f"    {source} --> {ids.get(fallback, _state_id(fallback))} : nobody answered")
        if state.terminal:
            lines.append(f"    {source} --> [*] : {_escape(_ending(state))}")
        if state.return_:
            lines.append(f"    note right of {source} : returns to where it came from")
    handlers = [_handler(h) for h in scenario.global_]
    if handlers and scenario.start in ids:
        lines.append(f"    note left of {ids[scenario.start]}")
        lines.append("        global handlers (every state)")
        lines.extend(f"        {_escape(text)}" for text in handlers)
        lines.append("    end note")
    return "\n".join(lines) + "\n"


def _state_id(name: str) -> str:
    return f"{name}_state" if name.lower() in _RESERVED else name


def _escape(text: str) -> str:
    text = " ".join(text.split())  # a label is one line
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], text)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def _trigger(transition: Transition) -> str:
    kind = transition.trigger_kind
    if kind == "intent":
        return f"intent {transition.intent}"
    if kind == "when":
        return f"when {_shorten(transition.when or '')}"
    if kind == "event":
        return f"event {transition.event}"
    if kind == "dtmf":
        return f"dtmf {transition.dtmf}"
    return "fallback"


def _ending(state: State) -> str:
    spec = transfer_of(state.transfer)
    how = f"{'warm ' if spec.mode == 'warm' else ''}transfer {spec.to}" if spec is not None else "end"
    return f"{how}, outcome {state.outcome}" if state.outcome is not None else how


def _handler(handler: GlobalHandler) -> str:
    if handler.do == "goto":
        return f"{handler.intent} → {handler.to}"
    if handler.do == "say":
        return f"{handler.intent} → say “{_shorten(_first_text(handler.say))}”"
    return f"{handler.intent} → repeat"


def _first_text(text: Text | None) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return next(iter(text.values()), "")
