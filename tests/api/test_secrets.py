"""``/v1/secrets``: set, replace and delete a company's action secrets; values are never shown back."""

from __future__ import annotations

from tests.api.conftest import Api
from voicebot.storage.repositories.company_secrets import CompanySecrets


async def test_api_sets_replaces_lists_and_deletes_without_ever_returning_a_value(api: Api) -> None:
    a, b = api.a, api.b
    put = await api.client.put("/v1/secrets", json={"name": "crm_token", "value": "v-1"}, headers=a.headers)
    assert put.status_code == 200 and [s["name"] for s in put.json()["items"]] == ["crm_token"]
    await api.client.put("/v1/secrets", json={"name": "crm_token", "value": "v-2"}, headers=a.headers)
    listed = await api.client.get("/v1/secrets", headers=a.headers)
    assert "v-1" not in listed.text and "v-2" not in listed.text
    store = CompanySecrets(api.pool)
    assert await store.values(a.company_id, ["crm_token", "other"]) == {"crm_token": "v-2"}
    assert await store.values(b.company_id, ["crm_token"]) == {}  # scoped to the company
    bad = await api.client.put("/v1/secrets", json={"name": "Bad Name", "value": "x"}, headers=a.headers)
    assert bad.status_code == 422
    gone = await api.client.put("/v1/secrets", json={"name": "crm_token", "value": None}, headers=a.headers)
    assert gone.json()["items"] == [] and await store.values(a.company_id, ["crm_token"]) == {}


async def test_call_detail_shows_the_actions_the_call_ran(api: Api) -> None:
    from voicebot.storage import PostgresSink
    from voicebot.storage.records import ActionCalled

    request = {
        "method": "GET",
        "url": "https://crm.example.com/a/1",
        "headers": {"authorization": "Bearer ***"},
    }
    rejected = await PostgresSink(api.pool).write(
        [
            ActionCalled(
                api.a.call_id, 0, "lookup", "http", request, "timeout", None, "no answer", "timeout", 3001.5
            )
        ]
    )
    assert not rejected
    detail = (await api.client.get(f"/v1/calls/{api.a.call_id}", headers=api.a.headers)).json()
    [action] = detail["actions"]
    assert (action["action"], action["kind"], action["status"], action["error_kind"]) == (
        "lookup",
        "http",
        "timeout",
        "timeout",
    )
    assert action["request"]["headers"] == {"authorization": "Bearer ***"}
