"""Static checks of declared actions and the states that run them (``voicebot check``).

* a state's ``action.run`` names a declared action, its branches name states, and it has both an
  ``ok`` and an ``error`` branch (a call must know where to go when the company's system is down);
* action templates (url, headers, body, args, idempotency_key) parse and name only slots, the call facts
  of :data:`~voicebot.scenario.actions.ACTION_NAMES` and ``secret.<name>`` of a listed secret;
* the response mapping fills declared slots; branch conditions parse and name known slots.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from voicebot.errors import Problem
from voicebot.scenario.actions import ACTION_NAMES, ActionSpec, ActionStep
from voicebot.scenario.expressions import CONTEXT_NAMES, ConditionSyntaxError
from voicebot.scenario.validation import dotted
from voicebot.scenario.yamlsource import KeyPath

if TYPE_CHECKING:
    from voicebot.scenario.checks import _Context

__all__ = ["BRANCH_NAMES", "CHECKS", "action_edges", "action_reads", "template_fields"]

BRANCH_NAMES: Final = (*CONTEXT_NAMES, "http_status")
"""Names a branch condition may use besides slot names."""


def template_fields(text: str) -> list[tuple[str, str]]:
    """(field, format spec) of each placeholder; ValueError on a malformed template."""
    return [(f, spec or "") for _, f, spec, _ in string.Formatter().parse(text) if f is not None]


def _strings(value: Any, where: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*where, i))


def _templates(name: str, spec: ActionSpec) -> Iterator[tuple[KeyPath, str]]:
    base: KeyPath = ("actions", name)
    if spec.url is not None:
        yield (*base, "url"), spec.url
    if spec.idempotency_key is not None:
        yield (*base, "idempotency_key"), spec.idempotency_key
    yield from _strings(dict(spec.headers), (*base, "headers"))
    yield from _strings(spec.body, (*base, "body"))
    yield from _strings(dict(spec.args), (*base, "args"))


def action_reads(spec: ActionSpec) -> set[str]:
    """Slots an action's templates read."""
    read: set[str] = set()
    for _, text in _templates("", spec):
        try:
            read.update(f for f, _ in template_fields(text) if f)
        except ValueError:
            continue
    return read


def action_edges(step: ActionStep) -> list[tuple[str, str]]:
    """(label, target) of every way out of an action state, for the graph."""
    edges = [(f"{step.run}: {b.when}", b.to) for b in step.branches]
    for label in ("ok", "error", "timeout"):
        target = getattr(step, label)
        if target is not None:
            edges.append((f"{step.run}: {label}", target))
    return edges


def check_action_steps(c: _Context) -> Iterator[Problem]:
    """Action states name a declared action and known states, with ok and error branches."""
    from voicebot.scenario.checks import _unknown

    actions, states = c.scenario.actions, c.scenario.states
    for state_name, state in states.items():
        step = state.action
        if step is None:
            continue
        base: KeyPath = ("states", state_name, "action")
        if step.run not in actions:
            message = _unknown("action", step.run, actions)
            yield c.at_value((*base, "run"), f"{dotted((*base, 'run'))}: {message}")
        for key in ("ok", "error", "timeout"):
            target = getattr(step, key)
            if target is not None and target not in states:
                where = (*base, key)
                yield c.at_value(where, f"{dotted(where)}: {_unknown('state', target, states)}")
        for i, branch in enumerate(step.branches):
            where = (*base, "branches", i, "to")
            if branch.to not in states:
                yield c.at_value(where, f"{dotted(where)}: {_unknown('state', branch.to, states)}")
        for key, why in (("ok", "after success"), ("error", "when the system cannot be reached or fails")):
            if getattr(step, key) is None:
                yield c.at_key(
                    base,
                    f"{dotted(base)}: missing branch '{key}' (where the call goes {why})",
                )


def check_llm_tools(c: _Context) -> Iterator[Problem]:
    """An LLM state's tools are declared actions."""
    from voicebot.scenario.checks import _unknown

    for state_name, state in c.scenario.states.items():
        if state.llm is None:
            continue
        for i, tool in enumerate(state.llm.tools):
            if tool not in c.scenario.actions:
                where: KeyPath = ("states", state_name, "llm", "tools", i)
                yield c.at_value(where, f"{dotted(where)}: {_unknown('action', tool, c.scenario.actions)}")


def check_action_templates(c: _Context) -> Iterator[Problem]:
    """Action templates parse and name slots, call facts and listed secrets only."""
    from voicebot.scenario.checks import _unknown

    slots = set(c.scenario.slots)
    for name, spec in c.scenario.actions.items():
        secrets = set(spec.secrets)
        known = slots | set(ACTION_NAMES) | {f"secret.{s}" for s in secrets}
        for where, text in _templates(name, spec):
            try:
                fields = template_fields(text)
            except ValueError as exc:
                hint = "(write '{{' and '}}' for literal braces)"
                yield c.at_value(where, f"{dotted(where)}: bad template: {exc} {hint}")
                continue
            for field, fmt in fields:
                offset = max(text.find("{" + field), 0)
                if field.startswith("secret."):
                    if field not in known:
                        secret = field.removeprefix("secret.")
                        message = f"secret '{secret}' is not listed in actions.{name}.secrets"
                        yield c.at_text(where, offset, f"{dotted(where)}: {message}")
                elif field not in known:
                    message = _unknown("placeholder", field, known - {f"secret.{s}" for s in secrets})
                    yield c.at_text(where, offset, f"{dotted(where)}: {message}")
                elif fmt:
                    message = f"formats ('{{{field}:{fmt}}}') are for spoken text only"
                    yield c.at_text(where, offset, f"{dotted(where)}: {message}")
        for slot_name in spec.result:
            if slot_name not in slots:
                where = ("actions", name, "result", slot_name)
                message = f"response mapping into {_unknown('slot', slot_name, slots)}"
                yield c.at_key(where, f"{dotted(where)}: {message}")
        if spec.filler is not None:
            from voicebot.scenario.checks import TEMPLATE_NAMES, _check_placeholders

            texts = {"": spec.filler} if isinstance(spec.filler, str) else dict(spec.filler)
            for lang, value in texts.items():
                where = ("actions", name, "filler", *([lang] if lang else []))
                yield from _check_placeholders(c, where, value, slots | set(TEMPLATE_NAMES))


def check_branch_conditions(c: _Context) -> Iterator[Problem]:
    """Branch conditions parse and name known slots and http_status."""
    from voicebot.scenario import analysis
    from voicebot.scenario.checks import _name_offset, _unknown

    known = set(c.scenario.slots) | set(BRANCH_NAMES)
    for state_name, state in c.scenario.states.items():
        if state.action is None:
            continue
        for i, branch in enumerate(state.action.branches):
            where: KeyPath = ("states", state_name, "action", "branches", i, "when")
            try:
                condition = analysis.cached_condition(branch.when)
            except ConditionSyntaxError as exc:
                yield c.at_text(where, exc.col - 1, f"{dotted(where)}: {exc.message}")
                continue
            for unknown in sorted(condition.names - known):
                offset = _name_offset(branch.when, unknown)
                yield c.at_text(where, offset, f"{dotted(where)}: {_unknown('name', unknown, known)}")


def check_unused_actions(c: _Context) -> Iterator[Problem]:
    """Warn about declared actions no state runs."""
    used = {s.action.run for s in c.scenario.states.values() if s.action is not None}
    used |= {tool for s in c.scenario.states.values() if s.llm is not None for tool in s.llm.tools}
    for name in c.scenario.actions:
        if name not in used:
            line, col = c.positions.key(("actions", name))
            message = f"action '{name}' is declared but no state runs it"
            yield Problem(c.path, line, col, message, warning=True)


CHECKS: Final = (
    check_action_steps,
    check_llm_tools,
    check_action_templates,
    check_branch_conditions,
    check_unused_actions,
)
