"""Campaign dispatcher settings, from the environment (documented in docs/operations.md)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from voicebot.errors import ConfigError
from voicebot.settings import env_int, env_str

__all__ = ["CampaignSettings"]


@dataclass(frozen=True, slots=True)
class CampaignSettings:
    concurrency: int = 20
    """VOICEBOT_CAMPAIGN_CONCURRENCY: dials in flight per dispatcher instance (all campaigns)."""
    lease: dt.timedelta = dt.timedelta(seconds=120)
    """VOICEBOT_CAMPAIGN_LEASE_S: a claimed attempt's lease; heartbeated while ringing. A dead
    dispatcher's attempts are taken over after it."""
    ring_timeout: dt.timedelta = dt.timedelta(seconds=45)
    """VOICEBOT_CAMPAIGN_RING_TIMEOUT_S: how long a callee's phone rings before no_answer."""
    capacity_wait: dt.timedelta = dt.timedelta(seconds=5)
    """VOICEBOT_CAMPAIGN_CAPACITY_WAIT_S: how soon an attempt is retried when its campaign is at
    max_concurrent."""
    poll_interval: float = 1.0
    """VOICEBOT_CAMPAIGN_POLL_MS / 1000: the idle claim interval."""
    outbound_trunk: str | None = None
    """LIVEKIT_SIP_OUTBOUND_TRUNK: the trunk of campaigns without their own, and of POST /v1/calls."""

    def __post_init__(self) -> None:
        if self.lease <= self.ring_timeout:
            raise ConfigError(
                f"VOICEBOT_CAMPAIGN_LEASE_S={self.lease.total_seconds():.0f} must be longer than "
                f"VOICEBOT_CAMPAIGN_RING_TIMEOUT_S={self.ring_timeout.total_seconds():.0f}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CampaignSettings:
        env = os.environ if env is None else env
        return cls(
            concurrency=env_int(env, "VOICEBOT_CAMPAIGN_CONCURRENCY", 20, minimum=1),
            lease=dt.timedelta(seconds=env_int(env, "VOICEBOT_CAMPAIGN_LEASE_S", 120, minimum=2)),
            ring_timeout=dt.timedelta(
                seconds=env_int(env, "VOICEBOT_CAMPAIGN_RING_TIMEOUT_S", 45, minimum=1)
            ),
            capacity_wait=dt.timedelta(
                seconds=env_int(env, "VOICEBOT_CAMPAIGN_CAPACITY_WAIT_S", 5, minimum=1)
            ),
            poll_interval=env_int(env, "VOICEBOT_CAMPAIGN_POLL_MS", 1000, minimum=10) / 1000,
            outbound_trunk=env_str(env, "LIVEKIT_SIP_OUTBOUND_TRUNK"),
        )
