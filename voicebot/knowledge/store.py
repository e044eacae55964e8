"""The Qdrant side of the knowledge base (qdrant-client is imported only here and in qdrant_io.py,
reindex.py and server_hybrid.py).

Two layouts (docs/knowledge.md, "Tenancy"):

- ``per_bot``: one collection per bot, ``bot_{bot_id}`` (seed 002). The default in local mode, where
  search is brute force and an unfiltered search of a small collection is the fastest there is.
- ``shared``: one collection, ``voicebot_knowledge``, whose points carry ``bot_id``, indexed as a
  tenant field (``is_tenant``). The default for a Qdrant server: Qdrant recommends it beyond a few
  hundred tenants (per-collection overhead), and a SaaS bot platform gets there.

Whatever the layout, every read, count and delete goes through :meth:`QdrantStore._scope`, which adds
the bot's filter: one place where tenancy is enforced.

Each collection records the embedder it was built with in its metadata (``embedder``, ``dimension``);
:meth:`QdrantStore.check_embedder` turns a difference into :class:`EmbedderMismatchError`.

Local mode locks its directory to one process. :meth:`QdrantStore.local` waits for the lock for a
bounded time; :meth:`QdrantStore.local_snapshot` copies one bot's points into a
:class:`~voicebot.knowledge.snapshot.SnapshotIndex` and releases the lock at once, so many call
processes can read a directory one ingesting process writes.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from qdrant_client import QdrantClient, models

from voicebot.dialogue.ports import Passage
from voicebot.errors import ConfigError, EmbedderMismatchError, KnowledgeError
from voicebot.knowledge.chunking import Chunk, embedding_text
from voicebot.knowledge.embedders import Embedder, Vectors
from voicebot.knowledge.lexical import HybridIndex
from voicebot.knowledge.qdrant_io import _open_local, _translated, translated_errors
from voicebot.knowledge.server_hybrid import DENSE, LEXICAL, point_vector
from voicebot.knowledge.snapshot import SnapshotIndex

__all__ = ["SHARED_COLLECTION", "Layout", "QdrantStore", "StoredChunk", "translated_errors"]

Layout = Literal["per_bot", "shared"]
SHARED_COLLECTION = "voicebot_knowledge"
_BOT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_POINT_NS = uuid.UUID("5b0e3c4e-6f0b-4a53-9a53-6a1f5d1c2b7e")
_UPSERT_BATCH = 256


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A chunk as stored: ready to be upserted with its vector."""

    doc_id: str
    version: str  # one ingestion of the document: a re-ingest writes a new version, then drops the old
    index: int
    chunk: Chunk
    source: str
    created_at: datetime


def _check_bot_id(bot_id: str) -> str:
    if not _BOT_ID.match(bot_id):
        raise ConfigError(f"bot id {bot_id!r} must be 1-64 letters, digits, '_' or '-'")
    return bot_id


class QdrantStore:
    """Chunks and vectors of every bot's knowledge, in one Qdrant client."""

    def __init__(
        self,
        *,
        client: QdrantClient,
        layout: Layout,
        read_only: bool = False,
        remote: bool = False,
        hybrid: bool = False,
    ) -> None:
        if layout not in ("per_bot", "shared"):
            raise ConfigError(f"layout={layout!r} must be 'per_bot' or 'shared'")
        self._client = client
        self.layout: Layout = layout
        self.read_only = read_only
        self._remote = remote
        self.hybrid = hybrid  # new collections get dense + lexical vectors (server_hybrid.py)
        self._checked: set[tuple[str, str, int]] = set()
        self._layouts: dict[str, bool] = {}

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def local(cls, path: Path, *, layout: Layout = "per_bot", wait: float = 10.0) -> QdrantStore:
        """Embedded local mode on ``path``; waits up to ``wait`` s while another process holds it."""
        return cls(client=_open_local(path, wait), layout=layout)

    @classmethod
    def memory(cls, *, layout: Layout = "per_bot") -> QdrantStore:
        return cls(client=QdrantClient(location=":memory:"), layout=layout)

    @classmethod
    def server(
        cls, url: str, *, api_key: str | None = None, layout: Layout = "shared", timeout: int = 5
    ) -> QdrantStore:
        """A Qdrant server (QDRANT_URL / QDRANT_API_KEY)."""
        client = QdrantClient(url=url, api_key=api_key, timeout=timeout)
        return cls(client=client, layout=layout, remote=True, hybrid=True)

    @classmethod
    def local_snapshot(cls, path: Path, bot_id: str, *, wait: float = 5.0) -> SnapshotIndex:
        """A read-only in-memory copy of one bot's knowledge from a local directory.

        Holds the directory's lock only while copying (the call processes of a LiveKit worker each
        take one), so an ingesting process and many calls can share one directory. A call sees the
        knowledge as it was when it started.
        """
        source = cls.local(path, wait=wait)
        try:
            return source.snapshot(bot_id)
        finally:
            source.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()

    @property
    def client(self) -> QdrantClient:
        """The qdrant-client itself (for knowledge/reindex.py)."""
        return self._client

    def forget_checks(self) -> None:
        """Check the embedder of every collection again on next use (after a reindex switched it)."""
        self._checked.clear()
        self._layouts.clear()

    translated = staticmethod(_translated)

    def scope(self, bot_id: str) -> models.Filter | None:
        """The bot's tenant filter (for server_hybrid.py)."""
        return self._scope(bot_id)

    def is_hybrid(self, bot_id: str) -> bool:
        """Whether the bot's collection has dense and lexical vectors (server_hybrid.py)."""
        return self.is_hybrid_collection(self.collection_name(bot_id))

    def is_hybrid_collection(self, name: str) -> bool:
        if name not in self._layouts:
            with _translated(f"read collection {name}"):
                exists = self._client.collection_exists(name)
                meta = dict(self._client.get_collection(name).config.metadata or {}) if exists else {}
            self._layouts[name] = bool(meta.get("hybrid"))
        return self._layouts[name]

    def search_hybrid(
        self, bot_id: str, query: str, vector: Vectors, *, top_k: int, embedder: Embedder, min_score: float
    ) -> list[Passage]:
        """Dense and lexical, fused (a server collection); dense-only on an older collection."""
        from voicebot.knowledge.server_hybrid import search_hybrid

        return search_hybrid(self, bot_id, query, vector, top_k=top_k, embedder=embedder, min_score=min_score)

    # -- collections ------------------------------------------------------------------------

    def collection_name(self, bot_id: str) -> str:
        _check_bot_id(bot_id)
        return f"bot_{bot_id}" if self.layout == "per_bot" else SHARED_COLLECTION

    def _scope(self, bot_id: str, *more: models.Condition) -> models.Filter | None:
        """The filter every read and delete carries: the bot's own points only."""
        must: list[models.Condition] = list(more)
        if self.layout == "shared":
            must.insert(0, models.FieldCondition(key="bot_id", match=models.MatchValue(value=bot_id)))
        return models.Filter(must=must) if must else None

    def _metadata(self, bot_id: str) -> dict[str, Any] | None:
        name = self.collection_name(bot_id)
        with _translated(f"read collection {name}"):
            if not self._client.collection_exists(name):
                return None
            info = self._client.get_collection(name)
        meta = dict(info.config.metadata or {})
        vectors = info.config.params.vectors
        if isinstance(vectors, dict) and DENSE in vectors:
            vectors = vectors[DENSE]
        if isinstance(vectors, models.VectorParams):
            meta.setdefault("dimension", vectors.size)
        return meta

    def check_embedder(self, bot_id: str, embedder: Embedder) -> bool:
        """Whether the bot's collection exists; raises EmbedderMismatchError if ``embedder`` differs."""
        key = (self.collection_name(bot_id), embedder.name, embedder.dimension)
        if key in self._checked:
            return True
        meta = self._metadata(bot_id)
        if meta is None:
            return False
        built_with = (meta.get("embedder"), meta.get("dimension"))
        if built_with != (embedder.name, embedder.dimension):
            raise EmbedderMismatchError(
                f"collection {key[0]} was built with embedder {built_with[0]} ({built_with[1]} dimensions) "
                f"but is queried with {embedder.name} ({embedder.dimension} dimensions); re-ingest the "
                "bot's documents with this embedder, or configure the one it was built with"
            )
        self._checked.add(key)
        return True

    def ensure_collection(self, bot_id: str, embedder: Embedder) -> None:
        """Create the bot's collection for ``embedder`` unless it exists (and then check it)."""
        self._writable()
        if self.check_embedder(bot_id, embedder):
            return
        self.create_collection(self.collection_name(bot_id), embedder)

    def create_collection(self, name: str, embedder: Embedder) -> None:
        """Create collection ``name`` for ``embedder``'s vectors, with the payload indexes a server needs."""
        self._writable()
        with _translated(f"create collection {name}"):
            dense = models.VectorParams(size=embedder.dimension, distance=models.Distance.COSINE)
            meta: dict[str, Any] = {"embedder": embedder.name, "dimension": embedder.dimension}
            if self.hybrid:
                self._client.create_collection(
                    name,
                    vectors_config={DENSE: dense},
                    sparse_vectors_config={LEXICAL: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                    metadata={**meta, "hybrid": True},
                )
            else:
                self._client.create_collection(name, vectors_config=dense, metadata=meta)
            self._layouts[name] = self.hybrid
            if self._remote:  # local mode has no payload indexes (it filters in Python)
                if self.layout == "shared":
                    self._client.create_payload_index(
                        name,
                        field_name="bot_id",
                        field_schema=models.KeywordIndexParams(
                            type=models.KeywordIndexType.KEYWORD, is_tenant=True
                        ),
                    )
                self._client.create_payload_index(
                    name, field_name="doc_id", field_schema=models.PayloadSchemaType.KEYWORD
                )
        self._checked.add((name, embedder.name, embedder.dimension))

    def drop_bot(self, bot_id: str) -> None:
        """Remove every chunk of the bot."""
        self._writable()
        name = self.collection_name(bot_id)
        with _translated(f"drop the knowledge of bot {bot_id}"):
            if not self._client.collection_exists(name):
                return
            if self.layout == "per_bot":
                self._client.delete_collection(name)
                self._checked = {k for k in self._checked if k[0] != name}
            else:
                scope = self._scope(bot_id)
                assert scope is not None
                self._client.delete(name, points_selector=models.FilterSelector(filter=scope), wait=True)

    # -- points -----------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.read_only:
            raise KnowledgeError("this knowledge store is a read-only snapshot")

    def upsert(self, bot_id: str, chunks: Sequence[StoredChunk], vectors: Vectors) -> None:
        """Write chunks with their vectors (the collection must exist: see ensure_collection)."""
        self._writable()
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        name = self.collection_name(bot_id)
        hybrid = self.is_hybrid_collection(name)
        points = [
            models.PointStruct(
                id=str(uuid.uuid5(_POINT_NS, f"{bot_id}/{c.doc_id}/{c.version}/{c.index}")),
                vector=point_vector(vector, embedding_text(c.chunk), hybrid=hybrid),
                payload={
                    "bot_id": bot_id,
                    "doc_id": c.doc_id,
                    "version": c.version,
                    "chunk_index": c.index,
                    "text": c.chunk.text,
                    "source": c.source,
                    "page": c.chunk.page,
                    "section": c.chunk.section,
                    "created_at": c.created_at.isoformat(),
                },
            )
            for c, vector in zip(chunks, vectors, strict=True)
        ]
        with _translated(f"write {len(points)} chunks to {name}"):
            for start in range(0, len(points), _UPSERT_BATCH):
                self._client.upsert(name, points=points[start : start + _UPSERT_BATCH], wait=True)

    @staticmethod
    def _doc_conditions(
        doc_id: str | None, version: str | None = None, other_than: str | None = None
    ) -> list[models.Condition]:
        conditions: list[models.Condition] = []
        if doc_id is not None:
            conditions.append(models.FieldCondition(key="doc_id", match=models.MatchValue(value=doc_id)))
        if version is not None:
            conditions.append(models.FieldCondition(key="version", match=models.MatchValue(value=version)))
        if other_than is not None:
            conditions.append(
                models.FieldCondition(key="version", match=models.MatchExcept(**{"except": [other_than]}))
            )
        return conditions

    def delete_doc(
        self, bot_id: str, doc_id: str, *, version: str | None = None, other_than: str | None = None
    ) -> None:
        """Remove a document's chunks: all, one ``version``'s, or all but version ``other_than``."""
        self._writable()
        name = self.collection_name(bot_id)
        scope = self._scope(bot_id, *self._doc_conditions(doc_id, version, other_than))
        assert scope is not None
        with _translated(f"delete the chunks of document {doc_id}"):
            if self._client.collection_exists(name):
                self._client.delete(name, points_selector=models.FilterSelector(filter=scope), wait=True)

    def count(self, bot_id: str, doc_id: str | None = None, *, version: str | None = None) -> int:
        """How many chunks the bot has (of one document, or one version of it, if given)."""
        name = self.collection_name(bot_id)
        with _translated(f"count chunks in {name}"):
            if not self._client.collection_exists(name):
                return 0
            scope = self._scope(bot_id, *self._doc_conditions(doc_id, version))
            return self._client.count(name, count_filter=scope, exact=True).count

    def search(self, bot_id: str, vector: Vectors, *, top_k: int, embedder: Embedder) -> list[Passage]:
        """The bot's ``top_k`` passages nearest to ``vector`` (a query embedded with ``embedder``)."""
        if top_k < 1:
            raise ConfigError(f"top_k={top_k} must be at least 1")
        if not self.check_embedder(bot_id, embedder):
            return []
        name = self.collection_name(bot_id)
        with _translated(f"search {name}"):
            response = self._client.query_points(
                name,
                query=np.asarray(vector, dtype=np.float32).ravel().tolist(),
                using=DENSE if self.is_hybrid_collection(name) else None,
                query_filter=self._scope(bot_id),
                limit=top_k,
                with_payload=True,
            )
        return [p for p in (self.passage_of(point, bot_id) for point in response.points) if p is not None]

    def passage_of(self, point: Any, bot_id: str) -> Passage | None:
        """A search hit as a Passage; None for another bot's point (belt and braces: the filter is first)."""
        p = point.payload or {}
        if self.layout == "shared" and p.get("bot_id") != bot_id:
            return None
        return Passage(
            chunk_id=str(point.id),
            doc_id=str(p.get("doc_id", "")),
            text=str(p.get("text", "")),
            score=float(point.score),
            source=str(p.get("source", "")),
            page=p.get("page"),
            section=p.get("section"),
        )

    def snapshot(self, bot_id: str) -> SnapshotIndex:
        """Every passage of the bot with its vector, copied into a SnapshotIndex."""
        return self._copy(bot_id)[0]

    def hybrid_snapshot(self, bot_id: str) -> HybridIndex:
        """:meth:`snapshot` plus a BM25 index of the same passages (dense + lexical search)."""
        dense, ids, payloads = self._copy(bot_id)
        return HybridIndex(dense, ids=ids, payloads=payloads)

    @classmethod
    def local_hybrid_snapshot(cls, path: Path, bot_id: str, *, wait: float = 5.0) -> HybridIndex:
        """:meth:`local_snapshot` with the lexical index built too (what a call searches)."""
        source = cls.local(path, wait=wait)
        try:
            return source.hybrid_snapshot(bot_id)
        finally:
            source.close()

    def _copy(self, bot_id: str) -> tuple[SnapshotIndex, list[str], list[dict[str, Any]]]:
        meta = self._metadata(bot_id)
        name = self.collection_name(bot_id)
        ids: list[str] = []
        vectors: list[Any] = []
        payloads: list[dict[str, Any]] = []
        if meta is not None:
            with _translated(f"copy the knowledge of bot {bot_id}"):
                offset: Any = None
                while True:
                    records, offset = self._client.scroll(
                        name,
                        scroll_filter=self._scope(bot_id),
                        limit=2048,
                        offset=offset,
                        with_payload=True,
                        with_vectors=True,
                    )
                    for r in records:
                        ids.append(str(r.id))
                        vectors.append(r.vector[DENSE] if isinstance(r.vector, dict) else r.vector)
                        payloads.append(dict(r.payload or {}))
                    if offset is None:
                        break
        dimension = int((meta or {}).get("dimension", 0))
        dense = SnapshotIndex(
            bot_id=bot_id,
            collection=name,
            embedder_name=None if meta is None else str(meta.get("embedder")),
            dimension=dimension,
            ids=ids,
            vectors=np.asarray(vectors, dtype=np.float32).reshape(len(ids), dimension),
            payloads=payloads,
        )
        return dense, ids, payloads
