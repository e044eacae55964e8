"""Observability: structlog configuration (:mod:`.logging`) and Prometheus metrics (:mod:`.metrics`)."""

from voicebot.observability import metrics
from voicebot.observability.logging import PII_KEYS, bind_call, configure_logging, redact_pii

__all__ = ["PII_KEYS", "bind_call", "configure_logging", "metrics", "redact_pii"]
