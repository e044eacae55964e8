"""The reaper: no call stays open forever.

A call whose worker stopped beating (no heartbeat for ``timeout`` seconds; a call that never beat
counts from its start) is finalized with outcome ``dropped``, end reason ``dropped``, from what was
recorded of it (last checkpoint's state and slots, its turns), and its ``call.completed`` webhook is
queued like any other. Finalizing is idempotent per call, so several reapers, or a worker that comes
back late, never produce a second outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import structlog

from voicebot.dialogue.actions import CallFinished
from voicebot.errors import VoicebotError
from voicebot.outcomes.finalize import CallFacts, Finalizer
from voicebot.outcomes.payloads import TranscriptEntry

__all__ = ["LivenessStore", "Reaper", "StaleCallLike"]

log = structlog.get_logger("voicebot.outcomes.reaper")

DROPPED_RULE = "reaper:no_heartbeat"


class _Line(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def at(self) -> dt.datetime: ...


class StaleCallLike(Protocol):
    @property
    def call_id(self) -> uuid.UUID: ...
    @property
    def bot_id(self) -> uuid.UUID | None: ...
    @property
    def direction(self) -> str: ...
    @property
    def caller_number(self) -> str | None: ...
    @property
    def dialed_number(self) -> str | None: ...
    @property
    def scenario_version_id(self) -> uuid.UUID | None: ...
    @property
    def started_at(self) -> dt.datetime: ...
    @property
    def last_seen_at(self) -> dt.datetime: ...
    @property
    def state(self) -> str | None: ...
    @property
    def slots(self) -> Mapping[str, Any]: ...
    @property
    def transcript(self) -> Sequence[_Line]: ...


class LivenessStore(Protocol):
    """storage's ``Outcomes.stale``."""

    async def stale(self, older_than: dt.timedelta, *, limit: int = 100) -> Sequence[StaleCallLike]: ...


def _entry(line: _Line) -> TranscriptEntry | None:
    if line.role not in ("caller", "bot", "system"):
        return None
    return TranscriptEntry(role=line.role, text=line.text, at=line.at)  # type: ignore[arg-type]


class Reaper:
    """Finds dead calls and finalizes them as dropped."""

    def __init__(
        self,
        *,
        store: LivenessStore,
        finalizer: Finalizer,
        timeout: float,
        interval: float = 15.0,
        batch_size: int = 100,
    ) -> None:
        self._store = store
        self._finalizer = finalizer
        self._timeout = dt.timedelta(seconds=timeout)
        self._interval = interval
        self._batch_size = batch_size

    async def run_once(self) -> int:
        """Finalize the calls that are stale now; the number newly finalized."""
        done = 0
        for call in await self._store.stale(self._timeout, limit=self._batch_size):
            finished = CallFinished(
                outcome="dropped",
                confidence=1.0,
                rule=DROPPED_RULE,
                end_reason="dropped",
                final_state=call.state or "",
                slots=dict(call.slots),
            )
            facts = CallFacts(
                call_id=call.call_id,
                bot_id=call.bot_id,
                started_at=call.started_at,
                ended_at=call.last_seen_at,
                direction=call.direction,
                caller_number=call.caller_number,
                dialed_number=call.dialed_number,
                scenario_version_id=call.scenario_version_id,
            )
            transcript = [e for e in (_entry(line) for line in call.transcript) if e is not None]
            result = await self._finalizer.finalize(finished, facts, transcript)
            if not result.already:
                done += 1
                log.warning(
                    "call_dropped", call_id=str(call.call_id), last_seen_at=call.last_seen_at.isoformat()
                )
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Reap every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.run_once()
            except VoicebotError as exc:
                log.warning("reaper_failed", error=str(exc), retryable=exc.retryable)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
