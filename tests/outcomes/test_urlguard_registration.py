"""The SSRF guard at registration says what delivery would say: legacy numeric IP forms, localhost,
userinfo, bad ports and CR/LF are refused with the same message, before any request."""

from __future__ import annotations

import pytest

from voicebot.errors import ConfigError
from voicebot.outcomes import HostPolicy, HttpDeliverer, UrlRefused

from .conftest import Receiver


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.0.0.1"])
async def test_legacy_numeric_loopback_forms_are_refused_alike_at_registration_and_delivery(
    receiver: Receiver, host: str
) -> None:
    url = receiver.url.replace("127.0.0.1", host)
    with pytest.raises(ConfigError) as saved:
        HostPolicy().check_registration(url)
    async with HttpDeliverer(timeout=2, policy=HostPolicy()) as deliverer:
        with pytest.raises(UrlRefused) as delivered:
            await deliverer.deliver(url, {}, b"{}")
    assert str(saved.value) == str(delivered.value)
    assert f"webhook host '{host}' resolves to 127.0.0.1, a non-public address" in str(saved.value)
    assert receiver.requests == []


def test_an_allowlisted_numeric_form_is_refused_as_not_canonical() -> None:
    # The HTTP client cannot connect to such a host at all, so it is never saved.
    with pytest.raises(ConfigError, match=r"not a canonical IP address \(it means 127.0.0.1\); write it as"):
        HostPolicy.parse("127.0.0.0/8").check_registration("http://2130706433:8080/h")
    with pytest.raises(ConfigError, match=r"write it as 8\.8\.8\.8"):
        HostPolicy().check_registration("http://0x08080808/h")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://hooks.example.com@10.0.0.1/h", "must not carry credentials"),
        ("https://hooks.example.com:99999/h", "is not a valid URL (Port out of range 0-65535)"),
        ("https://hooks.example.com/h\r\nX-Injected: 1", "control characters"),
        ("https://hooks.example.com/h\x00", "control characters"),
        ("https://hooks.exa mple.com/h", "spaces"),
        ("http://localhost:8080/h", "webhook host 'localhost' resolves to 127.0.0.1"),
        ("http://app.localhost/h", "non-public address"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        HostPolicy().check_registration(url)


def test_none_removes_the_endpoint_and_public_urls_pass() -> None:
    HostPolicy().check_registration(None)
    HostPolicy().check_registration("https://hooks.example.com/x")
    HostPolicy().check_registration("https://8.8.8.8/x")
    HostPolicy.parse("localhost").check_registration("http://localhost:8080/h")
