"""The condition language of ``when:`` (transitions and outcome rules).

A condition is a Python-like boolean expression over slots and a few context names::

    confirmed == true and filled('date')
    people >= 2
    service in ['manicure', 'pedicure']
    not visited('booked')
    end_reason == 'caller_hangup'

It is parsed once with :mod:`ast` (eval mode) and compiled to a tree of closures; nothing is ever passed to
``eval()``. Only these constructs are accepted: ``and``/``or``/``not``; comparisons ``== != < <= > >= in
not in`` (chains allowed); names; string and number constants; lists/tuples of constants on the right of
``in``; the functions ``filled(name)``, ``empty(name)`` and ``visited(name)``. ``true``/``false``/``null``
(and ``True``/``False``/``None``) are constants. Anything else raises :class:`ConditionSyntaxError` with
the 1-based column of the offending part.

Evaluation never raises on data: a name missing from the environment is ``None``; an ordering or
membership test (``< <= > >= in not in``) involving ``None`` or values of incomparable types is false.
``==`` and ``!=`` are plain equality, so ``date == null`` tests that a slot is unfilled.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from voicebot.scenario.calendar import add_days, weekday_of
from voicebot.scenario.condition_ops import COMPARE as _COMPARE

__all__ = [
    "CONTEXT_NAMES",
    "END_REASONS",
    "FUNCTIONS",
    "OUTCOME_CONTEXT_NAMES",
    "Condition",
    "ConditionSyntaxError",
    "compile_condition",
]

FUNCTIONS: Final = ("filled", "empty", "visited")
"""Functions a condition may call, each with one string argument: a slot name (filled, empty) or a state
name (visited)."""

CONTEXT_NAMES: Final = ("state", "lang", "retries")
"""Names a transition condition may use besides slot names."""

OUTCOME_CONTEXT_NAMES: Final = (*CONTEXT_NAMES, "end_reason", "transferred", "outcome")
"""Names an outcome rule may use besides slot names."""

END_REASONS: Final = ("completed", "caller_hangup", "transferred", "no_input", "error", "dropped")
"""Values of ``end_reason`` in outcome rules."""

MAX_LENGTH: Final = 2000
"""Longest condition accepted, in characters."""

_CONSTANT_NAMES: Final[dict[str, object]] = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}

Predicate = Callable[[str], bool]
_Fn = Callable[[Mapping[str, object], Predicate, Predicate], Any]


class ConditionSyntaxError(ValueError):
    """A condition is not in the language; ``col`` is the 1-based column of the offending part."""

    def __init__(self, message: str, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.col = col

    def __str__(self) -> str:
        return f"{self.message} (column {self.col})"


class Condition:
    """A compiled condition.

    ``names`` are the free names it reads (slots and context names), ``calls`` the ``(function, argument)``
    pairs it makes, in source order, and ``compared`` the ``(name, literal)`` pairs it compares a name with
    (``state == 'x'`` gives ``("state", "x")``; ``x in ['a', 'b']`` gives both values); the static checks
    use them to validate references.
    """

    __slots__ = ("_fn", "calls", "compared", "names", "source")

    def __init__(
        self,
        source: str,
        fn: _Fn,
        names: frozenset[str],
        calls: tuple[tuple[str, str], ...],
        compared: tuple[tuple[str, object], ...],
    ) -> None:
        self.source = source
        self.names = names
        self.calls = calls
        self.compared = compared
        self._fn = fn

    def evaluate(
        self,
        env: Mapping[str, object],
        *,
        filled: Predicate,
        visited: Predicate,
    ) -> bool:
        """True when the condition holds; ``env`` maps names to values (missing names are ``None``)."""
        return bool(self._fn(env, filled, visited))

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


def compile_condition(source: str) -> Condition:
    """Parse and compile ``source``; raise :class:`ConditionSyntaxError` if it is not in the language."""
    if not source.strip():
        raise ConditionSyntaxError("empty condition", 1)
    if len(source) > MAX_LENGTH:
        raise ConditionSyntaxError(f"condition longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    # A condition is one logical line; a YAML block scalar may still span several, so join them
    # (columns are then counted in the joined text).
    text = " ".join(source.split()) if "\n" in source.strip() else source.rstrip()
    body = text.lstrip()
    indent = len(text) - len(body)
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        message, col = _syntax_message(exc, body)
        raise ConditionSyntaxError(message, col + indent) from None
    except (RecursionError, MemoryError):
        raise ConditionSyntaxError("condition nested too deeply", 1) from None
    compiler = _Compiler(indent=indent)
    fn = compiler.compile(tree.body)
    return Condition(
        source,
        fn,
        frozenset(compiler.names),
        tuple(compiler.calls),
        tuple(compiler.compared),
    )


_HINTS: Final = (
    (re.compile(r"&&"), "use 'and' instead of '&&'"),
    (re.compile(r"\|\|"), "use 'or' instead of '||'"),
    (re.compile(r"(?<![=!<>])=(?!=)"), "use '==' to compare, not '='"),
    (re.compile(r"!(?!=)"), "use 'not' instead of '!'"),
)


def _syntax_message(exc: SyntaxError, body: str) -> tuple[str, int]:
    code = re.sub(r"'[^']*'|\"[^\"]*\"", lambda m: "_" * len(m.group()), body)  # ignore text in quotes
    for pattern, hint in _HINTS:
        match = pattern.search(code)
        if match:
            return hint, match.start() + 1
    message = exc.msg or "invalid syntax"
    if message.startswith("invalid syntax. "):
        message = message[len("invalid syntax. ") :]
    return message[:1].lower() + message[1:], max(exc.offset or 1, 1)


# --------------------------------------------------------------------------- compiler

_NOT_ALLOWED: Final[dict[type[ast.AST], str]] = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing ('[...]' after a value) is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.BinOp: "arithmetic is not allowed",
    ast.IfExp: "'... if ... else ...' is not allowed",
    ast.NamedExpr: "assignment (':=') is not allowed",
    ast.Dict: "mappings ('{...}') are not allowed",
    ast.Set: "sets ('{...}') are not allowed; use a list",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Starred: "'*' is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}

_LITERAL = (str, int, float, bool, type(None))


class _Compiler:
    def __init__(self, *, indent: int) -> None:
        self.indent = indent
        self.names: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        self.compared: list[tuple[str, object]] = []

    def error(self, node: ast.AST, message: str) -> ConditionSyntaxError:
        return ConditionSyntaxError(message, getattr(node, "col_offset", 0) + 1 + self.indent)

    def compile(self, node: ast.expr) -> _Fn:
        if isinstance(node, ast.BoolOp):
            return self._bool_op(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                inner = self.compile(node.operand)
                return lambda env, f, v: not inner(env, f, v)
            value = self._constant(node)
            return lambda env, f, v: value
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Constant):
            value = self._constant(node)
            return lambda env, f, v: value
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.BinOp):
            return self._date_arithmetic(node)
        if isinstance(node, ast.List | ast.Tuple):
            raise self.error(node, "a list may only appear on the right of 'in' or 'not in'")
        raise self.error(node, _NOT_ALLOWED.get(type(node), f"{type(node).__name__} is not allowed"))

    def _bool_op(self, node: ast.BoolOp) -> _Fn:
        parts = [self.compile(value) for value in node.values]
        if isinstance(node.op, ast.And):
            if len(parts) == 2:
                a, b = parts
                return lambda env, f, v: a(env, f, v) and b(env, f, v)
            return lambda env, f, v: all(p(env, f, v) for p in parts)
        if len(parts) == 2:
            a, b = parts
            return lambda env, f, v: a(env, f, v) or b(env, f, v)
        return lambda env, f, v: any(p(env, f, v) for p in parts)

    def _name(self, node: ast.Name) -> _Fn:
        if node.id in _CONSTANT_NAMES:
            value = _CONSTANT_NAMES[node.id]
            return lambda env, f, v: value
        if node.id in FUNCTIONS:
            raise self.error(node, f"{node.id} is a function: write {node.id}('name')")
        name = node.id
        self.names.add(name)
        return lambda env, f, v: env.get(name)

    def _constant(self, node: ast.expr) -> object:
        """A literal: a constant, true/false/null, a signed number."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, _LITERAL):
                return node.value
            raise self.error(node, f"{type(node.value).__name__} constants are not allowed")
        if isinstance(node, ast.Name) and node.id in _CONSTANT_NAMES:
            return _CONSTANT_NAMES[node.id]
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub | ast.UAdd)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float)
            and not isinstance(node.operand.value, bool)
        ):
            number = node.operand.value
            return -number if isinstance(node.op, ast.USub) else number
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            raise self.error(node, "'~' is not allowed; use 'not'")
        if isinstance(node, ast.UnaryOp):
            raise self.error(node, "a sign may only precede a number")
        raise self.error(node, "expected a constant (a string, a number, true, false or null)")

    def _operand(self, node: ast.expr, *, container: bool) -> tuple[_Fn, object]:
        """Compile one side of a comparison; the second item is its literal value, or _NO_LITERAL."""
        if isinstance(node, ast.List | ast.Tuple):
            if not container:
                raise self.error(node, "a list may only appear on the right of 'in' or 'not in'")
            items = tuple(self._constant(item) for item in node.elts)
            try:
                values: frozenset[object] | tuple[object, ...] = frozenset(items)
            except TypeError:  # pragma: no cover - literals are hashable
                values = items
            return (lambda env, f, v: values), items
        if isinstance(node, ast.Constant) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd)
        ):
            value = self._constant(node)
            return (lambda env, f, v: value), value
        if isinstance(node, ast.Name) and node.id in _CONSTANT_NAMES:
            value = _CONSTANT_NAMES[node.id]
            return (lambda env, f, v: value), value
        return self.compile(node), _NO_LITERAL

    def _compare(self, node: ast.Compare) -> _Fn:
        operands = [node.left, *node.comparators]
        compiled: list[_Fn] = []
        literals: list[object] = []
        for index, operand in enumerate(operands):
            container = index > 0 and isinstance(node.ops[index - 1], ast.In | ast.NotIn)
            fn, literal = self._operand(operand, container=container)
            compiled.append(fn)
            literals.append(literal)
        ops: list[Callable[[Any, Any], bool]] = []
        for op_node in node.ops:
            if isinstance(op_node, ast.Is | ast.IsNot):
                raise self.error(node, "'is' is not allowed; use == or !=")
            ops.append(_COMPARE[type(op_node)])
        for index, cmp in enumerate(node.ops):
            self._record_comparison(operands[index], literals[index + 1])
            if not isinstance(cmp, ast.In | ast.NotIn):
                self._record_comparison(operands[index + 1], literals[index])
        if len(ops) == 1:
            op, left, right = ops[0], compiled[0], compiled[1]
            return lambda env, f, v: op(left(env, f, v), right(env, f, v))

        def chain(env: Mapping[str, object], f: Predicate, v: Predicate) -> bool:
            left = compiled[0](env, f, v)
            for op, right_fn in zip(ops, compiled[1:], strict=True):
                right = right_fn(env, f, v)
                if not op(left, right):
                    return False
                left = right
            return True

        return chain

    def _date_arithmetic(self, node: ast.BinOp) -> _Fn:
        """``date + days(n)`` / ``date - days(n)``: an ISO date n days later / earlier."""
        right = node.right
        if not (
            isinstance(node.op, ast.Add | ast.Sub)
            and isinstance(right, ast.Call)
            and isinstance(right.func, ast.Name)
            and right.func.id == "days"
            and len(right.args) == 1
            and not right.keywords
            and isinstance(right.args[0], ast.Constant)
            and isinstance(right.args[0].value, int)
            and not isinstance(right.args[0].value, bool)
        ):
            raise self.error(node, "arithmetic is not allowed, except date + days(n) and date - days(n)")
        count = right.args[0].value if isinstance(node.op, ast.Add) else -right.args[0].value
        left = self.compile(node.left)
        return lambda env, f, v: add_days(left(env, f, v), count)

    def _record_comparison(self, operand: ast.expr, literal: object) -> None:
        if (
            literal is not _NO_LITERAL
            and isinstance(operand, ast.Call)
            and isinstance(operand.func, ast.Name)
            and operand.func.id == "weekday"
        ):
            items = literal if isinstance(literal, tuple) else (literal,)
            self.compared.extend(("weekday()", item) for item in items)
            return
        if literal is _NO_LITERAL or not isinstance(operand, ast.Name) or operand.id in _CONSTANT_NAMES:
            return
        if isinstance(literal, tuple):
            self.compared.extend((operand.id, item) for item in literal)
        else:
            self.compared.append((operand.id, literal))

    def _call(self, node: ast.Call) -> _Fn:
        if not isinstance(node.func, ast.Name):
            message = _NOT_ALLOWED.get(type(node.func), "only filled(), empty() and visited() may be called")
            raise self.error(node.func, message)
        fname = node.func.id
        if fname == "weekday":
            if node.keywords or len(node.args) != 1:
                raise self.error(node, "weekday() takes one date: weekday(visit_date)")
            arg0 = node.args[0]
            if isinstance(arg0, ast.Constant) and isinstance(arg0.value, str):
                arg0 = ast.Name(id=arg0.value, col_offset=arg0.col_offset)
            inner = self.compile(arg0)
            return lambda env, f, v: weekday_of(inner(env, f, v))
        if fname == "days":
            raise self.error(node, "days(n) may only be added to a date: visit_date + days(1)")
        if fname not in FUNCTIONS:
            raise self.error(
                node.func, f"unknown function '{fname}' (allowed: filled, empty, visited, weekday, days)"
            )
        if node.keywords or len(node.args) != 1:
            raise self.error(node, f"{fname}() takes exactly one argument, a quoted name: {fname}('name')")
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            hint = f" (write {fname}('{arg.id}'))" if isinstance(arg, ast.Name) else ""
            raise self.error(arg, f"the argument of {fname}() must be a quoted name{hint}")
        name = arg.value
        self.calls.append((fname, name))
        if fname == "filled":
            return lambda env, f, v: f(name)
        if fname == "empty":
            return lambda env, f, v: not f(name)
        return lambda env, f, v: v(name)


class _NoLiteral:
    __slots__ = ()


_NO_LITERAL: Final = _NoLiteral()
