"""Tenant isolation: company B's key against company A's ids is a 404 on every route, indistinguishable
from an id that does not exist, and changes nothing of A's. The routes are enumerated from the app, so a
new route cannot be forgotten: it must be public, take a body listed here, or be walked."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute

from tests.api.conftest import Api
from tests.api.seed import Tenant, scenario
from tests.api.statements import StatementLog
from voicebot.api.health import PUBLIC_PATHS

# Streams that never end by themselves (httpx's ASGI transport waits for a response's end): walked over
# HTTP in tests/api/test_events.py (another company's calls are not on it; without a key it is a 401).
ENDLESS = {("GET", "/v1/events")}

# A valid request body per route that takes one (so validation passes and the handler runs).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/bots"): {"json": {"scenario": scenario("other"), "phone_number": "+14155550177"}},
    ("PUT", "/v1/bots/{bot_id}/scenario"): {"json": {"scenario": scenario()}},
    ("POST", "/v1/bots/{bot_id}/replay"): {"json": {"scenario": scenario()}},
    ("PUT", "/v1/bots/{bot_id}/phone"): {"json": {"phone_number": "+14155550188"}},
    ("POST", "/v1/bots/{bot_id}/knowledge"): {"files": {"file": ("notes.md", b"# Notes\n\nOpen 9 to 5.\n")}},
    ("PUT", "/v1/webhook"): {"json": {"url": "https://b.example.com/hooks"}},
    ("PUT", "/v1/secrets"): {"json": {"name": "crm_token", "value": "b-value"}},
    ("PUT", "/v1/privacy"): {"json": {"mode": "redact"}},
    ("PUT", "/v1/retention"): {"json": {"calls_days": 365}},
    ("POST", "/v1/bots/{bot_id}/resources"): {"json": {"name": "Chair 2"}},
    ("PATCH", "/v1/resources/{resource_id}"): {"json": {"capacity": 2}},
    ("POST", "/v1/bots/{bot_id}/availability"): {"json": {"starts_at": "2030-01-01T11:00:00"}},
    ("POST", "/v1/bots/{bot_id}/appointments"): {"json": {"starts_at": "2030-01-01T11:00:00"}},
    ("POST", "/v1/appointments/{code}/reschedule"): {"json": {"starts_at": "2030-01-01T12:00:00"}},
    ("POST", "/v1/do-not-call"): {"json": {"numbers": ["+4930901877"]}},
    ("POST", "/v1/do-not-call/remove"): {"json": {"numbers": ["+4930901877"]}},
}
# Routes whose body names an id (filled in per request, like a path id).
BODIES_WITH_IDS: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("POST", "/v1/calls"): lambda ids: {"json": {"bot_id": str(ids["bot_id"]), "to": "+4930901866"}},
    ("POST", "/v1/campaigns"): lambda ids: {
        "json": {"bot_id": str(ids["bot_id"]), "name": "walk", "numbers": [{"phone": "+4930901855"}]}
    },
}


def _ids(t: Tenant) -> dict[str, Any]:
    return {
        "bot_id": t.bot_id,
        "call_id": t.call_id,
        "event_id": t.event_id,
        "doc_id": t.doc_id,
        "resource_id": t.resource_id,
        "code": t.code,
        "campaign_id": t.campaign_id,
    }


def _routes(api: Api) -> list[tuple[str, str, APIRoute]]:
    found = []
    for route in api.app.routes:
        if not isinstance(route, APIRoute) or route.path in PUBLIC_PATHS:
            continue
        if route.path.startswith("/console"):  # the console's pages: walked by tests/console/test_security.py
            continue
        for method in sorted(route.methods or ()):
            found.append((method, route.path, route))
    return found


def _request(api: Api, method: str, path: str, route: APIRoute, ids: dict[str, Any]) -> dict[str, Any]:
    names = re.findall(r"{(\w+)}", path)
    missing = [n for n in names if n not in ids]
    assert not missing, f"{method} {path}: the isolation walk has no id for {missing}; add one"
    if route.body_field is not None:
        assert (method, path) in BODIES or (method, path) in BODIES_WITH_IDS, (
            f"{method} {path} takes a body: add a valid one to BODIES"
        )
    url = path.format(**{n: ids[n] for n in names})
    kwargs = dict(BODIES.get((method, path), {}))
    if (method, path) in BODIES_WITH_IDS:
        kwargs = BODIES_WITH_IDS[(method, path)](ids)
    # A query filter naming another company's bot is scoped too.
    if any(p.name == "bot_id" for p in route.dependant.query_params):
        kwargs["params"] = {"bot_id": str(ids["bot_id"])}
    return {"method": method, "url": url, **kwargs}


async def test_every_route_answers_404_for_another_companys_ids(api: Api) -> None:
    a, b = api.a, api.b
    walked = 0
    for method, path, route in _routes(api):
        if (method, path) in ENDLESS:
            continue
        request = _request(api, method, path, route, _ids(a))
        response = await api.client.request(headers=b.headers, **request)
        takes_foreign_id = "{" in path or "params" in request or (method, path) in BODIES_WITH_IDS
        if takes_foreign_id:
            assert response.status_code == 404, (
                f"{method} {request['url']}: {response.status_code} {response.text}"
            )
            # The same answer as for an id that does not exist.
            ghost = _request(api, method, path, route, {k: uuid.uuid4() for k in _ids(a)})
            other = await api.client.request(headers=b.headers, **ghost)
            assert other.status_code == 404
            assert set(response.json()) == set(other.json()) == {"detail"}
        else:
            assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        if not takes_foreign_id:
            shown = [str(v) for v in _ids(a).values() if str(v) in response.text]
            assert not shown, f"{method} {path} shows company A's ids {shown}"
        walked += 1
    assert walked >= 20

    # Nothing of A's changed.
    bot = (await api.client.get(f"/v1/bots/{a.bot_id}", headers=a.headers)).json()
    assert bot["is_active"] is True and bot["phone_number"] == a.phone and bot["version"] == 1
    doc = await api.client.get(f"/v1/bots/{a.bot_id}/knowledge/{a.doc_id}", headers=a.headers)
    assert doc.status_code == 200
    event = (await api.client.get(f"/v1/webhook/events/{a.event_id}", headers=a.headers)).json()
    assert event["event"]["status"] == "dead"
    hook = (await api.client.get("/v1/webhook", headers=a.headers)).json()
    assert hook["url"] == "https://alpha.example.com/hooks"


async def test_the_same_routes_find_the_ids_with_their_owners_key(api: Api) -> None:
    """The 404s above come from scoping, not from bad ids: A's own key finds every one of them."""
    a = api.a
    for method, path, route in _routes(api):
        if method == "DELETE" or (method, path) in ENDLESS:
            continue  # would remove what later requests use / would never end
        request = _request(api, method, path, route, _ids(a))
        response = await api.client.request(headers=a.headers, **request)
        assert response.status_code != 404, f"{method} {request['url']}: {response.text}"
        assert response.status_code < 500, f"{method} {request['url']}: {response.text}"


async def test_without_a_valid_key_every_route_is_401(api: Api) -> None:
    for method, path, route in _routes(api):
        request = _request(api, method, path, route, _ids(api.a))
        for headers in ({}, {"Authorization": "Bearer vbk_wrong"}, {"Authorization": "Basic abc"}):
            response = await api.client.request(headers=headers, **request)
            assert response.status_code == 401, f"{method} {path} {headers}: {response.status_code}"
            assert response.headers["www-authenticate"] == "Bearer"


async def test_every_route_runs_its_statements_under_row_level_security_for_the_caller(api: Api) -> None:
    """Beyond the 404s: each statement a route sends runs as voicebot_tenant for the caller's company,
    so Postgres refuses other companies' rows even where a query has no company filter
    (tests/storage/test_rls.py shows what that role can see). Only the API key lookup runs before it."""
    log = await StatementLog.on(api.pool)
    b = api.b
    checked = 0
    for method, path, route in _routes(api):
        if (method, path) in ENDLESS:
            continue
        for ids in (_ids(api.a), _ids(b)):
            log.statements.clear()
            request = _request(api, method, path, route, ids)
            await api.client.request(headers=b.headers, **request)
            await log.settle()
            for query, company in log.statements:
                if "api_key_hash = $1" in query:
                    assert company is None  # the key lookup: the company is not known yet
                    continue
                assert company == str(b.company_id), f"{method} {path}: ran as {company!r}: {query[:120]}"
                checked += 1
    assert checked >= 50
