"""The real :class:`~voicebot.dialogue.ports.Retriever`: embed the caller's question, search the bot's
collection, keep the passages that score well enough.

Construction::

    store = QdrantStore.server(url, api_key=key)    # or QdrantStore.local(path), or a SnapshotIndex
    retriever = QdrantRetriever(store=store, embedder=MiniLMEmbedder())
    passages = await retriever.retrieve(bot_id, "how much is fibre 500?", top_k=3)

or, in a call process, :func:`open_call_retriever` (server when QDRANT_URL is set, else a read-only
snapshot of the bot's local collection, so call processes never fight over local mode's lock).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from voicebot.dialogue.ports import Passage
from voicebot.errors import ConfigError
from voicebot.knowledge.embedders import Embedder, embedder_from_settings
from voicebot.knowledge.lexical import HybridIndex
from voicebot.knowledge.reindex import ReindexResult, reindex_local, reindex_single
from voicebot.knowledge.snapshot import PassageIndex, bot_snapshot
from voicebot.knowledge.store import QdrantStore

if TYPE_CHECKING:
    from voicebot.settings import Settings

__all__ = ["QdrantRetriever", "open_call_retriever", "open_store", "qdrant_path"]


class QdrantRetriever:
    """Finds passages of one bot's knowledge; never another bot's.

    Over a :class:`~voicebot.knowledge.lexical.HybridIndex` (a call's local snapshot) search is hybrid:
    dense and BM25 ranks fused, see that module. Passages scoring below ``min_score`` (default: the
    embedder's own) and not matched by words well enough are dropped, so "no passage"
    means "no good answer" and the scenario takes its fallback. Raises KnowledgeError when the store
    fails and EmbedderMismatchError when the collection was built with another embedder.
    """

    def __init__(self, *, store: PassageIndex, embedder: Embedder, min_score: float | None = None) -> None:
        if min_score is not None and not -1.0 <= min_score <= 1.0:
            raise ConfigError(f"min_score={min_score} must be between -1 and 1 (a cosine score)")
        self._store = store
        self._embedder = embedder
        self.min_score = embedder.min_score if min_score is None else min_score

    async def retrieve(self, bot_id: str, query: str, *, top_k: int) -> Sequence[Passage]:
        if not query.strip():
            return []
        # Embedding and local-mode search are CPU work: keep them off the call's event loop.
        return await asyncio.to_thread(self.retrieve_sync, bot_id, query, top_k)

    def retrieve_sync(self, bot_id: str, query: str, top_k: int) -> list[Passage]:
        vector = self._embedder.embed([query])[0]
        if isinstance(self._store, HybridIndex | QdrantStore):  # a call's snapshot, or a Qdrant server
            return self._store.search_hybrid(
                bot_id, query, vector, top_k=top_k, embedder=self._embedder, min_score=self.min_score
            )
        passages = self._store.search(bot_id, vector, top_k=top_k, embedder=self._embedder)
        return [p for p in passages if p.score >= self.min_score]

    def close(self) -> None:
        self._store.close()


def qdrant_path(settings: Settings) -> Path:
    """Where local mode keeps its data: ``$VOICEBOT_DATA_DIR/qdrant``."""
    return settings.data_dir / "qdrant"


def open_store(settings: Settings, *, wait: float = 10.0) -> QdrantStore:
    """The read-write store: the Qdrant server if QDRANT_URL is set, else local mode (one process)."""
    if settings.qdrant_url:
        return QdrantStore.server(settings.qdrant_url, api_key=settings.qdrant_api_key)
    return QdrantStore.local(qdrant_path(settings), wait=wait)


def open_call_retriever(
    settings: Settings, bot_id: str, *, embedder: Embedder | None = None, wait: float = 5.0
) -> QdrantRetriever:
    """A retriever for one call's process. Blocking (it may copy a snapshot): run it off the loop."""
    embedder = embedder or embedder_from_settings(settings)
    store: PassageIndex
    if settings.qdrant_url:
        store = QdrantStore.server(settings.qdrant_url, api_key=settings.qdrant_api_key)
    else:
        # this bot's passages only (bot_snapshot), searched dense + lexical (HybridIndex)
        store = HybridIndex.over(bot_snapshot(qdrant_path(settings), bot_id, wait=wait))
    return QdrantRetriever(store=store, embedder=embedder)


def reindex_bot(
    settings: Settings,
    bot_id: str,
    *,
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReindexResult:
    """Re-embed the bot's knowledge with ``embedder`` (default: the configured one); see reindex.py."""
    embedder = embedder or embedder_from_settings(settings)
    if settings.qdrant_url:
        store = QdrantStore.server(settings.qdrant_url, api_key=settings.qdrant_api_key)
        try:
            return reindex_single(store, bot_id, embedder, progress=progress)
        finally:
            store.close()
    work = QdrantStore.local(settings.data_dir / "qdrant-reindex")
    try:
        return reindex_local(
            lambda: QdrantStore.local(qdrant_path(settings), wait=30.0),
            work,
            bot_id,
            embedder,
            progress=progress,
        )
    finally:
        work.close()
