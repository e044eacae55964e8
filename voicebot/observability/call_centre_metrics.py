"""Prometheus metrics of the contact-centre features: transfers, voicemail, answering-machine detection,
the keypad and per-state turn-taking (re-exported by :mod:`voicebot.observability.metrics`).

The conventions of metrics.py hold: names carry their unit, labels are small closed sets.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Histogram

__all__ = ["TRANSFER_RESULTS", "amd_verdict", "dtmf_key", "transfer", "turn_taking_applied", "voicemail"]


# ------------------------------------------------------------------- transfers and voicemail (issue 14)

TRANSFER_RESULTS: Final = ("requested", "connected", "no_answer", "busy", "declined", "failed", "abandoned")
"""How a transfer ended: cold ones are ``requested``; ``abandoned``: the caller hung up while on hold."""

_TRANSFERS = Counter(
    "voicebot_transfers_total", "Transfers to a person, by mode and result.", ["mode", "result"]
)
_TRANSFER_WAIT = Histogram(
    "voicebot_transfer_wait_seconds",
    "Warm transfers: time the caller spent on hold, by result.",
    ["result"],
    buckets=(2, 5, 10, 20, 30, 45, 60, 90, 120, 300),
)
_VOICEMAIL = Counter(
    "voicebot_voicemail_total", "Outbound calls answered by a machine, by what the bot did.", ["result"]
)
_AMD = Counter(
    "voicebot_amd_verdicts_total", "Answering-machine detection verdicts on outbound calls.", ["verdict"]
)


def transfer(mode: str, result: str, hold_seconds: float | None = None) -> None:
    """A transfer ended (``mode`` cold or warm; ``result`` one of TRANSFER_RESULTS)."""
    result = result if result in TRANSFER_RESULTS else "failed"
    _TRANSFERS.labels("warm" if mode == "warm" else "cold", result).inc()
    if hold_seconds is not None:
        _TRANSFER_WAIT.labels(result).observe(hold_seconds)


def amd_verdict(verdict: str) -> None:
    """``human``, ``machine`` or ``uncertain``."""
    _AMD.labels(verdict if verdict in ("human", "machine", "uncertain") else "uncertain").inc()


def voicemail(result: str) -> None:
    """``left`` (the message was spoken) or ``no_message`` (none declared, or the line dropped first)."""
    _VOICEMAIL.labels("left" if result == "left" else "no_message").inc()


# --------------------------------------------------------------------------- keypad and turn-taking

_DTMF_KEYS = Counter("voicebot_dtmf_keys_total", "DTMF keys, by direction (received, sent).", ["direction"])
_TURN_TAKING = Counter(
    "voicebot_turn_taking_changes_total",
    "Live changes of a session's end-of-turn timing, by preset (short, normal, long, digits, custom).",
    ["preset"],
)
_PRESETS = frozenset(("short", "normal", "long", "digits", "custom"))


def dtmf_key(direction: str) -> None:
    """A DTMF key received from the caller or sent to the other side."""
    _DTMF_KEYS.labels("sent" if direction == "sent" else "received").inc()


def turn_taking_applied(preset: str) -> None:
    """The session's endpointing was changed to ``preset`` (``custom``: explicit delays)."""
    _TURN_TAKING.labels(preset if preset in _PRESETS else "custom").inc()
