"""Paths and small parsers shared by the infra/ checks (no container engine runs here: everything is
validated offline against the specifications and the code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"

_SETTINGS_TABLE = re.compile(r"^## Settings\n(.*?)^## ", re.S | re.M)
_VAR = re.compile(r"`([A-Z][A-Z0-9_]{2,})`")


def documented_settings() -> set[str]:
    """The environment variables of the "Settings" table of docs/operations.md."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    match = _SETTINGS_TABLE.search(text)
    assert match, "docs/operations.md has no '## Settings' section"
    return set(_VAR.findall(match.group(1)))


def settings_read_by_code() -> set[str]:
    """Variable names the package reads (string literals in voicebot/: settings.py, outcomes/config.py...)."""
    names: set[str] = set()
    for path in (ROOT / "voicebot").rglob("*.py"):
        names |= set(re.findall(r"\"([A-Z][A-Z0-9_]{2,})\"", path.read_text(encoding="utf-8")))
    return names


@pytest.fixture(scope="session")
def real_settings() -> set[str]:
    """Settings both documented and read by the code."""
    return documented_settings() & settings_read_by_code()
