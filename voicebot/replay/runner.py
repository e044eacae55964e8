"""Re-running a recorded call's caller inputs against a (new) compiled scenario.

Pure: the engine and the conversation driver run in memory; knowledge answers and LLM results come
from what was recorded (:class:`RecordedPorts`) unless the caller of :class:`Replayer` hands in live
ports. Each input is fed at the moment it was recorded (the engine's injected clock), so "tomorrow"
means the day after the original call.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voicebot.dialogue import (
    LLM,
    Answerer,
    CallContext,
    CallFinished,
    Conversation,
    Dtmf,
    Engine,
    Event,
    Hangup,
    NoInput,
    Passage,
    RecordTransition,
    Retriever,
    Say,
    Utterance,
)
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.dialogue.driver import KNOWLEDGE_SYSTEM_PROMPT
from voicebot.dialogue.nlu import to_json
from voicebot.dialogue.ports import LlmMessage
from voicebot.errors import ProviderError
from voicebot.replay.recorded import RecordedCall, RecordedStep

__all__ = ["NewStep", "RecordedPorts", "ReplayedCall", "Replayer"]

BOT_ENDS = frozenset({"completed", "transferred", "no_input"})
"""End reasons that are the bot's doing: a new version that leaves such a call open is a dead end."""


@dataclass(slots=True)
class NewStep:
    """What the new version did after one recorded input."""

    states: list[str] = field(default_factory=list)
    reply: str = ""
    fed: bool = True
    """False: the new version had already ended the call before this input."""


@dataclass(slots=True)
class ReplayedCall:
    greeting: NewStep
    steps: list[NewStep]
    ended: bool
    end_reason: str | None
    outcome: str | None
    slots: dict[str, Any]
    path: list[str]
    dead_end: str | None = None
    """Why the new version left the caller stuck (None: it did not)."""
    notes: list[str] = field(default_factory=list)


class _Clock:
    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class RecordedPorts:
    """The knowledge base and the LLM as they answered on the recorded call, one step at a time."""

    def __init__(self) -> None:
        self._knowledge: deque[str] = deque()
        self._llm: deque[str] = deque()
        self._step: RecordedStep | None = None
        self._last = "NO_ANSWER"
        self.unrecorded: list[str] = []
        """Requests the recording has no answer for (the new version asks where the old one did not)."""

    def at(self, step: RecordedStep) -> None:
        self._step = step
        self._knowledge = deque(text for src, text in step.answers if src == "knowledge")
        self._llm = deque(text for src, text in step.answers if src == "llm")

    async def retrieve(self, bot_id: str, query: str, *, top_k: int) -> Sequence[Passage]:
        """The next recorded knowledge answer as the one passage found (score 1.0), or nothing."""
        if not self._knowledge:
            self.unrecorded.append("knowledge")
            self._last = "NO_ANSWER"
            return []
        self._last = self._knowledge.popleft()
        return [Passage("recorded", "recorded", self._last, 1.0)]

    async def reply(self, messages: Sequence[LlmMessage]) -> str:
        if messages and messages[0].content.startswith(KNOWLEDGE_SYSTEM_PROMPT):
            return self._last  # the LLM phrased the knowledge answer: it is the recorded answer
        if not self._llm:
            self.unrecorded.append("llm")
            raise ProviderError("no LLM reply was recorded here", provider="replay", retryable=False)
        return self._llm.popleft()

    async def classify(self, text: str, intents: Sequence[str], *, context: str = "") -> str | None:
        intent = self._step.intent if self._step is not None else None
        return intent if intent in intents else None

    async def extract(self, text: str, slots: Mapping[str, str], *, context: str = "") -> Mapping[str, Any]:
        found = self._step.llm_slots if self._step is not None else {}
        return {k: v for k, v in found.items() if k in slots}


def _event(step: RecordedStep) -> Event:
    given = step.input
    if given.kind == "dtmf":
        return Dtmf(given.text)
    if given.kind == "no_input":
        return NoInput()
    return Utterance(given.text)


class Replayer:
    """Replays recorded calls against one compiled scenario. Share it between calls; not thread-safe."""

    def __init__(
        self,
        compiled: CompiledScenario,
        *,
        bot_id: str = "replay",
        retriever: Retriever | None = None,
        answerer: Answerer | None = None,
        llm: LLM | None = None,
    ) -> None:
        self.compiled = compiled
        self.bot_id = bot_id
        self._live_retriever = retriever
        self._answerer = answerer
        self._live_llm = llm
        self._clock = _Clock()
        self._engines = {
            flag: Engine(compiled, clock=self._clock, llm_enabled=flag) for flag in (False, True)
        }

    async def replay(self, call: RecordedCall) -> ReplayedCall:
        tz = self.compiled.tz
        ports = RecordedPorts()
        uses_llm = self._live_llm is not None or call.used_llm
        llm: LLM | None = self._live_llm or (ports if call.used_llm else None)
        retriever: Retriever = self._live_retriever or ports
        conversation = Conversation(
            self._engines[uses_llm],
            CallContext(
                call_id=f"replay:{call.call_id}",
                caller_number=call.caller_number,
                dialed_number=call.dialed_number,
                direction=call.direction,
            ),
            bot_id=self.bot_id,
            retriever=retriever,
            llm=llm,
            answerer=self._answerer if self._live_retriever is not None else None,
        )
        path: list[str] = []
        finished: CallFinished | None = None

        def take(actions: Sequence[Any], into: NewStep) -> None:
            nonlocal finished
            said = []
            for action in actions:
                if isinstance(action, Say):
                    said.append(action.text)
                elif isinstance(action, RecordTransition):
                    into.states.append(action.dest)
                    path.append(action.dest)
                elif isinstance(action, CallFinished):
                    finished = action
            into.reply = " ".join(said)

        self._clock.now = call.started_at.astimezone(tz)
        ports.at(call.greeting)
        greeting = NewStep()
        take((await conversation.start()).actions, greeting)
        steps: list[NewStep] = []
        dead_end: str | None = None
        for index, recorded in enumerate(call.steps, start=1):
            new = NewStep()
            steps.append(new)
            if conversation.ended:
                new.fed = False
                continue
            self._clock.now = recorded.input.at.astimezone(tz)
            ports.at(recorded)
            take((await conversation.send(_event(recorded))).actions, new)
            if not new.reply and not conversation.ended and dead_end is None:
                dead_end = f"the bot said nothing after turn {index}"
        if not conversation.ended:
            reason = call.end_reason or "caller_hangup"
            if reason in BOT_ENDS:
                dead_end = dead_end or (
                    f"the recorded call ended ({reason}) but the new version is still waiting for the "
                    "caller after the last recorded turn"
                )
                reason = "caller_hangup"
            if call.ended_at is not None:
                self._clock.now = call.ended_at.astimezone(tz)
            take((await conversation.send(Hangup(reason))).actions, NewStep())
        state = conversation.call
        result = ReplayedCall(
            greeting=greeting,
            steps=steps,
            ended=state.ended,
            end_reason=finished.end_reason if finished else state.end_reason,
            outcome=finished.outcome if finished else None,
            slots={name: to_json(value) for name, value in state.slots.items()},
            path=path,
            dead_end=dead_end,
        )
        for kind in sorted(set(ports.unrecorded)):
            result.notes.append(
                f"the new version asked the {'knowledge base' if kind == 'knowledge' else 'LLM'} where the "
                "recorded call did not: answered as 'nothing found' (use --live-knowledge to run it)"
            )
        return result
