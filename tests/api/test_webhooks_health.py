"""Webhook endpoint, secret rotation, test events, deliveries and redelivery; health, readiness, metrics."""

from __future__ import annotations

import re
from typing import Any

from tests.api.conftest import Api
from voicebot.runtime_api import api_services_on
from voicebot.settings import Settings
from voicebot.storage import Companies, create_pool


async def test_endpoint_rotation_test_event_and_redelivery(api: Api) -> None:
    h = api.a.headers
    assert (await api.client.put("/v1/webhook", headers=h, json={"url": "ftp://x"})).status_code == 422
    await api.pool.execute(
        "UPDATE companies SET webhook_disabled_at = now(), webhook_disabled_reason = '410' WHERE id = $1",
        api.a.company_id,
    )
    updated = (
        await api.client.put("/v1/webhook", headers=h, json={"url": "https://new.example.com/h"})
    ).json()
    assert updated["url"] == "https://new.example.com/h" and updated["disabled_at"] is None

    before = await Companies(api.pool).webhook_secrets(api.a.company_id)
    rotated = await api.client.post("/v1/webhook/secret", headers=h)
    assert rotated.status_code == 200
    secret = rotated.json()["secret"]
    assert secret.startswith("whsec_") and secret != before[0]
    assert await Companies(api.pool).webhook_secrets(api.a.company_id) == [secret, before[0]]
    shown = (await api.client.get("/v1/webhook", headers=h)).text
    assert secret not in shown  # shown once
    assert "previous_secret_expires_at" in shown

    test = await api.client.post("/v1/webhook/test", headers=h)
    assert test.status_code == 202
    event = test.json()
    assert event["event_type"] == "webhook.test" and event["status"] == "pending"
    payload = await api.pool.fetchval(
        "SELECT payload FROM webhook_outbox WHERE event_id = $1", event["event_id"]
    )
    assert payload["type"] == "webhook.test" and payload["id"] == event["event_id"]
    assert payload["company_id"] == str(api.a.company_id)

    listed = (await api.client.get("/v1/webhook/events", headers=h)).json()
    assert [e["event_id"] for e in listed["items"]] == [event["event_id"], str(api.a.event_id)]
    dead = (await api.client.get("/v1/webhook/events", headers=h, params={"status": "dead"})).json()
    assert [e["event_id"] for e in dead["items"]] == [str(api.a.event_id)]
    page = (await api.client.get("/v1/webhook/events", headers=h, params={"limit": 1})).json()
    rest = (
        await api.client.get("/v1/webhook/events", headers=h, params={"cursor": page["next_cursor"]})
    ).json()
    assert [e["event_id"] for e in page["items"] + rest["items"]] == [e["event_id"] for e in listed["items"]]

    detail = (await api.client.get(f"/v1/webhook/events/{api.a.event_id}", headers=h)).json()
    assert [a["status_code"] for a in detail["attempts"]] == [500]
    again = (await api.client.post(f"/v1/webhook/events/{api.a.event_id}/redeliver", headers=h)).json()
    assert again["status"] == "pending" and again["last_error"] is None


async def test_health_readiness_and_metrics(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok", "reason": None}
    assert (await api.client.get("/readyz")).json()["status"] == "ready"
    await api.client.get(f"/v1/bots/{api.a.bot_id}", headers=api.a.headers)
    metrics = (await api.client.get("/metrics")).text
    assert 'voicebot_api_requests_total{method="GET",route="/v1/bots/{bot_id}",status="2xx"}' in metrics
    assert "voicebot_api_request_duration_seconds_bucket" in metrics
    uuid_like = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    assert not uuid_like.search(metrics), "ids must never be metric labels"


async def test_readyz_is_503_while_migrations_are_pending(empty_database_url: str, tmp_path: Any) -> None:
    import httpx
    from fastapi import FastAPI

    from voicebot.api import create_app

    pool = await create_pool(empty_database_url, min_size=1, max_size=1)
    try:
        services, _ = api_services_on(pool, Settings(data_dir=tmp_path))
        app: FastAPI = create_app(services)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.get("/readyz")
    finally:
        await pool.close()
    assert response.status_code == 503
    assert "pending" in response.json()["reason"] and "voicebot db migrate" in response.json()["reason"]
