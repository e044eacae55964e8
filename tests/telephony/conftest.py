"""Helpers for the telephony tests: compile inline scenarios, read what was said and recorded."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from voicebot.dialogue import Engine, Say, TurnResult, compile_scenario
from voicebot.scenario import load_text
from voicebot.storage.records import Record
from voicebot.telephony.bridge import NullControl
from voicebot.telephony.textcall import TextCall

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def engine_for(source: str, *, llm_enabled: bool = False) -> Engine:
    return Engine(compile_scenario(load_text(source).scenario), llm_enabled=llm_enabled)


def said(results: Iterable[TurnResult]) -> list[str]:
    return [a.text for r in results for a in r.actions if isinstance(a, Say)]


R = TypeVar("R")


def of_kind(records: Iterable[Record], kind: type[R]) -> list[R]:
    return [r for r in records if isinstance(r, kind)]


def null(call: TextCall) -> NullControl:
    """The text call's control, which remembers hang-ups and transfers."""
    assert isinstance(call.control, NullControl)
    return call.control
