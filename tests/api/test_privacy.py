"""/v1/privacy, /v1/retention and /v1/calls/{id}/analysis: the company's post-call settings through the
real app; bad values are 422 with a reason, never a 500."""

from __future__ import annotations

from tests.api.conftest import Api


async def test_a_company_sets_its_privacy_policy_and_a_bots(api: Api) -> None:
    a = api.a
    r = await api.client.put(
        "/v1/privacy", headers=a.headers, json={"mode": "redact", "recognizers": ["card"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()[0]["mode"] == "redact" and r.json()[0]["recognizers"] == ["card"]
    r = await api.client.put(
        "/v1/privacy",
        headers=a.headers,
        json={"mode": "redact_drop_raw", "drop_raw_after_days": 30, "bot": str(a.bot_id)},
    )
    assert r.status_code == 200, r.text
    assert [p["mode"] for p in r.json()] == ["redact", "redact_drop_raw"]
    # the other company sees none of it
    assert (await api.client.get("/v1/privacy", headers=api.b.headers)).json() == []


async def test_an_unknown_recognizer_and_a_bad_mode_are_422_with_a_reason(api: Api) -> None:
    h = api.a.headers
    r = await api.client.put(
        "/v1/privacy", headers=h, json={"mode": "redact", "recognizers": ["card", "ssn"]}
    )
    assert r.status_code == 422 and "unknown recognizer 'ssn'" in r.json()["detail"]
    r = await api.client.put("/v1/privacy", headers=h, json={"mode": "redact_drop_raw"})
    assert r.status_code == 422 and "drop_raw_after_days" in r.text
    r = await api.client.put("/v1/privacy", headers=h, json={"mode": "shred"})
    assert r.status_code == 422


async def test_retention_of_minus_one_day_is_422_and_valid_values_stick(api: Api) -> None:
    h = api.a.headers
    r = await api.client.put("/v1/retention", headers=h, json={"calls_days": -1})
    assert r.status_code == 422 and "retention of -1 days is invalid" in r.json()["detail"]
    r = await api.client.put("/v1/retention", headers=h, json={"calls_days": 365, "turns_days": 30})
    assert r.json() == {"calls_days": 365, "turns_days": 30}
    assert (await api.client.get("/v1/retention", headers=h)).json() == {"calls_days": 365, "turns_days": 30}
    r = await api.client.put("/v1/retention", headers=h, json={"calls_days": 10**12})
    assert r.status_code == 422


async def test_a_calls_analysis_is_served_to_its_company_only(api: Api) -> None:
    url = f"/v1/calls/{api.a.call_id}/analysis"
    r = await api.client.get(url, headers=api.a.headers)
    assert r.status_code == 200 and r.json()["summary"] == "Inbound call."
    assert (await api.client.get(url, headers=api.b.headers)).status_code == 404
