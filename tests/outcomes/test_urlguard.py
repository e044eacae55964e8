"""SSRF guard: internal destinations are refused unless allowlisted, including names resolving to them."""

from __future__ import annotations

import ipaddress

import pytest

from voicebot.errors import ConfigError, DeliveryError
from voicebot.outcomes import HostPolicy, HttpDeliverer, UrlRefused

from .conftest import Receiver


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "ftp://example.com/hook",
        "http://user:pw@example.com/hook",
    ],
)
def test_internal_or_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(UrlRefused) as info:
        HostPolicy().check_url(url)
    assert info.value.retryable is False


def test_public_addresses_pass() -> None:
    policy = HostPolicy()
    assert policy.check_url("https://93.184.216.34/hook") == "93.184.216.34"
    assert policy.check_url("https://hooks.example.com/x") == "hooks.example.com"  # checked again on connect


def test_allowlist_by_network_and_by_name() -> None:
    policy = HostPolicy.parse("10.0.0.0/8, localhost")
    policy.check_url("http://10.9.8.7/hook")
    policy.check_address("localhost", ipaddress.ip_address("127.0.0.1"))
    with pytest.raises(UrlRefused):
        policy.check_url("http://192.168.1.1/hook")


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "bad host!", "http://x"])
def test_bad_allowlist_entries_name_the_setting(bad: str) -> None:
    with pytest.raises(ConfigError, match="VOICEBOT_WEBHOOK_ALLOW_HOSTS"):
        HostPolicy.parse(bad)


async def test_a_name_resolving_to_loopback_is_refused_at_connect(receiver: Receiver) -> None:
    url = receiver.url.replace("127.0.0.1", "localhost")
    async with HttpDeliverer(timeout=2, policy=HostPolicy()) as deliverer:
        with pytest.raises(UrlRefused, match="non-public"):
            await deliverer.deliver(url, {}, b"{}")
    assert receiver.requests == []


async def test_an_allowlisted_name_is_delivered(receiver: Receiver) -> None:
    url = receiver.url.replace("127.0.0.1", "localhost")
    async with HttpDeliverer(timeout=2, policy=HostPolicy.parse("localhost")) as deliverer:
        try:
            assert await deliverer.deliver(url, {}, b"{}") == 200
        except DeliveryError as exc:  # localhost may resolve to ::1 first where only IPv4 listens
            assert exc.retryable
