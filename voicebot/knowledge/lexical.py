"""Lexical retrieval: BM25 over Snowball stems (Russian and English), fused with dense scores.

The offline embedder (MiniLM L6) is English-only; Russian questions find their passages by words.
Each word is stemmed by its script (Cyrillic: Russian Snowball, else English Snowball), so
"закрываетесь" meets "закрываемся" and "speeds" meets "speed". The index is built once, when a call
takes its snapshot of the bot's passages (:class:`HybridIndex`), and searched in memory.

Fusion is reciprocal rank fusion (RRF, k=60) of the dense top-N and the lexical top-N: it needs no
calibration between cosine and BM25 scales. Which passages count as an answer: a dense cosine at or
above the embedder's ``min_score``, or a lexical match covering at least half of the question's
weighted terms (so a Russian question over Russian documents is answered without a multilingual
model, and a question sharing no word and no meaning with the documents still gets the fallback).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from voicebot.dialogue.ports import Passage
from voicebot.knowledge.embedders import Embedder, Vectors
from voicebot.knowledge.snapshot import SnapshotIndex
from voicebot.knowledge.terms import lexical_terms

__all__ = ["HybridIndex", "LexicalIndex"]


class LexicalIndex:
    """BM25 (k1=1.2, b=0.75) over a fixed list of texts; built once, searched many times."""

    def __init__(self, texts: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        postings: dict[str, list[tuple[int, int]]] = {}
        lengths: list[int] = []
        for i, text in enumerate(texts):
            counts: dict[str, int] = {}
            for term in lexical_terms(text):
                counts[term] = counts.get(term, 0) + 1
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                postings.setdefault(term, []).append((i, tf))
        n = len(lengths)
        average = (sum(lengths) / n) if n else 1.0
        norm = np.asarray([k1 * (1 - b + b * length / max(average, 1e-9)) for length in lengths])
        self._n = n
        self._idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()}
        # Per term: the passages holding it and their precomputed BM25 weights (numpy, one add per term).
        self._postings: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = {}
        for term, plist in postings.items():
            index = np.asarray([i for i, _ in plist], dtype=np.int64)
            freq = np.asarray([t for _, t in plist], dtype=np.float64)
            self._postings[term] = (index, self._idf[term] * freq * (k1 + 1) / (freq + norm[index]))

    def __len__(self) -> int:
        return self._n

    def search(self, query: str, *, top_k: int) -> list[tuple[int, float, float]]:
        """The best ``top_k`` texts as (position, bm25 score, coverage), best first.

        Coverage is the share of the query's IDF mass the text contains (0..1): how much of the
        question it answers, comparable across questions, unlike the raw BM25 score.
        """
        terms = set(lexical_terms(query))
        known = [t for t in terms if t in self._postings]
        if not known or self._n == 0:
            return []
        # Query terms absent from the corpus still count in the mass: the question asks about them.
        unseen_idf = math.log(1 + (self._n + 0.5) / 0.5)
        total = sum(self._idf[t] for t in known) + unseen_idf * (len(terms) - len(known))
        scores = np.zeros(self._n)
        matched = np.zeros(self._n)
        for term in known:
            index, weight = self._postings[term]
            scores[index] += weight
            matched[index] += self._idf[term]
        k = min(top_k, int(np.count_nonzero(scores)))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(i), float(scores[i]), float(matched[i]) / total) for i in best]


class HybridIndex:
    """A call's snapshot of one bot's passages searched both ways: dense cosine and BM25, fused."""

    def __init__(
        self,
        dense: SnapshotIndex,
        *,
        ids: Sequence[str],
        payloads: Sequence[Mapping[str, Any]],
        pool: int = 30,
        min_coverage: float = 0.5,
    ) -> None:
        self.dense = dense
        self.bot_id = dense.bot_id
        self._ids = list(ids)
        self._payloads = list(payloads)
        self._position = {chunk_id: i for i, chunk_id in enumerate(self._ids)}
        self.lexical = LexicalIndex([str(p.get("text", "")) for p in self._payloads])
        self._pool = pool
        self.min_coverage = min_coverage

    @classmethod
    def over(cls, dense: SnapshotIndex) -> HybridIndex:
        """The hybrid index of a dense snapshot's own passages."""
        return cls(dense, ids=dense.ids, payloads=dense.payloads)

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, bot_id: str, vector: Vectors, *, top_k: int, embedder: Embedder) -> list[Passage]:
        """Dense-only search (the PassageIndex protocol)."""
        return self.dense.search(bot_id, vector, top_k=top_k, embedder=embedder)

    def _passage(self, i: int, score: float) -> Passage:
        p = self._payloads[i]
        return Passage(
            chunk_id=self._ids[i],
            doc_id=str(p.get("doc_id", "")),
            text=str(p.get("text", "")),
            score=score,
            source=str(p.get("source", "")),
            page=p.get("page"),
            section=p.get("section"),
        )

    def search_hybrid(
        self, bot_id: str, query: str, vector: Vectors, *, top_k: int, embedder: Embedder, min_score: float
    ) -> list[Passage]:
        """The ``top_k`` passages by RRF of dense and lexical ranks, only those good enough to answer.

        A passage's ``score`` stays its cosine when dense search saw it; a passage found by words
        alone scores ``min_score`` (it passed the lexical bar, not the dense one).
        """
        dense = self.dense.search(bot_id, vector, top_k=max(self._pool, top_k), embedder=embedder)
        if bot_id != self.bot_id:
            return []
        lexical = self.lexical.search(query, top_k=max(self._pool, top_k))
        fused: dict[str, float] = {}
        cosine: dict[str, float] = {}
        admitted: set[str] = set()
        for rank, passage in enumerate(dense):
            fused[passage.chunk_id] = fused.get(passage.chunk_id, 0.0) + 1.0 / (60 + rank)
            cosine[passage.chunk_id] = passage.score
            if passage.score >= min_score:
                admitted.add(passage.chunk_id)
        for rank, (i, _score, coverage) in enumerate(lexical):
            chunk_id = self._ids[i]
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (60 + rank)
            if coverage >= self.min_coverage:
                admitted.add(chunk_id)
        ranked = sorted(admitted, key=fused.__getitem__, reverse=True)[:top_k]
        by_id = {p.chunk_id: p for p in dense}
        result = []
        for chunk_id in ranked:
            if chunk_id in by_id:
                result.append(replace(by_id[chunk_id], score=cosine[chunk_id]))
            else:
                result.append(self._passage(self._position[chunk_id], max(min_score, 0.0)))
        return result

    def close(self) -> None:
        self.dense.close()
        self._ids, self._payloads, self._position = [], [], {}
        self.lexical = LexicalIndex([])
