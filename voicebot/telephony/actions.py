"""A live call's actions: the dialogue's :class:`~voicebot.dialogue.ports.ActionPort` over the registry.

:class:`CallActions` turns the engine's pure ``RunAction`` into an :class:`~voicebot.actions.ActionCall`
(with the call's ids), runs it through the :class:`~voicebot.actions.ActionRegistry`, counts it
(metrics), logs it without secrets or values, and answers with ``ActionDone``. It never raises: a
runner that does not answer within its own time is a ``timeout``.

The caller is never left in silence: if the action is still running after its ``filler_after_ms``, the
filler phrase goes to :class:`Fillers`. Inside the bridge's ``llm_node`` (the caller's turn) the filler is
streamed to TTS as the first part of the reply (:meth:`Fillers.until`), so it is heard at once; outside
it (an action entered after DTMF or the greeting) it is spoken with ``session.say``.

Barge-in: the action runs inside the turn's shielded engine call, so a caller who speaks meanwhile does
not cancel it; the result is applied to the call (slots, state) and the caller's new words are handled
after it, in the state the result led to.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog

from voicebot.actions import ActionCall, ActionRegistry, ActionResult
from voicebot.dialogue import ActionDone, CallContext, RunAction
from voicebot.dialogue.action_step import fill_secrets
from voicebot.observability import metrics

__all__ = ["CallActions", "Fillers", "fillers_of"]

log = structlog.get_logger("voicebot.actions")

GRACE_S = 2.0
"""Beyond an action's own timeouts (per attempt, with retries), how long the call waits for a runner."""


class Fillers:
    """Where filler phrases go: the current caller turn's reply stream, else ``say``."""

    def __init__(self, say: Callable[[str], Any] | None = None) -> None:
        self.say = say
        self._pending: deque[str] | None = None
        self._wake: asyncio.Future[None] | None = None
        self.said: list[str] = []

    def speak(self, text: str) -> None:
        self.said.append(text)
        if self._pending is not None:
            self._pending.append(text)
            if self._wake is not None and not self._wake.done():
                self._wake.set_result(None)
        elif self.say is not None:
            self.say(text)

    async def until(self, work: asyncio.Future[Any]) -> AsyncIterator[str]:
        """Yield fillers spoken while ``work`` runs (the bridge streams them to TTS); ends with it.

        One future per wait (woken by a filler or by ``work`` ending), no task per turn. Only a turn whose
        engine step needs I/O gets here (``turn_step.py``); one without a slow action waits once."""
        pending: deque[str] = deque()
        self._pending = pending
        loop = asyncio.get_running_loop()
        wake: asyncio.Future[None] | None = None

        def done(_: object) -> None:
            if wake is not None and not wake.done():
                wake.set_result(None)

        work.add_done_callback(done)
        try:
            while not work.done():
                if not pending:  # a filler spoken while the last one was being yielded is not waited for
                    wake = self._wake = loop.create_future()
                    await wake
                while pending:
                    yield pending.popleft()
            while pending:
                yield pending.popleft()
        finally:  # also when the caller barged in: the turn's reply is cut, the action goes on
            work.remove_done_callback(done)
            self._pending = self._wake = None


class CallActions:
    """Implements the dialogue's ActionPort for one call."""

    def __init__(
        self,
        registry: ActionRegistry,
        *,
        call_id: uuid.UUID | None,
        company_id: uuid.UUID | None,
        bot_id: uuid.UUID | None,
        fillers: Fillers | None = None,
    ) -> None:
        self._registry = registry
        self.call_id = call_id
        self.company_id = company_id
        self.bot_id = bot_id
        self.fillers = fillers or Fillers()

    def attach(self, agent: Any) -> None:
        """Speak fillers through ``agent``'s session and let its ``llm_node`` stream them."""
        self.fillers.say = lambda text: agent.session.say(text)
        agent.fillers = self.fillers

    def _call(self, action: RunAction) -> ActionCall:
        return ActionCall(
            name=action.name,
            kind=action.kind,
            args=fill_secrets(dict(action.args), {}),  # built-ins get plain values
            call_id=self.call_id,
            company_id=self.company_id,
            bot_id=self.bot_id,
            idempotency_key=action.idempotency_key,
            timeout_s=action.timeout_s,
            method=action.method,
            url=action.url,
            headers=dict(action.headers),
            body=action.body,
            retries=action.retries,
            secrets=action.secrets,
        )

    async def perform(self, action: RunAction, context: CallContext) -> ActionDone:
        started = time.perf_counter()
        task = asyncio.ensure_future(self._registry.run(self._call(action)))
        filler = False
        budget = action.timeout_s * (1 + action.retries) + GRACE_S
        try:
            if action.filler:
                done, _ = await asyncio.wait({task}, timeout=action.filler_after_ms / 1000)
                if not done:
                    filler = True
                    self.fillers.speak(action.filler)
            result = await asyncio.wait_for(asyncio.shield(task), max(0.0, budget - _since(started)))
        except TimeoutError:
            task.cancel()
            result = ActionResult(
                "timeout", {}, _since(started) * 1000, error="no answer in time", error_kind="timeout"
            )
        seconds = _since(started)
        metrics.action_finished(action.name, result.status, seconds, result.error_kind)
        log.info(
            "action_finished",
            action=action.name,
            kind=action.kind,
            status=result.status,
            http_status=result.http_status,
            error_kind=result.error_kind,
            latency_ms=round(seconds * 1000, 3),
            attempts=result.attempts,
            filler=filler,
        )
        return ActionDone(
            action.name,
            result.status,
            dict(result.data),
            http_status=result.http_status,
            error=result.error,
            latency_ms=round(seconds * 1000, 3),
            error_kind=result.error_kind,
            attempts=result.attempts,
            filler=filler,
        )


def _since(started: float) -> float:
    return time.perf_counter() - started


def fillers_of(agent: object, work: asyncio.Future[Any]) -> AsyncIterator[str]:
    """The bridge's hook: the fillers ``agent``'s actions say while ``work`` (the turn) runs (its
    :meth:`Fillers.until` itself, not a generator around it)."""
    fillers = getattr(agent, "fillers", None)
    return fillers.until(work) if isinstance(fillers, Fillers) else _none()


async def _none() -> AsyncIterator[str]:
    return
    yield  # an async generator that yields nothing
