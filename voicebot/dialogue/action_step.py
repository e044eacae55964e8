"""The action step of a state: emit a pure ``RunAction``, then go on by the ``ActionDone`` result.

Entering a state with ``action:`` renders the declared action's templates from the call's slots and
facts (:func:`start`) and waits; the runtime runs it and answers with
:class:`~voicebot.dialogue.events.ActionDone`. On ``ok`` the response mapping fills slots (values read
as the slot's type; a value that does not fit is skipped, and every mapped slot is forgotten first, so
a stale value never survives), then the ``on: ok`` branches are tried in order and ``ok`` is the
default. On a failure the ``on: error`` branches are tried (``http_status == 404``); then a timeout goes
to ``timeout`` (default ``error``) and any other failure to ``error``. The engine does no I/O.

Escaping contract of rendered strings (url, headers, body, args): ``{{`` and ``}}`` are literal braces
and ``{secret.<name>}`` is a placeholder the runner fills server-side (:func:`fill_secrets`). Slot
values are escaped, so what a caller says can never name a secret.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from voicebot.dialogue.actions import RecordSlot, RunAction
from voicebot.dialogue.events import ActionDone, ToolCalled
from voicebot.dialogue.nlu.values import from_json, to_json
from voicebot.dialogue.outcome import condition_env
from voicebot.dialogue.templates import parse_template
from voicebot.dialogue.turn import Turn
from voicebot.scenario.actions import ActionSpec
from voicebot.scenario.analysis import cached_condition
from voicebot.scenario.modelbase import Text
from voicebot.scenario.slots import EnumSlot

if TYPE_CHECKING:
    from voicebot.dialogue.engine import Engine

__all__ = ["EVENTS", "fill_secrets", "lookup_path", "map_result", "mask_secrets", "on_event", "run", "start"]

EVENTS: Final = (ActionDone, ToolCalled)
"""The events the engine hands to :func:`on_event`."""

_FORMATTER = string.Formatter()
_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _render_text(text: str, values: Callable[[str], Any], *, url: bool = False) -> str:
    out: list[str] = []
    for literal, field, _spec, _conv in _FORMATTER.parse(text):
        out.append(_escape(literal))
        if field is None:
            continue
        if field.startswith("secret."):
            out.append("{" + field + "}")
            continue
        value = values(field)
        piece = "" if value is None else _as_text(value)
        out.append(_escape(quote(piece, safe="") if url else piece))
    return "".join(out)


def _render_json(value: Any, values: Callable[[str], Any]) -> Any:
    if isinstance(value, str):
        parts = list(_FORMATTER.parse(value))
        if len(parts) == 1 and parts[0][0] == "" and parts[0][1] and not parts[0][1].startswith("secret."):
            raw = values(parts[0][1])  # exactly one placeholder: the slot's JSON value, typed
            return _escape(raw) if isinstance(raw, str) else raw
        return _render_text(value, values)
    if isinstance(value, dict):
        return {k: _render_json(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_json(v, values) for v in value]
    return value


def fill_secrets(value: Any, secrets: Mapping[str, str]) -> Any:
    """Fill ``{secret.<name>}`` and unescape braces in every string of a rendered value.

    A secret missing from ``secrets`` raises KeyError (naming the secret, never a value). With an empty
    mapping this only unescapes (built-in kinds, request summaries use :func:`mask_secrets`)."""
    if isinstance(value, str):
        out: list[str] = []
        for literal, field, _spec, _conv in _FORMATTER.parse(value):
            out.append(literal)
            if field is not None:
                name = field.removeprefix("secret.")
                out.append(secrets[name])
        return "".join(out)
    if isinstance(value, dict):
        return {k: fill_secrets(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_secrets(v, secrets) for v in value]
    return value


def mask_secrets(value: Any) -> Any:
    """A rendered value with every secret shown as ``***`` (for logs, records and ``voicebot chat``)."""
    if isinstance(value, str):
        out: list[str] = []
        for literal, field, _spec, _conv in _FORMATTER.parse(value):
            out.append(literal)
            if field is not None:
                out.append("***")
        return "".join(out)
    if isinstance(value, dict):
        return {k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def lookup_path(data: Any, path: str) -> Any:
    """The value at ``owner.name`` / ``items[0].id`` in JSON ``data``; None when any step is missing."""
    current = data
    for name, index in _PATH_STEP.findall(path):
        if name:
            if not isinstance(current, Mapping) or name not in current:
                return None
            current = current[name]
        else:
            if not isinstance(current, list) or int(index) >= len(current):
                return None
            current = current[int(index)]
    return current


def _values(t: Turn, name: str) -> Callable[[str], Any]:
    call, ctx = t.call, t.call.context

    def value(field: str) -> Any:
        if field in call.slots:
            return to_json(call.slots[field])
        facts: dict[str, Any] = {
            "call_id": ctx.call_id,
            "caller_number": ctx.caller_number,
            "dialed_number": ctx.dialed_number,
            "bot_id": t.compiled.scenario.bot.id,
            "action": name,
            "attempt": call.action_runs,
        }
        return facts.get(field)

    return value


def _spoken(t: Turn, text: Text | None) -> str | None:
    if text is None:
        return None
    if not isinstance(text, str):
        text = text.get(t.lang) or next(iter(text.values()))
    return parse_template(text).render(t.spoken, t.formatted) or None


def start(t: Turn) -> None:
    """Entering an action state: ask the runtime to run the action (nothing is awaited here)."""
    step = t.state.spec.action
    if step is None or not run(t, step.run):
        t.listen()


def run(t: Turn, name: str) -> bool:
    """Emit the RunAction of declared action ``name`` and wait for it; False if it is not declared."""
    call = t.call
    spec = t.compiled.scenario.actions.get(name)
    if spec is None:
        return False
    call.action_runs += 1
    call.pending_action = name
    values = _values(t, name)
    key = spec.idempotency_key or "{call_id}:{action}:{attempt}"
    t.out.append(
        RunAction(
            name=name,
            kind=spec.kind,
            method=spec.method,
            url=_render_text(spec.url or "", values, url=True),
            headers={k: _render_text(v, values) for k, v in spec.headers.items()},
            body=_render_json(spec.body, values),
            args={k: _render_json(v, values) for k, v in spec.args.items()},
            secrets=tuple(spec.secrets),
            timeout_s=spec.timeout,
            retries=spec.retries,
            idempotency_key=fill_secrets(_render_text(key, values), {}),
            filler=_spoken(t, spec.filler),
            filler_after_ms=spec.filler_after_ms,
        )
    )
    return True


def map_result(t: Turn, spec: ActionSpec, data: Mapping[str, Any]) -> None:
    call, compiled = t.call, t.compiled
    for slot_name, path in spec.result.items():
        call.slots.pop(slot_name, None)
        slot = compiled.slots.get(slot_name)
        raw = lookup_path(data, path)
        if slot is None or raw is None:
            continue
        try:
            value = from_json(slot.spec, raw, tz=compiled.tz)
        except (ValueError, TypeError):
            continue
        if isinstance(slot.spec, EnumSlot) and value not in slot.spec.synonyms():
            continue
        call.slots[slot_name] = value
        t.out.append(RecordSlot(slot_name, to_json(value), 1.0, "action", True, call.turn))


def on_event(engine: Engine, t: Turn, event: ActionDone | ToolCalled) -> None:
    """The engine's one hook: an action's result, or the LLM asking to call a tool."""
    from voicebot.dialogue import action_tools

    if isinstance(event, ToolCalled):
        action_tools.on_tool_call(engine, t, event)
    elif t.state.spec.llm is not None and t.state.spec.action is None:
        action_tools.on_tool_result(t, event)
    else:
        on_result(engine, t, event)


def on_result(engine: Engine, t: Turn, event: ActionDone) -> None:
    """The action's result: map it, then take the branch it selects."""
    call, step = t.call, t.state.spec.action
    if step is None or call.pending_action != event.name:
        return  # a late result of an action the call has left behind
    call.pending_action = None
    spec = t.compiled.scenario.actions[step.run]
    data: dict[str, object] = {"action": event.name, "status": event.status}
    if event.http_status is not None:
        data["http_status"] = event.http_status
    if event.status == "ok" or (event.status == "error" and spec.kind != "http" and event.data):
        # A built-in kind's refusal is data too (the book's {reason, alternatives}): mapped like success.
        map_result(t, spec, event.data)
    env = condition_env(call, t.lang, http_status=event.http_status)
    tried = "ok" if event.status == "ok" else "error"
    for branch in step.branches:
        if branch.on == tried and cached_condition(branch.when).evaluate(
            env, filled=call.slots.__contains__, visited=call.visited.__contains__
        ):
            t.say(_spoken(t, branch.say) or "")
            engine._go(t, branch.to, None, "action", {**data, "when": branch.when})
            return
    dest: str | None
    if event.status == "ok":
        dest = step.ok
    elif event.status == "timeout":
        dest = step.timeout or step.error
    else:
        dest = step.error
    if dest is None:
        t.listen()
        return
    engine._go(t, dest, None, "action", data)
