"""Per-turn observations written in batches, off the caller's path.

A job process writes its Prometheus series to memory-mapped files (multiprocess mode, see
:mod:`.metrics`): each observation takes the client's lock, checks the pid and writes the file, and on a
turn's path that runs cold, after livekit's own work (about 12 us for a histogram observation, measured in
bench/bench_turn.py's turns, against 1.5 us in a tight loop). The per-turn series (turn latency by stage,
transitions by trigger) are therefore queued while an event loop runs and written together, warm, at most
:data:`FLUSH_SECONDS` later, and whenever the process is about to be read or to end: at the end of a call,
when its job process ends, and on each scrape of a single-process exporter (:class:`FlushOnCollect`).
Without a running loop (a script, a test, another thread) an observation is written at once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Final

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

__all__ = ["FLUSH_SECONDS", "FlushOnCollect", "flush", "later"]

FLUSH_SECONDS: Final = 1.0
"""How long a queued observation may wait (Prometheus scrapes every 15 s or so)."""

_PENDING: deque[tuple[Callable[[float], None], float]] = deque()
"""(the series' write method, amount); a deque: appended on the loop, drained from any thread."""
_scheduled_on: asyncio.AbstractEventLoop | None = None


def later(write: Callable[[float], None], amount: float) -> None:
    """Queue ``write(amount)`` (a bound ``observe`` or ``inc`` of a label child) for the next flush."""
    global _scheduled_on
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        write(amount)
        return
    _PENDING.append((write, amount))
    if _scheduled_on is not loop:  # none yet, or one on a loop that has since stopped
        _scheduled_on = loop
        loop.call_later(FLUSH_SECONDS, flush)


def flush() -> None:
    """Write every queued observation now."""
    global _scheduled_on
    _scheduled_on = None
    pending = _PENDING
    while pending:
        try:
            write, amount = pending.popleft()
        except IndexError:  # drained by another thread meanwhile
            return
        write(amount)


class FlushOnCollect(Collector):
    """Registered first, so a scrape of the registry writes what is queued before it reads the series."""

    def collect(self) -> Iterable[Metric]:
        flush()
        return ()
