"""structlog configuration: JSON or console lines, per-call context, PII redaction.

Call :func:`configure_logging` once per process (the CLI does). Per-call context is bound with
:func:`bind_call` (contextvars), so every line logged while a call runs carries ``call_id`` and
``bot_id``. Values of PII keys (caller numbers, transcripts) are redacted in every line: event names are
static strings and must never contain them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog

__all__ = ["PII_KEYS", "bind_call", "configure_logging", "redact_pii"]

PII_KEYS = frozenset(
    {
        "caller_number",
        "dialed_number",
        "phone",
        "phone_number",
        "number",
        "text",
        "transcript",
        "utterance",
        "user_input",
        "slots",
    }
)
"""Keys whose values never reach a log line (callers' numbers and words)."""

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def redact_pii(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: replace the value of every PII key with ``"[redacted]"``."""
    for key in PII_KEYS.intersection(event_dict):
        if event_dict[key] is not None:
            event_dict[key] = "[redacted]"
    return event_dict


def configure_logging(*, level: str = "info", fmt: str = "console", stream: Any = None) -> None:
    """Configure structlog (and the stdlib root logger, for livekit's own lines) for this process."""
    numeric = _LEVELS.get(level, logging.INFO)
    out = stream or sys.stderr
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_pii,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(processors=[*shared[1:], renderer], foreign_pre_chain=shared[:1])
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.INFO))
    # pytransitions logs every state entry at INFO: the engine records transitions itself.
    logging.getLogger("transitions").setLevel(logging.WARNING)


@contextmanager
def bind_call(*, call_id: str, bot_id: str | None) -> Iterator[None]:
    """Bind ``call_id`` and ``bot_id`` to every log line of the current task (and tasks it starts)."""
    tokens = structlog.contextvars.bind_contextvars(call_id=call_id, bot_id=bot_id)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
