"""A call's read-only copy of one bot's passages: exact cosine search in numpy, no lock, no Qdrant.

Taken by :meth:`voicebot.knowledge.store.QdrantStore.local_snapshot` so that call processes hold local
mode's directory lock only while copying. Vectors are stored unit-length, so a search is one
matrix-vector product and a partial sort: about 1 ms at 10,000 passages (Qdrant's local mode
re-normalises every stored vector on every query and costs several times that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from voicebot.dialogue.ports import Passage
from voicebot.errors import ConfigError, EmbedderMismatchError
from voicebot.knowledge.embedders import Embedder, Vectors

__all__ = ["PassageIndex", "SnapshotIndex"]


class PassageIndex(Protocol):
    """What a retriever searches: a QdrantStore or a SnapshotIndex."""

    def search(self, bot_id: str, vector: Vectors, *, top_k: int, embedder: Embedder) -> list[Passage]: ...

    def close(self) -> None: ...


class SnapshotIndex:
    """One bot's passages in memory; searching for another bot finds nothing."""

    def __init__(
        self,
        *,
        bot_id: str,
        collection: str,
        embedder_name: str | None,
        dimension: int,
        ids: Sequence[str],
        vectors: Vectors,
        payloads: Sequence[Mapping[str, Any]],
    ) -> None:
        if len(ids) != len(vectors) or len(ids) != len(payloads):
            raise ValueError("ids, vectors and payloads differ in length")
        self.bot_id = bot_id
        self._collection = collection
        self._embedder = embedder_name
        self._dimension = dimension
        self._ids = list(ids)
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), dimension)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix = matrix / np.clip(norms, 1e-12, None)
        self._payloads = list(payloads)

    def __len__(self) -> int:
        return len(self._ids)

    def check_embedder(self, bot_id: str, embedder: Embedder) -> bool:
        """Whether the bot has knowledge here; raises EmbedderMismatchError like the store does."""
        if bot_id != self.bot_id or self._embedder is None:
            return False
        if (self._embedder, self._dimension) != (embedder.name, embedder.dimension):
            raise EmbedderMismatchError(
                f"collection {self._collection} was built with embedder {self._embedder} "
                f"({self._dimension} dimensions) but is queried with {embedder.name} "
                f"({embedder.dimension} dimensions); re-ingest the bot's documents with this embedder, "
                "or configure the one it was built with"
            )
        return True

    def search(self, bot_id: str, vector: Vectors, *, top_k: int, embedder: Embedder) -> list[Passage]:
        if top_k < 1:
            raise ConfigError(f"top_k={top_k} must be at least 1")
        if not self.check_embedder(bot_id, embedder) or not self._ids:
            return []
        query = np.asarray(vector, dtype=np.float32).ravel()
        scores = self._matrix @ (query / max(float(np.linalg.norm(query)), 1e-12))
        k = min(top_k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        passages = []
        for i in best:
            p = self._payloads[i]
            passages.append(
                Passage(
                    chunk_id=self._ids[i],
                    doc_id=str(p.get("doc_id", "")),
                    text=str(p.get("text", "")),
                    score=float(scores[i]),
                    source=str(p.get("source", "")),
                    page=p.get("page"),
                    section=p.get("section"),
                )
            )
        return passages

    def close(self) -> None:
        self._matrix = np.zeros((0, self._dimension), dtype=np.float32)
        self._ids, self._payloads = [], []
