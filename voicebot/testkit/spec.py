"""The scenario test file format (``<bot>.test.yaml``), documented in docs/testing.md."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voicebot.errors import ConfigError

__all__ = ["ActionScript", "Expect", "Step", "TestCase", "TestFile", "load_test_file"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Model):
    """What the bot must have done after a step. Every field is optional."""

    say: str | list[str] | None = Field(
        default=None, description="Text the bot said (case-insensitive substring)."
    )
    say_regex: str | None = Field(default=None, description="A regular expression the bot's speech matches.")
    not_say: str | list[str] | None = Field(default=None, description="Text the bot must not have said.")
    state: str | None = None
    slots: dict[str, Any] | None = Field(default=None, description="Slot values (a subset), JSON form.")
    unset: list[str] | None = Field(default=None, description="Slots that must still be empty.")
    ended: bool | None = None
    transfer: str | None = Field(default=None, description="The number the call was transferred to.")
    knowledge: bool | None = Field(default=None, description="The reply came from the knowledge base.")
    llm: bool | None = Field(
        default=None, description="The reply came from the (scripted) LLM.", examples=[True]
    )
    action: str | list[str] | None = Field(
        default=None, description="The declared action(s) this step ran.", examples=["lookup_account"]
    )
    filler: bool | None = Field(
        default=None, description="The action's filler phrase was said (it was slower than filler_after_ms)."
    )


class ActionScript(_Model):
    """One scripted answer of a declared action (the runner is not called in ``voicebot test``)."""

    status: Literal["ok", "error", "timeout"] = "ok"
    data: dict[str, Any] = Field(default_factory=dict, description="The JSON result (response body).")
    http_status: int | None = Field(default=None, ge=100, le=599)
    latency_ms: float = Field(
        default=0.0, ge=0, description="How long it 'took' (no real wait): above filler_after_ms = slow."
    )
    error: str | None = None


class Step(_Model):
    """One thing the caller does (or nothing, to check the greeting), then expectations."""

    caller: str | None = None
    dtmf: str | None = None
    silence: bool = False
    hangup: bool = False
    expect: Expect | None = None
    transfer_result: Literal["connected", "no_answer", "busy", "declined", "failed"] | None = Field(
        default=None, description="How a pending warm transfer ends (the person took it, was busy...)."
    )

    @model_validator(mode="after")
    def _one_input(self) -> Step:
        given = [k for k in ("caller", "dtmf", "transfer_result") if getattr(self, k) is not None]
        given += [k for k in ("silence", "hangup") if getattr(self, k)]
        if len(given) > 1:
            raise ValueError(f"a step does one thing, found {', '.join(given)}")
        return self

    def describe(self) -> str:
        if self.caller is not None:
            return f"caller: {self.caller!r}"
        if self.dtmf is not None:
            return f"dtmf: {self.dtmf}"
        if self.silence:
            return "silence"
        if self.hangup:
            return "hangup"
        if self.transfer_result is not None:
            return f"transfer_result: {self.transfer_result}"
        return "greeting"


class TestCase(_Model):
    name: str
    caller_number: str | None = None
    now: datetime | None = None
    steps: list[Step] = Field(min_length=1)
    outcome: str | None = None
    state: str | None = None
    slots: dict[str, Any] | None = None
    end_reason: str | None = None
    llm: list[str] | None = Field(
        default=None,
        description=(
            "Script the LLM: its replies, in order, to every request of this case (LLM-state turns and "
            "knowledge answers). Without it the case runs offline (offline_reply, extractive answers)."
        ),
        examples=[["We are open until ten tonight."]],
    )
    actions: dict[str, list[ActionScript]] | None = Field(
        default=None,
        description=(
            "Script the declared actions: per action name, its answers in order (success, failure, "
            "timeout, slow). An action run without a script fails the case."
        ),
        examples=[{"lookup_account": [{"data": {"status": "active"}}, {"status": "timeout"}]}],
    )
    knowledge_results: list[str] | None = Field(
        default=None,
        description=(
            "Script the knowledge base: one passage text per lookup, in order (score 1.0); '' means "
            "nothing was found (no_answer). Replaces the test file's knowledge folder for this case."
        ),
        examples=[["Parking is free after 6 pm.", ""]],
    )


class TestFile(_Model):
    scenario: str | None = Field(default=None, description="Scenario path relative to this file.")
    now: datetime | None = Field(default=None, description="The frozen clock (the bot's zone if naive).")
    caller_number: str | None = "+15550000000"
    knowledge: str | None = Field(default=None, description="Folder of documents for the bot's knowledge.")
    tests: list[TestCase] = Field(min_length=1)


def load_test_file(path: Path) -> TestFile:
    """Parse a test file; a broken one is a ConfigError naming the file and the key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        return TestFile.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{path}: {'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from None
