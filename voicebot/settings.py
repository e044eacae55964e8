"""Typed, frozen settings, built once from the environment by the composition root.

Nothing here runs at import time: call :func:`Settings.from_env` (the CLI does, once per command).
Every variable is documented in docs/operations.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from voicebot.errors import ConfigError

__all__ = ["Settings", "env_float", "env_int", "env_str"]


def env_int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    """The integer in ``env[name]`` (``default`` when unset or empty); ConfigError naming the variable."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def env_float(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    """The number in ``env[name]`` (``default`` when unset or empty); ConfigError naming the variable."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def env_str(env: Mapping[str, str], name: str) -> str | None:
    """``env[name]`` stripped, or None when unset or empty."""
    raw = env.get(name, "").strip()
    return raw or None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable about one voicebot process."""

    data_dir: Path = field(default_factory=lambda: Path.home() / ".voicebot")
    database_url: str | None = None
    db_pool_min: int = 1
    db_pool_max: int = 4
    log_level: str = "info"
    log_format: str = "console"
    metrics_port: int = 0
    metrics_multiproc_dir: Path | None = None
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    deepgram_api_key: str | None = None
    cartesia_api_key: str | None = None
    livekit_url: str | None = None
    livekit_api_key: str | None = None
    livekit_api_secret: str | None = None
    recorder_buffer_max: int = 10_000
    recorder_flush_interval: float = 0.05
    db_statement_cache_size: int = 100
    """asyncpg's prepared-statement cache per connection; 0 behind PgBouncer in transaction mode."""
    livekit_sip_outbound_trunk: str | None = None
    """The outbound SIP trunk (ST_...) warm transfers dial the person through."""

    def __post_init__(self) -> None:
        if self.db_pool_min > self.db_pool_max:
            raise ConfigError(
                f"VOICEBOT_DB_POOL_MIN={self.db_pool_min} is greater than "
                f"VOICEBOT_DB_POOL_MAX={self.db_pool_max}"
            )
        if self.log_format not in ("console", "json"):
            raise ConfigError(f"VOICEBOT_LOG_FORMAT={self.log_format!r} must be 'console' or 'json'")
        if self.log_level not in ("debug", "info", "warning", "error"):
            raise ConfigError(
                f"VOICEBOT_LOG_LEVEL={self.log_level!r} must be one of debug, info, warning, error"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default: the process environment); raises ConfigError."""
        env = os.environ if env is None else env
        data_dir = env_str(env, "VOICEBOT_DATA_DIR")
        return cls(
            data_dir=Path(data_dir).expanduser() if data_dir else Path.home() / ".voicebot",
            database_url=env_str(env, "DATABASE_URL"),
            db_pool_min=env_int(env, "VOICEBOT_DB_POOL_MIN", 1),
            db_pool_max=env_int(env, "VOICEBOT_DB_POOL_MAX", 4, minimum=1),
            log_level=(env_str(env, "VOICEBOT_LOG_LEVEL") or "info").lower(),
            log_format=(env_str(env, "VOICEBOT_LOG_FORMAT") or "console").lower(),
            metrics_port=env_int(env, "VOICEBOT_METRICS_PORT", 0),
            metrics_multiproc_dir=_optional_path(env_str(env, "VOICEBOT_METRICS_MULTIPROC_DIR")),
            qdrant_url=env_str(env, "QDRANT_URL"),
            qdrant_api_key=env_str(env, "QDRANT_API_KEY"),
            openai_api_key=env_str(env, "OPENAI_API_KEY"),
            openai_base_url=env_str(env, "OPENAI_BASE_URL"),
            deepgram_api_key=env_str(env, "DEEPGRAM_API_KEY"),
            cartesia_api_key=env_str(env, "CARTESIA_API_KEY"),
            livekit_url=env_str(env, "LIVEKIT_URL"),
            livekit_api_key=env_str(env, "LIVEKIT_API_KEY"),
            livekit_api_secret=env_str(env, "LIVEKIT_API_SECRET"),
            recorder_buffer_max=env_int(env, "VOICEBOT_RECORDER_BUFFER_MAX", 10_000, minimum=1),
            recorder_flush_interval=env_float(env, "VOICEBOT_RECORDER_FLUSH_INTERVAL", 0.05),
            db_statement_cache_size=env_int(env, "VOICEBOT_DB_STATEMENT_CACHE_SIZE", 100, minimum=0),
            livekit_sip_outbound_trunk=env_str(env, "LIVEKIT_SIP_OUTBOUND_TRUNK"),
        )


def _optional_path(raw: str | None) -> Path | None:
    return Path(raw).expanduser() if raw else None
