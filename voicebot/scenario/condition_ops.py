"""The comparison operators of scenario conditions: None-safe and type-safe (``1 < "a"`` is False, not
an error), so a condition over a slot not yet filled is simply false."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, Final

__all__ = ["COMPARE"]

_ORDERING: Final[dict[type[ast.cmpop], Callable[[Any, Any], bool]]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}


def _safe_ordering(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        try:
            return bool(op(a, b))
        except TypeError:
            return False

    return compare


def _contains(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        return a in b
    except TypeError:
        return False


def _not_contains(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        return a not in b
    except TypeError:
        return False


def _eq(a: Any, b: Any) -> bool:
    return bool(a == b)


def _ne(a: Any, b: Any) -> bool:
    return bool(a != b)


COMPARE: Final[dict[type[ast.cmpop], Callable[[Any, Any], bool]]] = {
    ast.Eq: _eq,
    ast.NotEq: _ne,
    ast.In: _contains,
    ast.NotIn: _not_contains,
    **{op: _safe_ordering(fn) for op, fn in _ORDERING.items()},
}
