"""Knowledge over HTTP: upload (202) -> poll -> ready, unchanged re-upload, delete, size limits, and
ingestion owned by the app (cancelled and awaited on shutdown, leaving the document in error)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from tests.api.conftest import Api
from voicebot.api import ApiLimits, KnowledgeOps

FAQ = b"""# FAQ

## Opening hours

We are open Monday to Friday from 9 am to 6 pm, and on Saturday mornings.

## Parking

Free parking is available behind the building for all patients.
"""


async def _poll(api: Api, url: str, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(300):
        doc: dict[str, Any] = (await api.client.get(url, headers=headers)).json()
        if doc["status"] != "processing":
            return doc
        await asyncio.sleep(0.05)
    raise AssertionError(f"still processing: {doc}")


async def test_upload_poll_ready_reupload_and_delete(api: Api) -> None:
    h, bot = api.a.headers, api.a.bot_id
    response = await api.client.post(f"/v1/bots/{bot}/knowledge", headers=h, files={"file": ("faq.md", FAQ)})
    assert response.status_code == 202, response.text
    doc = response.json()
    assert doc["status"] == "processing" and doc["filename"] == "faq.md"
    assert response.headers["location"] == f"/v1/bots/{bot}/knowledge/{doc['id']}"
    ready = await _poll(api, response.headers["location"], h)
    assert ready["status"] == "ready", ready
    assert ready["chunk_count"] >= 1 and ready["id"] == doc["id"]

    again = await api.client.post(f"/v1/bots/{bot}/knowledge", headers=h, files={"file": ("faq.md", FAQ)})
    assert again.status_code == 200 and again.json()["status"] == "ready"

    listed = (await api.client.get(f"/v1/bots/{bot}/knowledge", headers=h)).json()
    assert [d["filename"] for d in listed] == ["faq.md"]
    deleted = await api.client.delete(f"/v1/bots/{bot}/knowledge/{doc['id']}", headers=h)
    assert deleted.status_code == 204
    assert (await api.client.get(f"/v1/bots/{bot}/knowledge/{doc['id']}", headers=h)).status_code == 404


async def test_a_document_that_cannot_be_read_ends_in_error_with_the_reason(api: Api) -> None:
    h, bot = api.a.headers, api.a.bot_id
    response = await api.client.post(
        f"/v1/bots/{bot}/knowledge", headers=h, files={"file": ("scan.pdf", b"%PDF-1.4 not really a pdf")}
    )
    assert response.status_code == 202
    doc = await _poll(api, response.headers["location"], h)
    assert doc["status"] == "error" and "scan.pdf" in doc["error_message"]


async def test_unsupported_types_and_unsafe_names_are_refused_before_anything_is_stored(api: Api) -> None:
    h, bot = api.a.headers, api.a.bot_id
    exe = await api.client.post(f"/v1/bots/{bot}/knowledge", headers=h, files={"file": ("tool.exe", b"MZ")})
    assert exe.status_code == 422 and "unsupported file type" in exe.json()["detail"]
    sneaky = await api.client.post(
        f"/v1/bots/{bot}/knowledge", headers=h, files={"file": ("../../etc/notes.md", b"hello there")}
    )
    assert sneaky.status_code == 202 and sneaky.json()["filename"] == "notes.md"
    await api.app.state.work.join()


async def test_an_upload_over_the_limit_is_a_413(make_api: Callable[..., Any]) -> None:
    async with make_api(limits=ApiLimits(max_upload_bytes=1000)) as api:
        url = f"/v1/bots/{api.a.bot_id}/knowledge"
        # Over the file limit but within the multipart allowance: the handler's own cap.
        small_over = await api.client.post(
            url, headers=api.a.headers, files={"file": ("big.txt", b"x" * 1500)}
        )
        assert small_over.status_code == 413, small_over.text
        # Far over: refused from Content-Length before the body is read.
        far_over = await api.client.post(
            url, headers=api.a.headers, files={"file": ("big.txt", b"x" * 200_000)}
        )
        assert far_over.status_code == 413
        assert far_over.json()["detail"]
        docs = (await api.client.get(url, headers=api.a.headers)).json()
        assert [d["filename"] for d in docs] == ["faq.md"]  # the seeded row only


class _StuckKnowledge:
    """Ingestion that never finishes until cancelled (the app's shutdown must cancel and await it)."""

    embedder_name = "stuck"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False

    @asynccontextmanager
    async def open(self) -> AsyncIterator[KnowledgeOps]:
        yield self

    async def add(self, bot_id: uuid.UUID, path: Any) -> object:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return None

    async def remove(self, bot_id: uuid.UUID, ref: str) -> object:
        return None


async def test_shutdown_cancels_ingestion_and_leaves_the_document_in_error(
    make_api: Callable[..., Any], db_pool: Any, tmp_path: Any, embedder: Any
) -> None:
    from voicebot.runtime_api import api_services_on
    from voicebot.settings import Settings

    stuck = _StuckKnowledge()
    services, _ = api_services_on(db_pool, Settings(data_dir=tmp_path), embedder=embedder)
    services = replace(services, knowledge=stuck)
    async with make_api(services=services) as api:
        url = f"/v1/bots/{api.a.bot_id}/knowledge"
        response = await api.client.post(url, headers=api.a.headers, files={"file": ("faq2.md", FAQ)})
        assert response.status_code == 202
        doc_id = response.json()["id"]
        await asyncio.wait_for(stuck.started.wait(), 5)
    # The lifespan has ended: the task was cancelled and awaited, the row is not left 'processing'.
    assert stuck.cancelled
    status, message = await db_pool.fetchrow(
        "SELECT status, error_message FROM knowledge_docs WHERE id = $1", uuid.UUID(doc_id)
    )
    assert status == "error" and "interrupted" in message
