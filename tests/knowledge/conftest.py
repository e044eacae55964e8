"""Knowledge fixtures: the real offline embedder (loaded once), real Qdrant local mode in a tmp dir."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from voicebot.knowledge import (
    InMemoryDocRegistry,
    KnowledgeService,
    MiniLMEmbedder,
    OpenAIEmbedder,
    QdrantStore,
)

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


class _Embeddings(BaseHTTPRequestHandler):
    model: MiniLMEmbedder
    fail_after: int | None = None  # answer 500 once this many requests were served
    served = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        if cls.fail_after is not None and cls.served >= cls.fail_after:
            status, payload = 500, {"error": {"message": "overloaded", "type": "server_error"}}
        else:
            cls.served += 1
            vectors = cls.model.embed(body["input"])
            padded = np.zeros((len(vectors), 1536), dtype=np.float32)
            padded[:, : vectors.shape[1]] = vectors
            status = 200
            payload = {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(padded)
                ],
                "model": body["model"],
                "usage": {},
            }
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def openai_embedder(embedder: MiniLMEmbedder) -> Iterator[OpenAIEmbedder]:
    handler = type("Handler", (_Embeddings,), {"model": embedder, "fail_after": None, "served": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    e = OpenAIEmbedder(
        api_key="sk-test", base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", batch_size=8
    )
    e.handler = handler  # type: ignore[attr-defined]
    e.url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # type: ignore[attr-defined]
    yield e
    server.shutdown()
    server.server_close()
