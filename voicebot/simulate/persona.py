"""Persona files: a simulated caller's goal, what they answer, and how they misbehave.

``<name>.persona.yaml`` (documented in docs/testing.md, "Simulated callers")::

    name: Anna books a manicure for tomorrow
    now: "2026-11-23T10:00:00"        # the frozen clock (the bot's zone if naive); default: now
    opening: "Хочу записаться"         # the first thing the caller says (default: answer the bot)
    slots:                             # what the caller answers when the bot asks for that slot
      service: "на маникюр"
      date: "на завтра"
    confirm: "да"                      # the answer to a yes/no question (a read-back)
    behaviours:
      - {kind: out_of_order, slots: [date, time]}  # volunteered together with the opening
      - {kind: correct, slot: time, say: "нет, в 15:00"}  # instead of the first "yes" to a read-back
      - {kind: silence, at: 2}                     # says nothing on turn 2
      - {kind: ask_person, at: 3, say: "позовите администратора"}
      - {kind: hangup, at: 4}
    goal: {outcome: booking, slots: {service: маникюр}}  # success: the call ends like this
    max_turns: 20
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voicebot.errors import ConfigError

__all__ = ["Behaviour", "Goal", "Persona", "load_personas"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Behaviour(_Model):
    kind: Literal["out_of_order", "correct", "silence", "ask_person", "hangup"]
    at: int | None = Field(default=None, ge=1, description="The caller's turn it happens on (1 = first).")
    slots: list[str] = Field(default_factory=list, description="out_of_order: slots said with the opening.")
    slot: str | None = Field(default=None, description="correct: the slot corrected.")
    say: str | None = Field(default=None, description="What the caller says (correct, ask_person).")

    @model_validator(mode="after")
    def _complete(self) -> Behaviour:
        if self.kind in ("silence", "hangup", "ask_person") and self.at is None:
            raise ValueError(f"a {self.kind} behaviour needs 'at' (the turn)")
        if self.kind in ("correct", "ask_person") and not self.say:
            raise ValueError(f"a {self.kind} behaviour needs 'say'")
        if self.kind == "out_of_order" and not self.slots:
            raise ValueError("an out_of_order behaviour needs 'slots'")
        return self


class Goal(_Model):
    outcome: str | list[str] | None = None
    state: str | None = None
    slots: dict[str, Any] | None = None

    @property
    def outcomes(self) -> list[str]:
        return [self.outcome] if isinstance(self.outcome, str) else list(self.outcome or [])


class Persona(_Model):
    name: str
    now: datetime | None = None
    caller_number: str | None = None
    opening: str | None = None
    slots: dict[str, str] = Field(default_factory=dict)
    confirm: str = "yes"
    behaviours: list[Behaviour] = Field(default_factory=list)
    goal: Goal
    max_turns: int = Field(default=20, ge=1, le=200)
    path: str = Field(default="", exclude=True)

    def at(self, turn: int) -> Behaviour | None:
        return next((b for b in self.behaviours if b.at == turn), None)


def load_personas(folder: Path) -> list[Persona]:
    """Every ``*.persona.yaml`` under ``folder`` (sorted); a broken one is a ConfigError naming it."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder of *.persona.yaml files")
    out = []
    for path in sorted(folder.rglob("*.persona.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ConfigError(f"{path}: a persona is a mapping")
            out.append(Persona.model_validate({**raw, "path": str(path)}))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
        except ValidationError as exc:
            lines = [f"{path}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
            raise ConfigError("\n".join(lines)) from None
    if not out:
        raise ConfigError(f"{folder}: no *.persona.yaml files")
    return out
