"""Pydantic validation errors -> :class:`~voicebot.errors.Problem`, placed on the YAML node they concern.

A pydantic ``loc`` mostly follows the data, with two kinds of extra steps that we strip: the tag of a
discriminated union (``("slots", "date", "number", "min")``: "number" is the slot's ``type``) and the
member name of a plain union (``("bot", "greeting", "str")``). A plain union reports one error per member;
we keep the errors that went inside the member matching the value, or merge them into one
"expected text or a per-language mapping, got a list".
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from voicebot.errors import Problem
from voicebot.scenario.model import SLOT_TYPES, Scenario
from voicebot.scenario.modelbase import NAME_PATTERN
from voicebot.scenario.yamlsource import KeyPath, Pos, Positions

__all__ = ["dotted", "got", "located_path", "problems_from_validation", "where"]

_PATTERN_RULES: Final[dict[str, str]] = {
    NAME_PATTERN: "is not a valid name (use lowercase letters, digits and '_', starting with a letter)",
    r"^[a-z][a-z0-9_-]*$": "is not a valid id (lowercase letters, digits, '_', '-'; starting with a letter)",
    r"^\+[1-9]\d{6,14}$": "is not an E.164 phone number (such as +15551234567)",
    r"^([01]\d|2[0-3]):[0-5]\d$": "is not a time as HH:MM, 24-hour (such as 09:30)",
    r"^[0-9*#]+$": "is not a DTMF sequence (digits, * and #)",
    r"^[A-Z]{2}$": "is not a two-letter country code (such as US)",
    r"^[0-9*#A-Dw]{1,64}$": "is not a key sequence to send (0-9, *, #, A-D; w waits; at most 64)",
    r"^[0-9*#]$": "is not one key (0-9, * or #)",
    r"^[#*]?$": "is not a terminator key (#, * or '' for none)",
}

_NUMBER_TYPES: Final = ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float")


@dataclass(frozen=True, slots=True)
class _Located:
    error: ErrorDetails
    path: KeyPath  # the data path, union steps stripped
    on_key: bool  # the error is about a mapping key itself ("[key]")
    missing: str | None  # the missing field's name
    union_base: KeyPath | None  # where a plain union started, if the error came through one
    member: str | None  # that union member's name


def problems_from_validation(
    exc: ValidationError, data: object, positions: Positions, path: str
) -> list[Problem]:
    """One problem per distinct error of ``exc``, positioned via ``positions``."""
    located = [_locate(error, data) for error in exc.errors(include_url=False)]
    problems: list[Problem] = []
    unions: dict[KeyPath, list[_Located]] = {}
    for item in located:
        if item.union_base is None:
            problems.append(_problem(item, positions, path))
        else:
            unions.setdefault(item.union_base, []).append(item)
    for base, items in unions.items():
        deeper = [i for i in items if len(i.path) > len(base) or i.on_key or i.missing]
        if deeper:
            problems.extend(_problem(i, positions, path) for i in deeper)
            continue
        own = [i for i in items if i.error["type"] == "value_error"]
        if own:  # the member the value has the shape of broke its own rule (digits: min > max)
            problems.extend(_problem(i, positions, path) for i in own)
            continue
        kinds = list(dict.fromkeys(_member_kind(i.member or "") for i in items))
        message = f"expected {' or '.join(kinds)}, got {got(items[0].error['input'])}"
        line, col = positions.value(base)
        problems.append(Problem(path, line, col, _prefixed(base, message)))
    return list(dict.fromkeys(problems))


def located_path(error: ErrorDetails, data: object) -> tuple[KeyPath, bool]:
    """The data path an error is about (union steps stripped), and whether it is about a mapping key."""
    item = _locate(error, data)
    return item.path, item.on_key


def _locate(error: ErrorDetails, data: object) -> _Located:
    loc = error["loc"]
    current: object = data
    clean: list[str | int] = []
    on_key = False
    missing: str | None = None
    union_base: KeyPath | None = None
    member: str | None = None
    for index, step in enumerate(loc):
        if step == "[key]":
            on_key = True
            continue
        found, child = _child(current, step)
        if found:
            current = child
            clean.append(step)
        elif index == len(loc) - 1 and error["type"] == "missing":
            missing = str(step)
        elif isinstance(current, dict) and current.get("type") == step:
            continue  # the tag of a discriminated union
        elif union_base is None:
            union_base, member = tuple(clean), str(step)
    return _Located(error, tuple(clean), on_key, missing, union_base, member)


def _child(container: object, step: str | int) -> tuple[bool, object]:
    if isinstance(container, dict) and step in container:
        return True, container[step]
    if isinstance(container, list) and isinstance(step, int) and 0 <= step < len(container):
        return True, container[step]
    return False, None


def _problem(item: _Located, positions: Positions, path: str) -> Problem:
    line, col, message = _describe(item, positions)
    return Problem(path, line, col, message)


def _describe(item: _Located, positions: Positions) -> tuple[int, int, str]:
    error, where_ = item.error, item.path
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    pos: Pos
    if kind == "extra_forbidden":
        key = str(where_[-1])
        message = f"unknown key '{key}' {where(where_[:-1])}"
        fields = _fields_at(error["loc"][:-1])
        suggestion = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
        if suggestion:
            message += f" (did you mean '{suggestion[0]}'?)"
        if fields:
            message += f"; valid keys: {', '.join(fields)}"
        return (*positions.key(where_), message)
    if kind == "missing":
        pos = positions.key(where_)
        return (*pos, f"missing required key '{item.missing}' {where(where_)}")
    if kind == "union_tag_invalid":
        tags = ", ".join(SLOT_TYPES)
        return (
            *positions.value((*where_, "type")),
            f"{dotted((*where_, 'type'))}: {got(ctx.get('tag'))} is not one of {tags}",
        )
    if kind == "union_tag_not_found":
        return (*positions.key(where_), f"{dotted(where_)}: missing 'type' (one of {', '.join(SLOT_TYPES)})")
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        text = str(cause) if cause is not None else error["msg"]
        pos = positions.key(where_) if isinstance(error["input"], dict | list) else positions.value(where_)
        return (*pos, _prefixed(where_, text))
    if item.on_key:
        return (
            *positions.key(where_),
            _prefixed(where_[:-1], _rule(kind, error["msg"], error["input"], ctx)),
        )
    return (*positions.value(where_), _prefixed(where_, _rule(kind, error["msg"], error["input"], ctx)))


def _rule(kind: str, msg: str, value: object, ctx: dict[str, Any]) -> str:
    """The broken rule, phrased for a scenario author, ending with the value found."""
    if kind in _NUMBER_TYPES:
        wanted = "a whole number" if kind.startswith("int") else "a number"
        return f"expected {wanted}, got {got(value)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false, got {got(value)}"
    if kind == "string_type":
        return f"expected text, got {got(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {got(value)}"
    if kind == "list_type":
        return f"expected a list, got {got(value)}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {got(value)}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern"))
        rule = _PATTERN_RULES.get(pattern, f"does not match the pattern {pattern}")
        return f"{got(value)} {rule}"
    text = (
        msg.replace("Input should be", "must be")
        .replace("String should", "must")
        .replace("List should", "must")
    )
    text = text.replace("Dictionary should", "must")
    return f"{text[:1].lower()}{text[1:]}, got {got(value)}"


def _member_kind(member: str) -> str:
    if member == "str":
        return "text"
    if member.startswith("dict[literal["):
        return "a per-language mapping ({en: ..., ru: ...})"
    if member.startswith("dict"):
        return "a mapping"
    if member.startswith("list"):
        return "a list"
    if member in ("int", "float"):
        return "a number"
    if member.startswith("constrained-int"):
        return "a whole number"
    if member.startswith("literal["):
        return "one of " + member[len("literal[") : -1].replace("'", "").replace(",", ", ")
    if member.startswith("function-after["):
        return "a mapping"
    return member


def _prefixed(path: KeyPath, message: str) -> str:
    return f"{dotted(path)}: {message}" if path else message


def dotted(path: Sequence[str | int]) -> str:
    """``("states", "a", "transitions", 0, "to")`` -> ``states.a.transitions[0].to``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def where(path: KeyPath) -> str:
    """Where a mapping sits, for messages: "in state 'greet'", "at the top level", "in bot.providers"."""
    if not path:
        return "at the top level"
    if len(path) == 2 and path[0] in ("states", "slots", "intents"):
        return f"in {str(path[0])[:-1]} '{path[1]}'"
    return f"in {dotted(path)}"


def got(value: object) -> str:
    """A short description of a value as written in YAML."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"'{shown}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _fields_at(loc: Sequence[str | int]) -> list[str]:
    """Key names allowed in the model at ``loc`` (a raw pydantic loc), for "did you mean" suggestions."""
    current: Any = Scenario
    steps = list(loc)
    while True:
        current = _unwrap(current, steps)
        if not steps:
            break
        step = steps.pop(0)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for name, f in current.model_fields.items() if step in (name, f.alias)),
                None,
            )
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(tp: Any, steps: list[str | int]) -> Any:
    """Strip Annotated and Optional; pick a union member by the tag in ``steps`` (consuming it)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [m for m in typing.get_args(tp) if m is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            tagged = [m for m in models if steps and _tag(m) == steps[0]]
            if tagged:
                steps.pop(0)
                tp = tagged[0]
            elif len(members) == 1:
                tp = members[0]
            elif len(models) == 1:
                tp = models[0]
            else:
                return tp
            continue
        return tp


def _tag(model: type[BaseModel]) -> object:
    field = model.model_fields.get("type")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None
