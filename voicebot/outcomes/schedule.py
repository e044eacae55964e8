"""The retry schedule: pure, configurable, with jitter.

A schedule is the list of delays between attempts, e.g. ``"5s,30s,2m,10m,30m,1h,3h,6h,12h"`` (the
default: about 22 hours in all). Attempt ``n`` (1-based) that fails is retried after delay ``n``; when the
delays run out the event is dead-lettered, so an event gets ``len(delays) + 1`` attempts. Each delay is
multiplied by a random factor in ``[1 - jitter, 1 + jitter]`` so that a burst of failures against one
receiver does not come back as a burst.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from voicebot.errors import ConfigError

__all__ = ["DEFAULT_SCHEDULE", "RetrySchedule", "format_duration", "parse_duration", "parse_schedule"]

DEFAULT_SCHEDULE = "5s,30s,2m,10m,30m,1h,3h,6h,12h"

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")


def parse_duration(text: str, *, name: str = "duration") -> float:
    """Seconds in ``"250ms"``, ``"5s"``, ``"2m"``, ``"1.5h"``, ``"1d"`` or a bare number of seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ConfigError(f"{name}={text!r} is not a duration like 500ms, 5s, 2m, 1h or 1d")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def format_duration(seconds: float) -> str:
    for unit in ("d", "h", "m", "s"):
        if seconds >= _UNITS[unit] and (seconds / _UNITS[unit]).is_integer():
            return f"{int(seconds / _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


def parse_schedule(text: str, *, name: str = "VOICEBOT_WEBHOOK_SCHEDULE") -> tuple[float, ...]:
    """The delays of a comma-separated schedule; ConfigError naming the bad entry."""
    parts = [p for p in (p.strip() for p in text.split(",")) if p]
    if not parts:
        raise ConfigError(f"{name}={text!r} must list at least one delay, e.g. {DEFAULT_SCHEDULE}")
    return tuple(parse_duration(p, name=name) for p in parts)


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """When to try again after a failed attempt, or None: dead-letter."""

    delays: Sequence[float] = field(default_factory=lambda: parse_schedule(DEFAULT_SCHEDULE))
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not 0 <= self.jitter < 1:
            raise ConfigError(f"jitter={self.jitter} must be at least 0 and below 1")
        if any(d < 0 for d in self.delays):
            raise ConfigError(f"schedule delays {list(self.delays)} must not be negative")

    @classmethod
    def parse(cls, text: str, *, jitter: float = 0.2) -> RetrySchedule:
        return cls(parse_schedule(text), jitter)

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def next_delay(self, failed_attempts: int, rng: random.Random | None = None) -> float | None:
        """Seconds to wait after the ``failed_attempts``-th consecutive failure (1-based); None: give up."""
        if failed_attempts < 1 or failed_attempts > len(self.delays):
            return None
        base = self.delays[failed_attempts - 1]
        if self.jitter == 0:
            return base
        factor = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return base * factor

    def describe(self) -> str:
        return ",".join(format_duration(d) for d in self.delays)
