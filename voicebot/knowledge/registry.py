"""The document registry seam: one row per document of a bot (the ``knowledge_docs`` table).

The real implementation is :class:`voicebot.storage.KnowledgeDocs` (Postgres), handed in by the
composition root; knowledge/ does not import storage/, it states here what it needs. A document is
identified by (bot, filename): adding a file of the same name again replaces it (same row id).
:class:`InMemoryDocRegistry` behaves the same way for tests and tools without a database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol, runtime_checkable

from voicebot.errors import ConflictError, NotFoundError

__all__ = ["DocRegistry", "DocRow", "DocStatus", "InMemoryDocRegistry", "MemoryDoc"]

DocStatus = Literal["processing", "ready", "error"]


class DocRow(Protocol):
    """What ingestion reads of a document's row."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def bot_id(self) -> uuid.UUID: ...
    @property
    def filename(self) -> str: ...
    @property
    def file_type(self) -> str: ...
    @property
    def file_size(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def chunk_count(self) -> int: ...
    @property
    def error_message(self) -> str | None: ...
    @property
    def embedder(self) -> str | None: ...
    @property
    def embedding_dim(self) -> int | None: ...
    @property
    def created_at(self) -> dt.datetime: ...


@runtime_checkable
class DocRegistry(Protocol):
    """Where documents are tracked (the shape of storage's KnowledgeDocs repository)."""

    async def create(
        self,
        bot_id: uuid.UUID,
        filename: str,
        *,
        file_type: str,
        file_size: int,
        sha256: str,
        replace: bool = False,
    ) -> DocRow:
        """A row in status 'processing'; with ``replace``, the bot's row of that filename is reset."""
        ...

    async def mark_ready(
        self, doc_id: uuid.UUID, *, chunk_count: int, embedder: str, embedding_dim: int
    ) -> DocRow: ...

    async def mark_error(self, doc_id: uuid.UUID, message: str) -> DocRow: ...

    async def get(self, doc_id: uuid.UUID) -> DocRow:
        """The row; raises NotFoundError."""
        ...

    async def list(self, bot_id: uuid.UUID) -> Sequence[DocRow]: ...

    async def delete(self, doc_id: uuid.UUID) -> None:
        """Raises NotFoundError."""
        ...


@dataclass(frozen=True, slots=True)
class MemoryDoc:
    id: uuid.UUID
    bot_id: uuid.UUID
    filename: str
    file_type: str
    file_size: int
    sha256: str
    status: DocStatus
    chunk_count: int
    error_message: str | None
    embedder: str | None
    embedding_dim: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class InMemoryDocRegistry:
    """A DocRegistry in a dict, with the same rules as the Postgres one."""

    def __init__(self) -> None:
        self._docs: dict[uuid.UUID, MemoryDoc] = {}

    async def create(
        self,
        bot_id: uuid.UUID,
        filename: str,
        *,
        file_type: str,
        file_size: int,
        sha256: str,
        replace: bool = False,
    ) -> MemoryDoc:
        now = dt.datetime.now(dt.UTC)
        same = (d for d in self._docs.values() if (d.bot_id, d.filename) == (bot_id, filename))
        existing = next(same, None)
        if existing is not None and not replace:
            raise ConflictError(f"bot {bot_id} already has a document named {filename!r}")
        doc = MemoryDoc(
            id=existing.id if existing else uuid.uuid4(),
            bot_id=bot_id,
            filename=filename,
            file_type=file_type,
            file_size=file_size,
            sha256=sha256,
            status="processing",
            chunk_count=0,
            error_message=None,
            embedder=existing.embedder if existing else None,
            embedding_dim=existing.embedding_dim if existing else None,
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        self._docs[doc.id] = doc
        return doc

    def _update(self, doc_id: uuid.UUID, **changes: object) -> MemoryDoc:
        doc = self._docs.get(doc_id)
        if doc is None:
            raise NotFoundError(f"no knowledge document with id {doc_id}")
        updated = replace(doc, updated_at=dt.datetime.now(dt.UTC), **changes)  # type: ignore[arg-type]
        self._docs[doc_id] = updated
        return updated

    async def mark_ready(
        self, doc_id: uuid.UUID, *, chunk_count: int, embedder: str, embedding_dim: int
    ) -> MemoryDoc:
        return self._update(
            doc_id,
            status="ready",
            chunk_count=chunk_count,
            embedder=embedder,
            embedding_dim=embedding_dim,
            error_message=None,
        )

    async def mark_error(self, doc_id: uuid.UUID, message: str) -> MemoryDoc:
        return self._update(doc_id, status="error", error_message=message)

    async def get(self, doc_id: uuid.UUID) -> MemoryDoc:
        doc = self._docs.get(doc_id)
        if doc is None:
            raise NotFoundError(f"no knowledge document with id {doc_id}")
        return doc

    async def list(self, bot_id: uuid.UUID) -> list[MemoryDoc]:
        return sorted((d for d in self._docs.values() if d.bot_id == bot_id), key=lambda d: d.filename)

    async def delete(self, doc_id: uuid.UUID) -> None:
        if self._docs.pop(doc_id, None) is None:
            raise NotFoundError(f"no knowledge document with id {doc_id}")
