"""Local mode locks its directory to one process: ingestion waits for it, calls read a snapshot."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.knowledge.conftest import SUPPORT_DOCS
from tests.knowledge.test_ingest import OtherEmbedder
from voicebot.errors import EmbedderMismatchError, KnowledgeError
from voicebot.knowledge import (
    InMemoryDocRegistry,
    KnowledgeService,
    MiniLMEmbedder,
    QdrantRetriever,
    QdrantStore,
    open_call_retriever,
)
from voicebot.settings import Settings

pytestmark = pytest.mark.integration

BOT = uuid.UUID("cccccccc-0000-4000-8000-000000000003")

HOLDER = """
import sys, time
from qdrant_client import QdrantClient
client = QdrantClient(path=sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
client.close()
"""


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_busy_directory_is_a_clear_retryable_error_after_the_wait(tmp_path: Path) -> None:
    proc = _hold_lock(tmp_path / "q", 30)
    try:
        started = time.monotonic()
        with pytest.raises(KnowledgeError, match=r"in use by another process .* set QDRANT_URL") as info:
            QdrantStore.local(tmp_path / "q", wait=0.3)
        assert info.value.retryable and time.monotonic() - started < 3
    finally:
        proc.kill()
        proc.wait()


def test_opening_waits_for_the_other_process_to_finish(tmp_path: Path) -> None:
    proc = _hold_lock(tmp_path / "q", 1.0)
    try:
        store = QdrantStore.local(tmp_path / "q", wait=20)
        store.close()
    finally:
        proc.wait()


async def test_call_snapshot_answers_and_releases_the_lock(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    settings = Settings(data_dir=tmp_path)
    store = QdrantStore.local(tmp_path / "qdrant")
    service = KnowledgeService(store=store, embedder=embedder, registry=InMemoryDocRegistry())
    await service.add(BOT, SUPPORT_DOCS / "price_list.csv")
    store.close()

    first_call = open_call_retriever(settings, str(BOT), embedder=embedder)
    second_call = open_call_retriever(settings, str(BOT), embedder=embedder)  # lock was released
    writer = QdrantStore.local(tmp_path / "qdrant", wait=0)  # and ingestion can run during calls
    try:
        for call in (first_call, second_call):
            passages = await call.retrieve(str(BOT), "How much is Fiber 1000?", top_k=1)
            assert passages[0].text.startswith("Fiber 1000 costs 44.90")
        assert await first_call.retrieve("some-other-bot", "How much is Fiber 1000?", top_k=3) == []
    finally:
        writer.close()
        first_call.close()
        second_call.close()


async def test_a_snapshot_keeps_tenancy_and_the_embedder_check(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    store = QdrantStore.local(tmp_path / "q")
    service = KnowledgeService(store=store, embedder=embedder, registry=InMemoryDocRegistry())
    await service.add(BOT, SUPPORT_DOCS / "faq.md")
    store.close()
    snapshot = QdrantStore.local_snapshot(tmp_path / "q", str(BOT))
    empty = QdrantStore.local_snapshot(tmp_path / "q", "bot-without-documents")
    query = embedder.embed(["When is my bill due?"])[0]
    best = snapshot.search(str(BOT), query, top_k=2, embedder=embedder)
    assert "due on the 15th" in best[0].text and best[0].score >= best[1].score
    assert snapshot.search("another-bot", query, top_k=2, embedder=embedder) == []
    assert empty.search("bot-without-documents", query, top_k=2, embedder=embedder) == []
    with pytest.raises(EmbedderMismatchError):
        QdrantRetriever(store=snapshot, embedder=OtherEmbedder()).retrieve_sync(str(BOT), "bill", 3)
