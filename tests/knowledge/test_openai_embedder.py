"""The OpenAI embedder against a local fake of the embeddings endpoint (no network)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from voicebot.errors import ProviderError
from voicebot.knowledge import OpenAIEmbedder, embedder_from_settings
from voicebot.settings import Settings


class FakeOpenAI(BaseHTTPRequestHandler):
    status = 200
    requests: list[dict[str, Any]] = []  # noqa: RUF012 - shared on purpose: the test reads what arrived

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOpenAI.requests.append(body)
        if FakeOpenAI.status != 200:
            payload: dict[str, Any] = {"error": {"message": "overloaded", "type": "server_error"}}
        else:
            data = [
                {"object": "embedding", "index": i, "embedding": [float(len(t))] + [1.0] * 1535}
                for i, t in enumerate(body["input"])
            ]
            payload = {"object": "list", "data": data[::-1], "model": body["model"], "usage": {}}
        raw = json.dumps(payload).encode()
        self.send_response(FakeOpenAI.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    FakeOpenAI.status, FakeOpenAI.requests = 200, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_embeds_in_input_order_normalised(base_url: str) -> None:
    embedder = OpenAIEmbedder(api_key="sk-test", base_url=base_url, batch_size=2)
    vectors = embedder.embed(["a", "bbb", "cc"])
    assert vectors.shape == (3, 1536)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert list(vectors[:, 0] > vectors[0, 0]) == [False, True, True]  # order kept despite reversed data
    assert [r["input"] for r in FakeOpenAI.requests] == [["a", "bbb"], ["cc"]]
    assert FakeOpenAI.requests[0]["model"] == "text-embedding-3-small"
    assert embedder.name == "openai:text-embedding-3-small"


def test_server_errors_are_retryable_provider_errors(base_url: str) -> None:
    FakeOpenAI.status = 503
    embedder = OpenAIEmbedder(api_key="sk-test", base_url=base_url, timeout=2)
    with pytest.raises(ProviderError, match="HTTP 503") as info:
        embedder.embed(["hello"])
    assert info.value.retryable and info.value.provider == "openai"


def test_the_key_decides_the_default_embedder() -> None:
    assert embedder_from_settings(Settings()).name == "all-MiniLM-L6-v2-int8"
    openai = embedder_from_settings(Settings(openai_api_key="sk-x", openai_base_url="http://127.0.0.1:9/v1"))
    assert (openai.name, openai.dimension) == ("openai:text-embedding-3-small", 1536)
