"""voicebot.knowledge: documents in, passages out.

Ingestion (extract -> chunk -> embed -> Qdrant) is :class:`KnowledgeService`; call-time retrieval is
:class:`QdrantRetriever` (the dialogue ports' Retriever); :func:`extractive_answer` picks the sentences
to speak when no LLM is configured. qdrant-client, onnxruntime, tokenizers and the document parsers
are imported only inside this package.

Names are imported lazily, so ``from voicebot.knowledge.answer import extractive_answer`` (or this
package's ``extractive_answer``) does not load qdrant-client or onnxruntime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voicebot.knowledge.answer import extractive_answer
    from voicebot.knowledge.embedders import Embedder, MiniLMEmbedder, OpenAIEmbedder, embedder_from_settings
    from voicebot.knowledge.registry import DocRegistry, DocRow, InMemoryDocRegistry
    from voicebot.knowledge.retriever import QdrantRetriever, open_call_retriever, open_store, reindex_bot
    from voicebot.knowledge.service import IngestLimits, KnowledgeService
    from voicebot.knowledge.snapshot import SnapshotIndex
    from voicebot.knowledge.store import QdrantStore

__all__ = [
    "DocRegistry",
    "DocRow",
    "Embedder",
    "InMemoryDocRegistry",
    "IngestLimits",
    "KnowledgeService",
    "MiniLMEmbedder",
    "OpenAIEmbedder",
    "QdrantRetriever",
    "QdrantStore",
    "SnapshotIndex",
    "embedder_from_settings",
    "extractive_answer",
    "open_call_retriever",
    "open_store",
    "reindex_bot",
]

_WHERE = {
    "extractive_answer": "answer",
    "Embedder": "embedders",
    "MiniLMEmbedder": "embedders",
    "OpenAIEmbedder": "embedders",
    "embedder_from_settings": "embedders",
    "DocRegistry": "registry",
    "InMemoryDocRegistry": "registry",
    "DocRow": "registry",
    "QdrantRetriever": "retriever",
    "open_call_retriever": "retriever",
    "open_store": "retriever",
    "reindex_bot": "retriever",
    "IngestLimits": "service",
    "KnowledgeService": "service",
    "QdrantStore": "store",
    "SnapshotIndex": "snapshot",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'voicebot.knowledge' has no attribute {name!r}")
    return getattr(importlib.import_module(f"voicebot.knowledge.{module}"), name)
