"""Standard Webhooks signatures (https://www.standardwebhooks.com), our own implementation.

The signed content is ``"{webhook-id}.{webhook-timestamp}.{body}"``; the signature is the base64 HMAC-SHA256
of it keyed with the secret's bytes (a secret is ``whsec_`` + base64). The ``webhook-signature`` header
lists ``v1,<signature>`` entries separated by spaces: one per active secret, so a receiver holding
either the new or the previous secret during a rotation accepts the message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Mapping, Sequence

from voicebot.errors import ConfigError

__all__ = [
    "DEFAULT_TOLERANCE",
    "SignatureError",
    "new_secret",
    "secret_bytes",
    "sign",
    "signature_headers",
    "verify",
]

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300  # seconds a receiver accepts between webhook-timestamp and its own clock


class SignatureError(ValueError):
    """A webhook does not carry a valid signature (or its timestamp is out of tolerance)."""


def new_secret() -> str:
    """A fresh ``whsec_`` secret of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` secret; ConfigError if it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ConfigError("a webhook secret must start with 'whsec_'")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("a webhook secret must be 'whsec_' followed by base64") from None
    if len(key) < 24:
        raise ConfigError("a webhook secret must hold at least 24 bytes")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of one message with one secret."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    secrets: Sequence[str], msg_id: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret in ``secrets`` (current first)."""
    if not secrets:
        raise ConfigError("at least one webhook secret is needed to sign")
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": " ".join(sign(s, msg_id, ts, body) for s in secrets),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check a received webhook against ``secret``; raises SignatureError, returns None when valid."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id")
    raw_ts = lower.get("webhook-timestamp")
    header = lower.get("webhook-signature")
    if not msg_id or not raw_ts or not header:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        ts = int(raw_ts)
    except ValueError:
        raise SignatureError("webhook-timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise SignatureError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, ts, body).encode()
    for entry in header.split(" "):
        if entry.startswith("v1,") and hmac.compare_digest(entry.encode(), expected):
            return
    raise SignatureError("no matching v1 signature")
