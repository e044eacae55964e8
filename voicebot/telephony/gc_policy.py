"""The garbage collector's policy for processes that hold live calls.

CPython's cyclic collector walks every tracked object of a generation when it collects it. A call
process (a LiveKit job, or the API process running the console's text calls) holds tens of thousands of
long-lived objects once warmed up: imported modules, the compiled scenarios, livekit's session
machinery. With the default thresholds a full collection walks all of them, and while it runs no caller
is answered: with 100 text sessions in one process, full collections of 130-310 ms were the slowest
turns (docs/performance.md, "100 text sessions in one process").

:func:`settle_after_warmup` is called once the process is warmed up (the job entrypoint right after
``session.start``, the API process before it serves): one collection, then ``gc.freeze()`` moves every
surviving object to the permanent generation (never walked again; they live as long as the process
anyway), and the young-generation threshold is raised so short-lived turn garbage mostly dies before it
is collected. Cycles created later are still collected; nothing is disabled.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass

import structlog

__all__ = ["THRESHOLDS", "Settled", "settle_after_warmup"]

log = structlog.get_logger("voicebot.telephony")

THRESHOLDS = (20_000, 20, 20)
"""Generation thresholds after settling (CPython's default is (700, 10, 10)): a young collection every
20,000 net allocations instead of 700; the older generations keep their ratios."""


@dataclass(frozen=True, slots=True)
class Settled:
    """What :func:`settle_after_warmup` did."""

    frozen: int
    """Objects in the permanent generation afterwards."""
    collected: int
    """Unreachable objects the settling collection freed."""
    seconds: float
    thresholds: tuple[int, int, int]


def settle_after_warmup(thresholds: tuple[int, int, int] = THRESHOLDS) -> Settled:
    """Collect once, freeze what survived, set ``thresholds``; see the module docstring. Safe to call
    again (a later call freezes what was created since)."""
    started = time.perf_counter()
    collected = gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)
    settled = Settled(gc.get_freeze_count(), collected, time.perf_counter() - started, thresholds)
    log.info(
        "gc_settled",
        frozen=settled.frozen,
        collected=collected,
        duration_ms=round(settled.seconds * 1000, 3),
        thresholds=list(thresholds),
    )
    return settled
