"""`voicebot knowledge reindex`: a bot's passages re-embedded with another embedder (here the OpenAI
embedder against a local fake of the embeddings endpoint that answers with the offline model's vectors,
padded to 1,536 dimensions), resumable, and with calls answering from the old index until the switch.

Real Qdrant local mode in a directory (the default deployment) and in one client (the path a Qdrant
server takes: an alias moved atomically)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from voicebot.errors import EmbedderMismatchError, KnowledgeError
from voicebot.knowledge import (
    InMemoryDocRegistry,
    KnowledgeService,
    MiniLMEmbedder,
    OpenAIEmbedder,
    QdrantStore,
)
from voicebot.knowledge.reindex import reindex_local, reindex_single
from voicebot.knowledge.snapshot import bot_snapshot

from .conftest import SUPPORT_DOCS

BOT = uuid.UUID("00000000-0000-4000-8000-0000000000b1")
QUESTION = "Can I keep my old phone number?"


async def _ingest(store: QdrantStore, embedder: MiniLMEmbedder) -> int:
    service = KnowledgeService(store=store, embedder=embedder, registry=InMemoryDocRegistry())
    for name in ("faq.md", "price_list.csv"):
        await service.add(BOT, SUPPORT_DOCS / name)
    return store.count(str(BOT))


def _search(store: QdrantStore, embedder: Any) -> list[str]:
    vector = embedder.embed([QUESTION])
    return [p.text for p in store.search(str(BOT), vector, top_k=3, embedder=embedder)]


async def test_a_server_style_reindex_moves_the_alias_and_answers_the_same(
    embedder: MiniLMEmbedder, openai_embedder: OpenAIEmbedder
) -> None:
    store = QdrantStore.memory()
    total = await _ingest(store, embedder)
    before = _search(store, embedder)
    with pytest.raises(EmbedderMismatchError):
        _search(store, openai_embedder)
    answered_during: list[list[str]] = []

    def progress(done: int, total: int) -> None:
        answered_during.append(_search(store, embedder))  # a call in the middle of the reindex

    result = reindex_single(store, str(BOT), openai_embedder, batch=8, progress=progress)

    assert result.switched and result.passages == total and result.embedded == total
    assert answered_during and all(found == before for found in answered_during)
    assert _search(store, openai_embedder)[0] == before[0]  # same vectors, padded: same best passage
    with pytest.raises(EmbedderMismatchError):
        _search(store, embedder)
    aliases = {a.alias_name: a.collection_name for a in store.client.get_aliases().aliases}
    assert aliases == {f"bot_{BOT}": f"bot_{BOT}__openai_text_embedding_3_small_1536"}
    again = reindex_single(store, str(BOT), openai_embedder)
    assert not again.switched and again.embedded == 0


async def test_an_interrupted_reindex_resumes_where_it_stopped(
    embedder: MiniLMEmbedder, openai_embedder: OpenAIEmbedder
) -> None:
    store = QdrantStore.memory()
    total = await _ingest(store, embedder)
    handler = openai_embedder.handler  # type: ignore[attr-defined]
    handler.fail_after = 2  # the provider goes down after two batches
    with pytest.raises(Exception):  # noqa: B017 - the provider error of the embedder, whatever its type
        reindex_single(store, str(BOT), openai_embedder, batch=8)
    assert _search(store, embedder)  # the old index still answers
    handler.fail_after = None
    served_before = handler.served
    result = reindex_single(store, str(BOT), openai_embedder, batch=8)
    assert result.switched and result.passages == total
    assert result.embedded == total - 16  # two batches of 8 were kept from the first run
    assert handler.served - served_before == -(-(total - 16) // 8)


def test_a_local_directory_is_unlocked_while_embedding_and_catches_up_with_new_documents(
    tmp_path: Path, embedder: MiniLMEmbedder, openai_embedder: OpenAIEmbedder
) -> None:
    main_dir = tmp_path / "qdrant"
    main = QdrantStore.local(main_dir)
    total = asyncio.run(_ingest(main, embedder))
    main.close()
    seen_by_calls: list[str | None] = []
    added: list[int] = []

    def progress(done: int, total_now: int) -> None:
        snapshot = bot_snapshot(main_dir, str(BOT), wait=0.5)  # what a call starting now reads
        seen_by_calls.append(snapshot.embedder_name)
        if not added:  # a document added while the reindex runs
            writer = QdrantStore.local(main_dir, wait=0.5)
            try:
                service = KnowledgeService(store=writer, embedder=embedder, registry=InMemoryDocRegistry())
                path = tmp_path / "late.txt"
                path.write_text("Late addition: the shop dog is called Biscuit.")
                asyncio.run(service.add(BOT, path))
                added.append(writer.count(str(BOT)))
            finally:
                writer.close()

    work = QdrantStore.local(tmp_path / "qdrant-reindex")
    try:
        result = reindex_local(
            lambda: QdrantStore.local(main_dir, wait=5),
            work,
            str(BOT),
            openai_embedder,
            batch=8,
            progress=progress,
        )
    finally:
        work.close()

    assert seen_by_calls and set(seen_by_calls) == {embedder.name}  # calls read the old index meanwhile
    assert result.switched and result.passages == total + 1 == added[0]
    after = bot_snapshot(main_dir, str(BOT))
    assert after.embedder_name == openai_embedder.name and len(after) == total + 1


def test_a_bot_without_knowledge_is_a_clear_error(openai_embedder: OpenAIEmbedder) -> None:
    with pytest.raises(KnowledgeError, match="has no knowledge to reindex"):
        reindex_single(QdrantStore.memory(), str(BOT), openai_embedder)
