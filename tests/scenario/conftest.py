"""Helpers for scenario tests: load a YAML snippet and get its problems as printed lines."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from voicebot.errors import ScenarioError
from voicebot.scenario import load_text


def problems_of(text: str, path: str = "s.yaml") -> list[str]:
    """Every problem of ``text`` as ``file:line:col: message``; [] when it loads."""
    try:
        load_text(textwrap.dedent(text).lstrip("\n"), path)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    return []


@pytest.fixture
def problems() -> Callable[[str], list[str]]:
    """``problems(yaml_text)``: the problems of a dedented snippet, loaded as ``s.yaml``."""
    return problems_of
