"""A call's read-only copy of one bot's passages: exact cosine search in numpy, no lock, no Qdrant.

Taken by :func:`bot_snapshot` (a call's process) or :meth:`voicebot.knowledge.store.QdrantStore.
local_snapshot`, so that call processes hold local mode's directory lock only while copying.
:func:`bot_snapshot` reads only the calling bot's collection: qdrant-client's local mode loads every
collection of a directory into memory when it opens, so opening the directory itself would cost each
call the passages of every bot. Vectors are stored unit-length, so a search is one
matrix-vector product and a partial sort: about 1 ms at 10,000 passages (Qdrant's local mode
re-normalises every stored vector on every query and costs several times that).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voicebot.dialogue.ports import Passage
from voicebot.errors import ConfigError, EmbedderMismatchError
from voicebot.knowledge.embedders import Embedder, Vectors

__all__ = ["PassageIndex", "SnapshotIndex", "bot_snapshot"]


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

    @property
    def ids(self) -> list[str]:
        """The passages' ids, in index order."""
        return self._ids

    @property
    def payloads(self) -> list[Mapping[str, Any]]:
        """The passages' payloads, in index order."""
        return self._payloads

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def embedder_name(self) -> str | None:
        """The embedder the copied collection was built with (None when the bot has no knowledge)."""
        return self._embedder

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


def bot_snapshot(path: Path, bot_id: str, *, wait: float = 5.0) -> SnapshotIndex:
    """One bot's passages from a local Qdrant directory, reading that bot's collection only.

    Per-bot layout (``bot_<id>``, local mode's default): while holding the directory's lock, a private
    directory whose ``meta.json`` names only this collection, and whose ``collection`` folder is the real
    one, is opened with qdrant-client, so its local mode loads one collection instead of all of them.
    A bot without a collection there gets an empty index (the shared layout is for a Qdrant server)."""
    from voicebot.knowledge.store import QdrantStore

    name = f"bot_{bot_id}"
    meta_file = path / "meta.json"
    with _directory_lock(path, wait):
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        collections: dict[str, Any] = meta.get("collections", {})
        if name in collections:
            try:
                return _read_collection(path / "collection" / name, bot_id, name, collections[name])
            except Exception:  # a storage format this reader does not know: let qdrant-client read it
                pass
            with tempfile.TemporaryDirectory(prefix="voicebot-snapshot-") as tmp:
                view = Path(tmp)
                only = {"collections": {name: collections[name]}, "aliases": {}}
                (view / "meta.json").write_text(json.dumps(only))
                (view / "collection").symlink_to((path / "collection").resolve(), target_is_directory=True)
                store = QdrantStore.local(view, wait=0)
                try:
                    return store.snapshot(bot_id)
                finally:
                    store.close()
    return _empty(bot_id, name)  # no knowledge for this bot (as QdrantStore.local_snapshot finds)


_PASSAGE_FIELDS = ("doc_id", "text", "source", "page", "section")


def _read_collection(folder: Path, bot_id: str, name: str, config: Mapping[str, Any]) -> SnapshotIndex:
    """The points of one local-mode collection straight from its ``storage.sqlite`` (qdrant-client
    1.x pickles one ``PointStruct`` a row; the latest row of an id wins, as local mode's loader does).
    Vectors go into one float32 matrix as they are read, and only the payload fields a passage shows
    are kept, so the copy costs about ``4 x dimension`` bytes a passage plus its text."""
    import pickle
    import sqlite3

    meta = dict(config.get("metadata") or {})
    dimension = int(meta.get("dimension") or config["vectors"]["size"])
    con = sqlite3.connect(f"file:{folder / 'storage.sqlite'}?mode=ro", uri=True)
    try:
        (count,) = con.execute("SELECT count(*) FROM points").fetchone()
        matrix = np.empty((count, dimension), dtype=np.float32)
        seen: set[str] = set()
        ids: list[str] = []
        payloads: list[dict[str, Any]] = []
        # row by row (not fetchall): one unpickled point alive at a time
        for key, blob in con.execute("SELECT id, point FROM points ORDER BY rowid DESC"):
            if key in seen or len(ids) == count:
                continue
            seen.add(key)
            point = pickle.loads(blob)  # local mode's own storage, written by this deployment
            vector = point.vector
            if not isinstance(vector, list) or len(vector) != dimension:
                raise ValueError("not a single unnamed vector")
            matrix[len(ids)] = vector
            payload = point.payload or {}
            payloads.append({k: payload.get(k) for k in _PASSAGE_FIELDS})
            ids.append(str(point.id))
    finally:
        con.close()
    return SnapshotIndex(
        bot_id=bot_id,
        collection=name,
        embedder_name=None if not meta.get("embedder") else str(meta["embedder"]),
        dimension=dimension,
        ids=ids,
        vectors=matrix[: len(ids)],
        payloads=payloads,
    )


def _empty(bot_id: str, collection: str) -> SnapshotIndex:
    return SnapshotIndex(
        bot_id=bot_id,
        collection=collection,
        embedder_name=None,
        dimension=0,
        ids=[],
        vectors=np.zeros((0, 0), dtype=np.float32),
        payloads=[],
    )


class _directory_lock:
    """Local mode's own exclusive lock on ``path/.lock``, waited for up to ``wait`` seconds."""

    def __init__(self, path: Path, wait: float) -> None:
        self._path = path
        self._wait = wait
        self._file: Any = None

    def __enter__(self) -> None:
        import portalocker

        from voicebot.errors import KnowledgeError

        self._path.mkdir(parents=True, exist_ok=True)
        lock = self._path / ".lock"
        if not lock.exists():
            lock.write_text("tmp lock file")
        self._file = open(lock, "r+")
        deadline = time.monotonic() + self._wait
        delay = 0.02
        while True:
            try:
                portalocker.lock(
                    self._file, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING
                )
                return
            except portalocker.exceptions.LockException:
                if time.monotonic() >= deadline:
                    self._file.close()
                    error = KnowledgeError(
                        f"the Qdrant directory {self._path} is in use by another process (local mode allows "
                        "one); wait for it to finish or set QDRANT_URL to use a Qdrant server"
                    )
                    error.retryable = True
                    raise error from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def __exit__(self, *exc: object) -> None:
        import portalocker

        portalocker.unlock(self._file)
        self._file.close()
