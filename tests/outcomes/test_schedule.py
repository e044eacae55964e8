"""The retry schedule: parsing, backoff with jitter, dead-lettering after the last delay."""

from __future__ import annotations

import random

import pytest

from voicebot.errors import ConfigError
from voicebot.outcomes import RetrySchedule, WebhookSettings, parse_schedule


def test_parses_units() -> None:
    assert parse_schedule("500ms, 5s,2m,1h,1d,3") == (0.5, 5.0, 120.0, 3600.0, 86400.0, 3.0)


@pytest.mark.parametrize("bad", ["", "5x", "ten", "5s,,-1s"])
def test_bad_schedule_names_the_setting(bad: str) -> None:
    with pytest.raises(ConfigError, match="VOICEBOT_WEBHOOK_SCHEDULE"):
        parse_schedule(bad)


def test_default_schedule_spans_hours() -> None:
    schedule = RetrySchedule()
    assert schedule.max_attempts == 10
    assert sum(schedule.delays) > 20 * 3600


def test_delays_follow_the_schedule_then_dead_letter() -> None:
    schedule = RetrySchedule.parse("5s,30s,2m", jitter=0)
    assert [schedule.next_delay(n) for n in (1, 2, 3, 4)] == [5.0, 30.0, 120.0, None]


def test_jitter_stays_within_bounds_and_varies() -> None:
    schedule = RetrySchedule.parse("100s", jitter=0.2)
    rng = random.Random(7)
    delays = [schedule.next_delay(1, rng) for _ in range(200)]
    assert all(d is not None and 80 <= d <= 120 for d in delays)
    assert len(set(delays)) > 100


def test_settings_from_env() -> None:
    s = WebhookSettings.from_env(
        {
            "VOICEBOT_WEBHOOK_SCHEDULE": "1s,2s",
            "VOICEBOT_WEBHOOK_TIMEOUT": "3s",
            "VOICEBOT_WEBHOOK_ALLOW_HOSTS": "localhost,10.0.0.0/8",
            "VOICEBOT_CALL_HEARTBEAT_TIMEOUT": "90s",
        }
    )
    assert s.schedule.delays == (1.0, 2.0) and s.timeout == 3.0 and s.heartbeat_timeout == 90.0
    assert s.allow.host_allowed("localhost")


def test_lease_must_outlast_the_timeout() -> None:
    with pytest.raises(ConfigError, match="VOICEBOT_WEBHOOK_LEASE"):
        WebhookSettings.from_env({"VOICEBOT_WEBHOOK_TIMEOUT": "30s", "VOICEBOT_WEBHOOK_LEASE": "10s"})
