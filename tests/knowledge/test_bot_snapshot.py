"""A call's snapshot reads its own bot's collection, not every bot's in the directory."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.knowledge.conftest import SUPPORT_DOCS
from tests.knowledge.test_local_mode import _hold_lock
from voicebot.errors import KnowledgeError
from voicebot.knowledge import InMemoryDocRegistry, KnowledgeService, MiniLMEmbedder, QdrantStore
from voicebot.knowledge.snapshot import bot_snapshot

pytestmark = pytest.mark.integration

BOT = uuid.UUID("cccccccc-0000-4000-8000-000000000011")
OTHER = uuid.UUID("cccccccc-0000-4000-8000-000000000012")


async def _two_bots(path: Path, embedder: MiniLMEmbedder) -> None:
    store = QdrantStore.local(path)
    try:
        service = KnowledgeService(store=store, embedder=embedder, registry=InMemoryDocRegistry())
        await service.add(BOT, SUPPORT_DOCS / "price_list.csv")
        await service.add(OTHER, SUPPORT_DOCS / "faq.md")
    finally:
        store.close()


async def test_a_call_reads_only_its_bots_collection(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    path = tmp_path / "qdrant"
    await _two_bots(path, embedder)
    # the other bot's storage is unreadable: opening the whole directory would fail on it
    (path / "collection" / f"bot_{OTHER}" / "storage.sqlite").write_bytes(b"not a database")
    with pytest.raises(Exception):  # noqa: B017 (qdrant-client's own error types)
        QdrantStore.local_snapshot(path, str(BOT))

    snapshot = bot_snapshot(path, str(BOT))
    query = embedder.embed(["How much is Fiber 1000?"])[0]
    best = snapshot.search(str(BOT), query, top_k=1, embedder=embedder)
    assert best[0].text.startswith("Fiber 1000 ")
    assert len(snapshot) > 0
    assert len(bot_snapshot(path, "bot-without-documents")) == 0


async def test_the_snapshot_matches_what_the_whole_directory_holds(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    path = tmp_path / "qdrant"
    await _two_bots(path, embedder)
    whole = QdrantStore.local_snapshot(path, str(BOT))
    mine = bot_snapshot(path, str(BOT))
    query = embedder.embed(["What does the fastest plan cost?"])[0]
    assert len(mine) == len(whole)
    found = mine.search(str(BOT), query, top_k=3, embedder=embedder)
    expected = whole.search(str(BOT), query, top_k=3, embedder=embedder)
    # the same passages in the same order; the scores agree to float32 rounding, since the
    # snapshot's matrix product and qdrant's own sum in different orders (and BLAS varies by CPU)
    assert [(p.chunk_id, p.text, p.source, p.section) for p in found] == [
        (p.chunk_id, p.text, p.source, p.section) for p in expected
    ]
    assert [p.score for p in found] == pytest.approx([p.score for p in expected], abs=1e-5)
    QdrantStore.local(path, wait=0).close()  # the lock was released


def test_a_busy_directory_is_a_clear_retryable_error(tmp_path: Path) -> None:
    proc = _hold_lock(tmp_path / "q", 30)
    try:
        with pytest.raises(KnowledgeError, match=r"in use by another process") as info:
            bot_snapshot(tmp_path / "q", str(BOT), wait=0.3)
        assert info.value.retryable
    finally:
        proc.kill()
        proc.wait()
