"""A campaign as asked for, validated before anything is stored.

:class:`CampaignSpec` holds the campaign-wide settings (bot, window, default time zone, limits, retry
schedule); :func:`check_numbers` validates its number list against it (see
:mod:`voicebot.campaigns.numbers`) and raises :class:`CampaignInputError` with every row error.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from voicebot.campaigns.numbers import RowError, Validated, validate_numbers
from voicebot.campaigns.retry import RetryPolicy
from voicebot.campaigns.windows import CallingWindow, zone
from voicebot.errors import ConfigError

__all__ = ["CampaignInputError", "CampaignSpec", "check_numbers"]


class CampaignInputError(ConfigError):
    """The number list has bad rows: ``errors`` (the first ones) and ``error_count`` (all of them)."""

    def __init__(self, errors: list[RowError], error_count: int) -> None:
        first = str(errors[0]) if errors else "invalid numbers"
        more = f" (and {error_count - 1} more)" if error_count > 1 else ""
        super().__init__(f"{error_count} bad row(s) in the numbers: {first}{more}")
        self.errors = errors
        self.error_count = error_count


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    bot_id: uuid.UUID
    name: str
    window: CallingWindow = field(default_factory=CallingWindow)
    default_timezone: str | None = None
    max_concurrent: int = 5
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    trunk_id: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.name.strip()) <= 200:
            raise ConfigError("name must be 1 to 200 characters")
        if not 1 <= self.max_concurrent <= 1000:
            raise ConfigError(f"max_concurrent={self.max_concurrent} must be between 1 and 1000")
        if self.default_timezone is not None:
            zone(self.default_timezone)


def check_numbers(
    spec: CampaignSpec,
    rows: Iterable[Mapping[str, Any]],
    *,
    now: dt.datetime,
    do_not_call: frozenset[str],
    lines: list[int] | None = None,
) -> Validated:
    """The valid number list, or CampaignInputError listing every bad row (window in the past first)."""
    spec.window.check_not_past(now)
    checked = validate_numbers(
        rows,
        window=spec.window,
        now=now,
        default_timezone=spec.default_timezone,
        do_not_call=do_not_call,
        lines=lines,
    )
    if not checked.ok:
        raise CampaignInputError(checked.errors, checked.error_count)
    return checked
