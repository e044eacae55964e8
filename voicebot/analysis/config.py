"""The post-call analysis configuration (layered, kept in Postgres) and the pipeline's settings.

:class:`AnalysisConfig` is resolved per call from layers, each a partial JSON object, applied in this
order (a later layer wins key by key): the code defaults, the bot's row, the bot's row for the call's
direction, the company's row, the company's row for the direction (table ``analysis_configs``; the
call-analysis seed's global < campaign < direction < client tiers, with the company as the client).
An unknown key or a value of the wrong type is refused with a message naming it.

:class:`PipelineSettings` comes from the environment: the price table of the cost estimate and the
post-call workers' knobs (docs/operations.md lists each variable).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from voicebot.errors import ConfigError
from voicebot.settings import env_float, env_int, env_str

__all__ = ["AnalysisConfig", "PipelineSettings", "PriceTable", "resolve_config"]


@dataclass(frozen=True, slots=True)
class AnalysisConfig:
    """What the analysis of one call does."""

    use_llm: bool = False
    """Ask the LLM for the summary and sentiment when one is configured (the rules are the fallback)."""
    long_silence_seconds: float = 8.0
    """A gap longer than this between two turns raises the ``long_silence`` flag."""
    reask_limit: int = 2
    """More re-asks than this raises the ``many_reasks`` flag."""
    low_confidence: float = 0.0
    """Caller turns whose STT confidence is below this are discarded as ``low_confidence`` (0: never)."""
    summary_max_chars: int = 600

    def __post_init__(self) -> None:
        if self.long_silence_seconds <= 0:
            raise ConfigError(f"long_silence_seconds={self.long_silence_seconds} must be positive")
        if self.reask_limit < 0:
            raise ConfigError(f"reask_limit={self.reask_limit} must be 0 or more")
        if not 0 <= self.low_confidence <= 1:
            raise ConfigError(f"low_confidence={self.low_confidence} must be between 0 and 1")
        if self.summary_max_chars < 40:
            raise ConfigError(f"summary_max_chars={self.summary_max_chars} must be at least 40")

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_TYPES: Final[dict[str, tuple[type, ...]]] = {
    f.name: ((bool,) if f.type == "bool" else (int, float) if f.type == "float" else (int,))
    for f in dataclasses.fields(AnalysisConfig)
}


def check_layer(layer: Mapping[str, Any], *, where: str = "analysis config") -> dict[str, Any]:
    """A validated partial config: every key known, every value of its type (ConfigError otherwise)."""
    if not isinstance(layer, Mapping):
        raise ConfigError(f"{where} must be a JSON object")
    out: dict[str, Any] = {}
    for key, value in layer.items():
        types = _TYPES.get(key)
        if types is None:
            raise ConfigError(f"{where}: unknown key {key!r}; known keys are {', '.join(_TYPES)}")
        if isinstance(value, bool) != (types == (bool,)) or not isinstance(value, types):
            raise ConfigError(f"{where}: {key}={value!r} must be a {types[0].__name__}")
        out[key] = value
    AnalysisConfig(**out)  # the value rules (ranges)
    return out


def resolve_config(layers: Iterable[Mapping[str, Any]]) -> AnalysisConfig:
    """Defaults overridden by each layer in turn (the least specific first)."""
    merged: dict[str, Any] = {}
    for i, layer in enumerate(layers):
        merged.update(check_layer(layer, where=f"analysis config layer {i}"))
    return AnalysisConfig(**merged)


@dataclass(frozen=True, slots=True)
class PriceTable:
    """What a call's providers cost, for the estimate kept with each analysis."""

    stt_per_minute: float = 0.0043
    tts_per_1k_chars: float = 0.03
    llm_per_1k_tokens: float = 0.0006
    currency: str = "USD"

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    prices: PriceTable = PriceTable()
    concurrency: int = 2
    lease_seconds: float = 120.0
    poll_interval: float = 1.0
    retention_batch: int = 1000
    llm_model: str = "gpt-4o-mini"
    """The model of the LLM analysis (with OPENAI_API_KEY; only for companies whose config says use_llm)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PipelineSettings:
        return cls(
            prices=PriceTable(
                stt_per_minute=env_float(env, "VOICEBOT_PRICE_STT_PER_MINUTE", 0.0043),
                tts_per_1k_chars=env_float(env, "VOICEBOT_PRICE_TTS_PER_1K_CHARS", 0.03),
                llm_per_1k_tokens=env_float(env, "VOICEBOT_PRICE_LLM_PER_1K", 0.0006),
                currency=env_str(env, "VOICEBOT_PRICE_CURRENCY") or "USD",
            ),
            concurrency=env_int(env, "VOICEBOT_PIPELINE_CONCURRENCY", 2, minimum=1),
            lease_seconds=env_float(env, "VOICEBOT_PIPELINE_LEASE_SECONDS", 120.0, minimum=1.0),
            poll_interval=env_float(env, "VOICEBOT_PIPELINE_POLL_INTERVAL", 1.0, minimum=0.01),
            retention_batch=env_int(env, "VOICEBOT_RETENTION_BATCH", 1000, minimum=1),
            llm_model=env_str(env, "VOICEBOT_ANALYSIS_LLM_MODEL") or "gpt-4o-mini",
        )
