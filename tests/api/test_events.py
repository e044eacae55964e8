"""Live events over SSE, through uvicorn on loopback, fed by the real recorder on a real Postgres."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from tests.api.seed import Tenant, tenant
from tests.api.sse import Reader, Served, recorder_on, serving, wait_for
from voicebot.api.event_hub import EventStreamSettings
from voicebot.storage import CallEnded, CallStarted, Recorder, SlotFilled, Transition, Turn
from voicebot.storage.records import ActionCalled


@pytest.fixture
async def tenants(db_pool: Any) -> tuple[Tenant, Tenant]:
    return await tenant(db_pool, "Alpha", "+14155550100"), await tenant(db_pool, "Beta", "+14155550199")


@pytest.fixture
async def served(db_pool: Any, tmp_path: Path, embedder: Any) -> AsyncIterator[Served]:
    async with serving(db_pool, tmp_path, embedder) as value:
        yield value


@pytest.fixture
async def recorder(db_pool: Any, tmp_path: Path) -> AsyncIterator[Recorder]:
    rec = recorder_on(db_pool, tmp_path)
    await rec.start()
    yield rec
    await rec.aclose()


def _gauge(stream: str) -> float:
    return REGISTRY.get_sample_value("voicebot_sse_clients", {"stream": stream}) or 0.0


async def _start_call(recorder: Recorder, bot_id: uuid.UUID) -> uuid.UUID:
    call_id = uuid.uuid4()
    recorder.record(CallStarted(call_id, bot_id, "inbound", "+12125550123", "+14155550100", None))
    assert await recorder.flush()
    return call_id


async def _turn(recorder: Recorder, call_id: uuid.UUID, seq: int, text: str = "") -> None:
    recorder.record(Turn(call_id, seq, "caller", text or f"turn {seq}", state=f"s{seq}", e2e_ms=400.0))
    recorder.record(Transition(call_id, seq, f"s{seq}", f"s{seq + 1}", "intent", {"intent": "yes"}))
    recorder.record(SlotFilled(call_id, seq, "time", f"1{seq}:00", 0.9, "regex", True, seq))
    assert await recorder.flush()


async def test_a_recorded_call_streams_live_in_order_and_ends_after_call_ended(
    served: Served, tenants: tuple[Tenant, Tenant], recorder: Recorder
) -> None:
    a, _ = tenants
    call_id = await _start_call(recorder, a.bot_id)
    async with (
        httpx.AsyncClient(base_url=served.url, headers=a.headers) as client,
        client.stream("GET", f"/v1/calls/{call_id}/events") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = Reader(response)
        first = await reader.next()
        assert first is not None and first.kind == "call.started"
        assert first.data["data"]["bot_id"] == str(a.bot_id) and first.data["call_id"] == str(call_id)
        assert reader.retry == 3000
        for seq in range(3):
            await _turn(recorder, call_id, seq)
        recorder.record(
            ActionCalled(call_id, 0, "lookup", "http", {"url": "https://x.test", "key": "***"}, "ok", 200)
        )
        recorder.record(CallEnded(call_id, dt.datetime.now(dt.UTC), "completed", "s3", "hangup"))
        assert await recorder.flush()
        live = await reader.rest()
    kinds = [(e.kind, e.data["data"].get("seq")) for e in live]
    assert kinds == [
        *[(k, seq) for seq in range(3) for k in ("turn", "transition", "slot")],
        ("action", 0),
        ("call.ended", None),
    ]
    ids = [first.id, *(e.id for e in live)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert live[0].data["data"]["text"] == "turn 0" and live[0].data["data"]["latency_ms"] == {"e2e": 400.0}
    assert live[2].data["data"]["value"] == "10:00"
    assert live[9].data["data"]["request"]["key"] == "***"
    assert live[-1].data["data"]["status"] == "completed"

    # Afterwards the same call replays in full and the stream ends at once; the texts are the API's.
    async with httpx.AsyncClient(base_url=served.url, headers=a.headers) as client:
        async with client.stream("GET", f"/v1/calls/{call_id}/events") as response:
            replayed = await Reader(response).rest()
        detail = (await client.get(f"/v1/calls/{call_id}")).json()
    assert [e.id for e in replayed] == ids
    assert [e.data["data"]["text"] for e in replayed if e.kind == "turn"] == [
        t["text"] for t in detail["transcript"]
    ]


async def test_reconnecting_with_last_event_id_gets_only_newer_events(
    served: Served, tenants: tuple[Tenant, Tenant], recorder: Recorder
) -> None:
    a, _ = tenants
    call_id = await _start_call(recorder, a.bot_id)
    await _turn(recorder, call_id, 0)
    async with httpx.AsyncClient(base_url=served.url, headers=a.headers) as client:
        async with client.stream("GET", f"/v1/calls/{call_id}/events") as response:
            seen = await Reader(response).take(2)  # call.started, turn 0; then the client goes away
        assert [e.kind for e in seen] == ["call.started", "turn"]
        await _turn(recorder, call_id, 1)
        recorder.record(CallEnded(call_id, dt.datetime.now(dt.UTC), "completed", "s2", "hangup"))
        assert await recorder.flush()
        headers = {"Last-Event-ID": str(seen[-1].id)}
        async with client.stream("GET", f"/v1/calls/{call_id}/events", headers=headers) as response:
            resumed = await Reader(response).rest()
        assert [(e.kind, e.data["data"].get("seq")) for e in resumed] == [
            ("transition", 0),
            ("slot", 0),
            ("turn", 1),
            ("transition", 1),
            ("slot", 1),
            ("call.ended", None),
        ]
        assert min(e.id for e in resumed) > seen[-1].id

        # The company stream resumes the same way: the call's start and end, after the given id.
        headers = {"Last-Event-ID": str(seen[0].id - 1)}
        async with client.stream("GET", "/v1/events", headers=headers) as response:
            company = await Reader(response).take(2)
        assert [(e.kind, e.data["call_id"]) for e in company] == [
            ("call.started", str(call_id)),
            ("call.ended", str(call_id)),
        ]
        bad = await client.get(f"/v1/calls/{call_id}/events", headers={"Last-Event-ID": "abc"})
        assert bad.status_code == 422


async def test_another_companys_call_is_404_and_its_starts_are_not_on_the_company_stream(
    served: Served, tenants: tuple[Tenant, Tenant], recorder: Recorder
) -> None:
    a, b = tenants
    async with (
        httpx.AsyncClient(base_url=served.url) as client,
        client.stream("GET", "/v1/events", headers=a.headers) as stream_a,
        client.stream("GET", "/v1/events", headers=b.headers) as stream_b,
    ):
        await wait_for(lambda: served.hub.clients == 2, what="two subscribers")
        call_a = await _start_call(recorder, a.bot_id)
        call_b = await _start_call(recorder, b.bot_id)
        got_a = await Reader(stream_a).next()
        got_b = await Reader(stream_b).next()
        assert got_a is not None and got_a.data["call_id"] == str(call_a)
        assert got_b is not None and got_b.data["call_id"] == str(call_b)
        for path in (f"/v1/calls/{call_a}/events", f"/v1/calls/{a.call_id}/events"):
            response = await client.get(path, headers=b.headers)
            assert response.status_code == 404 and set(response.json()) == {"detail"}
        ghost = await client.get(f"/v1/calls/{uuid.uuid4()}/events", headers=b.headers)
        assert ghost.status_code == 404
        assert (await client.get("/v1/events")).status_code == 401


async def test_a_client_that_disconnects_mid_stream_leaves_nothing_behind(
    db_pool: Any, tmp_path: Path, embedder: Any, tenants: tuple[Tenant, Tenant], recorder: Recorder
) -> None:
    a, _ = tenants
    call_id = await _start_call(recorder, a.bot_id)
    base = _gauge("call")
    settings = EventStreamSettings(keepalive=60)  # no keepalive write will reveal the closed socket
    async with (
        serving(db_pool, tmp_path, embedder, settings=settings) as served,
        httpx.AsyncClient(base_url=served.url, headers=a.headers) as client,
    ):
        async with client.stream("GET", f"/v1/calls/{call_id}/events") as response:
            assert (await Reader(response).next()) is not None
            assert served.hub.clients == 1 and _gauge("call") == base + 1
        # The client goes away mid-call (the call goes on): the server notices at once.
        await wait_for(lambda: served.hub.clients == 0, timeout=2, what="the stream to close")
        assert _gauge("call") == base
        assert served.hub._by_call == {} and served.hub._by_company == {}
        await _turn(recorder, call_id, 0)  # events of a call nobody follows go nowhere
        await asyncio.sleep(0.2)
        assert served.hub.clients == 0


async def test_a_client_that_stops_reading_is_cut_off_and_a_reading_one_gets_everything(
    db_pool: Any, tmp_path: Path, embedder: Any, tenants: tuple[Tenant, Tenant], recorder: Recorder
) -> None:
    a, _ = tenants
    settings = EventStreamSettings(keepalive=0.5, queue_size=32)
    before = REGISTRY.get_sample_value("voicebot_sse_clients_dropped_total", {"reason": "slow"}) or 0.0
    async with serving(db_pool, tmp_path, embedder, settings=settings) as served:
        call_id = await _start_call(recorder, a.bot_id)
        host, port = served.url.removeprefix("http://").split(":")
        # A client that sends its request and never reads a byte of the answer.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)  # fixed: no autotuning to megabytes
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        stalled = await asyncio.open_connection(sock=sock)
        request = (
            f"GET /v1/calls/{call_id}/events HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {a.api_key}\r\n\r\n"
        )
        stalled[1].write(request.encode())
        await wait_for(lambda: served.hub.clients == 1, what="the stalled client")
        text = "x" * 8000
        async with (
            httpx.AsyncClient(base_url=served.url, headers=a.headers) as client,
            client.stream("GET", f"/v1/calls/{call_id}/events") as response,
        ):
            reader = Reader(response)
            assert (await reader.next()) is not None
            await wait_for(lambda: served.hub.clients == 2, what="the reading client")
            turns = 1500

            async def produce() -> None:
                for seq in range(turns):
                    recorder.record(Turn(call_id, seq, "caller", text))
                    if seq % 10 == 9:
                        assert await recorder.flush()
                recorder.record(CallEnded(call_id, dt.datetime.now(dt.UTC), "completed", "x", "hangup"))
                assert await recorder.flush()

            producing = asyncio.create_task(produce())
            got = await reader.rest(timeout=60)
            await producing
        assert [e.data["data"]["seq"] for e in got if e.kind == "turn"] == list(range(turns))
        assert got[-1].kind == "call.ended"
        after = REGISTRY.get_sample_value("voicebot_sse_clients_dropped_total", {"reason": "slow"})
        assert after == before + 1
        stalled[1].close()
        await wait_for(lambda: served.hub.clients == 0, timeout=10, what="the stalled client to go")


async def test_over_the_client_cap_a_stream_is_refused_with_a_reason(
    db_pool: Any, tmp_path: Path, embedder: Any, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    settings = EventStreamSettings(keepalive=0.5, max_clients=1)
    async with (
        serving(db_pool, tmp_path, embedder, settings=settings) as served,
        httpx.AsyncClient(base_url=served.url, headers=a.headers) as client,
        client.stream("GET", "/v1/events") as first,
    ):
        assert first.status_code == 200
        refused = await client.get("/v1/events")
        assert refused.status_code == 503
        assert "VOICEBOT_SSE_MAX_CLIENTS=1" in refused.json()["detail"]
        assert refused.headers["retry-after"] == "5"
        assert served.hub.clients == 1
