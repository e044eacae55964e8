"""Ingestion against real Qdrant local mode: tenancy, replace, remove, and failures that leave the
document's row and its chunks in agreement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.knowledge.conftest import SUPPORT_DOCS
from tests.knowledge.documents import encrypt_pdf, make_pdf
from voicebot.errors import EmbedderMismatchError, KnowledgeError, ProviderError
from voicebot.knowledge import (
    IngestLimits,
    InMemoryDocRegistry,
    KnowledgeService,
    MiniLMEmbedder,
    QdrantRetriever,
    QdrantStore,
    extractive_answer,
)
from voicebot.knowledge.embedders import Vectors

pytestmark = pytest.mark.integration

BOT_A = uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001")
BOT_B = uuid.UUID("bbbbbbbb-0000-4000-8000-000000000002")


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize("layout", ["per_bot", "shared"])
async def test_a_bot_never_retrieves_another_bots_chunks(
    tmp_path: Path, embedder: MiniLMEmbedder, layout: str
) -> None:
    store = QdrantStore.local(tmp_path / "q", layout=layout)  # type: ignore[arg-type]
    service = KnowledgeService(store=store, embedder=embedder, registry=InMemoryDocRegistry())
    await service.add(BOT_A, _write(tmp_path, "a.md", "# Prices\n\nThe Gold plan of bot A costs 10 euros."))
    await service.add(BOT_B, _write(tmp_path, "b.md", "# Prices\n\nThe Gold plan of bot B costs 99 euros."))
    retriever = QdrantRetriever(store=store, embedder=embedder, min_score=-1.0)

    a = await retriever.retrieve(str(BOT_A), "How much is the Gold plan?", top_k=10)
    b = await retriever.retrieve(str(BOT_B), "How much is the Gold plan of bot A?", top_k=10)

    assert [p.text for p in a] == ["The Gold plan of bot A costs 10 euros."]
    assert [p.text for p in b] == ["The Gold plan of bot B costs 99 euros."]
    await service.remove(BOT_A, "a.md")
    assert await retriever.retrieve(str(BOT_A), "Gold plan", top_k=10) == []
    assert store.count(str(BOT_B)) == 1
    store.close()


async def test_payload_matches_the_seed_and_keeps_source_and_section(
    service: KnowledgeService, store: QdrantStore
) -> None:
    doc = await service.add(BOT_A, SUPPORT_DOCS / "faq.md")
    hits = await service.search(BOT_A, "Can I keep my old phone number?", top_k=1)
    assert hits[0].doc_id == str(doc.id)
    assert hits[0].source == "faq.md"
    assert hits[0].section is not None and hits[0].section.endswith("Can I keep my old phone number?")
    assert "number transfer code" in hits[0].text
    assert store.collection_name(str(BOT_A)) == f"bot_{BOT_A}"


async def test_re_adding_a_changed_file_replaces_its_chunks(
    tmp_path: Path, service: KnowledgeService, store: QdrantStore, registry: InMemoryDocRegistry
) -> None:
    path = _write(tmp_path, "hours.txt", "The shop opens at 9.\n\nThe shop closes at 18.")
    first = await service.add(BOT_A, path)
    path.write_text("Our shop is open from 10 to 20 every day.")
    second = await service.add(BOT_A, path)

    assert second.id == first.id and second.status == "ready" and second.chunk_count == 1
    assert [d.filename for d in await registry.list(BOT_A)] == ["hours.txt"]
    texts = [p.text for p in await service.search(BOT_A, "When does the shop open?", top_k=10)]
    assert texts == ["Our shop is open from 10 to 20 every day."]


async def test_re_adding_the_same_file_changes_nothing(
    tmp_path: Path, service: KnowledgeService, registry: InMemoryDocRegistry
) -> None:
    path = _write(tmp_path, "a.txt", "Same text.")
    first = await service.add(BOT_A, path)
    again = await service.add(BOT_A, path)
    assert again.updated_at == first.updated_at  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty.txt: the file is empty"),
        ("corrupt.pdf", b"%PDF-1.7\n\x00\x01garbage", "corrupt.pdf: not a readable pdf file"),
        (
            "locked.pdf",
            encrypt_pdf(make_pdf([["Secret."]]), "pw"),
            "locked.pdf: the pdf is password-protected",
        ),
        ("table.xlsx", b"PK\x03\x04", "table.xlsx: unsupported file type .xlsx"),
        ("huge.txt", b"x " * 600_000, "huge.txt: the file is 1.1 MB; the limit is 1.0 MB"),
    ],
)
async def test_bad_files_leave_an_error_row_and_no_chunks(
    tmp_path: Path,
    store: QdrantStore,
    embedder: MiniLMEmbedder,
    registry: InMemoryDocRegistry,
    name: str,
    content: bytes,
    message: str,
) -> None:
    service = KnowledgeService(
        store=store, embedder=embedder, registry=registry, limits=IngestLimits(max_file_bytes=1024 * 1024)
    )
    with pytest.raises(KnowledgeError) as info:
        await service.add(BOT_A, _write(tmp_path, name, content))
    assert str(info.value).startswith(message)
    [row] = await registry.list(BOT_A)
    assert (row.status, row.chunk_count, row.error_message) == ("error", 0, str(info.value))
    assert store.count(str(BOT_A)) == 0


async def test_too_many_passages_is_refused(
    tmp_path: Path, store: QdrantStore, embedder: MiniLMEmbedder
) -> None:
    registry = InMemoryDocRegistry()
    service = KnowledgeService(
        store=store, embedder=embedder, registry=registry, limits=IngestLimits(max_chunks=3)
    )
    rows = "Product,Price\n" + "".join(f"P{i},{i}\n" for i in range(5))
    with pytest.raises(KnowledgeError, match="makes more than 3 passages; the limit is 3"):
        await service.add(BOT_A, _write(tmp_path, "p.csv", rows))
    assert store.count(str(BOT_A)) == 0


class FailingEmbedder:
    """The real embedder until the n-th batch, then the provider fails (a seam fake, not a mock)."""

    def __init__(self, inner: MiniLMEmbedder, fail_at_batch: int) -> None:
        self._inner, self._left = inner, fail_at_batch
        self.name, self.dimension, self.min_score = inner.name, inner.dimension, inner.min_score

    def embed(self, texts: Sequence[str]) -> Vectors:
        self._left -= 1
        if self._left <= 0:
            raise ProviderError("embedding provider timed out", provider="test")
        return self._inner.embed(texts)


async def test_a_failure_midway_removes_what_was_written(
    tmp_path: Path, store: QdrantStore, embedder: MiniLMEmbedder
) -> None:
    registry = InMemoryDocRegistry()
    good = KnowledgeService(store=store, embedder=embedder, registry=registry, limits=IngestLimits(batch=2))
    path = _write(tmp_path, "p.csv", "Product,Price\n" + "".join(f"P{i},{i}\n" for i in range(6)))
    await good.add(BOT_A, path)
    path.write_text("Product,Price\n" + "".join(f"Q{i},{i}\n" for i in range(6)))
    failing = KnowledgeService(
        store=store, embedder=FailingEmbedder(embedder, 2), registry=registry, limits=IngestLimits(batch=2)
    )
    with pytest.raises(ProviderError):
        await failing.add(BOT_A, path)
    [row] = await registry.list(BOT_A)
    assert (row.status, row.error_message) == ("error", "embedding provider timed out")
    assert store.count(str(BOT_A)) == 0  # neither the half-written new version nor the replaced old one


async def test_remove_deletes_the_row_and_its_chunks(
    service: KnowledgeService, store: QdrantStore, registry: InMemoryDocRegistry
) -> None:
    doc = await service.add(BOT_A, SUPPORT_DOCS / "price_list.csv")
    await service.add(BOT_A, SUPPORT_DOCS / "faq.md")
    removed = await service.remove(BOT_A, str(doc.id))
    assert removed.filename == "price_list.csv"
    assert [d.filename for d in await registry.list(BOT_A)] == ["faq.md"]
    assert store.count(str(BOT_A), str(doc.id)) == 0
    assert all(p.source == "faq.md" for p in await service.search(BOT_A, "Fiber 500 price", top_k=20))


class OtherEmbedder:
    name, dimension, min_score = "other-model", 8, 0.0

    def embed(self, texts: Sequence[str]) -> Vectors:
        return np.ones((len(texts), 8), dtype=np.float32) / np.sqrt(8)


async def test_querying_with_another_embedder_is_a_clear_error(
    service: KnowledgeService, store: QdrantStore
) -> None:
    await service.add(BOT_A, SUPPORT_DOCS / "faq.md")
    retriever = QdrantRetriever(store=store, embedder=OtherEmbedder())
    with pytest.raises(
        EmbedderMismatchError, match=r"built with embedder all-MiniLM-L6-v2-int8 \(384 dimensions\)"
    ):
        await retriever.retrieve(str(BOT_A), "anything", top_k=3)


async def test_support_documents_answer_callers_and_off_topic_finds_nothing(
    service: KnowledgeService, store: QdrantStore, embedder: MiniLMEmbedder
) -> None:
    for path in sorted(SUPPORT_DOCS.iterdir()):
        doc = await service.add(BOT_A, path)
        assert doc.status == "ready" and doc.chunk_count > 0
    retriever = QdrantRetriever(store=store, embedder=embedder)

    passages = await retriever.retrieve(str(BOT_A), "How much does Fiber 500 cost a month?", top_k=3)
    answer = extractive_answer("How much does Fiber 500 cost a month?", passages, max_sentences=2, lang="en")
    assert "34.90" in answer
    passages = await retriever.retrieve(str(BOT_A), "What if I don't return the router?", top_k=3)
    assert "80 dollars" in extractive_answer(
        "What if I don't return the router?", passages, max_sentences=2, lang="en"
    )
    assert await retriever.retrieve(str(BOT_A), "Book me a table at an Italian restaurant", top_k=3) == []
    assert await retriever.retrieve(str(BOT_B), "How much does Fiber 500 cost?", top_k=3) == []
