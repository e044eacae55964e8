"""What one dial attempt ended as, and when (if ever) the number is tried again.

Statuses of an attempt, as recorded in ``campaign_attempts.status`` and counted by the
``voicebot_campaign_attempts_total{status}`` metric:

* ``answered``: the callee picked up (SIP 200); the worker runs the scenario. Never retried.
* ``busy``: SIP 486 Busy Here / 600 Busy Everywhere / 603 Decline. Retried if in ``retry_on``.
* ``no_answer``: SIP 408 / 480 / 487: rang out, unavailable, or the ring timed out. Same.
* ``failed``: any other SIP failure, or LiveKit unreachable / refused. Same.
* ``interrupted``: the dispatcher died while dialing; nobody knows if it rang. Retried like ``failed``
  under the next attempt number (the same attempt is never dialed twice).
* ``do_not_call``: put on the do-not-call list after the campaign began. Never dialed.
* ``expired``: the calling window closed for good before the attempt could be made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

from voicebot.errors import ConfigError

__all__ = [
    "ATTEMPT_STATUSES",
    "RETRYABLE",
    "AttemptStatus",
    "RetryPolicy",
    "status_of_sip",
]

AttemptStatus = Literal[
    "dialing", "answered", "busy", "no_answer", "failed", "interrupted", "do_not_call", "expired"
]
ATTEMPT_STATUSES: Final = (
    "dialing",
    "answered",
    "busy",
    "no_answer",
    "failed",
    "interrupted",
    "do_not_call",
    "expired",
)
RETRYABLE: Final = ("busy", "no_answer", "failed")
"""The statuses a campaign may retry on (``retry_on``)."""

_BUSY: Final = frozenset({486, 600, 603})
_NO_ANSWER: Final = frozenset({408, 480, 487})


def status_of_sip(code: int | None) -> AttemptStatus:
    """The attempt status of a final SIP response code (None: no SIP answer at all -> failed)."""
    if code is None:
        return "failed"
    if 200 <= code < 300:
        return "answered"
    if code in _BUSY:
        return "busy"
    if code in _NO_ANSWER:
        return "no_answer"
    return "failed"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``max_attempts`` dials per number at most; after attempt n ended in a status of ``retry_on``,
    the next one is due ``delays[n-1]`` seconds later (the last delay repeats), then moved into the
    callee's calling window."""

    max_attempts: int = 3
    retry_on: tuple[str, ...] = RETRYABLE
    delays: tuple[int, ...] = (300, 1800, 7200)

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 20:
            raise ConfigError(f"max_attempts={self.max_attempts} must be between 1 and 20")
        bad = [s for s in self.retry_on if s not in RETRYABLE]
        if bad:
            raise ConfigError(f"retry_on {bad} must be among {', '.join(RETRYABLE)}")
        if not self.delays or any(d < 0 or d > 30 * 86400 for d in self.delays):
            raise ConfigError("retry delays must be a non-empty list of 0..2592000 seconds")

    def next_delay(self, status: str, attempt_no: int) -> dt.timedelta | None:
        """How long after attempt ``attempt_no`` (1-based) ended the next is due; None: no more."""
        retry_as = "failed" if status == "interrupted" else status
        if retry_as not in self.retry_on or attempt_no >= self.max_attempts:
            return None
        return dt.timedelta(seconds=self.delays[min(attempt_no - 1, len(self.delays) - 1)])
