"""The HTTP action runner against a real loopback server: every failure mode is a result, never a raise."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence

import pytest
from standardwebhooks.webhooks import Webhook

from tests.fakes import FakeCompanyApi
from voicebot.actions import ActionCall, ActionRegistry, ActionResult
from voicebot.actions.http import HttpActionRunner
from voicebot.outcomes import HostPolicy, new_secret

LOOPBACK = HostPolicy.parse("127.0.0.0/8")
COMPANY = uuid.uuid4()
SIGNING = new_secret()


async def _secrets(company_id: uuid.UUID | None, names: Sequence[str]) -> Mapping[str, str]:
    return {"crm_token": "tok-123"} if company_id == COMPANY else {}


async def _signing(company_id: uuid.UUID | None) -> Sequence[str]:
    return [SIGNING] if company_id == COMPANY else []


@pytest.fixture
async def api() -> AsyncIterator[FakeCompanyApi]:
    async with FakeCompanyApi() as server:
        yield server


@pytest.fixture
async def runner() -> AsyncIterator[HttpActionRunner]:
    async with HttpActionRunner(
        policy=LOOPBACK, secrets=_secrets, signing=_signing, max_body_bytes=64 * 1024, retry_backoff_s=0.01
    ) as r:
        yield r


def _call(url: str, **kw: object) -> ActionCall:
    fields: dict[str, object] = {
        "name": "lookup",
        "kind": "http",
        "args": {},
        "call_id": uuid.uuid4(),
        "company_id": COMPANY,
        "bot_id": None,
        "idempotency_key": "call-1:lookup:1",
        "timeout_s": 2.0,
        "method": "GET",
        "url": url,
    }
    fields.update(kw)
    return ActionCall(**fields)  # type: ignore[arg-type]


async def test_success_fills_the_secret_signs_and_returns_the_json(
    api: FakeCompanyApi, runner: HttpActionRunner
) -> None:
    result = await runner.run(
        _call(
            f"{api.origin}/accounts/12345",
            method="POST",
            headers={"authorization": "Bearer {secret.crm_token}"},
            body={"note": "literal {{braces}}"},
            secrets=("crm_token",),
        )
    )
    assert result.status == "ok" and result.http_status == 200
    assert result.data["owner"] == {"name": "Ann Lee"}
    request = api.requests[-1]
    assert request.headers["authorization"] == "Bearer tok-123"
    assert json.loads(request.body) == {"note": "literal {braces}"}
    assert request.headers["idempotency-key"] == "call-1:lookup:1"
    # The receiver verifies with the independent Standard Webhooks implementation.
    Webhook(SIGNING).verify(request.body, request.headers)


@pytest.mark.parametrize(("code", "kind"), [(404, "http_4xx"), (503, "http_5xx")])
async def test_4xx_and_5xx_are_errors_with_the_status(
    api: FakeCompanyApi, runner: HttpActionRunner, code: int, kind: str
) -> None:
    result = await runner.run(_call(f"{api.origin}/status/{code}"))
    assert (result.status, result.http_status, result.error_kind) == ("error", code, kind)
    assert result.error == f"HTTP {code}"


async def test_timeout_is_a_timeout_result_within_the_declared_time(
    api: FakeCompanyApi, runner: HttpActionRunner
) -> None:
    started = time.perf_counter()
    result = await runner.run(_call(f"{api.origin}/slow?ms=3000", timeout_s=0.3))
    assert result.status == "timeout" and result.error_kind == "timeout"
    assert time.perf_counter() - started < 1.5


async def test_bad_json_and_a_huge_body_are_errors(api: FakeCompanyApi, runner: HttpActionRunner) -> None:
    bad = await runner.run(_call(f"{api.origin}/badjson"))
    assert (bad.status, bad.error_kind, bad.http_status) == ("error", "bad_json", 200)
    huge = await runner.run(_call(f"{api.origin}/huge"))
    assert (huge.status, huge.error_kind) == ("error", "too_large")


async def test_a_redirect_to_a_private_address_is_refused_by_the_guard(
    api: FakeCompanyApi, runner: HttpActionRunner
) -> None:
    result = await runner.run(_call(f"{api.origin}/redirect?to=http://10.1.2.3/steal"))
    assert (result.status, result.error_kind) == ("error", "refused")
    assert "10.1.2.3" in (result.error or "")
    assert len(api.requests) == 1  # nothing was sent anywhere else


async def test_a_redirect_within_the_allowed_hosts_is_followed(
    api: FakeCompanyApi, runner: HttpActionRunner
) -> None:
    result = await runner.run(_call(f"{api.origin}/redirect?to=/accounts/77777"))
    assert result.status == "ok" and result.data["status"] == "suspended"


async def test_loopback_is_refused_without_the_development_allowlist(api: FakeCompanyApi) -> None:
    async with HttpActionRunner(policy=HostPolicy()) as strict:
        result = await strict.run(_call(f"{api.origin}/accounts/12345"))
    assert (result.status, result.error_kind) == ("error", "refused")
    assert not api.requests


async def test_retries_only_what_the_call_allows(api: FakeCompanyApi, runner: HttpActionRunner) -> None:
    once = await runner.run(_call(f"{api.origin}/flaky"))
    assert (once.status, once.http_status) == ("error", 503)
    retried = await runner.run(_call(f"{api.origin}/flaky", retries=1))
    assert retried.status == "ok" and retried.attempts == 1  # the server's second answer is 200
    assert len(api.requests) == 2


async def test_a_missing_secret_is_an_error_naming_it_without_a_request(
    api: FakeCompanyApi, runner: HttpActionRunner
) -> None:
    result = await runner.run(
        _call(f"{api.origin}/accounts/12345", company_id=uuid.uuid4(), secrets=("crm_token",))
    )
    assert (result.status, result.error_kind) == ("error", "secret_missing")
    assert "crm_token" in (result.error or "") and not api.requests


async def test_the_registry_dispatches_by_kind_and_turns_a_runner_crash_into_an_error() -> None:
    class Book:
        async def run(self, call: ActionCall) -> ActionResult:
            if call.kind == "book.cancel":
                raise RuntimeError("bug")
            return ActionResult("ok", {"kind": call.kind}, 0.1)

    registry = ActionRegistry()
    registry.register("book.*", Book())
    ok = await registry.run(_call("", kind="book.reserve"))
    assert ok.status == "ok" and ok.data == {"kind": "book.reserve"}
    crash = await registry.run(_call("", kind="book.cancel"))
    assert crash.status == "error" and crash.error == "runner failed: RuntimeError"
    unknown = await registry.run(_call("", kind="http"))
    assert unknown.status == "error" and "no runner" in (unknown.error or "")


def test_an_action_record_survives_the_journal() -> None:
    """Records go to the journal when Postgres is down: an action row must come back intact."""
    from voicebot.storage.records import ActionCalled, from_json, to_json

    record = ActionCalled(
        uuid.uuid4(), 3, "lookup", "http", {"url": "https://x/1"}, "ok", 200, latency_ms=12.5
    )
    assert from_json(to_json(record)) == record


async def test_a_refusal_that_quotes_the_url_never_shows_the_secret(runner: HttpActionRunner) -> None:
    result = await runner.run(_call("http://10.0.0.5/a?key={secret.crm_token}", secrets=("crm_token",)))
    assert result.status == "error" and result.error_kind == "refused"
    bad = await runner.run(_call("http://127.0.0.1:99999/?key={secret.crm_token}", secrets=("crm_token",)))
    assert bad.status == "error"
    for r in (result, bad):
        assert "tok-123" not in (r.error or "")
