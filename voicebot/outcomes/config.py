"""Webhook and call-liveness settings, from the environment (documented in docs/operations.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from voicebot.errors import ConfigError
from voicebot.outcomes.schedule import DEFAULT_SCHEDULE, RetrySchedule, parse_duration
from voicebot.outcomes.urlguard import HostPolicy
from voicebot.settings import env_int

__all__ = ["WebhookSettings"]


def _duration(env: Mapping[str, str], name: str, default: str) -> float:
    raw = env.get(name, "").strip() or default
    return parse_duration(raw, name=name)


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """How webhooks are signed, sent and retried, and when a silent call counts as dropped."""

    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    timeout: float = 10.0
    allow: HostPolicy = field(default_factory=HostPolicy)
    lease: float = 60.0
    batch_size: int = 50
    concurrency: int = 32
    poll_interval: float = 0.2
    heartbeat_timeout: float = 120.0
    reaper_interval: float = 15.0
    booking_outcomes: frozenset[str] = frozenset({"booking"})

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ConfigError(f"VOICEBOT_WEBHOOK_TIMEOUT={self.timeout} must be positive")
        if self.lease <= self.timeout:
            raise ConfigError(
                f"VOICEBOT_WEBHOOK_LEASE={self.lease}s must be longer than VOICEBOT_WEBHOOK_TIMEOUT="
                f"{self.timeout}s, or an attempt still in flight could be claimed again"
            )
        if self.heartbeat_timeout <= 0:
            raise ConfigError(f"VOICEBOT_CALL_HEARTBEAT_TIMEOUT={self.heartbeat_timeout} must be positive")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        env = os.environ if env is None else env
        jitter_raw = env.get("VOICEBOT_WEBHOOK_JITTER", "").strip()
        try:
            jitter = float(jitter_raw) if jitter_raw else 0.2
        except ValueError:
            raise ConfigError(f"VOICEBOT_WEBHOOK_JITTER={jitter_raw!r} is not a number") from None
        outcomes = env.get("VOICEBOT_BOOKING_OUTCOMES", "").strip() or "booking"
        return cls(
            schedule=RetrySchedule.parse(
                env.get("VOICEBOT_WEBHOOK_SCHEDULE", "").strip() or DEFAULT_SCHEDULE, jitter=jitter
            ),
            timeout=_duration(env, "VOICEBOT_WEBHOOK_TIMEOUT", "10s"),
            allow=HostPolicy.parse(env.get("VOICEBOT_WEBHOOK_ALLOW_HOSTS", "")),
            lease=_duration(env, "VOICEBOT_WEBHOOK_LEASE", "60s"),
            batch_size=env_int(env, "VOICEBOT_WEBHOOK_BATCH", 50, minimum=1),
            concurrency=env_int(env, "VOICEBOT_WEBHOOK_CONCURRENCY", 32, minimum=1),
            poll_interval=_duration(env, "VOICEBOT_WEBHOOK_POLL_INTERVAL", "200ms"),
            heartbeat_timeout=_duration(env, "VOICEBOT_CALL_HEARTBEAT_TIMEOUT", "2m"),
            reaper_interval=_duration(env, "VOICEBOT_REAPER_INTERVAL", "15s"),
            booking_outcomes=frozenset(o.strip() for o in outcomes.split(",") if o.strip()),
        )
