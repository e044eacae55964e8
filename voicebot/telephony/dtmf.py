"""DTMF on the phone line: keys the caller presses reach the engine, keys the scenario sends leave.

* :func:`forward_dtmf` subscribes to the room's ``sip_dtmf_received`` (livekit rtc emits one
  :class:`livekit.rtc.SipDTMF` per key, from the SIP participant) and hands each key to the call; keys
  from anyone but the caller (another party of a transfer) are ignored.
* :class:`KeypadLink` is the bridge's keypad side. For the engine's ``SendDtmf`` it publishes the keys
  with ``LocalParticipant.publish_dtmf`` (RFC 4733 codes: 0-9, ``*`` = 10, ``#`` = 11, A-D = 12-15), one
  key every :data:`KEY_GAP` s, ``w`` waiting :data:`WAIT` s; for ``AwaitKeys`` it arms the inter-key
  timer that sends ``DtmfTimeout`` (a newer key simply re-arms it).
A failed publish is logged and counted (``voicebot_errors_total{kind="dtmf_send"}``); it never ends
the call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Final, Protocol

import structlog
from livekit import rtc

from voicebot.dialogue import Event, TurnResult
from voicebot.dialogue.actions import AwaitKeys, SendDtmf
from voicebot.dialogue.events import DtmfTimeout
from voicebot.observability import metrics

__all__ = ["DTMF_CODES", "KEY_GAP", "WAIT", "DtmfPublisher", "KeypadLink", "forward_dtmf", "send_keys"]

log = structlog.get_logger("voicebot.telephony")

DTMF_CODES: Final[dict[str, int]] = {
    **{str(d): d for d in range(10)},
    "*": 10,
    "#": 11,
    "A": 12,
    "B": 13,
    "C": 14,
    "D": 15,
}
"""RFC 4733 event codes (what livekit's beta ``send_dtmf_events`` tool sends too)."""
_KEYS_BY_CODE: Final = {code: key for key, code in DTMF_CODES.items()}

KEY_GAP: Final = 0.3
"""Seconds between two sent keys (livekit's own tool waits the same)."""
WAIT: Final = 0.5
"""Seconds a ``w`` in ``send_dtmf`` waits."""


class DtmfPublisher(Protocol):
    """What sends DTMF into the call: ``rtc.LocalParticipant`` (the agent's side of the room)."""

    async def publish_dtmf(self, *, code: int, digit: str) -> None: ...


def forward_dtmf(
    room: rtc.Room, on_key: Callable[[str], None], *, caller_identity: str | None = None
) -> Callable[[], None]:
    """Forward the caller's keys from ``room`` to ``on_key``; returns the unsubscribe function."""

    def received(ev: rtc.SipDTMF) -> None:
        participant = ev.participant
        if caller_identity and participant is not None and participant.identity != caller_identity:
            log.info("dtmf_ignored", reason="not_the_caller")
            return
        key = ev.digit or _KEYS_BY_CODE.get(ev.code, "")
        if key not in DTMF_CODES:
            return
        metrics.dtmf_key("received")
        on_key(key)

    room.on("sip_dtmf_received", received)
    return lambda: room.off("sip_dtmf_received", received)


async def send_keys(publisher: DtmfPublisher, keys: str, *, gap: float = KEY_GAP, wait: float = WAIT) -> int:
    """Publish ``keys`` one by one; returns how many were sent. Raises what the publisher raises."""
    sent = 0
    for key in keys:
        if key == "w":
            await asyncio.sleep(wait)
            continue
        await publisher.publish_dtmf(code=DTMF_CODES[key], digit=key)
        metrics.dtmf_key("sent")
        sent += 1
        await asyncio.sleep(gap)
    return sent


class KeypadLink:
    """Sends the engine's ``SendDtmf`` keys and runs the ``AwaitKeys`` timer of one call."""

    def __init__(
        self,
        send: Callable[[Event], Awaitable[object]],
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        *,
        publisher: DtmfPublisher | None = None,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self._send = send
        self._spawn = spawn
        self.publisher = publisher
        self._on_error = on_error
        self._timer: asyncio.TimerHandle | None = None
        self._sending: asyncio.Future[None] | None = None
        self.sent: list[str] = []
        """Keys sent so far (in order), for the call's record and tests."""

    def on_result(self, result: TurnResult) -> None:
        for action in result.actions:
            if isinstance(action, SendDtmf):
                previous, done = self._sending, asyncio.get_running_loop().create_future()
                self._sending = done
                self._spawn(self._publish(action.keys, after=previous, done=done))
            elif isinstance(action, AwaitKeys):
                self._arm(action.seconds)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, seconds: float) -> None:
        self.cancel()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._spawn(self._send(DtmfTimeout()))  # type: ignore[arg-type]

    async def drain(self, timeout: float = 15.0) -> None:
        """Wait until the keys asked for so far are sent (before a hang-up or transfer)."""
        if self._sending is not None and not self._sending.done():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._sending), timeout)

    async def _publish(
        self, keys: str, *, after: asyncio.Future[None] | None, done: asyncio.Future[None]
    ) -> None:
        try:
            if after is not None:
                await after  # keys go out in the order the engine asked
            await self._send_now(keys)
        finally:
            if not done.done():
                done.set_result(None)

    async def _send_now(self, keys: str) -> None:
        if self.publisher is None:
            log.warning("dtmf_not_sent", reason="no_publisher", keys=len(keys))
            return
        try:
            await send_keys(self.publisher, keys)
            self.sent.append(keys)
            log.info("dtmf_sent", keys=len(keys.replace("w", "")))
        except Exception as exc:  # livekit's PublishDTMFError, a closed room: the call goes on
            log.warning("dtmf_send_failed", error_class=type(exc).__name__)
            if self._on_error is not None:
                self._on_error("dtmf_send", exc)  # counts it, writes the error_logs row
            else:
                metrics.error("dtmf_send")
