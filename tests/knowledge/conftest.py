"""Knowledge fixtures: the real offline embedder (loaded once), real Qdrant local mode in a tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voicebot.knowledge import InMemoryDocRegistry, KnowledgeService, MiniLMEmbedder, QdrantStore

SUPPORT_DOCS = Path(__file__).resolve().parents[2] / "scenarios" / "support" / "knowledge"


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[QdrantStore]:
    s = QdrantStore.local(tmp_path / "qdrant")
    yield s
    s.close()


@pytest.fixture
def registry() -> InMemoryDocRegistry:
    return InMemoryDocRegistry()


@pytest.fixture
def service(store: QdrantStore, embedder: MiniLMEmbedder, registry: InMemoryDocRegistry) -> KnowledgeService:
    return KnowledgeService(store=store, embedder=embedder, registry=registry)
