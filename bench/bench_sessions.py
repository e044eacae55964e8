"""100 text sessions in one process (issue 12): turn latency with and without the GC policy, same run.

Run: ``python bench/bench_sessions.py [--sessions 100] [--turns 20] [--think 1.0] [--rounds 2]``
(results: docs/performance.md, "100 text sessions in one process").

Each round opens ``--sessions`` text calls wired as in production (bench/wiring.py) in one process,
warms them up (greeting and two turns each), then every caller talks for ``--turns`` turns with a pause
of about ``--think`` seconds (uniform 0.5x-1.5x, seeded) before each: a busy worker's callers, not a
flood (with no pause every turn waits for the 99 others' and measures only the queue). The latency of
each turn (``TextCall.say``) is recorded. Rounds alternate: CPython's default
collector, then :func:`voicebot.telephony.gc_policy.settle_after_warmup` called after the warm-up (as
the job entrypoint and the API process call it), then default again (``gc.unfreeze()`` and the default
thresholds put back), and so on. Printed per round: turn p50, p99 and the worst turn, and the full
(generation 2) collections and their longest pause, measured with ``gc.callbacks``. Goal: p99 < 50 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.wiring as wiring  # noqa: E402  (first: sets Prometheus multiprocess mode)

# isort: split

import asyncio  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from bench.bench_telephony import LINES, LOOP, pct  # noqa: E402
from voicebot.dialogue import compile_scenario  # noqa: E402
from voicebot.scenario import load_text  # noqa: E402
from voicebot.telephony.gc_policy import settle_after_warmup  # noqa: E402

DEFAULT_THRESHOLDS = gc.get_threshold()


class Pauses:
    """Collector pauses by generation, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.full: list[float] = []
        self.young: list[float] = []
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            (self.full if info["generation"] == 2 else self.young).append(
                (time.perf_counter() - self._t0) * 1000
            )


async def one_round(sessions: int, turns: int, think: float, policy: bool) -> None:
    import random

    rng = random.Random(7)
    compiled = compile_scenario(load_text(LOOP).scenario)
    latencies: list[float] = []
    ready = 0
    warmed = asyncio.Event()
    go = asyncio.Event()

    async def caller(n: int, production: wiring.ProductionCalls) -> None:
        nonlocal ready
        async with wiring.call_context(production.new()) as call:
            for i in range(2):
                await call.say(LINES[(n + i) % len(LINES)])
            ready += 1
            if ready == sessions:
                warmed.set()
            await go.wait()
            for i in range(turns):
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
                t0 = time.perf_counter()
                await call.say(LINES[(n + i) % len(LINES)])
                latencies.append((time.perf_counter() - t0) * 1000)

    pauses = Pauses()
    async with wiring.ProductionCalls(compiled) as production:
        tasks = [asyncio.ensure_future(caller(n, production)) for n in range(sessions)]
        await warmed.wait()
        settled = settle_after_warmup() if policy else None
        gc.callbacks.append(pauses)
        t0 = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
        gc.callbacks.remove(pauses)
    rss = _rss_mib()
    label = (
        f"GC policy (settle: {settled.seconds * 1000:.0f} ms, {settled.frozen} objects frozen, "
        f"thresholds {settled.thresholds})"
        if settled is not None
        else f"default GC {DEFAULT_THRESHOLDS}"
    )
    print(
        f"{sessions} sessions x {turns} turns (think ~{think:g} s), {label}: "
        f"{sessions * turns / wall:.0f} turns/s; turn p50 "
        f"{pct(latencies, 0.5):.2f} ms p99 {pct(latencies, 0.99):.2f} ms worst {max(latencies):.2f} ms "
        f"(goal p99 < 50 ms); full collections {len(pauses.full)} (longest "
        f"{max(pauses.full, default=0.0):.1f} ms), young {len(pauses.young)} (longest "
        f"{max(pauses.young, default=0.0):.1f} ms); RSS {rss:.0f} MiB"
    )
    # back to CPython's defaults for the next round
    gc.unfreeze()
    gc.set_threshold(*DEFAULT_THRESHOLDS)
    gc.collect()


def _rss_mib() -> float:
    with open(f"/proc/{os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _arg(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


async def main() -> None:
    from voicebot.observability import configure_logging

    configure_logging(level="info", fmt="json", stream=open(os.devnull, "w"))  # noqa: SIM115
    sessions, turns = _arg("--sessions", 100), _arg("--turns", 20)
    think = float(sys.argv[sys.argv.index("--think") + 1]) if "--think" in sys.argv else 1.0
    for _ in range(_arg("--rounds", 2)):
        await one_round(sessions, turns, think, policy=False)
        await one_round(sessions, turns, think, policy=True)


if __name__ == "__main__":
    asyncio.run(main())
