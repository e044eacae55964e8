"""SSRF guard: webhook URLs must reach the public internet unless a host is explicitly allowed.

An address is refused when it is loopback, private, link-local, multicast, reserved or unspecified
(IPv4-mapped IPv6 addresses are judged by their IPv4 address). The check runs on the *resolved*
addresses at connection time (see :mod:`voicebot.outcomes.delivery`), so a name that resolves to an
internal address, or starts to (DNS rebinding), is refused too.

The allowlist (``VOICEBOT_WEBHOOK_ALLOW_HOSTS``, for development and private deployments) holds host
names, which match the URL's host exactly, and IP addresses or CIDR networks, which match the resolved
addresses: ``localhost,127.0.0.0/8,10.1.0.0/16``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from voicebot.errors import ConfigError, DeliveryError

__all__ = ["HostPolicy", "UrlRefused", "is_public"]

_CONTROL = re.compile(r"[\x00-\x20\x7f\ud800-\udfff]")
"""Whitespace, control characters (CR, LF, NUL) and lone surrogates: never part of a webhook URL."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UrlRefused(DeliveryError):
    """A webhook URL points somewhere the guard does not allow; trying again will not help."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=None, retryable=False)


def is_public(ip: IPAddress) -> bool:
    """True for an address on the public internet."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    refused = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )
    # is_global also excludes shared (100.64.0.0/10) and other special-purpose ranges.
    return not refused and ip.is_global


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a resolver reads from a numeric host in a legacy form (``2130706433``, ``0x7f.1``,
    ``0177.0.0.1``, ``127.1``), which inet_aton accepts and the resolver at delivery would connect to."""
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host) or not host[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """Which webhook destinations are allowed. Empty allowlists: public addresses only."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, entries: Iterable[str] | str, *, name: str = "VOICEBOT_WEBHOOK_ALLOW_HOSTS") -> HostPolicy:
        """From ``"localhost,127.0.0.0/8"`` or a list; ConfigError naming a bad entry."""
        items = entries.split(",") if isinstance(entries, str) else list(entries)
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in items:
            entry = raw.strip().lower()
            if not entry:
                continue
            if "/" in entry or _parse_ip(entry) is not None:
                try:
                    networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                except ValueError:
                    raise ConfigError(
                        f"{name}: {raw.strip()!r} is not an IP address or CIDR network"
                    ) from None
            elif all(part.replace("-", "").isalnum() for part in entry.rstrip(".").split(".")):
                hosts.add(entry.rstrip("."))
            else:
                raise ConfigError(f"{name}: {raw.strip()!r} is not a host name, IP address or CIDR network")
        return cls(frozenset(hosts), tuple(networks))

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def address_allowed(self, host: str, ip: IPAddress) -> bool:
        """Whether connecting to ``ip`` (resolved from ``host``) is allowed."""
        if self.host_allowed(host) or is_public(ip):
            return True
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        return any(ip in net or (mapped is not None and mapped in net) for net in self.networks)

    def check_url(self, url: str) -> str:
        """The URL's host after checking its form (and the address when it is an IP literal).

        Used at registration (API, ``voicebot company create``) and again before every delivery, so a
        company hears the same "no" when it saves a URL as the dispatcher would give. Raises
        :class:`UrlRefused`. Names are checked again on their resolved addresses at connect time.
        """
        if _CONTROL.search(url):
            raise UrlRefused(
                "webhook URLs must not contain spaces, control characters (CR, LF, NUL) or lone surrogates"
            )
        try:
            parts = urlsplit(url)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise UrlRefused(f"webhook URL {url!r} is not a valid URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not host:
            raise UrlRefused(f"webhook URL {url!r} must be an absolute http:// or https:// URL")
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise UrlRefused("webhook URLs must not carry credentials")
        ip = _parse_ip(host)
        legacy = _legacy_ipv4(host) if ip is None else None
        if ip is not None:
            self.check_address(host, ip)
        elif legacy is not None:
            self.check_address(host, legacy)
            # Allowed or public, it still cannot be delivered: the HTTP client refuses such a host.
            raise UrlRefused(
                f"webhook host {host!r} is not a canonical IP address (it means {legacy}); "
                f"write it as {legacy}"
            )
        elif (host == "localhost" or host.endswith(".localhost")) and not self.host_allowed(host):
            # RFC 6761: always loopback; refused here rather than only once it resolves.
            self.check_address(host, ipaddress.IPv4Address("127.0.0.1"))
        return host

    def check_registration(self, url: str | None) -> None:
        """:meth:`check_url` for a URL being saved (None removes it): ConfigError with the same message."""
        if url is None:
            return
        try:
            self.check_url(url)
        except UrlRefused as exc:
            raise ConfigError(str(exc)) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HostPolicy:
        """From ``VOICEBOT_WEBHOOK_ALLOW_HOSTS`` (empty: public addresses only)."""
        env = os.environ if env is None else env
        return cls.parse(env.get("VOICEBOT_WEBHOOK_ALLOW_HOSTS", ""))

    def check_address(self, host: str, ip: IPAddress) -> None:
        if not self.address_allowed(host, ip):
            raise UrlRefused(
                f"webhook host {host!r} resolves to {ip}, a non-public address; "
                "allow it with VOICEBOT_WEBHOOK_ALLOW_HOSTS for development"
            )
