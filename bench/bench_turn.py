"""Fair turn overhead (issue 12): voicebot wired as in production against a trimmed echo agent.

Run: ``python bench/bench_turn.py [--calls 10] [--turns 150] [--warmup 30] [--profile]``
(results: docs/performance.md, "Fair turn overhead").

Both sides are text-mode ``AgentSession`` turns (``session.run(user_input=...)``) in the same process:

* baseline: ``TrimmedEchoAgent`` (bench/bench_telephony.py), an agent whose ``llm_node`` only echoes
  the caller's line and which keeps its chat history exactly as ``CallAgent`` does (past 16 items,
  back to 8);
* voicebot: a ``TextCall`` wired as ``answer_call`` wires a phone call (bench/wiring.py): the bridge,
  the engine, the action port's filler stream, the write-behind recorder (records buffered and
  flushed by its background task to a sink that accepts them), Prometheus in multiprocess mode, the
  call's structlog context.

``--calls`` fresh call pairs; in each, ``--warmup`` turns are dropped and ``--turns`` timed; the two
turns of a round are interleaved and which goes first alternates every round, with the pattern flipped
every cycle of the four caller lines, so each line is timed going first and going second (going first
or second costs up to ~9% here, and with a plain alternation each side would always go first on the
same two lines of a call). Printed: the ratio of the
medians over all calls (goal <= 1.2) and each call's own ratio. ``--profile``: cProfile of the voicebot
turns only (top functions by own time), no ratio. The process settles its collector after the first
call's warm-up (``gc_policy.settle_after_warmup``, as a job process does after ``session.start``;
both sides share the process), unless ``--no-gc-policy``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.wiring as wiring  # noqa: E402  (first: sets Prometheus multiprocess mode)

# isort: split

import asyncio  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from bench.bench_telephony import LINES, LOOP, TrimmedEchoAgent, pct  # noqa: E402
from voicebot.dialogue import Say, compile_scenario  # noqa: E402
from voicebot.scenario import load_text  # noqa: E402
from voicebot.telephony.gc_policy import settle_after_warmup  # noqa: E402
from voicebot.telephony.session import text_session  # noqa: E402


def _arg(name: str, default: int) -> int:
    if name in sys.argv:
        return int(sys.argv[sys.argv.index(name) + 1])
    return default


async def fair_ratio(calls: int, turns: int, warmup: int, gc_policy: bool) -> float:
    compiled = compile_scenario(load_text(LOOP).scenario)
    base: list[float] = []
    ours: list[float] = []
    per_call: list[float] = []
    history = (0, 0)
    async with wiring.ProductionCalls(compiled) as production:
        for c in range(calls):
            bare = text_session()
            echo = TrimmedEchoAgent()
            await bare.start(echo)
            async with wiring.call_context(production.new()) as call:
                b_call: list[float] = []
                o_call: list[float] = []
                for i in range(turns + warmup):
                    line = LINES[i % len(LINES)]
                    # which goes first flips every round of lines, so each line is timed in both orders
                    first = (i // len(LINES) + i + c) % 2 == 0
                    for who in ("bare", "ours") if first else ("ours", "bare"):
                        t0 = time.perf_counter()
                        if who == "bare":
                            await bare.run(user_input=line)
                        else:
                            results = await call.say(line)
                            assert any(isinstance(a, Say) for r in results for a in r.actions)
                        elapsed = (time.perf_counter() - t0) * 1000
                        if gc_policy and c == 0 and i == warmup - 1 and who == "ours":
                            settle_after_warmup()
                        if i >= warmup:
                            (b_call if who == "bare" else o_call).append(elapsed)
                history = (len(echo.chat_ctx.items), len(call.agent.chat_ctx.items))
            await bare.aclose()
            base += b_call
            ours += o_call
            per_call.append(statistics.median(o_call) / statistics.median(b_call))
        await production.recorder.flush(timeout=10.0)
        written = production.sink.written
    b, o = statistics.median(base), statistics.median(ours)
    spread = sorted(per_call)
    print(
        f"fair ratio ({calls} calls x {turns} turns after {warmup} warm-up, interleaved, alternating "
        f"order, {'GC policy' if gc_policy else 'default GC'}, "
        f"same history policy; history at the end: echo {history[0]}, voicebot {history[1]} "
        f"items; records written {written}): trimmed echo median {b:.3f} ms p99 {pct(base, 0.99):.3f} ms; "
        f"voicebot median {o:.3f} ms p99 {pct(ours, 0.99):.3f} ms; ratio {o / b:.3f} (goal <= 1.2); "
        f"per call median {statistics.median(per_call):.3f}, range {spread[0]:.3f}-{spread[-1]:.3f} "
        f"{[round(r, 3) for r in per_call]}"
    )
    return o / b


async def profile(turns: int) -> None:
    import cProfile
    import pstats

    compiled = compile_scenario(load_text(LOOP).scenario)
    async with (
        wiring.ProductionCalls(compiled) as production,
        wiring.call_context(production.new()) as call,
    ):
        for i in range(50):
            await call.say(LINES[i % len(LINES)])
        prof = cProfile.Profile()
        prof.enable()
        for i in range(turns):
            await call.say(LINES[i % len(LINES)])
        prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(35)
    stats.sort_stats("cumulative").print_stats(60)


async def main() -> None:
    import os

    from voicebot.observability import configure_logging

    # as a job process logs (info, JSON), to /dev/null
    configure_logging(level="info", fmt="json", stream=open(os.devnull, "w"))  # noqa: SIM115
    if "--profile" in sys.argv:
        await profile(_arg("--turns", 2000))
        return
    gc_policy = "--no-gc-policy" not in sys.argv
    await fair_ratio(_arg("--calls", 10), _arg("--turns", 150), _arg("--warmup", 30), gc_policy)


if __name__ == "__main__":
    asyncio.run(main())
