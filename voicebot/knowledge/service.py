"""Ingestion: a file in, a registry row and its chunks in Qdrant out, all or nothing.

:meth:`KnowledgeService.add` puts the document's row in ``processing``, extracts, chunks, embeds and
writes the chunks as a new *version*, then drops the chunks of any older version and marks the row
``ready`` with its chunk count and embedder. On any failure it deletes the document's chunks and marks
the row ``error`` with the message: the row and the chunks always agree (an ``error`` row has none).

A document is identified by (bot, filename). Re-adding a changed file replaces it; the old version
keeps answering until the new one is written. Re-adding an identical file (same sha256, same
embedder) changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from voicebot.dialogue.ports import Passage
from voicebot.errors import ConfigError, KnowledgeError, NotFoundError, VoicebotError
from voicebot.knowledge.chunking import chunk_blocks, embedding_text
from voicebot.knowledge.embedders import Embedder
from voicebot.knowledge.extract import extract, file_type
from voicebot.knowledge.registry import DocRegistry, DocRow
from voicebot.knowledge.store import QdrantStore, StoredChunk

__all__ = ["IngestLimits", "KnowledgeService", "Progress"]

Progress = Callable[[int, int], None]
"""Called as ``progress(chunks_done, chunks_total)`` while a document is embedded and written."""


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Bounds on one document; larger ones are refused with a clear error before anything is written."""

    max_file_bytes: int = 25 * 1024 * 1024
    max_chunks: int = 20_000
    chunk_chars: int = 700
    overlap_chars: int = 150
    batch: int = 64

    def __post_init__(self) -> None:
        for name in ("max_file_bytes", "max_chunks", "batch"):
            if getattr(self, name) < 1:
                raise ConfigError(f"IngestLimits.{name}={getattr(self, name)} must be at least 1")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


class KnowledgeService:
    """Add, list, remove and search the documents of a bot's knowledge base."""

    def __init__(
        self,
        *,
        store: QdrantStore,
        embedder: Embedder,
        registry: DocRegistry,
        limits: IngestLimits | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._registry = registry
        self._limits = limits or IngestLimits()

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    async def add(self, bot_id: uuid.UUID, path: Path, *, progress: Progress | None = None) -> DocRow:
        """Ingest one file; returns its ready row or raises KnowledgeError (the row then says why)."""
        path = Path(path)
        bot = str(bot_id)
        self._store.collection_name(bot)  # validates the bot id before anything is written
        try:
            size = path.stat().st_size
            digest = await asyncio.to_thread(_sha256, path, self._limits.max_file_bytes)
        except OSError as exc:
            raise KnowledgeError(f"{path}: cannot read the file ({exc.strerror})") from None
        for existing in await self._registry.list(bot_id):
            if (
                existing.filename == path.name
                and existing.status == "ready"
                and existing.sha256 == digest
                and existing.embedder == self._embedder.name
                and self._store.count(bot, str(existing.id)) == existing.chunk_count
            ):
                return existing  # unchanged
        kind = path.suffix.lower().lstrip(".") or "unknown"
        doc = await self._registry.create(
            bot_id, path.name, file_type=kind, file_size=size, sha256=digest, replace=True
        )
        doc_id = str(doc.id)
        version = uuid.uuid4().hex
        try:
            count = await self._ingest(bot, doc_id, version, path, size, progress)
            await asyncio.to_thread(self._store.delete_doc, bot, doc_id, other_than=version)
        except BaseException as exc:
            message = str(exc) if isinstance(exc, VoicebotError) else f"{path.name}: {type(exc).__name__}"
            # Shielded: a cancelled ingest must still leave the row and the chunks in agreement.
            with contextlib.suppress(BaseException):
                await asyncio.shield(self._fail(bot, doc.id, message))
            if isinstance(exc, VoicebotError) or not isinstance(exc, Exception):
                raise
            raise KnowledgeError(f"{path.name}: ingestion failed: {exc}") from exc
        return await self._registry.mark_ready(
            doc.id, chunk_count=count, embedder=self._embedder.name, embedding_dim=self._embedder.dimension
        )

    async def _fail(self, bot: str, doc_id: uuid.UUID, message: str) -> None:
        await asyncio.to_thread(self._store.delete_doc, bot, str(doc_id))
        await self._registry.mark_error(doc_id, message)

    async def _ingest(
        self, bot: str, doc_id: str, version: str, path: Path, size: int, progress: Progress | None
    ) -> int:
        limits = self._limits
        file_type(path)  # unsupported types fail before the file is read
        if size > limits.max_file_bytes:
            raise KnowledgeError(
                f"{path.name}: the file is {_mb(size)}; the limit is {_mb(limits.max_file_bytes)}"
            )
        data = await asyncio.to_thread(path.read_bytes)
        blocks = await asyncio.to_thread(
            lambda: extract(path, data, max_passages=limits.max_chunks, passage_chars=limits.chunk_chars)
        )
        chunks = chunk_blocks(blocks, max_chars=limits.chunk_chars, overlap_chars=limits.overlap_chars)
        if len(chunks) > limits.max_chunks:
            raise KnowledgeError(
                f"{path.name}: the document makes {len(chunks)} passages; the limit is {limits.max_chunks} "
                "(split it into smaller documents)"
            )
        await asyncio.to_thread(self._store.ensure_collection, bot, self._embedder)
        now = datetime.now(UTC)
        total = len(chunks)
        if progress:
            progress(0, total)
        for start in range(0, total, limits.batch):
            stored = [
                StoredChunk(
                    doc_id=doc_id, version=version, index=start + i, chunk=c, source=path.name, created_at=now
                )
                for i, c in enumerate(chunks[start : start + limits.batch])
            ]
            await asyncio.to_thread(self._write, bot, stored)
            if progress:
                progress(start + len(stored), total)
        written = await asyncio.to_thread(self._store.count, bot, doc_id, version=version)
        if written != total:
            raise KnowledgeError(f"{path.name}: wrote {written} of {total} passages")
        return total

    def _write(self, bot: str, stored: Sequence[StoredChunk]) -> None:
        vectors = self._embedder.embed([embedding_text(s.chunk) for s in stored])
        self._store.upsert(bot, stored, vectors)

    async def list(self, bot_id: uuid.UUID) -> Sequence[DocRow]:
        return await self._registry.list(bot_id)

    async def find(self, bot_id: uuid.UUID, ref: str) -> DocRow:
        """A document of the bot by id or file name; raises NotFoundError."""
        for doc in await self._registry.list(bot_id):
            if ref in (str(doc.id), doc.filename):
                return doc
        raise NotFoundError(f"bot {bot_id} has no document {ref!r} (see `voicebot knowledge list`)")

    async def remove(self, bot_id: uuid.UUID, ref: str) -> DocRow:
        """Remove a document (by id or file name) and all its chunks."""
        doc = await self.find(bot_id, ref)
        # Chunks first: a crash in between leaves a row without chunks, and `remove` again finishes it.
        await asyncio.to_thread(self._store.delete_doc, str(bot_id), str(doc.id))
        await self._registry.delete(doc.id)
        return doc

    async def search(self, bot_id: uuid.UUID | str, query: str, *, top_k: int = 5) -> Sequence[Passage]:
        """The bot's ``top_k`` passages nearest to ``query``, best first, with their scores."""
        return await asyncio.to_thread(self.search_sync, str(bot_id), query, top_k)

    def search_sync(self, bot_id: str, query: str, top_k: int) -> Sequence[Passage]:
        vector = self._embedder.embed([query])
        return self._store.search(bot_id, vector[0], top_k=top_k, embedder=self._embedder)


def _sha256(path: Path, limit: int) -> str:
    """The file's sha256 (of its first ``limit`` + 1 bytes: a bigger file is refused anyway)."""
    digest = hashlib.sha256()
    remaining = limit + 1
    with path.open("rb") as f:
        while remaining > 0 and (block := f.read(min(1 << 20, remaining))):
            digest.update(block)
            remaining -= len(block)
    return digest.hexdigest()
