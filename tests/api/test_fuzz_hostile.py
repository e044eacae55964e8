"""Property-based fuzz (hypothesis) of hostile JSON bodies and query strings: never a 5xx.

Unlike tests/api/test_fuzz.py, which generates schema-valid-ish requests from the OpenAPI document, this
draws what a schema never describes: NaN and Infinity tokens, NUL, lone surrogates and escaped pairs,
deep nesting, scenario YAML with hostile escapes, raw percent-encoded bytes (invalid UTF-8, control
characters) in query strings. Same real app under uvicorn on a real Postgres (the api_server fixture).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.seed import scenario
from tests.api.test_fuzz import _TRACEBACK_MARKERS, Server, api_server

__all__ = ["api_server"]  # the module-scoped server fixture, shared with test_fuzz

_HOSTILE = ["\x00", "\ud800", "\udfff", "\ud83d\ude00", "\r\n", "\u202e", "\ufeff", "%00", "../", "'", '"']

hostile_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.sampled_from(_HOSTILE), st.text(max_size=5)), max_size=6).map("".join),
)
numbers = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 2**63, -(2**64)]),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, hostile_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)),
    max_leaves=12,
)
scenario_text = st.one_of(
    hostile_text,
    st.tuples(
        st.sampled_from(["\\0", "\\ud800", "\\ud83d\\ude00", "\\x00", "\\U0010ffff"]), hostile_text
    ).map(lambda t: scenario("fuzz").replace('say: "Goodbye."', f'say: "Good{t[0]}bye {t[1]!r}"')),
    st.integers(1, 3000).map(lambda n: "version: 1\nbot: " + "[" * n + "]" * n),
)
field_values = st.one_of(json_values, scenario_text)


def _bodies(fields: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(json_values, st.fixed_dictionaries({}, optional={f: field_values for f in fields}))


def _send(server: Server, method: str, path: str, body: Any) -> httpx.Response:
    content = json.dumps(body, allow_nan=True)  # NaN/Infinity tokens; \ud800 escapes as ASCII
    headers = {"Authorization": f"Bearer {server.tenant.api_key}", "Content-Type": "application/json"}
    return httpx.request(method, server.url + path, content=content, headers=headers, timeout=30)


def _assert_handled(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text}"
    for marker in _TRACEBACK_MARKERS:
        assert marker not in response.text, f"{what} leaks {marker!r}"


_FUZZ = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

_BODY_ROUTES = [
    ("POST", "/v1/bots", ["scenario", "phone_number"]),
    ("PUT", "/v1/bots/{bot_id}/scenario", ["scenario", "phone_number"]),
    ("PUT", "/v1/bots/{bot_id}/phone", ["phone_number"]),
    ("PUT", "/v1/webhook", ["url"]),
]


@_FUZZ
@given(data=st.data())
def test_hostile_json_bodies_never_5xx(api_server: Server, data: st.DataObject) -> None:
    method, template, fields = data.draw(st.sampled_from(_BODY_ROUTES))
    path = template.format(bot_id=api_server.tenant.bot_id)
    body = data.draw(_bodies(fields))
    _assert_handled(_send(api_server, method, path, body), f"{method} {path} {body!r}")


_QUERY_ROUTES = {
    "/v1/calls": ["outcome", "status", "from", "to", "limit", "cursor", "bot_id"],
    "/v1/webhook/events": ["status", "limit", "cursor"],
    "/v1/analytics/outcomes": ["from", "to", "bot_id"],
    "/v1/bots/{bot_id}/knowledge": [],
    "/v1/calls/{call_id}": [],
}

raw_bytes = st.one_of(
    st.binary(max_size=12),
    hostile_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"\x00", b"\xed\xa0\x80", b"\xff\xfe", b"2026-13-45T25:61", b"-1", b"1e999"]),
)


@_FUZZ
@given(data=st.data())
def test_hostile_query_strings_and_path_ids_never_5xx(api_server: Server, data: st.DataObject) -> None:
    template = data.draw(st.sampled_from(sorted(_QUERY_ROUTES)))
    ids = {"bot_id": str(api_server.tenant.bot_id), "call_id": str(api_server.tenant.call_id)}
    if "{" in template and data.draw(st.booleans()):
        ids = {name: quote_from_bytes(data.draw(raw_bytes), safe="") or "x" for name in ids}
    path = template.format(**ids)
    names = _QUERY_ROUTES[template] + ["x"]
    params = data.draw(st.lists(st.tuples(st.sampled_from(names), raw_bytes), max_size=4))
    query = "&".join(f"{n}={quote_from_bytes(v, safe='')}" for n, v in params)
    url = f"{api_server.url}{path}?{query}" if query else api_server.url + path
    headers = {"Authorization": f"Bearer {api_server.tenant.api_key}"}
    response = httpx.get(url, headers=headers, timeout=30)
    _assert_handled(response, f"GET {path}?{query}")
