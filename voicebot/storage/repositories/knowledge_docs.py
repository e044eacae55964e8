"""Knowledge documents' bookkeeping (the chunks and vectors live in Qdrant, collection ``bot_{bot_id}``)."""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from voicebot.errors import NotFoundError
from voicebot.storage.errors import translated

__all__ = ["KnowledgeDoc", "KnowledgeDocs"]

DocStatus = Literal["processing", "ready", "error"]


@dataclass(frozen=True, slots=True)
class KnowledgeDoc:
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


_COLUMNS = (
    "id, bot_id, filename, file_type, file_size, sha256, status, chunk_count, error_message, "
    "embedder, embedding_dim, created_at, updated_at"
)


def _doc(row: Any) -> KnowledgeDoc:
    return KnowledgeDoc(**dict(row))


class KnowledgeDocs:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def create(
        self,
        bot_id: uuid.UUID,
        filename: str,
        *,
        file_type: str,
        file_size: int,
        sha256: str,
        replace: bool = False,
    ) -> KnowledgeDoc:
        """A document in status ``processing``. The same filename again is a ConflictError unless
        ``replace``, which resets the existing row (same id) to ``processing``."""
        conflict = (
            """ON CONFLICT (bot_id, filename) DO UPDATE SET file_type = EXCLUDED.file_type,
                   file_size = EXCLUDED.file_size, sha256 = EXCLUDED.sha256, status = 'processing',
                   chunk_count = 0, error_message = NULL, updated_at = now()"""
            if replace
            else ""
        )
        with translated():
            row = await self._pool.fetchrow(
                f"""INSERT INTO knowledge_docs (bot_id, filename, file_type, file_size, sha256)
                    VALUES ($1, $2, $3, $4, $5) {conflict} RETURNING {_COLUMNS}""",
                bot_id,
                filename,
                file_type,
                file_size,
                sha256,
            )
        return _doc(row)

    async def mark_ready(
        self, doc_id: uuid.UUID, *, chunk_count: int, embedder: str, embedding_dim: int
    ) -> KnowledgeDoc:
        return await self._update(
            doc_id,
            "status = 'ready', chunk_count = $2, embedder = $3, embedding_dim = $4, error_message = NULL",
            chunk_count,
            embedder,
            embedding_dim,
        )

    async def mark_error(self, doc_id: uuid.UUID, message: str) -> KnowledgeDoc:
        return await self._update(doc_id, "status = 'error', error_message = $2", message)

    async def _update(self, doc_id: uuid.UUID, assignments: str, *args: Any) -> KnowledgeDoc:
        with translated():
            row = await self._pool.fetchrow(
                f"UPDATE knowledge_docs SET {assignments}, updated_at = now() "
                f"WHERE id = $1 RETURNING {_COLUMNS}",
                doc_id,
                *args,
            )
        if row is None:
            raise NotFoundError(f"no knowledge document with id {doc_id}")
        return _doc(row)

    async def get(self, doc_id: uuid.UUID) -> KnowledgeDoc:
        with translated():
            row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM knowledge_docs WHERE id = $1", doc_id)
        if row is None:
            raise NotFoundError(f"no knowledge document with id {doc_id}")
        return _doc(row)

    async def list(self, bot_id: uuid.UUID) -> builtins.list[KnowledgeDoc]:
        with translated():
            rows = await self._pool.fetch(
                f"SELECT {_COLUMNS} FROM knowledge_docs WHERE bot_id = $1 ORDER BY filename", bot_id
            )
        return [_doc(r) for r in rows]

    async def delete(self, doc_id: uuid.UUID) -> None:
        with translated():
            deleted = await self._pool.fetchval(
                "DELETE FROM knowledge_docs WHERE id = $1 RETURNING id", doc_id
            )
        if deleted is None:
            raise NotFoundError(f"no knowledge document with id {doc_id}")
