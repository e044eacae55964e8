"""The bridge between a livekit ``AgentSession`` and the dialogue engine: one :class:`CallAgent` per call.

How a turn flows:

* The caller's final transcript (audio path) or typed line (text mode, ``session.run(user_input=...)``)
  reaches :meth:`CallAgent.llm_node`: the one hook both paths share. It feeds an ``Utterance`` to the
  :class:`~voicebot.dialogue.Conversation` and streams back the text of the engine's ``Say`` actions, so
  a template reply goes straight to TTS with no LLM round trip. The session's LLM is a placeholder; the
  real model is reached only through the dialogue's LLM port when a state asks for it.
* Speech the engine starts on its own (greeting, no-input reprompts, DTMF answers) goes through
  ``session.say``.
* When a speech is done (played out or interrupted by the caller: barge-in is livekit's), the bot's turn
  is recorded with what was actually heard and the stage latencies from the message's metrics; then the
  pending call control runs: hang up after ``EndCall``, SIP transfer after ``Transfer``, or the
  no-input timer after ``Listen``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterable, Callable
from typing import Any

import structlog
from livekit.agents import Agent, ModelSettings, llm
from livekit.agents.voice import SpeechHandle
from livekit.agents.voice.events import CloseEvent, ErrorEvent, UserStateChangedEvent

from voicebot.dialogue import (
    CallFinished,
    Conversation,
    EndCall,
    Event,
    Hangup,
    Listen,
    NoInput,
    Say,
    Transfer,
    TurnResult,
    Utterance,
)
from voicebot.observability import metrics
from voicebot.telephony.actions import fillers_of
from voicebot.telephony.apology import apologize_and_end
from voicebot.telephony.dtmf import KeypadLink
from voicebot.telephony.line import CallControl, NullControl
from voicebot.telephony.recording import CallInfo, CallLog, RecordFn, end_status, record_bot_turn
from voicebot.telephony.stt_words import WordTimings
from voicebot.telephony.turn_step import TurnLock, record_input
from voicebot.telephony.turns import LiveTurnTaking

__all__ = ["CallAgent", "CallControl", "NullControl"]

_Step = tuple[TurnResult, int | None] | asyncio.Future[tuple[TurnResult, int | None]]
"""An engine step: its result and the caller turn's seq, or the task that will have them."""

log = structlog.get_logger("voicebot.telephony")

_CLOSE_REASONS = {
    "participant_disconnected": "caller_hangup",
    "user_initiated": "caller_hangup",
    "job_shutdown": "dropped",
    "error": "error",
    "task_completed": "completed",
}

HISTORY_ITEMS = 8
"""Chat items the agent keeps (see CallAgent._trim_history)."""


class CallAgent(WordTimings, Agent):
    """Runs one call of one bot inside an AgentSession. See the module docstring."""

    def __init__(
        self,
        conversation: Conversation,
        *,
        info: CallInfo,
        record: RecordFn,
        control: CallControl | None = None,
        no_input_timer: bool = True,
        on_result: Callable[[TurnResult], None] | None = None,
    ) -> None:
        super().__init__(instructions="")
        self.conversation = conversation
        self.info = info
        self.calllog = CallLog(info, record)
        self.control: CallControl = control or NullControl()
        self._timer_enabled = no_input_timer
        self._on_result = on_result
        self._lock = TurnLock()
        self._no_input: asyncio.TimerHandle | None = None
        self._listen_seconds: float | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._finished: CallFinished | None = None
        self._started_at = time.monotonic()
        self._turns = 0
        self._errors = 0
        self._failing = False
        self._trimming = False
        self._answered: str | None = None
        """Id of the last caller message llm_node answered: livekit may ask again for the same turn."""
        self.keypad = KeypadLink(self.send, self._spawn, on_error=self.report_error)
        self.turns = LiveTurnTaking(conversation.engine.compiled)
        self.done = asyncio.Event()
        """Set when the call is over and its end recorded (after the hang-up or transfer)."""

    # ------------------------------------------------------------------ session hooks

    async def on_enter(self) -> None:
        session = self.session
        session.on("user_state_changed", self._on_user_state)
        session.on("error", self._on_error)
        session.on("close", self._on_close)
        self.calllog.started()
        metrics.call_started(self.info.direction)
        log.info("call_started", direction=self.info.direction, bot=self.info.bot_slug)
        async with self._lock:
            result = await self.conversation.start()
            self._book(result, turn_seq=None)
        self._speak(result)

    async def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[str]:
        """The caller finished a turn: the engine answers (no LLM unless the state asks for it)."""
        message = next((m for m in reversed(chat_ctx.items) if getattr(m, "role", None) == "user"), None)
        if message is None or self.conversation.ended or message.id == self._answered:
            return
        self._answered = message.id
        text = message.text_content or ""  # type: ignore[union-attr]
        stt = message.metrics.get("transcription_delay")  # type: ignore[union-attr]
        self.calllog.stt_confidence = getattr(message, "transcript_confidence", None)  # for the pipeline
        self._cancel_no_input()
        work = self._start(Utterance(text), caller_text=text, stt=stt)  # turn_step.py
        if isinstance(work, tuple):
            result, seq = work  # answered at once
        else:
            async for filler in fillers_of(self, work):  # a slow action's filler phrase, heard at once
                yield filler
            result, seq = work.result() if work.done() else await asyncio.shield(work)
        handle = self.session.current_speech
        self.turns.guard(handle)  # barge_in: false
        self._after(result, handle, seq)
        spoken = " ".join(a.text for a in result.actions if isinstance(a, Say))
        if spoken:
            yield spoken

    # ------------------------------------------------------------------ events from outside the session

    async def send(self, event: Event) -> SpeechHandle | None:
        """Feed DTMF, NoInput or Hangup to the engine and speak its answer; returns the speech (awaitable)."""
        if self.conversation.ended:
            return None
        self._cancel_no_input()
        result, seq = await self._send(event)
        return self._speak(result, seq)

    async def dtmf(self, digits: str) -> SpeechHandle | None:
        from voicebot.dialogue import Dtmf

        return await self.send(Dtmf(digits))

    def dtmf_received(self, digits: str) -> None:
        """A room event handler: DTMF ``digits`` arrived (the answer is spoken in a task of the call)."""
        if digits:
            self._spawn(self.dtmf(digits))

    def caller_left(self) -> None:
        """A room event handler: the caller's participant left the room."""
        self._spawn(self.caller_hung_up("caller_hangup"))

    @property
    def finished(self) -> CallFinished | None:
        """The engine's end of the call (outcome, end reason, slots), once it has ended."""
        return self._finished

    async def caller_hung_up(self, reason: str = "caller_hangup") -> None:
        """The line dropped: finish the call (outcome, records) without speaking."""
        self._cancel_no_input()
        if not self.conversation.ended:
            result, _ = await self._send(Hangup(reason))
            del result
        self._end(reason)

    def report_error(self, kind: str, exc: BaseException) -> None:
        """A provider failure handled elsewhere (the LLM port): count it, log it, write an error_logs row."""
        self._errors += 1
        metrics.error(kind)
        self.calllog.error(kind, f"{type(exc).__name__}: {exc}", context={"recoverable": True})
        log.warning("provider_error", kind=kind, recoverable=True, error_class=type(exc).__name__)

    async def aclose_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------ internals

    async def _send(
        self, event: Event, *, caller_text: str | None = None, stt: float | None = None
    ) -> tuple[TurnResult, int | None]:
        await self._lock.acquire()
        step = self._step(event, caller_text, stt)
        return step if isinstance(step, tuple) else await step

    def _start(self, event: Event, *, caller_text: str, stt: float | None) -> _Step:
        """The turn, answered at once if the lock is free and no I/O is needed, else its task."""
        if not self._lock.try_hold():
            return asyncio.ensure_future(self._send(event, caller_text=caller_text, stt=stt))
        return self._step(event, caller_text, stt)

    def _step(self, event: Event, caller_text: str | None, stt: float | None) -> _Step:
        """With the lock held (released when the step is done): record the input, run the engine."""
        try:
            self._turns += caller_text is not None
            state = self.conversation.call.state
            seq = record_input(self.calllog, event, state, caller_text=caller_text, stt=stt)
            result, rest = self.conversation.begin(event)
            if rest:
                return asyncio.ensure_future(self._finish(result, rest, seq))
            self._book(result, turn_seq=seq)
        except BaseException:
            self._lock.release()
            raise
        self._lock.release()
        return result, seq

    async def _finish(self, result: TurnResult, rest: Any, seq: int | None) -> tuple[TurnResult, int | None]:
        try:
            await self.conversation.complete(result, rest)
            self._book(result, turn_seq=seq)
            return result, seq
        finally:
            self._lock.release()

    def _book(self, result: TurnResult, *, turn_seq: int | None) -> None:
        metrics.turn_latency("engine", result.engine_ms / 1000)
        if result.llm_ms:
            metrics.turn_latency("llm", result.llm_ms / 1000)
        for action in result.actions:
            if isinstance(action, CallFinished):
                self._finished = action
            elif action.type == "record_transition":
                metrics.transition(action.trigger)
        self.calllog.actions(result, self.conversation.call, turn_seq=turn_seq)
        self.keypad.on_result(result)  # send_dtmf keys, the inter-key timer
        self.turns.apply(self, self.conversation.call)  # the new state's end-of-turn timing, live
        if self._on_result is not None:
            self._on_result(result)

    def _speak(self, result: TurnResult, seq: int | None = None) -> SpeechHandle | None:
        spoken = " ".join(a.text for a in result.actions if isinstance(a, Say))
        handle = self.session.say(spoken, **self.turns.say_options()) if spoken else None
        self._after(result, handle, seq)
        return handle

    def _after(self, result: TurnResult, handle: SpeechHandle | None, seq: int | None) -> None:
        """When ``handle`` is done: record the bot's turn, then hang up / transfer / listen."""
        says: list[Say] = []
        control: EndCall | Transfer | None = None
        listen: Listen | None = None
        for a in result.actions:  # one pass: this runs on every turn's path
            if isinstance(a, Say):
                says.append(a)
            elif isinstance(a, (EndCall, Transfer)):
                control = control or a
            elif isinstance(a, Listen):
                listen = listen or a
        state = self.conversation.call.state
        lat = {
            "engine": round(result.engine_ms, 3),
            "llm": round(result.llm_ms, 3) if result.llm_ms else None,
        }
        sources = sorted({a.source for a in says})

        def done(h: SpeechHandle | None) -> None:
            if says:
                planned = " ".join(a.text for a in says)
                record_bot_turn(self.calllog, h, planned, state, lat, sources, result)
            self._trim_history()
            if self._failing:
                return  # the failure path hangs up and ends the call
            if control is not None:
                self._spawn(self._control(control))
            elif self.conversation.ended:
                self._end(self.conversation.call.end_reason or "completed")
            elif listen is not None:
                self._listen_seconds = listen.no_input_seconds
                self._arm_no_input()

        if handle is None:
            done(None)
        else:
            handle.add_done_callback(done)

    def _trim_history(self) -> None:
        """Keep the agent's chat context short. livekit walks the whole of it on every turn (copies it,
        strips markup from every assistant message), so a turn's cost grew with the call's length; the
        engine keeps the call's state and llm_node reads only the last caller message. The session's own
        history (``session.history``) is untouched."""
        if len(self.chat_ctx.items) > 2 * HISTORY_ITEMS and not self._trimming:
            self._trimming = True
            self._spawn(self._trim())

    async def _trim(self) -> None:
        try:
            await self.update_chat_ctx(self.chat_ctx.copy().truncate(max_items=HISTORY_ITEMS))
        finally:
            self._trimming = False

    async def _control(self, action: EndCall | Transfer) -> None:
        await self.keypad.drain()  # send_dtmf keys go out before the line is handed over or hung up
        try:
            if isinstance(action, Transfer):
                await self.control.transfer(action.number)
            else:
                await self.control.hang_up()
        except Exception as exc:
            self._errors += 1
            metrics.error("call_control")
            self.calllog.error("call_control_error", str(exc), context={"action": action.type})
            log.error("call_control_failed", action=action.type, error=str(exc))
            with contextlib.suppress(Exception):
                await self.control.hang_up()
        self._end(self.conversation.call.end_reason or "completed")

    def _end(self, reason: str) -> None:
        if self.done.is_set():
            return
        self._cancel_no_input()
        self.keypad.cancel()
        call = self.conversation.call
        self.calllog.finished(self._finished, end_reason=reason, final_state=call.state)
        status = end_status(self._finished.end_reason if self._finished else reason)
        metrics.call_ended(status)
        f = self._finished
        log.info(
            "call_ended",
            status=status,
            end_reason=f.end_reason if f else reason,
            outcome=f.outcome if f else None,
            final_state=call.state,
            turns=self._turns,
            errors=self._errors,
            duration_s=round(time.monotonic() - self._started_at, 3),
        )
        self.done.set()

    # no-input

    def _arm_no_input(self) -> None:
        self._cancel_no_input()
        if not self._timer_enabled or self._listen_seconds is None or self.conversation.ended:
            return
        loop = asyncio.get_running_loop()
        self._no_input = loop.call_later(self._listen_seconds, self._fire_no_input)

    def _cancel_no_input(self) -> None:
        if self._no_input is not None:
            self._no_input.cancel()
            self._no_input = None

    def _fire_no_input(self) -> None:
        self._no_input = None
        self._listen_seconds = None
        self._spawn(self.send(NoInput()))

    def _on_user_state(self, ev: UserStateChangedEvent) -> None:
        if ev.new_state == "speaking":
            self._cancel_no_input()
        elif ev.old_state == "speaking" and self._listen_seconds is not None:
            self._arm_no_input()  # noise with no transcript: keep counting silence

    # provider errors and the end of the session

    def _on_error(self, ev: ErrorEvent) -> None:
        kind = str(getattr(ev.error, "type", "error"))
        recoverable = bool(getattr(ev.error, "recoverable", False))
        cause = getattr(ev.error, "error", ev.error)
        self._errors += 1
        metrics.error(kind)
        self.calllog.error(kind, f"{type(cause).__name__}: {cause}", context={"recoverable": recoverable})
        log.warning("provider_error", kind=kind, recoverable=recoverable, error_class=type(cause).__name__)
        if not recoverable:
            self._fail()

    def _fail(self) -> None:
        """An unrecoverable provider error (or the session closing on one): end the call as failed, once."""
        if self._failing or self.done.is_set():
            return
        self._failing = True
        self._spawn(self._apologize_and_end())

    async def _apologize_and_end(self) -> None:
        await apologize_and_end(self)  # apology.py

    def _on_close(self, ev: CloseEvent) -> None:
        if self.done.is_set():
            return
        reason = _CLOSE_REASONS.get(str(getattr(ev.reason, "value", ev.reason)), "dropped")
        if reason == "error":
            self._fail()
        elif not self._failing:
            self._spawn(self.caller_hung_up(reason))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
