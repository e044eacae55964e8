"""YAML text -> plain Python data, remembering where every key and value was written.

PyYAML's composer keeps each node's position; we build the data from the node tree ourselves so we can
record a :class:`Positions` map (key path -> line, col) and report duplicate keys, which PyYAML's own
constructor silently drops.

Scalars follow the YAML 1.2 core schema, not PyYAML's YAML 1.1 defaults: only ``true``/``false`` are
booleans (so an intent called ``yes`` or ``no`` stays a string), ``10:30`` is a string, not the
sexagesimal number 630, and dates stay strings. Mapping keys are always strings (the text written).
Anchors, aliases and merge keys (``<<: *base``) work; explicit keys win over merged ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import yaml

from voicebot.errors import Problem

__all__ = ["KeyPath", "ParsedYaml", "Pos", "Positions", "parse_yaml"]

KeyPath = tuple[str | int, ...]
"""Where a value sits in the document: mapping keys and list indices, e.g. ("states", "greet", "say")."""

Pos = tuple[int, int]
"""1-based (line, column)."""

MAX_NODES: Final = 200_000
"""Cap on built values, so alias bombs ("billion laughs") fail fast instead of eating memory."""

MAX_DEPTH: Final = 100
"""Cap on nesting (mappings and lists inside each other, aliases expanded). Checked on the event stream
before the document is composed, so a hostile 5,000-deep file fails fast with a position instead of
exhausting the recursion limit."""

_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
_PAIR: Final = re.compile(r"[\ud800-\udbff][\udc00-\udfff]")


@dataclass(frozen=True, slots=True)
class Positions:
    """Where each key and value of a document was written (1-based line and column).

    ``keys`` holds the position of a mapping key (for a list item: the item itself), ``values`` the position
    of the value, ``text_starts`` the first character of a single-line scalar's text (after any quote), so a
    column inside the text can be computed. Lookups fall back to the nearest enclosing path.
    """

    keys: Mapping[KeyPath, Pos] = field(default_factory=dict)
    values: Mapping[KeyPath, Pos] = field(default_factory=dict)
    text_starts: Mapping[KeyPath, Pos] = field(default_factory=dict)

    def key(self, path: KeyPath) -> Pos:
        """Position of the key at ``path``, else of its value, else of the nearest enclosing key."""
        return self._nearest(path, self.keys, self.values)

    def value(self, path: KeyPath) -> Pos:
        """Position of the value at ``path``, else of its key, else of the nearest enclosing value."""
        return self._nearest(path, self.values, self.keys)

    def text(self, path: KeyPath, offset: int = 0) -> Pos:
        """Position of character ``offset`` of the single-line string at ``path`` (else of the value)."""
        start = self.text_starts.get(path)
        if start is None:
            return self.value(path)
        return start[0], start[1] + offset

    @staticmethod
    def _nearest(path: KeyPath, first: Mapping[KeyPath, Pos], second: Mapping[KeyPath, Pos]) -> Pos:
        for n in range(len(path), -1, -1):
            prefix = path[:n]
            if prefix in first:
                return first[prefix]
            if prefix in second:
                return second[prefix]
        return (1, 1)


@dataclass(frozen=True, slots=True)
class ParsedYaml:
    """The result of :func:`parse_yaml`; ``data`` is None when the text is not valid YAML."""

    data: object
    positions: Positions
    problems: list[Problem]


# --------------------------------------------------------------------------- YAML 1.2 core resolution

_NULL: Final = "tag:yaml.org,2002:null"
_BOOL: Final = "tag:yaml.org,2002:bool"
_INT: Final = "tag:yaml.org,2002:int"
_FLOAT: Final = "tag:yaml.org,2002:float"
_STR: Final = "tag:yaml.org,2002:str"
_MERGE: Final = "tag:yaml.org,2002:merge"
_SEQ: Final = "tag:yaml.org,2002:seq"
_MAP: Final = "tag:yaml.org,2002:map"

_BOOL_RE: Final = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL_RE: Final = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT_RE: Final = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_RE: Final = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema resolution of plain scalars."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012


_FAST_LOADER: type[yaml.CSafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):
        """The same resolution rules on libyaml's parser: ~30x faster on large scenarios."""

        yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012

    _FAST_LOADER = _FastLoader

_LOADERS: list[type[yaml.SafeLoader] | type[yaml.CSafeLoader]] = [_Loader]
if _FAST_LOADER is not None:
    _LOADERS.append(_FAST_LOADER)
for _loader in _LOADERS:
    _loader.add_implicit_resolver(_BOOL, _BOOL_RE, list("tTfF"))
    _loader.add_implicit_resolver(_NULL, _NULL_RE, ["~", "n", "N", ""])
    _loader.add_implicit_resolver(_INT, _INT_RE, list("-+0123456789"))
    _loader.add_implicit_resolver(_FLOAT, _FLOAT_RE, list("-+0123456789."))
    _loader.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])


def _compose(text: str) -> yaml.Node | None:
    """Compose with libyaml when it is there; errors are re-read by the pure-Python parser, whose
    messages and positions are the ones documented and tested."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=_Loader)


def _too_deep(text: str) -> Pos | None:
    """Where nesting first exceeds MAX_DEPTH, read from the parser's events (no recursion); None if it
    does not, or if the text is not valid YAML (composing reports that)."""
    loader = _FAST_LOADER or _Loader
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def _depth_problem(path: str, pos: Pos) -> Problem:
    return Problem(path, pos[0], pos[1], f"nested more than {MAX_DEPTH} levels deep")


def parse_yaml(text: str, path: str) -> ParsedYaml:
    """Parse one YAML document; syntax errors, unsupported tags and duplicate keys become problems."""
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:  # a str from JSON ("\ud800"); libyaml cannot even encode it
        line, col = _offset_position(text, surrogate.start())
        message = f"character U+{ord(surrogate.group()):04X} (a lone UTF-16 surrogate) is not allowed in YAML"
        return ParsedYaml(None, Positions(), [Problem(path, line, col, message)])
    deep = _too_deep(text)
    if deep is not None:
        return ParsedYaml(None, Positions(), [_depth_problem(path, deep)])
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        return ParsedYaml(None, Positions(), [_syntax_problem(exc, path)])
    except yaml.YAMLError as exc:  # reader errors (bad characters) carry no mark object
        line, col = _reader_position(exc, text)
        character = getattr(exc, "character", None)
        if isinstance(character, str):
            character = ord(character)
        message = (
            f"character U+{character:04X} is not allowed in YAML"
            if isinstance(character, int)
            else f"YAML error: {exc}"
        )
        return ParsedYaml(None, Positions(), [Problem(path, line, col, message)])
    if root is None:
        return ParsedYaml(None, Positions(), [Problem(path, 1, 1, "the file is empty")])
    builder = _Builder(path)
    try:
        data = builder.build(root, ())
    except _TooLarge:
        line, col = _pos(root)
        return ParsedYaml(
            None, Positions(), [Problem(path, line, col, "document too large (alias expansion?)")]
        )
    except _TooDeep as exc:
        return ParsedYaml(None, Positions(), [_depth_problem(path, exc.pos)])
    positions = Positions(builder.keys, builder.values, builder.text_starts)
    return ParsedYaml(data, positions, builder.problems)


def _syntax_problem(exc: yaml.MarkedYAMLError, path: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    message = exc.problem or "invalid YAML"
    if exc.context and message.startswith("but "):
        message = f"{exc.context} {message}"
    elif exc.context and exc.problem_mark is not None:
        message = f"{message} ({exc.context})"
    if "'\\t'" in message:
        message += "; indent with spaces, not tabs"
    return Problem(path, line, col, f"YAML syntax error: {message}")


def _reader_position(exc: yaml.YAMLError, text: str) -> Pos:
    """ReaderError (a character YAML forbids) knows only the character index."""
    position = getattr(exc, "position", None)
    if not isinstance(position, int):
        return (1, 1)
    return _offset_position(text, position)


def _offset_position(text: str, position: int) -> Pos:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _pos(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, pos: Pos) -> None:
        super().__init__(pos)
        self.pos = pos


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.keys: dict[KeyPath, Pos] = {}
        self.values: dict[KeyPath, Pos] = {}
        self.text_starts: dict[KeyPath, Pos] = {}
        self.problems: list[Problem] = []
        self._active: set[int] = set()
        self._count = 0

    def problem(self, node: yaml.Node, message: str) -> None:
        line, col = _pos(node)
        self.problems.append(Problem(self.path, line, col, message))

    def build(self, node: yaml.Node, path: KeyPath, depth: int = 0) -> object:
        self._count += 1
        if self._count > MAX_NODES:
            raise _TooLarge
        if depth > MAX_DEPTH:  # aliases can nest a document deeper than its text
            raise _TooDeep(_pos(node))
        self.values.setdefault(path, _pos(node))
        if isinstance(node, yaml.ScalarNode):
            self._record_text_start(node, path)
            return self.scalar(node)
        if id(node) in self._active:
            self.problem(node, "recursive alias")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ:
                    self.problem(node, f"unsupported YAML tag '{node.tag}'")
                items: list[object] = []
                for index, item in enumerate(node.value):
                    self.keys.setdefault((*path, index), _pos(item))
                    items.append(self.build(item, (*path, index), depth + 1))
                return items
            assert isinstance(node, yaml.MappingNode)
            if node.tag != _MAP:
                self.problem(node, f"unsupported YAML tag '{node.tag}'")
            return self.mapping(node, path, depth)
        finally:
            self._active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int = 0) -> dict[str, object]:
        result: dict[str, object] = {}
        first_seen: dict[str, yaml.Node] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "a mapping key must be a plain value, not a list or mapping")
                continue
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            key = self.clean_text(key_node, str(key_node.value))
            if key in first_seen:
                line = first_seen[key].start_mark.line + 1
                self.problem(key_node, f"{_duplicate_noun(path)} '{key}' (first defined at line {line})")
                continue
            first_seen[key] = key_node
            self.keys[(*path, key)] = _pos(key_node)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        for merge_node in merges:
            self._merge(merge_node, path, result, depth)
        return result

    def _merge(self, node: yaml.Node, path: KeyPath, result: dict[str, object], depth: int) -> None:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.problem(source, "a merge key ('<<') needs a mapping or a list of mappings")
                continue
            merged = self.build(source, (*path, "<<"), depth)
            assert isinstance(merged, dict)
            for key, value in merged.items():
                if key not in result:
                    result[key] = value
                    self._copy_positions((*path, "<<", key), (*path, key))

    def _copy_positions(self, old: KeyPath, new: KeyPath) -> None:
        size = len(old)
        for table in (self.keys, self.values, self.text_starts):
            for known in [k for k in table if k[:size] == old]:
                table.setdefault(new + known[size:], table[known])

    def _record_text_start(self, node: yaml.ScalarNode, path: KeyPath) -> None:
        if node.start_mark.line != node.end_mark.line or node.style in ("|", ">"):
            return
        line, col = _pos(node)
        self.text_starts.setdefault(path, (line, col + (1 if node.style in ("'", '"') else 0)))

    def clean_text(self, node: yaml.ScalarNode, value: str) -> str:
        """Refuse what Postgres and terminals cannot take, which only escapes ("\\0", "\\ud800") can
        write: NUL and lone surrogates. An escaped surrogate pair ("\\ud83d\\ude00") is the character
        it encodes, as in JSON. Refused characters are replaced by U+FFFD so later messages print."""
        if "\x00" not in value and not _SURROGATE.search(value):
            return value
        value = _PAIR.sub(lambda m: m.group().encode("utf-16", "surrogatepass").decode("utf-16"), value)
        if "\x00" in value:
            self.problem(node, "text must not contain a NUL character (\\0)")
            value = value.replace("\x00", "\ufffd")
        if _SURROGATE.search(value):
            self.problem(node, "text must not contain a lone UTF-16 surrogate (an escape like \\ud800)")
            value = _SURROGATE.sub("\ufffd", value)
        return value

    def scalar(self, node: yaml.ScalarNode) -> object:
        value: str = self.clean_text(node, node.value)
        tag = node.tag
        try:
            if tag == _STR:
                return value
            if tag == _NULL:
                if not _NULL_RE.match(value):
                    raise ValueError
                return None
            if tag == _BOOL:
                if not _BOOL_RE.match(value):
                    raise ValueError
                return value.lower() == "true"
            if tag == _INT:
                return int(value, 0) if value[:2] in ("0o", "0x") else int(value, 10)
            if tag == _FLOAT:
                lowered = value.lower().replace(".inf", "inf").replace(".nan", "nan")
                number = float(lowered)
                return number if not math.isnan(number) else math.nan
        except ValueError:
            self.problem(node, f"'{value}' is not a valid {tag.rsplit(':', 1)[-1]}")
            return value
        self.problem(node, f"unsupported YAML tag '{tag}'")
        return value


def _duplicate_noun(path: KeyPath) -> str:
    if len(path) == 1 and path[0] in ("states", "slots", "intents"):
        return f"duplicate {str(path[0])[:-1]}"
    return "duplicate key"
