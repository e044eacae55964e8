"""Bots over HTTP: create and update from YAML, 422 with file:line:col, activation, phone numbers."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.seed import BROKEN_SCENARIO, scenario


async def test_create_list_get_and_read_back_the_scenario(api: Api) -> None:
    h = api.a.headers
    created = await api.client.post(
        "/v1/bots", headers=h, json={"scenario": scenario("second"), "phone_number": "+1 415 555 0111"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["created"] and body["version"] == 1
    assert body["bot"]["slug"] == "second" and body["bot"]["phone_number"] == "+14155550111"
    bots = (await api.client.get("/v1/bots", headers=h)).json()
    assert sorted(b["slug"] for b in bots) == ["mini", "second"]
    source = await api.client.get(f"/v1/bots/{body['bot']['id']}/scenario", headers=h)
    assert source.headers["content-type"].startswith("application/yaml")
    assert source.text == scenario("second")


async def test_a_broken_scenario_is_a_422_listing_file_line_col(api: Api) -> None:
    response = await api.client.post(
        "/v1/bots", headers=api.a.headers, json={"scenario": BROKEN_SCENARIO, "phone_number": "+14155550111"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "the scenario is invalid"
    assert body["problems"], body
    for p in body["problems"]:
        assert p["text"] == f"scenario.yaml:{p['line']}:{p['col']}: {p['message']}"
    assert any(
        "nowhere" in p["message"] and p["text"].startswith("scenario.yaml:13:13: ") for p in body["problems"]
    ), body
    # Not YAML at all is reported the same way.
    garbage = await api.client.post(
        "/v1/bots", headers=api.a.headers, json={"scenario": "a: [", "phone_number": "+14155550111"}
    )
    assert garbage.status_code == 422 and garbage.json()["problems"][0]["text"].startswith("scenario.yaml:")


async def test_creating_an_existing_bot_id_is_a_409(api: Api) -> None:
    response = await api.client.post(
        "/v1/bots", headers=api.a.headers, json={"scenario": scenario(), "phone_number": "+14155550111"}
    )
    assert response.status_code == 409


async def test_update_makes_a_new_version_and_keeps_a_deactivated_bot_inactive(api: Api) -> None:
    h, bot = api.a.headers, api.a.bot_id
    off = await api.client.post(f"/v1/bots/{bot}/deactivate", headers=h)
    assert off.json()["is_active"] is False
    changed = scenario().replace("Goodbye.", "Bye now.")
    updated = await api.client.put(f"/v1/bots/{bot}/scenario", headers=h, json={"scenario": changed})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2 and updated.json()["changed"] is True
    assert updated.json()["bot"]["is_active"] is False
    same = await api.client.put(f"/v1/bots/{bot}/scenario", headers=h, json={"scenario": changed})
    assert same.json()["version"] == 2 and same.json()["changed"] is False
    on = await api.client.post(f"/v1/bots/{bot}/activate", headers=h)
    assert on.json()["is_active"] is True
    # Another bot.id cannot be deployed onto this bot.
    other = await api.client.put(f"/v1/bots/{bot}/scenario", headers=h, json={"scenario": scenario("zzz")})
    assert other.status_code == 422 and "zzz" in other.json()["detail"]


async def test_phone_numbers_are_unique_across_companies(api: Api) -> None:
    h, bot = api.a.headers, api.a.bot_id
    taken = await api.client.put(f"/v1/bots/{bot}/phone", headers=h, json={"phone_number": api.b.phone})
    assert taken.status_code == 409
    assert "Beta" not in taken.text  # nothing about the other tenant but that the number is taken
    bad = await api.client.put(f"/v1/bots/{bot}/phone", headers=h, json={"phone_number": "12345"})
    assert bad.status_code == 422
    moved = await api.client.put(f"/v1/bots/{bot}/phone", headers=h, json={"phone_number": "+14155550122"})
    assert moved.status_code == 200 and moved.json()["phone_number"] == "+14155550122"
    # The old number is free again.
    b_moves = await api.client.put(
        f"/v1/bots/{api.b.bot_id}/phone", headers=api.b.headers, json={"phone_number": api.a.phone}
    )
    assert b_moves.status_code == 200


async def test_a_json_body_over_the_limit_is_a_413(api: Api) -> None:
    huge = "#" * (api.services.limits.max_body_bytes + 10)
    response = await api.client.post(
        "/v1/bots", headers=api.a.headers, json={"scenario": huge, "phone_number": "+1"}
    )
    assert response.status_code == 413
    assert response.json()["detail"]


async def test_a_chunked_body_is_cut_off_at_the_limit(api: Api) -> None:
    """No Content-Length: the body is counted as it streams in."""
    limit = api.services.limits.max_body_bytes

    async def body() -> Any:
        yield b'{"scenario": "'
        for _ in range(limit // 65536 + 2):
            yield b"#" * 65536
        yield b'", "phone_number": "+14155550111"}'

    response = await api.client.post(
        "/v1/bots", headers={**api.a.headers, "Content-Type": "application/json"}, content=body()
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
