"""Hybrid search on a Qdrant server: dense and lexical vectors of every passage in one collection.

A collection created by a server store (:meth:`QdrantStore.server`) has two named vectors: ``dense``
(the embedder's) and ``lexical``, a sparse vector of the passage's Snowball stems (the same terms as the
local BM25, :func:`~voicebot.knowledge.terms.lexical_terms`): index = a stable hash of the term, value =
``1 + ln(tf)``; Qdrant applies the IDF (``modifier: idf``). A query runs both searches with the bot's
tenant filter and fuses them by reciprocal rank (k=60), exactly as a call's local snapshot does
(:mod:`~voicebot.knowledge.lexical`). Which passages count as an answer is the same rule: a dense cosine
at or above ``min_score``, or a lexical match covering at least half of the question's terms (counted
without IDF weights here, which the server keeps to itself).

Collections created before this (one unnamed dense vector) are searched dense-only until
``voicebot knowledge reindex`` rebuilds them in this layout.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qdrant_client import models

from voicebot.dialogue.ports import Passage
from voicebot.knowledge.embedders import Embedder, Vectors
from voicebot.knowledge.terms import lexical_terms

if TYPE_CHECKING:
    from voicebot.knowledge.store import QdrantStore

__all__ = ["DENSE", "LEXICAL", "point_vector", "search_hybrid", "sparse_of"]

DENSE = "dense"
LEXICAL = "lexical"
_POOL = 20
_MIN_COVERAGE = 0.5


def sparse_of(text: str) -> models.SparseVector:
    """The lexical vector of ``text``: one entry per distinct stem."""
    counts: dict[int, int] = {}
    for term in lexical_terms(text):
        key = zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF
        counts[key] = counts.get(key, 0) + 1
    keys = sorted(counts)
    return models.SparseVector(indices=keys, values=[1.0 + math.log(counts[k]) for k in keys])


def point_vector(vector: Sequence[float], text: str, *, hybrid: bool) -> Any:
    """What a point's ``vector`` is in a collection of that layout."""
    dense = [float(x) for x in vector]
    return {DENSE: dense, LEXICAL: sparse_of(text)} if hybrid else dense


def _coverage(query_terms: set[str], text: str) -> float:
    if not query_terms:
        return 0.0
    return len(query_terms & set(lexical_terms(text))) / len(query_terms)


def search_hybrid(
    store: QdrantStore,
    bot_id: str,
    query: str,
    vector: Vectors,
    *,
    top_k: int,
    embedder: Embedder,
    min_score: float,
) -> list[Passage]:
    """The ``top_k`` passages of the bot by RRF of dense and lexical ranks, only those good enough."""
    pool = max(_POOL, top_k)
    dense = store.search(bot_id, vector, top_k=pool, embedder=embedder)
    if not store.is_hybrid(bot_id):
        return [p for p in dense if p.score >= min_score][:top_k]
    terms = set(lexical_terms(query))
    lexical: list[Passage] = []
    if terms:
        name = store.collection_name(bot_id)
        with store.translated(f"search {name} by words"):
            response = store.client.query_points(
                name,
                query=sparse_of(query),
                using=LEXICAL,
                query_filter=store.scope(bot_id),
                limit=pool,
                with_payload=True,
            )
        lexical = [p for p in (store.passage_of(point, bot_id) for point in response.points) if p is not None]
    fused: dict[str, float] = {}
    admitted: set[str] = set()
    by_id: dict[str, Passage] = {}
    for rank, passage in enumerate(dense):
        fused[passage.chunk_id] = fused.get(passage.chunk_id, 0.0) + 1.0 / (60 + rank)
        by_id[passage.chunk_id] = passage
        if passage.score >= min_score:
            admitted.add(passage.chunk_id)
    for rank, passage in enumerate(lexical):
        fused[passage.chunk_id] = fused.get(passage.chunk_id, 0.0) + 1.0 / (60 + rank)
        if _coverage(terms, passage.text) >= _MIN_COVERAGE:
            admitted.add(passage.chunk_id)
        if passage.chunk_id not in by_id:  # found by words alone: it passed the lexical bar
            by_id[passage.chunk_id] = replace(passage, score=max(min_score, 0.0))
    ranked = sorted(admitted, key=fused.__getitem__, reverse=True)[:top_k]
    return [by_id[chunk_id] for chunk_id in ranked]
