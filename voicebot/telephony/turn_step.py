"""One engine step of a call, answered at once when it needs no I/O (most caller turns).

The bridge serializes a call's events (caller turns, DTMF, no-input, hang-up) with a :class:`TurnLock`.
A caller turn used to run in a task of its own (so a caller barging in, which cancels the reply, cannot
cut the engine's step short), which cost the turn two extra passes of the event loop. Now the step
starts inline: when the lock is free, the caller's turn is recorded and the engine answers
(:meth:`voicebot.dialogue.Conversation.begin`); if that answer needs no knowledge, LLM or action, the
turn is over without a task or an await, so nothing can interrupt it. Only a step that has requests
left continues in a task (shielded by the bridge, as before), holding the lock until it is done.
"""

from __future__ import annotations

import asyncio

from voicebot.dialogue import Event
from voicebot.observability import metrics
from voicebot.telephony.recording import CallLog

__all__ = ["TurnLock", "record_input"]


class TurnLock(asyncio.Lock):
    """An ``asyncio.Lock`` that can also be taken without awaiting when it is free."""

    def try_hold(self) -> bool:
        """Take the lock if ``acquire`` would take it without waiting (free, nobody queued); return
        whether it was taken. (CPython 3.11's ``Lock.acquire`` fast path, done synchronously.)"""
        waiters = self._waiters
        if self.locked() or (waiters is not None and not all(w.cancelled() for w in waiters)):
            return False
        self._locked = True
        return True


def record_input(
    calllog: CallLog, event: Event, state: str, *, caller_text: str | None, stt: float | None
) -> int | None:
    """Record what the caller did: words as a caller turn (with the STT delay), DTMF and no-input as
    turns too (a replay feeds them again). Returns the turn's seq (None for a hang-up)."""
    if caller_text is None:
        return calllog.caller_event(event, state=state)
    seq = calllog.turn(
        "caller", caller_text, state=state, latencies={"stt": None if stt is None else round(stt * 1000, 3)}
    )
    if stt is not None:
        metrics.turn_latency("stt", stt)
    return seq
