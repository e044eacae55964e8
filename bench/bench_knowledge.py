"""Knowledge base benchmark: retrieval quality, ingest throughput, query latency.

    python bench/bench_knowledge.py [--chunks 10000] [--out bench/results/knowledge.json]

1. Quality: ingest scenarios/support/knowledge/ with the offline embedder and ask the labelled
   questions of bench/data/support_qa.jsonl. A question is a hit at k when one of the top k passages
   comes from the expected document and contains the expected text. Also reports the lowest top-1
   score of a labelled question and the highest of off-topic questions (the ``min_score`` margin).
2. Ingest throughput: a generated 300-paragraph text document, extract + chunk + embed + write, chunks/s.
3. Latency: the support bot's collection filled up to ``--chunks`` passages (the extra ones get random
   unit vectors: brute-force search costs the same whatever the vectors hold), then each labelled
   question embedded and searched, p50/p95 over several rounds: through Qdrant local mode, and
   through a call's snapshot (what a call process uses in local mode). Also the embedding alone, the
   time to take the snapshot, and the shared layout (payload filter) in local mode at the same size.
   Then the same through a call's hybrid snapshot (dense + BM25 over Snowball stems, RRF; what a call
   uses since issue 20) beside the dense-only snapshot figure of the same run, and its build time.

Real Qdrant local mode in a temporary directory; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voicebot.knowledge.chunking import Chunk  # noqa: E402
from voicebot.knowledge.embedders import MiniLMEmbedder  # noqa: E402
from voicebot.knowledge.registry import InMemoryDocRegistry  # noqa: E402
from voicebot.knowledge.retriever import QdrantRetriever  # noqa: E402
from voicebot.knowledge.service import KnowledgeService  # noqa: E402
from voicebot.knowledge.store import QdrantStore, StoredChunk  # noqa: E402

DOCS = ROOT / "scenarios" / "support" / "knowledge"
QA = ROOT / "bench" / "data" / "support_qa.jsonl"
OFF_TOPIC = [
    "What's the weather like in Paris tomorrow?",
    "Can you book me a table for two at an Italian restaurant?",
    "Who won the football match last night?",
    "I'd like to order a large pizza with mushrooms.",
    "How do I bake sourdough bread?",
    "What is the capital of Australia?",
]
BOT = uuid.UUID("5a5a5a5a-0000-4000-8000-000000000001")
OTHER = uuid.UUID("5a5a5a5a-0000-4000-8000-000000000002")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


async def quality(service: KnowledgeService, retriever: QdrantRetriever) -> dict[str, object]:
    for path in sorted(DOCS.iterdir()):
        await service.add(BOT, path)
    return score(retriever)


def score(retriever: QdrantRetriever) -> dict[str, object]:
    rows = [json.loads(line) for line in QA.read_text().splitlines() if line.strip()]
    hit1 = hit3 = 0
    misses = []
    top1_scores = []
    for row in rows:
        passages = retriever.retrieve_sync(str(BOT), row["question"], 3)
        ok = [p.source == row["source"] and row["expect"] in p.text for p in passages]
        hit1 += bool(ok[:1] and ok[0])
        hit3 += any(ok)
        top1_scores.append(passages[0].score if passages else 0.0)
        if not any(ok):
            misses.append({"question": row["question"], "got": [p.text[:80] for p in passages]})
    off = [retriever.retrieve_sync(str(BOT), q, 1) for q in OFF_TOPIC]
    return {
        "questions": len(rows),
        "hit_at_1": round(hit1 / len(rows), 3),
        "hit_at_3": round(hit3 / len(rows), 3),
        "lowest_top1_score_labelled": round(min(top1_scores), 3),
        "highest_top1_score_off_topic": round(max((r[0].score for r in off if r), default=0.0), 3),
        "misses": misses,
    }


async def throughput(service: KnowledgeService, tmp: Path) -> dict[str, object]:
    rng = np.random.default_rng(7)
    words = re.findall(
        r"\w+",
        "router fibre contract bill payment outage speed installation technician mobile roaming data "
        "plan price month cancel refund customer support network signal password account",
    )
    paragraphs = []
    for i in range(300):
        sentence = " ".join(rng.choice(words, size=60))
        paragraphs.append(f"Paragraph {i}. {sentence.capitalize()}. {sentence}.")
    doc = tmp / "generated.txt"
    doc.write_text("\n\n".join(paragraphs))
    started = time.perf_counter()
    result = await service.add(OTHER, doc)
    elapsed = time.perf_counter() - started
    return {
        "chunks": result.chunk_count,
        "seconds": round(elapsed, 2),
        "chunks_per_s": round(result.chunk_count / elapsed, 1),
    }


FILLER_WORDS = re.findall(
    r"\w+",
    "router fibre fiber contract bill payment outage speed installation technician mobile roaming data "
    "plan price month cancel refund customer support network signal password account cost hours open "
    "phone email return week day fee wifi connection home address move static parental tv channel",
)


def fill(store: QdrantStore, bot: str, n: int, dimension: int) -> None:
    """``n`` passages of random unit vectors and 40 random support words each (BM25's worst case:
    every question word has a long posting list)."""
    rng = np.random.default_rng(11)
    now = datetime.now(UTC)
    doc = str(uuid.uuid4())
    for start in range(0, n, 1000):
        size = min(1000, n - start)
        vectors = rng.standard_normal((size, dimension)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks = [
            StoredChunk(
                doc,
                "v1",
                start + i,
                Chunk(" ".join(rng.choice(FILLER_WORDS, size=40)) + ".", None, None),
                "filler.txt",
                now,
            )
            for i in range(size)
        ]
        store.upsert(bot, chunks, vectors)


def latency(retriever: QdrantRetriever, bot: str, questions: list[str], rounds: int) -> dict[str, float]:
    for q in questions[:3]:
        retriever.retrieve_sync(bot, q, 3)
    times = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            retriever.retrieve_sync(bot, q, 3)
            times.append((time.perf_counter() - started) * 1000)
    return {
        "queries": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 95), 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "knowledge.json")
    args = parser.parse_args()
    embedder = MiniLMEmbedder()
    questions = [json.loads(line)["question"] for line in QA.read_text().splitlines() if line.strip()]
    results: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "embedder": embedder.name,
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        store = QdrantStore.local(tmp / "qdrant")
        service = KnowledgeService(store=store, embedder=embedder, registry=InMemoryDocRegistry())
        retriever = QdrantRetriever(store=store, embedder=embedder, min_score=-1.0)
        results["quality"] = await quality(service, retriever)
        results["ingest"] = await throughput(service, tmp)
        fill(store, str(BOT), args.chunks - store.count(str(BOT)), embedder.dimension)
        results["latency_per_bot"] = {"chunks": store.count(str(BOT))} | latency(
            retriever, str(BOT), questions, args.rounds
        )
        store.close()

        started = time.perf_counter()
        snapshot = QdrantStore.local_snapshot(tmp / "qdrant", str(BOT))
        results["call_snapshot_s"] = round(time.perf_counter() - started, 2)
        snap_retriever = QdrantRetriever(store=snapshot, embedder=embedder, min_score=-1.0)
        results["latency_snapshot"] = latency(snap_retriever, str(BOT), questions, args.rounds)
        embed_ms = []
        for q in questions * args.rounds:
            started = time.perf_counter()
            embedder.embed([q])
            embed_ms.append((time.perf_counter() - started) * 1000)
        results["embed_only"] = {
            "p50_ms": round(statistics.median(embed_ms), 2),
            "p95_ms": round(percentile(embed_ms, 95), 2),
        }
        snapshot.close()

        started = time.perf_counter()
        hybrid = QdrantStore.local_hybrid_snapshot(tmp / "qdrant", str(BOT))
        results["call_hybrid_snapshot_s"] = round(time.perf_counter() - started, 2)
        hybrid_retriever = QdrantRetriever(store=hybrid, embedder=embedder)
        results["quality_hybrid_10k"] = score(hybrid_retriever)  # the same questions among 10k passages
        results["latency_hybrid_snapshot"] = latency(hybrid_retriever, str(BOT), questions, args.rounds)
        hybrid.close()

        shared = QdrantStore.local(tmp / "shared", layout="shared")
        shared.ensure_collection(str(BOT), embedder)
        fill(shared, str(BOT), args.chunks, embedder.dimension)
        fill(shared, str(OTHER), 1000, embedder.dimension)
        shared_retriever = QdrantRetriever(store=shared, embedder=embedder, min_score=-1.0)
        results["latency_shared_local"] = latency(shared_retriever, str(BOT), questions[:10], 1)
        shared.close()

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
