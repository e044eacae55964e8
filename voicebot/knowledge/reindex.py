"""Re-embedding a bot's knowledge with another embedder while calls keep answering from the old one.

``voicebot knowledge reindex`` (docs/knowledge.md, "Changing the embedder"). The passages already in
Qdrant are the source: their text is embedded again (documents are not re-read). The new vectors are
written *beside* the index calls read, and the switch happens only once every passage has one:

* **Qdrant server** (and any single-client store): a new collection ``<name>__<embedder>`` is built in
  the server; the switch moves the alias ``<name>`` to it in one atomic request (the first time,
  when ``<name>`` is still a plain collection, it is dropped and the alias created right after it: a
  query in that instant finds no knowledge and gets the fallback line) and drops the old collection.
* **Local mode**: the new vectors are built in a work directory of their own (``qdrant-reindex``
  beside ``qdrant``), so the main directory is locked only to read the passages at the start and
  for the switch at the end, which rewrites the bot's collection from the work directory (calls
  starting during those seconds wait for the lock, as they do during an ingestion).

Resumable: point ids are deterministic and kept, so running the command again after an interruption
embeds only the passages still missing in the target. Passages added or removed while it ran are
picked up before the switch (the source is read again under the lock and the difference embedded).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from qdrant_client import models

from voicebot.errors import KnowledgeError
from voicebot.knowledge.chunking import Chunk, embedding_text
from voicebot.knowledge.embedders import Embedder
from voicebot.knowledge.server_hybrid import point_vector
from voicebot.knowledge.store import QdrantStore, translated_errors

__all__ = ["ReindexResult", "reindex_local", "reindex_single"]

log = structlog.get_logger("voicebot.knowledge.reindex")

Progress = Callable[[int, int], None]
_ROUNDS = 3  # source reads before giving up on a knowledge base that keeps changing


@dataclass(frozen=True, slots=True)
class ReindexResult:
    collection: str
    passages: int  # in the new index
    embedded: int  # embedded by this run (the rest were already there from an interrupted run)
    switched: bool  # False when the collection already used this embedder (nothing to do)
    previous_embedder: str | None


def _tag(embedder: Embedder) -> str:
    return re.sub(r"[^a-z0-9]+", "_", embedder.name.lower()).strip("_")[:40] + f"_{embedder.dimension}"


def _resolve(store: QdrantStore, name: str) -> str | None:
    """The real collection behind ``name`` (an alias or a collection), or None."""
    client = store.client
    with translated_errors(f"read the aliases of {name}"):
        for alias in client.get_aliases().aliases:
            if alias.alias_name == name:
                return alias.collection_name
        return name if client.collection_exists(name) else None


def _scroll(store: QdrantStore, name: str, *, vectors: bool) -> list[Any]:
    records: list[Any] = []
    offset: Any = None
    with translated_errors(f"read {name}"):
        while True:
            page, offset = store.client.scroll(
                name, limit=1024, offset=offset, with_payload=True, with_vectors=vectors
            )
            records.extend(page)
            if offset is None:
                return records


def _embedder_of(store: QdrantStore, name: str) -> tuple[str | None, int | None]:
    with translated_errors(f"read collection {name}"):
        info = store.client.get_collection(name)
    meta = dict(info.config.metadata or {})
    return meta.get("embedder"), meta.get("dimension")


def _create(store: QdrantStore, name: str, embedder: Embedder) -> None:
    with translated_errors(f"create collection {name}"):
        if store.client.collection_exists(name):
            return
    store.create_collection(name, embedder)


def _fill(
    target: QdrantStore,
    name: str,
    source: Sequence[Any],
    embedder: Embedder,
    batch: int,
    progress: Progress | None,
) -> int:
    """Make ``name`` hold exactly the ``source`` points, embedding only those it lacks."""
    wanted = {str(r.id): r for r in source}
    have = {str(r.id) for r in _scroll(target, name, vectors=False)}
    extra = sorted(have - set(wanted))
    with translated_errors(f"write {name}"):
        if extra:
            target.client.delete(
                name,
                points_selector=models.PointIdsList(points=list[int | str | uuid.UUID](extra)),
                wait=True,
            )
        missing = [wanted[i] for i in wanted if i not in have]
        done = len(wanted) - len(missing)
        for start in range(0, len(missing), batch):
            part = missing[start : start + batch]
            texts = [
                embedding_text(
                    Chunk(str(p.payload.get("text", "")), p.payload.get("page"), p.payload.get("section"))
                )
                for p in part
            ]
            vectors = embedder.embed(texts)
            hybrid = target.is_hybrid_collection(name)
            target.client.upsert(
                name,
                points=[
                    models.PointStruct(
                        id=str(p.id),
                        vector=point_vector(v, text, hybrid=hybrid),
                        payload=dict(p.payload or {}),
                    )
                    for p, v, text in zip(part, vectors, texts, strict=True)
                ],
                wait=True,
            )
            done += len(part)
            if progress is not None:
                progress(done, len(wanted))
    return len(missing)


def reindex_single(
    store: QdrantStore, bot_id: str, embedder: Embedder, *, batch: int = 64, progress: Progress | None = None
) -> ReindexResult:
    """Reindex in one client (a Qdrant server): build ``<name>__<tag>``, then move the alias."""
    base = store.collection_name(bot_id)
    current = _resolve(store, base)
    if current is None:
        raise KnowledgeError(f"bot {bot_id} has no knowledge to reindex (collection {base} does not exist)")
    before = _embedder_of(store, current)
    if before == (embedder.name, embedder.dimension):
        return ReindexResult(base, store.client.count(current, exact=True).count, 0, False, before[0])
    target = f"{base}__{_tag(embedder)}"
    _create(store, target, embedder)
    embedded = 0
    for _ in range(_ROUNDS):
        source = _scroll(store, current, vectors=False)
        embedded += _fill(store, target, source, embedder, batch, progress)
        if {str(r.id) for r in _scroll(store, current, vectors=False)} == {str(r.id) for r in source}:
            break
    else:
        raise KnowledgeError(f"the knowledge of {base} kept changing during the reindex; run it again")
    with translated_errors(f"switch {base} to {target}"):
        if current == base:  # a plain collection: it must go before an alias can take its name
            store.client.delete_collection(base)
            ops: list[Any] = []
        else:
            ops = [models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=base))]
        ops.append(
            models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=target, alias_name=base)
            )
        )
        store.client.update_collection_aliases(change_aliases_operations=ops)
        if current != base:
            store.client.delete_collection(current)
    store.forget_checks()
    count = store.client.count(base, exact=True).count
    log.info(
        "knowledge_reindexed", collection=base, passages=count, embedded=embedded, embedder=embedder.name
    )
    return ReindexResult(base, count, embedded, True, before[0])


def reindex_local(
    open_main: Callable[[], QdrantStore],
    work: QdrantStore,
    bot_id: str,
    embedder: Embedder,
    *,
    batch: int = 64,
    progress: Progress | None = None,
) -> ReindexResult:
    """Reindex a local-mode directory: embed into ``work``, lock the main directory only to read the
    source and, at the end, to rewrite the bot's collection from ``work``."""
    main = open_main()
    try:
        base = main.collection_name(bot_id)
        if _resolve(main, base) is None:
            raise KnowledgeError(
                f"bot {bot_id} has no knowledge to reindex (collection {base} does not exist)"
            )
        before = _embedder_of(main, base)
        if before == (embedder.name, embedder.dimension):
            return ReindexResult(base, main.client.count(base, exact=True).count, 0, False, before[0])
        source = _scroll(main, base, vectors=False)
    finally:
        main.close()
    _create(work, base, embedder)
    embedded = 0
    for _ in range(_ROUNDS):
        embedded += _fill(work, base, source, embedder, batch, progress)
        main = open_main()
        try:
            fresh = _scroll(main, base, vectors=False)
            if {str(r.id) for r in fresh} != {str(r.id) for r in source}:
                source = fresh  # documents changed while embedding: catch up, then try again
                continue
            points = _scroll(work, base, vectors=True)
            with translated_errors(f"rewrite {base}"):
                main.client.delete_collection(base)
                main.create_collection(base, embedder)
                for start in range(0, len(points), 256):
                    main.client.upsert(
                        base,
                        points=[
                            models.PointStruct(id=r.id, vector=r.vector, payload=r.payload)
                            for r in points[start : start + 256]
                        ],
                        wait=True,
                    )
            count = main.client.count(base, exact=True).count
        finally:
            main.close()
        with translated_errors(f"clean the work copy of {base}"):
            work.client.delete_collection(base)
        log.info(
            "knowledge_reindexed", collection=base, passages=count, embedded=embedded, embedder=embedder.name
        )
        return ReindexResult(base, count, embedded, True, before[0])
    raise KnowledgeError(f"the knowledge of {base} kept changing during the reindex; run it again")
