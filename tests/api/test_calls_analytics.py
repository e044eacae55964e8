"""Calls (filters, keyset pagination, one call in full) and analytics (outcomes per day, funnel)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.conftest import Api
from tests.api.seed import add_call

DAY = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


async def _more_calls(api: Api) -> None:
    bot = api.a.bot_id
    for i in range(5):
        await add_call(api.pool, bot, started_at=DAY + dt.timedelta(minutes=i), outcome="booking")
    await add_call(
        api.pool,
        bot,
        started_at=DAY + dt.timedelta(hours=1),
        status="abandoned",
        outcome="hangup",
        final_state="ask",
        states=("ask",),
    )


async def test_list_filters_and_pages(api: Api) -> None:
    await _more_calls(api)
    h = api.a.headers
    everything = (await api.client.get("/v1/calls", headers=h, params={"limit": 200})).json()
    assert len(everything["items"]) == 7 and everything["next_cursor"] is None
    started = [c["started_at"] for c in everything["items"]]
    assert started == sorted(started, reverse=True)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get("/v1/calls", headers=h, params=params)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in everything["items"]]

    def ids(params: dict[str, Any]) -> Any:
        return api.client.get("/v1/calls", headers=h, params=params)

    assert len((await ids({"outcome": "booking"})).json()["items"]) == 5
    assert len((await ids({"status": "abandoned"})).json()["items"]) == 1
    day = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}
    assert len((await ids(day)).json()["items"]) == 6
    assert len((await ids({**day, "bot_id": str(api.a.bot_id), "outcome": "hangup"})).json()["items"]) == 1
    assert (await ids({"cursor": "not-a-cursor"})).status_code == 422
    assert (await ids({"from": "2026-03-02T00:00:00"})).status_code == 422  # no time zone
    assert (await ids({"status": "exploded"})).status_code == 422


async def test_one_call_with_transcript_state_path_slots_outcome_and_webhooks(api: Api) -> None:
    body = (await api.client.get(f"/v1/calls/{api.a.call_id}", headers=api.a.headers)).json()
    assert body["call"]["id"] == str(api.a.call_id) and body["call"]["outcome"] == "finished"
    assert body["call"]["duration_ms"] == 42_000 and body["call"]["scenario_version"] == 1
    assert [t["text"] for t in body["transcript"]] == ["line 0", "line 1"]
    assert body["transcript"][0]["latency_ms"] == {"e2e": 320.0}
    assert [(s["from_state"], s["to_state"]) for s in body["state_path"]] == [(None, "ask"), ("ask", "done")]
    assert body["slots"] == {"callback": True}
    assert body["outcome"]["outcome"] == "finished"
    [hook] = body["webhooks"]
    assert hook["event"]["event_id"] == str(api.a.event_id) and hook["event"]["status"] == "dead"
    assert [(a["attempt"], a["status_code"]) for a in hook["attempts"]] == [(1, 500)]


async def test_outcomes_per_day_and_the_funnel(api: Api) -> None:
    await _more_calls(api)
    h = api.a.headers
    per_day = (await api.client.get("/v1/analytics/outcomes", headers=h)).json()
    assert per_day == [
        {"day": "2026-03-01", "outcome": "finished", "calls": 1},
        {"day": "2026-03-02", "outcome": "booking", "calls": 5},
        {"day": "2026-03-02", "outcome": "hangup", "calls": 1},
    ]
    ranged = await api.client.get(
        "/v1/analytics/outcomes",
        headers=h,
        params={"from": "2026-03-02T00:00:00Z", "bot_id": str(api.a.bot_id)},
    )
    assert [r["calls"] for r in ranged.json()] == [5, 1]

    funnel = (await api.client.get(f"/v1/analytics/bots/{api.a.bot_id}/funnel", headers=h)).json()
    by_state = {s["state"]: s for s in funnel}
    assert by_state["ask"]["calls_reached"] == 7
    assert by_state["ask"]["calls_dropped_here"] == 1
    assert by_state["ask"]["drop_off_pct"] == round(100 / 7, 2)
    assert by_state["done"]["calls_reached"] == 6 and by_state["done"]["calls_ended_here"] == 6
    v1 = await api.client.get(f"/v1/analytics/bots/{api.a.bot_id}/funnel", headers=h, params={"version": 1})
    assert v1.json() == funnel
    v9 = await api.client.get(f"/v1/analytics/bots/{api.a.bot_id}/funnel", headers=h, params={"version": 9})
    assert v9.json() == []
