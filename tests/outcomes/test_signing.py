"""Our Standard Webhooks signatures, checked by the independent ``standardwebhooks`` package."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from voicebot.errors import ConfigError
from voicebot.outcomes import SignatureError, new_secret, sign, signature_headers, verify

BODY = b'{"type":"call.completed","data":{"outcome":"booking"}}'


def test_signature_is_accepted_by_the_reference_verifier() -> None:
    secret = new_secret()
    headers = signature_headers([secret], "evt_1", BODY)
    assert Webhook(secret).verify(BODY, headers) == {"type": "call.completed", "data": {"outcome": "booking"}}


def test_reference_signature_matches_ours() -> None:
    secret = new_secret()
    ts = int(time.time())
    theirs = Webhook(secret).sign("evt_2", dt.datetime.fromtimestamp(ts, dt.UTC), BODY.decode())
    assert theirs == sign(secret, "evt_2", ts, BODY)


def test_rotation_signs_with_both_secrets_and_either_verifies() -> None:
    old, new = new_secret(), new_secret()
    headers = signature_headers([new, old], "evt_3", BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(BODY, headers)
    Webhook(old).verify(BODY, headers)
    verify(old, headers, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_tampered_payload_is_rejected() -> None:
    secret = new_secret()
    headers = signature_headers([secret], "evt_4", BODY)
    tampered = BODY.replace(b"booking", b"hangup")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, headers)
    with pytest.raises(SignatureError):
        verify(secret, headers, tampered)


def test_changed_id_is_rejected() -> None:
    secret = new_secret()
    headers = signature_headers([secret], "evt_5", BODY) | {"webhook-id": "evt_6"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)


def test_old_timestamp_is_rejected() -> None:
    secret = new_secret()
    headers = signature_headers([secret], "evt_7", BODY, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(secret, headers, BODY)


def test_malformed_secret_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="whsec_"):
        sign("not-a-secret", "evt", 0, BODY)
    with pytest.raises(ConfigError, match="base64"):
        sign("whsec_***", "evt", 0, BODY)
