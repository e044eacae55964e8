"""Conversation: drives one call through the engine and fulfils its requests.

The engine is pure; some of its actions are requests (look up knowledge, ask the LLM). The driver
performs them through the injected ports and feeds the answers back as events, so callers of the driver
(the terminal chat, scenario tests, the LiveKit bridge) only see speech, call control and records.
The driver does no I/O itself; the ports it is given may.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog

from voicebot.dialogue.action_tools import tools_for
from voicebot.dialogue.actions import Action, GenerateReply, LookupKnowledge, RunAction, Understand
from voicebot.dialogue.engine import Engine
from voicebot.dialogue.events import (
    ActionDone,
    Event,
    Hangup,
    KnowledgeResult,
    LlmReplied,
    ToolCalled,
    TransferResult,
    Understood,
)
from voicebot.dialogue.ports import LLM, ActionPort, LlmMessage, Passage, Retriever, ToolLLM, ToolRequest
from voicebot.dialogue.state import CallContext, CallState
from voicebot.errors import VoicebotError

__all__ = ["Answerer", "Conversation", "TurnResult"]

_REQUESTS = (LookupKnowledge, GenerateReply, Understand, RunAction)
"""Actions the driver answers through a port (I/O) and feeds back to the engine as events."""

log = structlog.get_logger("voicebot.dialogue")

Answerer = Callable[[str, Sequence[Passage], int, str], str]
"""(question, passages, max_sentences, lang) -> the spoken answer, extractive and offline."""

KNOWLEDGE_SYSTEM_PROMPT = (
    "You answer a caller on the phone using only the passages below. Answer in one or two short spoken "
    "sentences in the caller's language. If the passages do not contain the answer, reply exactly: NO_ANSWER."
)


@dataclass(slots=True)
class TurnResult:
    """The actions for the runtime, and where the time went."""

    actions: list[Action]
    engine_ms: float = 0.0
    llm_ms: float = 0.0
    knowledge_ms: float = 0.0
    chunks: list[str] = field(default_factory=list)
    action_ms: float = 0.0
    action_calls: list[tuple[RunAction, ActionDone]] = field(default_factory=list)
    """Each declared action run in this turn, with its result (``voicebot chat`` prints them)."""


class Conversation:
    """One call of one bot."""

    def __init__(
        self,
        engine: Engine,
        context: CallContext,
        *,
        bot_id: str,
        retriever: Retriever | None = None,
        llm: LLM | None = None,
        answerer: Answerer | None = None,
        actions: ActionPort | None = None,
    ) -> None:
        self.engine = engine
        self.actions = actions
        self.context = context
        self.bot_id = bot_id
        self._retriever = retriever
        self._llm = llm
        self._answerer = answerer
        self._call: CallState | None = None

    @property
    def call(self) -> CallState:
        if self._call is None:
            raise RuntimeError("the conversation has not started")
        return self._call

    @property
    def on_hold(self) -> bool:
        """A warm transfer is under way (the engine waits for its TransferResult)."""
        transfer = self._call.transfer if self._call is not None else None
        return transfer is not None and transfer.get("result") == "pending" and not self._call.ended  # type: ignore[union-attr]

    @property
    def ended(self) -> bool:
        return self._call is not None and self._call.ended

    async def start(self) -> TurnResult:
        started = time.perf_counter()
        self._call, actions = self.engine.start(self.context)
        result = TurnResult([], engine_ms=(time.perf_counter() - started) * 1000)
        await self._resolve(deque(actions), result)
        return result

    async def send(self, event: Event) -> TurnResult:
        result, rest = self.begin(event)
        if rest:
            await self.complete(result, rest)
        return result

    def begin(self, event: Event) -> tuple[TurnResult, deque[Action]]:
        """:meth:`send` without awaiting, up to the engine's first request: the result so far and the
        actions still to resolve (a request first). When those are empty the result is final, the same
        as ``send``'s; otherwise :meth:`complete` finishes it."""
        if self.on_hold and not isinstance(event, TransferResult | Hangup):
            return TurnResult([]), deque()  # the caller is on hold during a warm transfer: nothing counts
        started = time.perf_counter()
        queue: deque[Action] = deque(self.engine.handle(self.call, event))
        result = TurnResult([], engine_ms=(time.perf_counter() - started) * 1000)
        while queue and not isinstance(queue[0], _REQUESTS):
            result.actions.append(queue.popleft())
        return result, queue

    async def complete(self, result: TurnResult, rest: deque[Action]) -> TurnResult:
        """Resolve the ``rest`` :meth:`begin` left (knowledge, LLM, actions) into ``result``."""
        await self._resolve(rest, result)
        return result

    async def _resolve(self, queue: deque[Action], result: TurnResult) -> None:
        while queue:
            action = queue.popleft()
            if isinstance(action, LookupKnowledge):
                event: Event = await self._lookup(action, result)
            elif isinstance(action, GenerateReply):
                event = await self._generate(action, result)
            elif isinstance(action, Understand):
                event = await self._understand(action, result)
            elif isinstance(action, RunAction):
                event = await self._run_action(action, result)
            else:
                result.actions.append(action)
                continue
            started = time.perf_counter()
            more = self.engine.handle(self.call, event)
            result.engine_ms += (time.perf_counter() - started) * 1000
            queue.extendleft(reversed(more))

    async def _generate(self, action: GenerateReply, result: TurnResult) -> Event:
        """A free-form reply; in a state that offers tools, the LLM may answer with a tool call."""
        tools = tools_for(self.engine.compiled, self.call) if action.allow_tools else ()
        if not tools or not isinstance(self._llm, ToolLLM):
            return LlmReplied(await self._reply(action.messages, result))
        started = time.perf_counter()
        try:
            answer = await self._llm.reply_with_tools(action.messages, tools)
        except VoicebotError as exc:
            log.warning("llm_reply_failed", error=str(exc), bot_id=self.bot_id)
            return LlmReplied(None)
        finally:
            result.llm_ms += (time.perf_counter() - started) * 1000
        if isinstance(answer, ToolRequest):
            return ToolCalled(answer.name, dict(answer.arguments))
        return LlmReplied(answer)

    async def _run_action(self, action: RunAction, result: TurnResult) -> ActionDone:
        started = time.perf_counter()
        if self.actions is None:
            done = ActionDone(action.name, "error", error="no action runner is configured")
        else:
            done = await self.actions.perform(action, self.context)
        result.action_ms += (time.perf_counter() - started) * 1000
        result.action_calls.append((action, done))
        return done

    async def _lookup(self, action: LookupKnowledge, result: TurnResult) -> KnowledgeResult:
        if self._retriever is None or not action.query:
            return KnowledgeResult((), None)
        started = time.perf_counter()
        try:
            passages = tuple(await self._retriever.retrieve(self.bot_id, action.query, top_k=action.top_k))
        except VoicebotError as exc:
            log.warning("knowledge_lookup_failed", error=str(exc), bot_id=self.bot_id)
            passages = ()
        result.knowledge_ms += (time.perf_counter() - started) * 1000
        good = [p for p in passages if p.score >= action.min_score]
        if not good:
            return KnowledgeResult(passages, None)
        result.chunks.extend(p.chunk_id for p in good)
        lang = self.engine.compiled.lang
        answer: str | None = None
        if self._llm is not None:
            context = "\n\n".join(f"[{i + 1}] {p.text}" for i, p in enumerate(good))
            reply = await self._reply(
                (
                    LlmMessage("system", f"{KNOWLEDGE_SYSTEM_PROMPT}\n\n{context}"),
                    LlmMessage("user", action.query),
                ),
                result,
            )
            answer = None if reply is None or "NO_ANSWER" in reply else reply
        elif self._answerer is not None:
            answer = self._answerer(action.query, good, action.max_sentences, lang) or None
        else:
            answer = good[0].text
        return KnowledgeResult(tuple(good), answer)

    async def _reply(self, messages: Sequence[LlmMessage], result: TurnResult) -> str | None:
        if self._llm is None:
            return None
        started = time.perf_counter()
        try:
            return await self._llm.reply(messages)
        except VoicebotError as exc:
            log.warning("llm_reply_failed", error=str(exc), bot_id=self.bot_id)
            return None
        finally:
            result.llm_ms += (time.perf_counter() - started) * 1000

    async def _understand(self, action: Understand, result: TurnResult) -> Understood:
        if self._llm is None:
            return Understood(None, {})
        started = time.perf_counter()
        try:
            intent = await self._llm.classify(action.text, action.intents, context=action.context)
            slots = (
                await self._llm.extract(action.text, action.slots, context=action.context)
                if action.slots
                else {}
            )
        except VoicebotError as exc:
            log.warning("llm_understand_failed", error=str(exc), bot_id=self.bot_id)
            return Understood(None, {})
        finally:
            result.llm_ms += (time.perf_counter() - started) * 1000
        return Understood(intent, dict(slots))
