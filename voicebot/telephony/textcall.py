"""A whole call in text mode, through the same AgentSession and bridge as a phone call.

``voicebot chat``, the demo, scenario end-to-end tests and the benchmarks use this: the caller's lines
enter the session as user input (``session.run(user_input=...)``), the bridge's ``llm_node`` hands them
to the engine, and the bot's replies come back as the engine's :class:`~voicebot.dialogue.TurnResult`\\ s.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator
from types import TracebackType

from voicebot.dialogue import (
    LLM,
    ActionPort,
    Answerer,
    CallContext,
    Conversation,
    Engine,
    Event,
    Hangup,
    Retriever,
    TurnResult,
)
from voicebot.storage.records import Record
from voicebot.telephony.actions import CallActions
from voicebot.telephony.bridge import CallAgent, CallControl, NullControl
from voicebot.telephony.llm import LivekitLLM
from voicebot.telephony.recording import CallInfo, RecordFn
from voicebot.telephony.session import text_session
from voicebot.telephony.warm_transfer import WarmLine, WarmTransfers

__all__ = ["TextCall", "run_text_call"]


class TextCall:
    """One text-mode call. ``async with TextCall(...) as call``: the greeting is in ``call.greeting``."""

    def __init__(
        self,
        engine: Engine,
        *,
        bot_id: str,
        context: CallContext | None = None,
        retriever: Retriever | None = None,
        answerer: Answerer | None = None,
        llm: LLM | None = None,
        record: RecordFn | None = None,
        control: CallControl | None = None,
        info: CallInfo | None = None,
        no_input_timer: bool = False,
        actions: ActionPort | None = None,
        warm_line: WarmLine | None = None,
    ) -> None:
        call_uuid = uuid.uuid4()
        self.context = context or CallContext(call_id=str(call_uuid))
        self.records: list[Record] = []
        self.control = control or NullControl()
        self.conversation = Conversation(
            engine,
            self.context,
            bot_id=bot_id,
            retriever=retriever,
            llm=llm,
            answerer=answerer,
            actions=actions,
        )
        self._results: list[TurnResult] = []
        self.agent = CallAgent(
            self.conversation,
            info=info
            or CallInfo(
                call_id=call_uuid,
                bot_id=None,
                bot_slug=bot_id,
                direction="inbound",
                caller_number=self.context.caller_number,
                dialed_number=self.context.dialed_number,
            ),
            record=record or self.records.append,
            control=self.control,
            no_input_timer=no_input_timer,
            on_result=self._on_result,
        )
        if isinstance(actions, CallActions):
            actions.attach(self.agent)
        self.warm = WarmTransfers(warm_line)
        self.warm.attach(self.agent)
        if isinstance(llm, LivekitLLM) and llm.on_error is None:
            llm.on_error = self.agent.report_error
        self.session = text_session()
        self.greeting: list[TurnResult] = []

    @property
    def ended(self) -> bool:
        return self.conversation.ended

    def _on_result(self, result: TurnResult) -> None:
        self._results.append(result)
        self.warm.on_result(result)

    def _take(self) -> list[TurnResult]:
        out, self._results[:] = list(self._results), []
        return out

    async def __aenter__(self) -> TextCall:
        run = await self.session.start(self.agent, capture_run=True)
        await run
        self.greeting = self._take()
        await self._settle()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self.agent.done.is_set():
            await self.agent.caller_hung_up("caller_hangup")
        await self.agent.aclose_tasks()
        await self.session.aclose()

    async def say(self, line: str) -> list[TurnResult]:
        """The caller says ``line``; returns the engine's results for it (what the bot says, etc.)."""
        if self.ended:
            return []
        await self.session.run(user_input=line)
        await self._settle()
        return self._take()

    async def send(self, event: Event) -> list[TurnResult]:
        """DTMF, NoInput or Hangup; returns the engine's results."""
        if isinstance(event, Hangup):
            await self.agent.caller_hung_up(event.reason)
            return self._take()
        handle = await self.agent.send(event)
        if handle is not None:
            await handle
        await self._settle()
        return self._take()

    async def _settle(self) -> None:
        """After an ending turn, wait for the hang-up / transfer and the end record."""
        if self.ended:
            await self.agent.done.wait()


async def run_text_call(
    engine: Engine,
    inputs: AsyncIterable[str | Event],
    *,
    bot_id: str,
    context: CallContext | None = None,
    retriever: Retriever | None = None,
    answerer: Answerer | None = None,
    llm: LLM | None = None,
    record: RecordFn | None = None,
    actions: ActionPort | None = None,
) -> AsyncIterator[TurnResult]:
    """Run a call from caller ``inputs`` (lines, or DTMF / silence / hang-up events); yield its results."""
    async with TextCall(
        engine,
        bot_id=bot_id,
        context=context,
        retriever=retriever,
        answerer=answerer,
        llm=llm,
        record=record,
        actions=actions,
    ) as call:
        for result in call.greeting:
            yield result
        async for item in inputs:
            if call.ended:
                break
            results = await (call.say(item) if isinstance(item, str) else call.send(item))
            for result in results:
                yield result
