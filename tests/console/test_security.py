"""The console's security: tenant scoping on every route (enumerated from the app), CSRF on every POST,
the sign-in limit, HttpOnly/SameSite cookies, no key in URLs, and escaped output."""

from __future__ import annotations

import re
import uuid

import httpx
from fastapi.routing import APIRoute

from tests.api.conftest import Api
from tests.api.seed import Tenant
from tests.api.statements import StatementLog
from tests.console.conftest import login_form, sign_in

# Routes that take no company id (the signed-in company's own pages) or are the sign-in itself.
UNSCOPED = {
    "/console",
    "/console/login",
    "/console/logout",
    "/console/calls",
    "/console/live",
    "/console/live/rows",
    "/console/bots",
    "/console/webhooks",
    "/console/webhooks/endpoint",
    "/console/webhooks/secret",
}


def _ids(t: Tenant) -> dict[str, str]:
    return {
        "bot_id": str(t.bot_id),
        "call_id": str(t.call_id),
        "event_id": str(t.event_id),
        "doc_id": str(t.doc_id),
        "chat_id": "any-chat",
    }


def _console_routes(api: Api) -> list[tuple[str, str]]:
    found = []
    for route in api.app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/console"):
            found.extend((m, route.path) for m in sorted(route.methods or ()))
    return found


async def test_company_a_gets_404_on_every_console_url_of_company_b(api: Api) -> None:
    routes = _console_routes(api)
    assert len(routes) > 20
    walked = 0
    async for a in sign_in(api, api.a):
        ids = _ids(api.b)
        for method, path in routes:
            if path in UNSCOPED:
                continue
            names = re.findall(r"{(\w+)}", path)
            assert all(n in ids for n in names), f"{method} {path}: add an id for the walk"
            url = path.format(**{n: ids[n] for n in names})
            params = {"a": "1", "b": "1"} if path.endswith("/diff") else None
            if method == "GET":
                response = await a.client.get(url, params=params)
            elif path.endswith("/knowledge"):
                response = await a.client.post(
                    url, data={"csrf": a.csrf}, files={"file": ("x.md", b"# x\n\nhello\n")}
                )
            else:
                response = await a.post(url, {"scenario": "x", "text": "hi"})
            assert response.status_code == 404, f"{method} {url}: {response.status_code}"
            assert "Beta" not in response.text
            walked += 1
        # B's own call list is not visible in A's list either.
        page = await a.client.get("/console/calls")
        assert str(api.b.call_id) not in page.text and str(api.a.call_id) in page.text
    assert walked >= 15


async def test_every_post_without_the_csrf_token_is_refused(api: Api) -> None:
    async for a in sign_in(api, api.a):
        ids = _ids(api.a)
        for method, path in _console_routes(api):
            if method != "POST" or path == "/console/login":
                continue
            url = path.format(**{n: ids[n] for n in re.findall(r"{(\w+)}", path)})
            response = await a.client.post(url, data={"csrf": "wrong", "url": "https://x.example.com"})
            assert response.status_code == 403, f"POST {url}: {response.status_code}"
        # Nothing changed: the endpoint is as seeded.
        page = await a.client.get("/console/webhooks")
        assert "alpha.example.com" in page.text


async def test_sign_in_sets_a_strict_httponly_cookie_and_logout_ends_the_session(api: Api) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://console.test"
    ) as client:
        token = await login_form(client)
        answer = await client.post("/console/login", data={"api_key": api.a.api_key, "csrf": token})
        cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and "vb_console=" in v)
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert api.a.api_key not in answer.headers.get("location", "")
        page = await client.get("/console/calls")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert page.status_code == 200 and csrf
        out = await client.post("/console/logout", data={"csrf": csrf.group(1)})
        assert out.status_code == 303
        client.cookies.set("vb_console", cookie.split(";")[0].split("=", 1)[1], path="/console")
        again = await client.get("/console/calls")
        assert again.status_code == 303 and again.headers["location"] == "/console/login"


async def test_sign_in_is_rate_limited_per_client(api: Api) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://console.test"
    ) as client:
        codes = []
        for _ in range(11):
            token = await login_form(client)
            r = await client.post("/console/login", data={"api_key": "vbk_wrong", "csrf": token})
            codes.append(r.status_code)
        assert codes[:10] == [401] * 10 and codes[10] == 429
        token = await login_form(client)
        # Even the right key waits now.
        r = await client.post("/console/login", data={"api_key": api.a.api_key, "csrf": token})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


async def test_a_login_post_without_the_form_token_is_refused(api: Api) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://console.test"
    ) as client:
        r = await client.post("/console/login", data={"api_key": api.a.api_key, "csrf": "forged"})
        assert r.status_code == 403 and "vb_console" not in r.headers.get("set-cookie", "")


async def test_a_transcript_and_a_scenario_with_script_tags_render_as_text(api: Api) -> None:
    hostile = "<script>alert('x')</script>"
    await api.pool.execute(
        "UPDATE turns SET text = $2 WHERE call_id = $1 AND seq = 0", api.a.call_id, hostile
    )
    async for a in sign_in(api, api.a):
        page = await a.client.get(f"/console/calls/{api.a.call_id}")
        assert hostile not in page.text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
        check = await a.post(f"/console/bots/{api.a.bot_id}/check", {"scenario": f"version: 1\n{hostile}: ["})
        assert check.status_code == 200 and "<script>alert" not in check.text
        assert "scenario.yaml:" in check.text


async def test_unsigned_pages_redirect_to_sign_in_and_ids_of_nobody_are_404(api: Api) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://console.test"
    ) as client:
        r = await client.get(f"/console/calls/{api.a.call_id}")
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
    async for a in sign_in(api, api.a):
        r = await a.client.get(f"/console/calls/{uuid.uuid4()}")
        assert r.status_code == 404 and "Not found" in r.text


async def test_the_api_key_appears_in_no_log_line_url_or_page(api: Api) -> None:
    from structlog.testing import capture_logs

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://console.test"
    ) as client:
        with capture_logs() as logs:
            token = await login_form(client)
            wrong = api.a.api_key[:-4] + "XXXX"
            failed = await client.post("/console/login", data={"api_key": wrong, "csrf": token})
            token = await login_form(client)
            ok = await client.post("/console/login", data={"api_key": api.a.api_key, "csrf": token})
            page = await client.get(ok.headers["location"])
    assert failed.status_code == 401 and wrong not in failed.text
    assert logs and {e["event"] for e in logs} >= {"console_sign_in_failed", "console_signed_in"}
    flat = repr(logs)
    assert api.a.api_key not in flat and wrong not in flat
    assert api.a.api_key not in ok.headers["location"] and api.a.api_key not in page.text


async def test_behind_an_https_proxy_the_session_cookie_is_secure(api: Api) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://console.test"
    ) as client:
        token = await login_form(client)
        answer = await client.post(
            "/console/login",
            data={"api_key": api.a.api_key, "csrf": token},
            headers={"X-Forwarded-Proto": "https"},
        )
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and "vb_console=" in v)
    assert "secure" in cookie.lower() and "path=/console" in cookie.lower()


async def test_console_pages_carry_a_csp_without_inline_scripts(api: Api) -> None:
    async for a in sign_in(api, api.a):
        page = await a.client.get("/console/calls")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # only external scripts


async def test_every_console_route_runs_its_statements_under_row_level_security(api: Api) -> None:
    """Below the 404s: every statement a console page sends runs as voicebot_tenant for the signed-in
    company (so Postgres refuses other companies' rows), except the session lookup that finds out
    which company that is and the global sweep of expired sessions."""
    log = await StatementLog.on(api.pool)
    company = str(api.a.company_id)
    checked = 0
    async for a in sign_in(api, api.a):
        for method, path in _console_routes(api):
            if path in ("/console/login", "/console/logout"):
                continue
            for ids in (_ids(api.a), _ids(api.b)):
                names = re.findall(r"{(\w+)}", path)
                url = path.format(**{n: ids[n] for n in names})
                log.statements.clear()
                if method == "GET":
                    await a.client.get(url, params={"a": "1", "b": "1"} if path.endswith("/diff") else None)
                else:
                    await a.post(url, {"scenario": "x", "text": "hi"})
                await log.settle()
                for query, tenant in log.statements:
                    if "s.token_hash = $1 AND s.expires_at > now()" in query:
                        assert tenant is None  # the session lookup
                        continue
                    assert tenant == company, f"{method} {url}: ran as {tenant!r}: {query[:120]}"
                    checked += 1
    assert checked >= 40
