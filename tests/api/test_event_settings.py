"""EventStreamSettings from the environment: defaults, values, and errors that name the variable."""

from __future__ import annotations

import pytest

from voicebot.api.event_hub import EventStreamSettings
from voicebot.errors import ConfigError


def test_defaults_and_values_from_the_environment() -> None:
    assert EventStreamSettings.from_env({}) == EventStreamSettings(15.0, 3000, 2000, 256)
    env = {
        "VOICEBOT_SSE_KEEPALIVE_S": "2.5",
        "VOICEBOT_SSE_RETRY_MS": "500",
        "VOICEBOT_SSE_MAX_CLIENTS": "10",
        "VOICEBOT_SSE_QUEUE_SIZE": "8",
    }
    assert EventStreamSettings.from_env(env) == EventStreamSettings(2.5, 500, 10, 8)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VOICEBOT_SSE_KEEPALIVE_S", "soon", "VOICEBOT_SSE_KEEPALIVE_S='soon' is not a number"),
        ("VOICEBOT_SSE_KEEPALIVE_S", "0", "VOICEBOT_SSE_KEEPALIVE_S=0.0 must be at least 0.001"),
        ("VOICEBOT_SSE_RETRY_MS", "-1", "VOICEBOT_SSE_RETRY_MS=-1 must be at least 1"),
        ("VOICEBOT_SSE_MAX_CLIENTS", "0", "VOICEBOT_SSE_MAX_CLIENTS=0 must be at least 1"),
        ("VOICEBOT_SSE_QUEUE_SIZE", "many", "VOICEBOT_SSE_QUEUE_SIZE='many' is not an integer"),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        EventStreamSettings.from_env({name: value})
    assert message in str(error.value)
