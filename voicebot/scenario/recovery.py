"""Checking past schema errors: repair a copy of the data just enough that the static checks can run.

When the schema rejects a file, the cross-reference, template, condition and graph checks still have
something to say about the rest of it, and an author should see every problem in one run. We repair a
copy of the parsed data: each node a schema error points at is removed (a mapping key with a default),
or replaced by a harmless placeholder where removing it would shift list indices or make names vanish
(a state, a slot, a transition...). Positions stay those of the original file. If the data cannot be
repaired in a few rounds, only the schema problems are reported.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from pydantic import ValidationError

from voicebot.scenario.model import Scenario
from voicebot.scenario.validation import located_path

__all__ = ["repair"]

_ROUNDS: Final = 6
_BOT_DEFAULTS: Final[dict[str, str]] = {"id": "bot", "name": "bot", "language": "en", "greeting": ""}


def _delete(data: dict[str, Any], path: tuple[str | int, ...]) -> bool:
    parent: Any = data
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(parent, dict) and path[-1] in parent:
        del parent[path[-1]]
        return True
    return False


def repair(data: object, exc: ValidationError, deleted: set[str]) -> Scenario | None:
    """A valid scenario close to ``data`` (which failed with ``exc``), or None if it cannot be had.

    Names of states and slots that had to be deleted (their names are invalid) are added to ``deleted``,
    so that problems about references to them can be left out.
    """
    if not isinstance(data, dict):
        return None
    current: dict[str, Any] = copy.deepcopy(data)
    for _ in range(_ROUNDS):
        changed = False
        errors = exc.errors(include_url=False)
        located = [located_path(error, current) for error in errors]  # before anything is changed
        for error, (path, on_key) in zip(errors, located, strict=True):
            if on_key and path:
                if len(path) == 2 and path[0] in ("states", "slots"):
                    deleted.add(str(path[1]))
                changed = _delete(current, path) or changed
                continue
            if error["type"] == "missing" and path == ("bot",):
                bot = current.get("bot")
                name = str(error["loc"][-1])
                if isinstance(bot, dict) and name in _BOT_DEFAULTS:
                    bot[name] = _BOT_DEFAULTS[name]
                    changed = True
                    continue
                return None
            if error["type"] == "missing" and path == ():
                name = str(error["loc"][-1])
                if name == "start" and isinstance(current.get("states"), dict) and current["states"]:
                    current["start"] = next(iter(current["states"]))
                    changed = True
                    continue
                return None
            changed = _prune(current, path) or changed
        if not changed:
            return None
        try:
            return Scenario.model_validate(current)
        except ValidationError as again:
            exc = again
    return None


def _placeholder(path: tuple[str | int, ...], data: dict[str, Any]) -> object:
    """What replaces the node at ``path`` instead of deleting it; None means delete the key."""
    states = data.get("states")
    state_names = list(states) if isinstance(states, dict) else []
    if len(path) == 2 and path[0] == "states":
        return {"end": True, "outcome": "placeholder"}
    if len(path) == 2 and path[0] == "slots":
        return {"type": "text", "prompt": "?"}
    if len(path) == 2 and path[0] == "intents":
        return {}
    if len(path) == 2 and path[0] == "global":
        return {"intent": "repeat", "do": "repeat"}
    if len(path) == 2 and path[0] == "outcomes":
        return {"outcome": "placeholder", "when": "false"}
    if len(path) == 4 and path[0] == "states" and path[2] == "transitions":
        return {"fallback": True, "to": str(path[1]) if path[1] in state_names else "placeholder"}
    if len(path) == 4 and path[0] == "states" and path[2] == "collect":
        slots = data.get("slots")
        return next(iter(slots)) if isinstance(slots, dict) and slots else "placeholder"
    if isinstance(path[-1], int):
        return ""  # some list of text (examples, patterns): an empty item is harmless
    return None


def _prune(data: dict[str, Any], path: tuple[str | int, ...]) -> bool:
    if not path:
        return False
    if path[0] == "bot" and len(path) == 1:
        return False
    parent: Any = data
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    replacement = _placeholder(path, data)
    if replacement is None:
        if isinstance(parent, dict) and last in parent:
            if path in (("start",), ("states",), ("bot",)):
                return False
            del parent[last]
            return True
        if len(path) > 1:
            return _prune(data, path[:-1])
        return False
    try:
        if parent[last] == replacement:
            return len(path) > 1 and _prune(data, path[:-1])
        parent[last] = replacement
    except (KeyError, IndexError, TypeError):
        return False
    return True
