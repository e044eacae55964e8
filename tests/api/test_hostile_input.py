"""Hostile input over HTTP: NaN/Infinity, NUL, lone surrogates, internal webhook URLs -> a 4xx with a
reason (never a 500, never a traceback in the log)."""

from __future__ import annotations

from typing import Any

import pytest
import structlog

from tests.api.conftest import Api
from tests.api.seed import scenario


def _raw(api: Api, method: str, url: str, body: str) -> Any:
    headers = {**api.a.headers, "Content-Type": "application/json"}
    return api.client.request(method, url, headers=headers, content=body.encode("utf-8"))


@pytest.mark.parametrize("body", ["NaN", '{"url": Infinity}', '{"url": -Infinity}', '{"url": NaN}'])
async def test_nan_and_infinity_bodies_are_a_422_that_serializes(api: Api, body: str) -> None:
    bot = api.a.bot_id
    targets = [
        ("PUT", "/v1/webhook"),
        ("POST", "/v1/bots"),
        ("PUT", f"/v1/bots/{bot}/scenario"),
        ("PUT", f"/v1/bots/{bot}/phone"),
    ]
    with structlog.testing.capture_logs() as logs:
        for method, url in targets:
            response = await _raw(api, method, url, body)
            assert response.status_code == 422, (method, url, response.text)
            errors = response.json()["detail"]
            assert errors and all({"loc", "msg", "type"} <= set(e) for e in errors), errors
            assert "Infinity" not in response.text and "NaN" not in response.text
    assert not [e for e in logs if e["log_level"] == "error"], logs


async def test_a_scenario_with_escaped_nul_or_surrogate_is_refused_with_line_and_col(api: Api) -> None:
    for escape, reason in (("\\0", "NUL"), ("\\ud800", "surrogate")):
        text = scenario("hostile").replace('say: "Goodbye."', f'say: "Good{escape}bye."')
        response = await api.client.post(
            "/v1/bots", headers=api.a.headers, json={"scenario": text, "phone_number": "+14155550112"}
        )
        assert response.status_code == 422, response.text
        problems = response.json()["problems"]
        found = next(p["text"] for p in problems if reason in p["message"])
        assert found.startswith("scenario.yaml:17:10: "), problems


async def test_a_lone_surrogate_in_the_json_text_is_refused(api: Api) -> None:
    # JSON escapes reach the app as a lone surrogate in a Python str.
    body = '{"scenario": "version: 1\\nbot: \\ud800\\n", "phone_number": "+14155550112"}'
    response = await _raw(api, "POST", "/v1/bots", body)
    assert response.status_code == 422, response.text
    assert "U+D800" in response.json()["problems"][0]["message"]
    phone = await _raw(api, "PUT", f"/v1/bots/{api.a.bot_id}/phone", '{"phone_number": "+1415\\ud800"}')
    assert phone.status_code == 422 and "surrogate" in phone.text, phone.text
    nul = await _raw(api, "PUT", f"/v1/bots/{api.a.bot_id}/phone", '{"phone_number": "+1415\\u0000"}')
    assert nul.status_code == 422 and "NUL" in nul.text, nul.text
    hook = await _raw(api, "PUT", "/v1/webhook", '{"url": "https://example.com/\\ud800"}')
    assert hook.status_code == 422 and hook.json()["detail"][0]["loc"] == ["body", "url"], hook.text


@pytest.mark.parametrize(
    "url",
    [
        "/v1/calls?outcome=%00",
        "/v1/calls?status=a%0d%0ab",
        "/v1/bots/%00",
        "/v1/webhook/events?cursor=%00",
        "/v1/bots/%ED%A0%80",
    ],
)
async def test_control_characters_and_bad_bytes_in_the_url_are_a_4xx(api: Api, url: str) -> None:
    with structlog.testing.capture_logs() as logs:
        response = await api.client.get(url, headers=api.a.headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]
    assert not [e for e in logs if e["log_level"] == "error"], logs


async def test_control_characters_in_the_url_are_named(api: Api) -> None:
    response = await api.client.get("/v1/calls?outcome=%00", headers=api.a.headers)
    assert response.status_code == 400
    assert "control characters" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "non-public address"),
        ("http://10.1.2.3/hook", "non-public address"),
        ("http://192.168.0.10/hook", "non-public address"),
        ("http://169.254.169.254/latest/meta-data", "non-public address"),
        ("http://[::1]/hook", "non-public address"),
        ("http://0.0.0.0/hook", "non-public address"),
        ("http://2130706433/hook", "resolves to 127.0.0.1"),
        ("http://0x7f000001/hook", "resolves to 127.0.0.1"),
        ("http://0177.0.0.1/hook", "resolves to 127.0.0.1"),
        ("http://localhost:8080/hook", "non-public address"),
        ("https://hooks.example.com@127.0.0.1/hook", "credentials"),
        ("https://user:pw@hooks.example.com/hook", "credentials"),
        ("https://hooks.example.com:99999/hook", "not a valid URL"),
        ("https://hooks.example.com/hook\r\nX-Evil: 1", "control characters"),
    ],
)
async def test_internal_webhook_urls_are_refused_when_saved(api: Api, url: str, reason: str) -> None:
    response = await api.client.put("/v1/webhook", headers=api.a.headers, json={"url": url})
    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"]
    shown = (await api.client.get("/v1/webhook", headers=api.a.headers)).json()
    assert shown["url"] == "https://alpha.example.com/hooks"  # unchanged


async def test_an_allowed_development_receiver_can_be_saved(
    make_api: Any, db_pool: Any, tmp_path: Any, embedder: Any
) -> None:
    from voicebot.outcomes import HostPolicy
    from voicebot.runtime_api import api_services_on
    from voicebot.settings import Settings

    services, _ = api_services_on(
        db_pool,
        Settings(data_dir=tmp_path),
        embedder=embedder,
        webhook_policy=HostPolicy.parse("127.0.0.0/8"),
    )
    async with make_api(services=services) as api:
        response = await api.client.put(
            "/v1/webhook", headers=api.a.headers, json={"url": "http://127.0.0.1:9/h"}
        )
        assert response.status_code == 200, response.text
        refused = await api.client.put(
            "/v1/webhook", headers=api.a.headers, json={"url": "http://10.0.0.1/h"}
        )
        assert refused.status_code == 422
