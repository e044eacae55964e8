"""One webhook HTTP attempt, with a per-attempt timeout and the SSRF guard at connection time.

aiohttp is imported only here; its exceptions become :class:`~voicebot.errors.DeliveryError`:
``retryable`` is False for a 410 (the dispatcher disables the endpoint) and for a refused destination
(:class:`~voicebot.outcomes.urlguard.UrlRefused`); every other failure (connection refused, timeout,
any non-2xx status, redirects, which are not followed) is retryable.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from voicebot import __version__
from voicebot.errors import DeliveryError
from voicebot.outcomes.urlguard import HostPolicy, UrlRefused

__all__ = ["Deliverer", "GuardedResolver", "HttpDeliverer", "refusal_of"]

USER_AGENT = f"voicebot-webhooks/{__version__}"


class Deliverer(Protocol):
    """Sends one signed request; returns the 2xx status or raises DeliveryError."""

    async def deliver(self, url: str, headers: Mapping[str, str], body: bytes) -> int: ...


class _Refused(OSError):
    """Raised inside aiohttp's resolver; carries our UrlRefused out through ClientConnectorDNSError."""

    def __init__(self, refused: UrlRefused) -> None:
        super().__init__(str(refused))
        self.refused = refused


class _GuardedResolver(AbstractResolver):
    """Resolves with getaddrinfo, then refuses the host if any address is not allowed."""

    def __init__(self, policy: HostPolicy) -> None:
        self._inner = ThreadedResolver()
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            try:
                self._policy.check_address(host, ipaddress.ip_address(result["host"]))
            except UrlRefused as exc:
                raise _Refused(exc) from None
        return results

    async def close(self) -> None:
        await self._inner.close()


def _refusal(exc: BaseException) -> UrlRefused | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _Refused):
            return seen.refused
        seen = getattr(seen, "os_error", None) or seen.__cause__
    return None


GuardedResolver = _GuardedResolver
"""The connection-time SSRF guard, public for the other HTTP client that must obey it (mid-call actions)."""
refusal_of = _refusal
"""The :class:`UrlRefused` inside an aiohttp error raised by :class:`GuardedResolver`, or None."""


class HttpDeliverer:
    """The real :class:`Deliverer`: one shared aiohttp session. Use ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        *,
        timeout: float,
        policy: HostPolicy,
        max_connections: int = 100,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._timeout = timeout
        self._policy = policy
        self._max_connections = max_connections
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, resolver=_GuardedResolver(self._policy), ttl_dns_cache=60
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                headers={"user-agent": self._user_agent},
            )
        return self._session

    async def deliver(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        self._policy.check_url(url)
        session = self._get_session()
        request_headers: dict[str, Any] = {"content-type": "application/json", **headers}
        try:
            async with session.post(url, data=body, headers=request_headers, allow_redirects=False) as resp:
                status = resp.status
                # Read a little of the body, so that small keep-alive responses are reused.
                await resp.content.read(4096)
        except TimeoutError:
            raise DeliveryError(f"timed out after {self._timeout:g}s", retryable=True) from None
        except aiohttp.ClientError as exc:
            refused = _refusal(exc)
            if refused is not None:
                raise refused from None
            raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        except OSError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        if 200 <= status < 300:
            return status
        if status == 410:
            raise DeliveryError("410 Gone: the receiver asked to stop", status_code=410, retryable=False)
        raise DeliveryError(f"HTTP {status}", status_code=status, retryable=True)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> HttpDeliverer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
