"""Live events when Postgres goes away: the feed's LISTEN connection killed, the server restarted.

Each test runs the API under uvicorn on a cluster of this module's own (``private_postgres``) with the
feed on a connection of its own (``events_url``), keeps a company stream open throughout, and checks
that the call started after the outage still reaches the client, on the same stream.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.seed import tenant
from tests.api.sse import Reader, recorder_on, serving, wait_for
from tests.conftest import PrivatePostgres
from voicebot.storage import CallStarted, create_pool
from voicebot.storage.event_feed import EventFeed


@pytest.fixture
async def pool(private_postgres: PrivatePostgres) -> AsyncIterator[Any]:
    p = await create_pool(private_postgres.url, min_size=1, max_size=4)
    yield p
    await p.close()


async def _call_started(pool: Any, tmp: Path, bot_id: uuid.UUID) -> uuid.UUID:
    recorder = recorder_on(pool, tmp)
    await recorder.start()
    call_id = uuid.uuid4()
    recorder.record(CallStarted(call_id, bot_id, "inbound", "+12125550123", "+14155550100", None))
    assert await recorder.flush(timeout=20)
    await recorder.aclose()
    return call_id


def _feed(served: Any) -> EventFeed:
    feed = served.hub._feed
    assert isinstance(feed, EventFeed)
    return feed


async def test_the_feed_reconnects_after_its_connection_is_killed(
    pool: Any, private_postgres: PrivatePostgres, tmp_path: Path, embedder: Any
) -> None:
    a = await tenant(pool, f"Kill {uuid.uuid4().hex[:6]}", "+14155550111")
    async with (
        serving(pool, tmp_path, embedder, events_url=private_postgres.url) as served,
        httpx.AsyncClient(base_url=served.url, headers=a.headers) as client,
        client.stream("GET", "/v1/events") as response,
    ):
        feed = _feed(served)
        reader = Reader(response)
        assert feed.connected
        killed = await pool.fetchval(
            """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
               WHERE datname = current_database() AND query ILIKE 'LISTEN%'"""
        )
        assert killed == 1
        # Committed while the feed is (probably) still away: its NOTIFY reaches nobody.
        call_id = await _call_started(pool, tmp_path, a.bot_id)
        event = await reader.next(timeout=15)
        assert event is not None and (event.kind, event.data["call_id"]) == ("call.started", str(call_id))
        await wait_for(lambda: feed.reconnects >= 1 and feed.connected, what="the feed to reconnect")
        later = await _call_started(pool, tmp_path, a.bot_id)  # and the new LISTEN works
        event = await reader.next(timeout=15)
        assert event is not None and event.data["call_id"] == str(later)


async def test_the_feed_and_open_streams_survive_a_postgres_restart(
    pool: Any, private_postgres: PrivatePostgres, tmp_path: Path, embedder: Any
) -> None:
    a = await tenant(pool, f"Restart {uuid.uuid4().hex[:6]}", "+14155550122")
    async with (
        serving(pool, tmp_path, embedder, events_url=private_postgres.url) as served,
        httpx.AsyncClient(base_url=served.url, headers=a.headers) as client,
        client.stream("GET", "/v1/events") as response,
    ):
        feed = _feed(served)
        reader = Reader(response)
        private_postgres.stop()
        await wait_for(lambda: not feed.connected, timeout=20, what="the feed to notice")
        private_postgres.start()
        call_id = await _call_started(pool, tmp_path, a.bot_id)
        event = await reader.next(timeout=30)
        assert event is not None and (event.kind, event.data["call_id"]) == ("call.started", str(call_id))
        await wait_for(lambda: feed.connected, timeout=20, what="the feed to reconnect")
        assert served.hub.clients == 1  # the same stream, never closed
