"""Knowledge for offline tools (``voicebot chat``, ``voicebot test``, the demo): a folder of documents
ingested into an in-memory Qdrant with the offline embedder, no database, no files written.

The result is cached per process while the folder's files are unchanged, so a test run that loads the
same bot many times embeds its documents once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from voicebot.dialogue.ports import Passage
from voicebot.errors import KnowledgeError
from voicebot.knowledge.answer import spoken_answer as answer
from voicebot.knowledge.chunking import chunk_blocks, embedding_text
from voicebot.knowledge.embedders import Embedder, MiniLMEmbedder
from voicebot.knowledge.extract import SUPPORTED_TYPES, extract
from voicebot.knowledge.retriever import QdrantRetriever
from voicebot.knowledge.service import IngestLimits
from voicebot.knowledge.store import QdrantStore, StoredChunk

__all__ = ["answer", "ingest_folder", "offline_knowledge"]

_Key = tuple[str, str, tuple[tuple[str, int, int], ...]]
_cache: dict[_Key, QdrantRetriever] = {}
_lock = threading.Lock()


def _documents(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower().lstrip(".") in SUPPORTED_TYPES
    )


def ingest_folder(store: QdrantStore, embedder: Embedder, bot_id: str, folder: Path) -> int:
    """Ingest every supported document of ``folder`` for ``bot_id`` (synchronously); the chunk count."""
    limits = IngestLimits()
    now = datetime.now(UTC)
    store.ensure_collection(bot_id, embedder)
    total = 0
    for path in _documents(folder):
        doc_id = str(uuid.uuid5(uuid.NAMESPACE_URL, path.name))
        chunks = chunk_blocks(
            extract(
                path, path.read_bytes(), max_passages=limits.max_chunks, passage_chars=limits.chunk_chars
            ),
            max_chars=limits.chunk_chars,
            overlap_chars=limits.overlap_chars,
        )
        stored = [StoredChunk(doc_id, "offline", i, c, path.name, now) for i, c in enumerate(chunks)]
        store.upsert(bot_id, stored, embedder.embed([embedding_text(c) for c in chunks]))
        total += len(stored)
    return total


Answerer = Callable[[str, Sequence[Passage], int, str], str]


def offline_knowledge(bot_id: str, folder: Path) -> tuple[QdrantRetriever, Answerer]:
    """(retriever, answerer) over the documents in ``folder``; raises KnowledgeError for a bad document."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise KnowledgeError(f"{folder}: not a folder of documents")
    files = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in _documents(folder))
    key: _Key = (bot_id, str(folder), files)
    with _lock:
        retriever = _cache.get(key)
        if retriever is None:
            embedder = MiniLMEmbedder()
            store = QdrantStore.memory()
            ingest_folder(store, embedder, bot_id, folder)
            retriever = QdrantRetriever(store=store, embedder=embedder)
            _cache[key] = retriever
    return retriever, answer
