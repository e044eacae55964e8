"""The outbound API: POST /v1/calls, campaigns from JSON and CSV, per-row errors, do-not-call.

The real app on a real Postgres; calls go through the real livekit-api client to the local LiveKit
server fake."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.fakes.livekit_server import FakeLiveKitServer
from voicebot.knowledge import MiniLMEmbedder
from voicebot.runtime_api import api_services_on
from voicebot.settings import Settings
from voicebot.telephony.outbound import LiveKitDialer

WINDOW = {"start": "00:00", "end": "24:00"}


@pytest.fixture
async def outbound_api(
    make_api: Callable[..., Any], db_pool: Any, tmp_path: Path, embedder: MiniLMEmbedder
) -> AsyncIterator[tuple[Api, FakeLiveKitServer]]:
    async with FakeLiveKitServer() as lk:
        client = lk.api()
        dialer = LiveKitDialer(client, default_trunk="ST_out")
        services, _ = api_services_on(db_pool, Settings(data_dir=tmp_path), embedder=embedder, dialer=dialer)
        try:
            async with make_api(services=services) as api:
                yield api, lk
        finally:
            await client.aclose()


async def _campaign_rows(api: Api) -> int:
    count: int = await api.pool.fetchval(
        "SELECT count(*) FROM campaigns WHERE company_id = $1", api.a.company_id
    )
    return count


async def test_post_calls_places_one_call_and_refuses_bad_or_blocked_numbers(
    outbound_api: tuple[Api, FakeLiveKitServer],
) -> None:
    api, lk = outbound_api
    a = api.a
    placed = await api.client.post(
        "/v1/calls",
        headers=a.headers,
        json={"bot_id": str(a.bot_id), "to": "+1 415 555 0111", "variables": {"name": "Ann"}},
    )
    assert placed.status_code == 202, placed.text
    body = placed.json()
    assert body["to"] == "+14155550111" and body["status"] == "ringing"
    meta = json.loads(lk.calls_to("AgentDispatchService/CreateDispatch")[0].metadata)
    assert meta["call_id"] == body["call_id"] and meta["bot_number"] == a.phone
    assert meta["variables"] == {"name": "Ann"}
    sip = lk.calls_to("SIP/CreateSIPParticipant")[0]
    assert sip.sip_call_to == "+14155550111" and sip.sip_trunk_id == "ST_out" and not sip.wait_until_answered

    bad = await api.client.post(
        "/v1/calls", headers=a.headers, json={"bot_id": str(a.bot_id), "to": "4155550111"}
    )
    assert bad.status_code == 422 and "international form" in bad.json()["detail"]
    added = await api.client.post("/v1/do-not-call", headers=a.headers, json={"numbers": ["+14155550122"]})
    assert added.json() == {"added": 1}
    blocked = await api.client.post(
        "/v1/calls", headers=a.headers, json={"bot_id": str(a.bot_id), "to": "+14155550122"}
    )
    assert blocked.status_code == 422 and "do-not-call" in blocked.json()["detail"]
    assert len(lk.calls_to("SIP/CreateSIPParticipant")) == 1


async def test_a_campaign_with_bad_rows_lists_each_and_creates_nothing(api: Api) -> None:
    a = api.a
    await api.client.post("/v1/do-not-call", headers=a.headers, json={"numbers": ["+4930901899"]})
    before = await _campaign_rows(api)
    response = await api.client.post(
        "/v1/campaigns",
        headers=a.headers,
        json={
            "bot_id": str(a.bot_id),
            "name": "recall",
            "timezone": "Europe/Berlin",
            "numbers": [
                {"phone": "+4930901801", "name": "Ann"},
                {"phone": "030 901802"},
                {"phone": "+4930901899"},
                {"phone": "+4930901801"},
                {"phone": "+4930901803", "timezone": "Berlin"},
            ],
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error_count"] == 4
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (2, "phone"),
        (3, "phone"),
        (4, "phone"),
        (5, "timezone"),
    ]
    assert (
        "do-not-call" in body["errors"][1]["reason"] and "duplicate of row 1" in body["errors"][2]["reason"]
    )
    assert await _campaign_rows(api) == before


async def test_a_window_in_the_past_or_empty_is_refused(api: Api) -> None:
    a = api.a
    base = {"bot_id": str(a.bot_id), "name": "late", "numbers": [{"phone": "+4930901801"}]}
    past = await api.client.post(
        "/v1/campaigns", headers=a.headers, json={**base, "window": {"ends_at": "2020-01-01T00:00:00Z"}}
    )
    assert past.status_code == 422 and "in the past" in past.json()["detail"]
    empty = await api.client.post(
        "/v1/campaigns", headers=a.headers, json={**base, "window": {"start": "18:00", "end": "09:00"}}
    )
    assert empty.status_code == 422 and "is empty" in empty.json()["detail"]


async def test_a_csv_campaign_is_created_started_paused_and_shows_its_progress(api: Api) -> None:
    a = api.a
    csv = "phone,timezone,first_name\n+4930901801,Europe/Berlin,Ann\n+12125550100,,Bob\n"
    created = await api.client.post(
        "/v1/campaigns/csv",
        headers={**a.headers, "Content-Type": "text/csv"},
        params={"bot_id": str(a.bot_id), "name": "csv one", "hours": "00:00-24:00", "max_concurrent": 3},
        content=csv.encode(),
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["status"] == "draft" and campaign["number_count"] == 2
    assert campaign["window"]["end"] == "24:00"
    cid = campaign["id"]
    started = await api.client.post(f"/v1/campaigns/{cid}/start", headers=a.headers)
    assert started.json()["status"] == "running"
    again = await api.client.post(f"/v1/campaigns/{cid}/start", headers=a.headers)
    assert again.status_code == 409
    paused = await api.client.post(f"/v1/campaigns/{cid}/pause", headers=a.headers)
    assert paused.json()["status"] == "paused"
    detail = (await api.client.get(f"/v1/campaigns/{cid}", headers=a.headers)).json()
    assert detail["progress"] == {"numbers": {"pending": 2}, "attempts": {}, "live": 0, "outcomes": {}}
    listed = (await api.client.get("/v1/campaigns", headers=a.headers)).json()
    assert cid in [c["id"] for c in listed]
    numbers = await api.pool.fetch(
        """SELECT phone_number, timezone, variables FROM campaign_numbers
           WHERE campaign_id = $1 ORDER BY row_no""",
        cid,
    )
    assert [(r[0], r[1], r[2]) for r in numbers] == [
        ("+4930901801", "Europe/Berlin", {"first_name": "Ann"}),
        ("+12125550100", "America/New_York", {"first_name": "Bob"}),
    ]


async def test_the_do_not_call_list_pages_and_removes(api: Api) -> None:
    a = api.a
    numbers = [f"+49309018{i:02d}" for i in range(5)]
    await api.client.post("/v1/do-not-call", headers=a.headers, json={"numbers": numbers, "reason": "asked"})
    page = (await api.client.get("/v1/do-not-call", headers=a.headers, params={"limit": 3})).json()
    assert [e["phone_number"] for e in page["items"]] == numbers[:3] and page["next_cursor"] == numbers[2]
    rest = (
        await api.client.get("/v1/do-not-call", headers=a.headers, params={"cursor": page["next_cursor"]})
    ).json()
    assert [e["phone_number"] for e in rest["items"]] == numbers[3:]
    removed = await api.client.post(
        "/v1/do-not-call/remove", headers=a.headers, json={"numbers": [numbers[0], "+4930900000"]}
    )
    assert removed.json() == {"removed": 1}
    bad = await api.client.post("/v1/do-not-call", headers=a.headers, json={"numbers": ["nope"]})
    assert bad.status_code == 422 and "numbers[0]" in bad.json()["detail"]
    # B's list is its own
    assert (await api.client.get("/v1/do-not-call", headers=api.b.headers)).json()["items"] == []


def hundred_thousand_rows(bad_every: int) -> tuple[bytes, int]:
    """100,000 data rows; every ``bad_every``-th row has a bad phone. Returns the CSV and the bad count."""
    lines = ["phone,timezone,order"]
    bad = 0
    for i in range(100_000):
        if bad_every and i % bad_every == 7:
            lines.append(f"0049{i:07d},Europe/Berlin,{i}")
            bad += 1
        else:
            lines.append(f"+4930{i:07d},Europe/Berlin,{i}")
    return ("\n".join(lines) + "\n").encode(), bad


async def test_a_100000_number_csv_with_bad_rows_reports_them_and_creates_nothing(api: Api) -> None:
    a = api.a
    data, bad = hundred_thousand_rows(bad_every=1000)
    before = await _campaign_rows(api)
    started = time.perf_counter()
    response = await api.client.post(
        "/v1/campaigns/csv",
        headers={**a.headers, "Content-Type": "text/csv"},
        params={"bot_id": str(a.bot_id), "name": "big"},
        content=data,
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    body = response.json()
    assert body["error_count"] == bad == 100
    first = body["errors"][0]
    assert (first["row"], first["line"], first["column"]) == (8, 9, "phone")
    assert "international form" in first["reason"]
    assert await _campaign_rows(api) == before
    assert await api.pool.fetchval("SELECT count(*) FROM campaign_numbers") == 2  # the two seeds' numbers
    assert elapsed < 60, f"validating 100,000 rows took {elapsed:.1f} s"
