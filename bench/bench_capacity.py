"""Capacity: what one call's process costs, forked from a forkserver the way LiveKit runs jobs.

Run: ``python bench/bench_capacity.py [--passages N] [--other N] [--calls N]`` (results in
docs/performance.md).

Three forkservers, each started with the modules LiveKit itself preloads (``livekit.agents.ipc._preload``
with ``LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE=0``, then ``_preload_freeze``: ``gc.collect(); gc.freeze()``)
plus, for voicebot, :mod:`voicebot.telephony.preload`:

* ``bare``: a job that only imports the livekit plugins (what a bare echo job needs);
* ``voicebot, no preload``: the forkserver preloads livekit only, the job imports voicebot and loads the
  embedder itself (as before this work);
* ``voicebot, no preload`` still takes the per-bot snapshot; ``voicebot, preload``: the forkserver also
  preloads voicebot; the job takes its bot's snapshot (``knowledge.snapshot.bot_snapshot``) and asks
  ten questions;
* ``preload, whole dir``: as ``voicebot, preload`` but the snapshot opens the whole directory with
  qdrant-client (``QdrantStore.local_snapshot``: every bot's collection is loaded), as calls did before;
* ``preload + job prewarm``: as ``voicebot, preload`` plus what the worker's prewarm does in each job
  process before its job (``preload.warm_job_process``: the process's first embedding).

Each job reports its private memory (``Private_Clean + Private_Dirty`` of /proc/self/smaps_rollup, i.e.
pages not shared with the forkserver), its set-up time (imports + snapshot) and its first and tenth
knowledge query. The local Qdrant directory holds the call's bot (``--passages``) and another bot
(``--other``) with random unit vectors, as a worker serving several bots would have.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.forkserver import LIVEKIT_PRELOAD, PLUGINS, started_forkserver, stop_forkserver  # noqa: E402

BOT = "capacitybot"
OTHER = "otherbot"


def private_mib() -> float:
    fields: dict[str, int] = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if parts[0].endswith(":") and len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1])
    return (fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)) / 1024


def job(kind: str, qdrant: str, out: Any, warm: bool = False) -> None:
    """One call's process: what a job does before and at its first knowledge query."""
    t0 = time.perf_counter()
    import importlib

    for name in PLUGINS:
        importlib.import_module(name)
    result: dict[str, float] = {}
    if kind != "bare":
        import voicebot.runtime
        import voicebot.telephony.answer  # noqa: F401
        from voicebot.knowledge import MiniLMEmbedder
        from voicebot.knowledge.snapshot import bot_snapshot

        result["imports_ms"] = (time.perf_counter() - t0) * 1000
        result["private_imports_mib"] = private_mib()
        if warm:  # what the worker's prewarm does in each job process before its job
            from voicebot.telephony.preload import warm_job_process

            warm_job_process()
        if kind == "whole":
            from voicebot.knowledge import QdrantStore

            snapshot = QdrantStore.local_snapshot(Path(qdrant), BOT)  # opens every bot's collection
        else:
            snapshot = bot_snapshot(Path(qdrant), BOT)
        result["setup_ms"] = (time.perf_counter() - t0) * 1000
        result["private_snapshot_mib"] = private_mib()
        embedder = MiniLMEmbedder()
        times = []
        for i in range(10):
            q0 = time.perf_counter()
            vector = embedder.embed([f"how much does plan {i} cost per month"])[0]
            snapshot.search(BOT, vector, top_k=3, embedder=embedder)
            times.append((time.perf_counter() - q0) * 1000)
        result["first_query_ms"] = times[0]
        result["tenth_query_ms"] = times[-1]
        result["passages"] = float(len(snapshot))
    else:
        result["setup_ms"] = (time.perf_counter() - t0) * 1000
    result["private_mib"] = private_mib()
    out.put(result)


def build_directory(path: Path, passages: int, other: int) -> None:
    import numpy as np

    from voicebot.knowledge import MiniLMEmbedder, QdrantStore
    from voicebot.knowledge.chunking import Chunk
    from voicebot.knowledge.store import StoredChunk

    embedder = MiniLMEmbedder()
    store = QdrantStore.local(path)
    rng = np.random.default_rng(7)
    try:
        for bot, count in ((BOT, passages), (OTHER, other)):
            store.ensure_collection(bot, embedder)
            for start in range(0, count, 2000):
                n = min(2000, count - start)
                chunks = [
                    StoredChunk(
                        doc_id="doc",
                        version="v1",
                        index=start + i,
                        chunk=Chunk(
                            text=f"Passage {start + i} about plan {i % 50}.", page=None, section=None
                        ),
                        source="bench.txt",
                        created_at=datetime.now(UTC),
                    )
                    for i in range(n)
                ]
                vectors = rng.standard_normal((n, embedder.dimension)).astype(np.float32)
                store.upsert(bot, chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    finally:
        store.close()


def run(
    kind: str, preload: list[str], qdrant: Path, calls: int, prewarm: bool = False
) -> list[dict[str, float]]:
    ctx = started_forkserver(preload)
    results = []
    for _ in range(calls):
        q: Any = ctx.Queue()
        t0 = time.perf_counter()
        p = ctx.Process(target=job, args=(kind, str(qdrant), q, prewarm))
        p.start()
        r = q.get(timeout=120)
        r["start_to_ready_ms"] = (time.perf_counter() - t0) * 1000
        p.join()
        results.append(r)
    stop_forkserver()  # a new forkserver for the next configuration
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--other", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args()
    os.environ["LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE"] = "0"
    os.environ.pop("OPENAI_API_KEY", None)  # the offline embedder
    os.environ.pop("DATABASE_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        qdrant = Path(tmp) / "qdrant"
        build_directory(qdrant, args.passages, args.other)
        configs = [
            ("bare", "bare", PLUGINS + LIVEKIT_PRELOAD),
            ("voicebot, no preload", "voicebot", PLUGINS + LIVEKIT_PRELOAD),
            ("voicebot, preload", "voicebot", [*PLUGINS, "voicebot.telephony.preload", *LIVEKIT_PRELOAD]),
            (
                "preload + job prewarm",
                "prewarmed",
                [*PLUGINS, "voicebot.telephony.preload", *LIVEKIT_PRELOAD],
            ),
            ("preload, whole dir", "whole", [*PLUGINS, "voicebot.telephony.preload", *LIVEKIT_PRELOAD]),
        ]
        rows = {
            name: run(
                "voicebot" if kind == "prewarmed" else kind, preload, qdrant, args.calls, kind == "prewarmed"
            )
            for name, kind, preload in configs
        }
    bare_mem = statistics.median(r["private_mib"] for r in rows["bare"])
    print(
        f"capacity ({args.passages} passages of the call's bot, {args.other} of another bot in the same "
        f"directory; {args.calls} jobs each; medians)"
    )
    for name, results in rows.items():
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        extra = med["private_mib"] - bare_mem
        line = (
            f"  {name:22s} private {med['private_mib']:.1f} MiB ({extra:+.1f} beyond bare), "
            f"fork to ready {med['start_to_ready_ms']:.0f} ms (set-up {med['setup_ms']:.0f} ms)"
        )
        if "first_query_ms" in med:
            line += (
                f" (imports {med['imports_ms']:.0f} ms), first query {med['first_query_ms']:.1f} ms, tenth "
                f"{med['tenth_query_ms']:.1f} ms, passages loaded {med['passages']:.0f}; private after "
                f"imports {med['private_imports_mib']:.1f}, "
                f"after snapshot {med['private_snapshot_mib']:.1f} MiB"
            )
        print(line, f"~{1024 / med['private_mib']:.0f} calls/GiB")


if __name__ == "__main__":
    main()
