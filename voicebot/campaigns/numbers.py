"""A campaign's list of numbers, from JSON or CSV, validated row by row before anything is stored.

Every row is checked and every problem is reported as a :class:`RowError` (row, column, reason), so a
100,000-row upload with bad rows comes back with the full list of what to fix (the first
``MAX_REPORTED`` of them, and the total), and nothing is created until the whole list is valid.

A row: ``phone`` (E.164: ``+`` and the country code; also accepted as ``number`` / ``phone_number``),
optional ``timezone`` (IANA), and any other columns: the per-number ``variables`` given to the call.
The time zone of a number: its own ``timezone``, else the campaign's default, else the one time zone
of its number prefix (phonenumbers' geographic data: +1 415 -> America/Los_Angeles); a prefix that spans
several zones (most Russian mobiles) with neither given is a row error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import phonenumbers
from phonenumbers import timezone as phone_timezones

from voicebot.campaigns.windows import CallingWindow, zone
from voicebot.errors import ConfigError

__all__ = [
    "MAX_NUMBERS",
    "MAX_REPORTED",
    "NumberRow",
    "RowError",
    "Validated",
    "e164",
    "rows_from_csv",
    "validate_numbers",
]

MAX_NUMBERS: Final = 200_000
MAX_REPORTED: Final = 1000
MAX_VARIABLES: Final = 50
MAX_VALUE_CHARS: Final = 1000
PHONE_COLUMNS: Final = ("phone", "number", "phone_number")
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong with one row: ``row`` is 1-based among the numbers (0: the upload as a whole);
    ``line`` is the CSV line (header = line 1) when the upload was CSV."""

    row: int
    column: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (line {self.line})" if self.line else "")
        return f"{where}, {self.column}: {self.reason}"


@dataclass(frozen=True, slots=True)
class NumberRow:
    row: int
    phone: str
    timezone: str
    variables: dict[str, str]


@dataclass(frozen=True, slots=True)
class Validated:
    rows: list[NumberRow]
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def e164(raw: str) -> str:
    """The E.164 form of ``raw``; ConfigError with the reason otherwise."""
    text = raw.strip()
    if not text.startswith("+"):
        raise ConfigError("must be in international form with + and the country code, e.g. +14155550100")
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ConfigError("is not a phone number") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ConfigError("is not a possible number for its country code")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _derived_timezone(phone: str) -> str | None:
    zones = phone_timezones.time_zones_for_number(phonenumbers.parse(phone, None))
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None


@dataclass(frozen=True, slots=True)
class _Raw:
    row: int
    line: int | None
    values: Mapping[str, Any]


def rows_from_csv(data: bytes | str) -> tuple[list[Mapping[str, Any]], list[int], list[RowError]]:
    """CSV (header row first, UTF-8, comma-separated) -> row dicts, their line numbers, file errors."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return [], [], [RowError(0, "*", f"the file is not UTF-8 text (byte {exc.start})")]
    else:
        text = data
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [], [RowError(0, "*", "the file is empty: a header row with a phone column is needed")]
    except csv.Error as exc:
        return [], [], [RowError(0, "*", f"the header row is not valid CSV: {exc}")]
    names = [h.strip() for h in header]
    bad_names = [n for n in names if n.lower() not in _KNOWN and not _VARIABLE_NAME.match(n)]
    if bad_names:
        return (
            [],
            [],
            [
                RowError(
                    0,
                    n or "(empty)",
                    "a column is phone, timezone or a variable name: letters, digits "
                    "and _ (not first), up to 64",
                    1,
                )
                for n in bad_names
            ],
        )
    if len(set(names)) != len(names):
        return [], [], [RowError(0, "*", "the header names a column twice", 1)]
    rows: list[Mapping[str, Any]] = []
    lines: list[int] = []
    errors: list[RowError] = []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(len(rows) + 1, "*", f"not valid CSV: {exc}", reader.line_num))
            break
        if not values or all(not v.strip() for v in values):
            continue
        lines.append(reader.line_num)
        if len(values) != len(names):
            rows.append({"__fields__": f"has {len(values)} fields, the header has {len(names)}"})
        else:
            rows.append(dict(zip(names, values, strict=True)))
    return rows, lines, errors


def validate_numbers(
    rows: Iterable[Mapping[str, Any]],
    *,
    window: CallingWindow,
    now: dt.datetime,
    default_timezone: str | None = None,
    do_not_call: frozenset[str] = frozenset(),
    lines: list[int] | None = None,
) -> Validated:
    """Every row checked: phone, duplicates, do-not-call, time zone, a window that still opens."""
    out: list[NumberRow] = []
    errors: list[RowError] = []
    count = 0
    seen: dict[str, int] = {}
    opens: dict[str, bool] = {}
    if default_timezone is not None:
        zone(default_timezone)

    def problem(raw: _Raw, column: str, reason: str) -> None:
        nonlocal count
        count += 1
        if len(errors) < MAX_REPORTED:
            errors.append(RowError(raw.row, column, reason, raw.line))

    for raw in _numbered(rows, lines):
        if raw.row > MAX_NUMBERS:
            problem(raw, "*", f"a campaign holds at most {MAX_NUMBERS} numbers")
            break
        if "__fields__" in raw.values:
            problem(raw, "*", str(raw.values["__fields__"]))
            continue
        values = {
            str(k).strip().lower() if str(k).strip().lower() in _KNOWN else str(k): v
            for k, v in raw.values.items()
        }
        column = next((c for c in PHONE_COLUMNS if c in values), None)
        if column is None:
            problem(raw, "phone", "missing: a phone column (phone, number or phone_number) is needed")
            continue
        bad = False
        try:
            phone = e164(str(values[column] or ""))
        except ConfigError as exc:
            problem(raw, column, f"{_shown(values[column])} {exc}")
            continue
        if phone in seen:
            problem(raw, column, f"{phone} is a duplicate of row {seen[phone]}")
            bad = True
        else:
            seen[phone] = raw.row
        if phone in do_not_call:
            problem(raw, column, f"{phone} is on the company's do-not-call list")
            bad = True
        tz_name = str(values.get("timezone") or "").strip() or default_timezone or _derived_timezone(phone)
        if tz_name is None:
            problem(
                raw,
                "timezone",
                "the number's prefix spans several time zones: give a timezone "
                "column or the campaign's default timezone",
            )
            bad = True
        else:
            try:
                tz = zone(tz_name)
            except ConfigError as exc:
                problem(raw, "timezone", str(exc))
                bad = True
            else:
                if tz_name not in opens:
                    opens[tz_name] = window.next_open(now, tz) is not None
                if not opens[tz_name]:
                    problem(raw, "timezone", f"the calling window never opens again in {tz_name}")
                    bad = True
        variables, variable_problems = _variables(values, column)
        for name, reason in variable_problems:
            problem(raw, name, reason)
            bad = True
        if not bad and tz_name is not None:
            out.append(NumberRow(raw.row, phone, tz_name, variables))
    if not seen and count == 0:
        errors.append(RowError(0, "*", "the campaign has no numbers"))
        count = 1
    return Validated(out if count == 0 else [], errors, count)


_KNOWN: Final = frozenset({*PHONE_COLUMNS, "timezone", "variables"})


def _numbered(rows: Iterable[Mapping[str, Any]], lines: list[int] | None) -> Iterator[_Raw]:
    for index, values in enumerate(rows, start=1):
        line = lines[index - 1] if lines is not None and index <= len(lines) else None
        if not isinstance(values, Mapping):
            yield _Raw(index, line, {"__fields__": "must be an object with a phone field"})
        else:
            yield _Raw(index, line, values)


def _variables(values: Mapping[str, Any], phone_column: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    merged: dict[str, Any] = {}
    nested = values.get("variables")
    if nested is not None:
        if not isinstance(nested, Mapping):
            return {}, [("variables", "must be an object of name: value")]
        merged.update(nested)
    merged.update({k: v for k, v in values.items() if k not in _KNOWN and k != phone_column})
    if len(merged) > MAX_VARIABLES:
        problems.append(("variables", f"at most {MAX_VARIABLES} variables per number"))
    out: dict[str, str] = {}
    for name, value in merged.items():
        if not _VARIABLE_NAME.match(str(name)):
            problems.append(
                (str(name)[:64], "a variable name is letters, digits and _ (not first), up to 64")
            )
            continue
        if value is None:
            value = ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            problems.append((str(name), "must be text or a number"))
            continue
        text = str(value)
        if len(text) > MAX_VALUE_CHARS or "\x00" in text:
            problems.append((str(name), f"must be at most {MAX_VALUE_CHARS} characters of text"))
            continue
        out[str(name)] = text
    return out, problems


def _shown(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "...")
