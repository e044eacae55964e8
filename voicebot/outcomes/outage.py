"""One log line per outage, and backoff, for the long-running loops (dispatcher, reaper, sweeper).

A loop calls :meth:`Outage.failed` when an iteration raised and sleeps the delay it returns (doubling
from ``base`` up to ``cap``); :meth:`Outage.recovered` after an iteration that worked. The first failure
of an outage logs ``down_event`` (warning), the first success after it logs ``up_event`` (info) with
the outage's length and the number of failed attempts: never one line per poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["Outage"]


class Outage:
    def __init__(
        self,
        log: Any,
        *,
        down_event: str,
        up_event: str,
        base: float,
        cap: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._down_event = down_event
        self._up_event = up_event
        self._base = max(base, 0.01)
        self._cap = max(cap, self._base)
        self._clock = clock
        self._since: float | None = None
        self._failures = 0
        self._delay = self._base

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> float:
        """Note a failed iteration; the seconds to wait before the next one."""
        if self._since is None:
            self._since = self._clock()
            self._delay = self._base
            self._log.warning(self._down_event, error=f"{type(exc).__name__}: {exc}")
        self._failures += 1
        delay = self._delay
        self._delay = min(self._delay * 2, self._cap)
        return delay

    def recovered(self) -> None:
        """Note a successful iteration (logs the end of an outage, once)."""
        if self._since is None:
            return
        self._log.info(
            self._up_event, outage_s=round(self._clock() - self._since, 3), failed_attempts=self._failures
        )
        self._since = None
        self._failures = 0
        self._delay = self._base
