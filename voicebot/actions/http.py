"""The HTTP action runner: one declared request to the company's own system, signed and guarded.

Per run (see docs/webhooks.md, "Action requests"):

* ``{secret.<name>}`` placeholders in the URL, headers and body are filled from the company's secrets
  (server-side; a missing secret is an error result naming it, never its value);
* the body is JSON; the request carries ``idempotency-key`` and, when the company has a webhook secret,
  the Standard Webhooks headers (``webhook-id`` = the idempotency key, ``webhook-timestamp``,
  ``webhook-signature``), signed exactly like our webhooks (:mod:`voicebot.outcomes.signing`);
* the URL guard of webhooks applies (:class:`~voicebot.outcomes.urlguard.HostPolicy`, checked on the URL
  and again on the resolved addresses at connect time); redirects are followed by hand, at most
  :data:`MAX_REDIRECTS`, each target checked by the guard again;
* each attempt has ``timeout_s``; a timeout, a connection error or a 5xx is retried ``retries`` times
  (the scenario only allows retries for idempotent methods or with an idempotency key);
* a response body over ``max_body_bytes`` is an error; a 2xx body that is not JSON is an error; a JSON
  value that is not an object is returned as ``{"value": ...}``.

aiohttp errors never escape: every failure is an :class:`~voicebot.actions.base.ActionResult`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urljoin

import aiohttp

from voicebot import __version__
from voicebot.actions.base import ActionCall, ActionResult
from voicebot.dialogue.action_step import fill_secrets
from voicebot.outcomes.delivery import GuardedResolver, refusal_of
from voicebot.outcomes.signing import signature_headers
from voicebot.outcomes.urlguard import HostPolicy, UrlRefused

__all__ = ["MAX_BODY_BYTES", "MAX_REDIRECTS", "HttpActionRunner", "SecretLookup"]

MAX_BODY_BYTES = 256 * 1024
MAX_REDIRECTS = 3
USER_AGENT = f"voicebot-actions/{__version__}"
_REDIRECTS = frozenset((301, 302, 303, 307, 308))

SecretLookup = Callable[[uuid.UUID | None, Sequence[str]], Awaitable[Mapping[str, str]]]
"""(company_id, names) -> the values of those of the company's secrets that are set."""
SigningLookup = Callable[[uuid.UUID | None], Awaitable[Sequence[str]]]
"""company_id -> the company's active webhook secrets (current first); empty: the request is unsigned."""


async def _no_secrets(company_id: uuid.UUID | None, names: Sequence[str]) -> Mapping[str, str]:
    return {}


async def _no_signing(company_id: uuid.UUID | None) -> Sequence[str]:
    return ()


class _Failure(Exception):
    def __init__(self, kind: str, reason: str, *, status: int | None = None, retry: bool = False) -> None:
        super().__init__(reason)
        self.kind, self.reason, self.status, self.retry = kind, reason, status, retry


class HttpActionRunner:
    """The ``http`` kind. One shared aiohttp session; ``async with`` or :meth:`aclose`."""

    def __init__(
        self,
        *,
        policy: HostPolicy,
        secrets: SecretLookup = _no_secrets,
        signing: SigningLookup = _no_signing,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_connections: int = 100,
        retry_backoff_s: float = 0.1,
    ) -> None:
        self._policy = policy
        self._secrets = secrets
        self._signing = signing
        self._max_body = max_body_bytes
        self._max_connections = max_connections
        self._backoff = retry_backoff_s
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, resolver=GuardedResolver(self._policy), ttl_dns_cache=60
            )
            self._session = aiohttp.ClientSession(connector=connector, headers={"user-agent": USER_AGENT})
        return self._session

    async def run(self, call: ActionCall) -> ActionResult:
        started = time.perf_counter()

        secrets: dict[str, str] = {}

        def result(status: Any, data: Mapping[str, Any], **kw: Any) -> ActionResult:
            if kw.get("error"):  # a reason may quote the URL: never with a secret in it
                for value in secrets.values():
                    kw["error"] = kw["error"].replace(value, "***")
            return ActionResult(status, data, (time.perf_counter() - started) * 1000.0, **kw)

        try:
            url, headers, body = await self._prepare(call, secrets)
        except _Failure as exc:
            return result("error", {}, error=exc.reason, error_kind=exc.kind)
        attempts = 1 + max(0, call.retries)
        for attempt in range(1, attempts + 1):
            try:
                status, data = await self._attempt(call, url, headers, body)
                return result("ok", data, http_status=status, attempts=attempt)
            except _Failure as exc:
                if exc.retry and attempt < attempts:
                    await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
                    continue
                return result(
                    "timeout" if exc.kind == "timeout" else "error",
                    {},
                    http_status=exc.status,
                    error=exc.reason,
                    error_kind=exc.kind,
                    attempts=attempt,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _prepare(
        self, call: ActionCall, values: dict[str, str]
    ) -> tuple[str, dict[str, str], bytes | None]:
        """The request to send; fills ``values`` with the company's secrets it uses."""
        if call.secrets:
            values.update(await self._secrets(call.company_id, call.secrets))
        missing = [name for name in call.secrets if name not in values]
        if missing:
            raise _Failure("secret_missing", f"secret '{missing[0]}' is not set for this company")
        try:
            url = fill_secrets(call.url, values)
            headers = {k: fill_secrets(v, values) for k, v in call.headers.items()}
            payload = fill_secrets(call.body, values)
        except KeyError as exc:
            raise _Failure("secret_missing", f"secret {exc.args[0]!r} is not listed by the action") from None
        body = None
        if payload is not None and call.method not in ("GET", "HEAD"):
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            headers.setdefault("content-type", "application/json")
        headers["idempotency-key"] = call.idempotency_key
        signing = await self._signing(call.company_id)
        if signing:
            headers.update(signature_headers(list(signing), call.idempotency_key, body or b""))
        return url, headers, body

    async def _attempt(
        self, call: ActionCall, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, Mapping[str, Any]]:
        session = self._get_session()
        method = call.method
        try:
            async with asyncio.timeout(call.timeout_s):
                for _hop in range(MAX_REDIRECTS + 1):
                    self._policy.check_url(url)
                    async with session.request(
                        method, url, data=body, headers=headers, allow_redirects=False
                    ) as resp:
                        status = resp.status
                        if status in _REDIRECTS and "location" in resp.headers:
                            url = urljoin(url, resp.headers["location"])
                            if status == 303:
                                method, body = "GET", None
                            continue
                        raw = await self._read(resp, status)
                    return status, self._parse(status, raw)
                raise _Failure("redirects", f"more than {MAX_REDIRECTS} redirects")
        except TimeoutError:
            raise _Failure("timeout", f"no answer within {call.timeout_s:g} s", retry=True) from None
        except UrlRefused as exc:
            raise _Failure("refused", str(exc)) from None
        except aiohttp.ClientError as exc:
            refused = refusal_of(exc)
            if refused is not None:
                raise _Failure("refused", str(refused)) from None
            raise _Failure("connection", f"connection failed ({type(exc).__name__})", retry=True) from None
        except OSError as exc:
            raise _Failure("connection", f"connection failed ({type(exc).__name__})", retry=True) from None

    async def _read(self, resp: aiohttp.ClientResponse, status: int) -> bytes:
        """The body, refusing (without reading it all) one larger than max_body_bytes."""
        too_large = _Failure("too_large", f"response body over {self._max_body} bytes", status=status)
        if (resp.content_length or 0) > self._max_body:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_any():
            size += len(chunk)
            if size > self._max_body:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def _parse(self, status: int, raw: bytes) -> Mapping[str, Any]:
        if not 200 <= status < 300:
            kind = "http_5xx" if status >= 500 else "http_4xx"
            raise _Failure(kind, f"HTTP {status}", status=status, retry=status >= 500)
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise _Failure("bad_json", "the response is not JSON", status=status) from None
        return data if isinstance(data, dict) else {"value": data}

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> HttpActionRunner:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
