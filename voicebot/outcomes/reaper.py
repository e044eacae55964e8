"""The reaper and the sweeper: no call stays open forever, no ended call stays without an outcome.

A call whose worker stopped beating (no heartbeat for ``timeout`` seconds; a call that never beat
counts from its start) is finalized with outcome ``dropped``, end reason ``dropped``, from what was
recorded of it (last checkpoint's state and slots, its turns), and its ``call.completed`` webhook is
queued like any other. Finalizing is idempotent per call, so several reapers, or a worker that comes
back late, never produce a second outcome.

A live call is never reaped: its process's recorder beats every ``min(10 s, timeout / 4)``, and the
reaper reaps only after it has itself reached the database without interruption for a whole
``timeout`` (at start, and after every outage): live workers have had time to beat again by then.

The sweeper (:meth:`Reaper.sweep`, run by the same loop) finalizes every *ended* call with no outcome
``grace`` seconds after its end (its own finalize failed: Postgres down at hang-up, process killed),
from the engine's decision journaled with the call's end record (outcome, rule, slots), so an outage
delays outcomes and webhooks but never loses them. An ended call without a decision is finalized as
``dropped``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import structlog

from voicebot.dialogue.actions import CallFinished
from voicebot.outcomes.finalize import CallFacts, Finalizer
from voicebot.outcomes.outage import Outage
from voicebot.outcomes.payloads import TranscriptEntry

__all__ = ["LivenessStore", "Reaper", "StaleCallLike"]

log = structlog.get_logger("voicebot.outcomes.reaper")

DROPPED_RULE = "reaper:no_heartbeat"
NO_DECISION_RULE = "sweeper:no_decision"


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


class EndedCallLike(StaleCallLike, Protocol):
    @property
    def ended_at(self) -> dt.datetime | None: ...
    @property
    def end_reason(self) -> str | None: ...
    @property
    def final_state(self) -> str | None: ...
    @property
    def decision(self) -> Mapping[str, Any] | None: ...


class LivenessStore(Protocol):
    """storage's ``Outcomes.stale`` and ``Outcomes.unfinalized``."""

    async def stale(self, older_than: dt.timedelta, *, limit: int = 100) -> Sequence[StaleCallLike]: ...

    async def unfinalized(self, older_than: dt.timedelta, *, limit: int = 100) -> Sequence[EndedCallLike]: ...


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
        grace: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._finalizer = finalizer
        self._timeout = dt.timedelta(seconds=timeout)
        self._interval = interval
        self._batch_size = batch_size
        self._grace = dt.timedelta(seconds=grace)
        self._clock = clock
        self._up_since: float | None = None  # since when this reaper reaches the database (run())

    async def sweep(self) -> int:
        """Finalize the ended calls that have no outcome ``grace`` after their end; the number written."""
        done = 0
        for call in await self._store.unfinalized(self._grace, limit=self._batch_size):
            decision = call.decision or {}
            reason = call.end_reason or "dropped"
            finished = CallFinished(
                outcome=str(decision.get("outcome") or "dropped"),
                confidence=float(decision.get("confidence", 1.0)),
                rule=str(decision.get("rule") or NO_DECISION_RULE),
                end_reason=reason,
                final_state=call.final_state or call.state or "",
                slots=dict(decision.get("slots") or call.slots),
                transfer=decision.get("transfer"),
            )
            facts = CallFacts(
                call_id=call.call_id,
                bot_id=call.bot_id,
                started_at=call.started_at,
                ended_at=call.ended_at or call.last_seen_at,
                direction=call.direction,
                caller_number=call.caller_number,
                dialed_number=call.dialed_number,
                scenario_version_id=call.scenario_version_id,
                bot_slug=decision.get("bot_slug"),
                slot_types=dict(decision.get("slot_types") or {}),
                outcome_names=tuple(decision.get("outcome_names") or ()),
            )
            transcript = [e for e in (_entry(line) for line in call.transcript) if e is not None]
            result = await self._finalizer.finalize(finished, facts, transcript)
            if not result.already:
                done += 1
                log.info("call_finalized_late", call_id=str(call.call_id), outcome=finished.outcome)
        return done

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
        """Sweep and reap every ``interval`` seconds until ``stop`` is set; any error backs off (one log
        line per outage). Reaping waits until the database has been reachable for a whole ``timeout``."""
        outage = Outage(log, down_event="reaper_failed", up_event="reaper_recovered", base=self._interval)
        while not stop.is_set():
            delay = self._interval
            try:
                await self.sweep()
                now = self._clock()
                if self._up_since is None:
                    self._up_since = now
                if now - self._up_since >= self._timeout.total_seconds():
                    await self.run_once()
                outage.recovered()
            except Exception as exc:  # any database/network error: the loop outlives it
                self._up_since = None
                delay = outage.failed(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
