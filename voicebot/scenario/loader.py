"""Load a scenario: YAML text -> validated :class:`~voicebot.scenario.model.Scenario` -> static checks.

A scenario is loaded whole or not at all: any problem (YAML syntax, schema, static check) raises
:class:`~voicebot.errors.ScenarioError` listing every problem found, each with the file, line and column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from voicebot.errors import Problem, ScenarioError
from voicebot.scenario.checks import run_checks
from voicebot.scenario.model import Scenario
from voicebot.scenario.recovery import repair
from voicebot.scenario.validation import problems_from_validation
from voicebot.scenario.yamlsource import Positions, parse_yaml

__all__ = ["LoadedScenario", "check_paths", "find_scenario_files", "load_file", "load_text"]

TEST_SUFFIX = ".test.yaml"
"""Scenario test files (``<bot>.test.yaml``) sit next to scenarios and are skipped by directory search."""
NOT_SCENARIOS = (TEST_SUFFIX, ".persona.yaml", ".replay.yaml")
"""Files beside scenarios that are not scenarios: tests, simulated-caller personas, replay expectations."""


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    """A valid scenario with where it came from: the exact source, its SHA-256 and every node's position."""

    scenario: Scenario
    source: str
    path: str
    sha256: str
    positions: Positions
    warnings: tuple[Problem, ...] = ()


def load_text(text: str, path: str = "<string>") -> LoadedScenario:
    """Validate ``text``; ``path`` is only used in problems. Raise ScenarioError if it is invalid."""
    parsed = parse_yaml(text, path)
    problems = list(parsed.problems)
    if parsed.data is None:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(parsed.data)
    except ValidationError as exc:
        schema_problems = problems_from_validation(exc, parsed.data, parsed.positions, path)
        problems.extend(schema_problems)
        deleted: set[str] = set()
        try:
            repaired = repair(parsed.data, exc, deleted)
        except Exception:  # a repair bug must never hide the schema problems
            repaired = None
        if repaired is not None:  # the other checks still run on the rest of the file
            taken = {(p.line, p.col) for p in schema_problems}
            found = [
                p
                for p in run_checks(repaired, parsed.positions, path)
                if (p.line, p.col) not in taken and not any(f"'{name}'" in p.message for name in deleted)
            ]
            problems.extend(p for p in found if not p.warning)
            raise _invalid(list(dict.fromkeys(problems)), [p for p in found if p.warning]) from None
        raise ScenarioError(problems) from None
    found = run_checks(scenario, parsed.positions, path)
    problems.extend(p for p in found if not p.warning)
    if problems:
        raise _invalid(problems, [p for p in found if p.warning])
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    warnings = tuple(sorted((p for p in found if p.warning), key=lambda p: (p.line, p.col, p.message)))
    return LoadedScenario(scenario, text, path, digest, parsed.positions, warnings)


def _invalid(errors: list[Problem], warnings: list[Problem]) -> ScenarioError:
    """The error for an invalid file; its warnings ride along as ``.warnings`` (``voicebot check`` prints
    them)."""
    error = ScenarioError(errors)
    error.warnings = warnings  # type: ignore[attr-defined]
    return error


def load_file(path: Path | str) -> LoadedScenario:
    """Read and validate one file (UTF-8). An unreadable file is a problem too, reported at 1:1."""
    return load_text(read_source(path), str(path))


def read_source(path: Path | str) -> str:
    """The text of a scenario file; raise ScenarioError if it cannot be read or is not UTF-8."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(str(path), 1, 1, "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(str(path), 1, 1, "is a directory, not a file")]) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem(str(path), 1, 1, f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ScenarioError([Problem(str(path), line, col, "the file is not UTF-8 text")]) from None


def find_scenario_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[Problem]]:
    """Expand ``paths``: files as given, directories searched for ``*.yaml`` (not ``*.test.yaml``,
    ``*.persona.yaml`` or ``*.replay.yaml``).

    A missing path, or a directory holding no scenario, is a problem.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*.yaml") if p.is_file() and not p.name.endswith(NOT_SCENARIOS)
            )
            if not found:
                problems.append(Problem(str(raw), 1, 1, "no scenario files (*.yaml) in this directory"))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(str(raw), 1, 1, "no such file or directory"))
    return list(dict.fromkeys(files)), problems


def check_paths(paths: Iterable[Path | str]) -> list[Problem]:
    """Every problem in the scenario files at ``paths`` (see :func:`find_scenario_files`), sorted by file and
    position, warnings included (``Problem.warning``); [] if all are valid and nothing is warned about."""
    files, problems = find_scenario_files(paths)
    for file in files:
        try:
            problems.extend(load_file(file).warnings)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            problems.extend(getattr(exc, "warnings", []))
        except Exception as exc:  # a checker bug must not hide the other files' results
            message = f"internal error while checking (please report): {exc!r}"
            problems.append(Problem(str(file), 1, 1, message))
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message))
