"""The seams between the dialogue engine and the outside world, as small Protocols.

The engine never calls these itself (it is pure: events in, actions out). The conversation driver
(:mod:`voicebot.dialogue.driver`) performs the actions that need them and feeds the results back in as
events. Real adapters live in knowledge/ (Qdrant) and telephony/ (the LLM through livekit); fakes for
tests and offline use live next to this module (:mod:`voicebot.dialogue.fakes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from voicebot.dialogue.actions import RunAction
    from voicebot.dialogue.events import ActionDone
    from voicebot.dialogue.state import CallContext

__all__ = ["LLM", "ActionPort", "LlmMessage", "Passage", "Retriever", "ToolLLM", "ToolRequest", "ToolSpec"]


@dataclass(frozen=True, slots=True)
class Passage:
    """One retrieved chunk of a bot's knowledge."""

    chunk_id: str
    doc_id: str
    text: str
    score: float
    source: str = ""
    page: int | None = None
    section: str | None = None


@runtime_checkable
class Retriever(Protocol):
    """Finds passages of one bot's knowledge; always scoped to that bot."""

    async def retrieve(self, bot_id: str, query: str, *, top_k: int) -> Sequence[Passage]: ...


@dataclass(frozen=True, slots=True)
class LlmMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@runtime_checkable
class LLM(Protocol):
    """The few things the engine may ask of a language model. It proposes; the engine validates."""

    async def reply(self, messages: Sequence[LlmMessage]) -> str:
        """A free-form spoken reply."""
        ...

    async def classify(self, text: str, intents: Sequence[str], *, context: str = "") -> str | None:
        """The intent among ``intents`` that ``text`` expresses, or None."""
        ...

    async def extract(self, text: str, slots: Mapping[str, str], *, context: str = "") -> Mapping[str, Any]:
        """Slot values found in ``text``; ``slots`` maps slot name to a description of its type."""
        ...


class ActionPort(Protocol):
    """Runs a declared action for the engine (telephony.actions over voicebot.actions, or a script in
    ``voicebot test``). Never raises for a failed remote call: the failure is the ActionDone's status."""

    async def perform(self, action: RunAction, context: CallContext) -> ActionDone: ...


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A declared action offered to the LLM as a function: JSON Schema ``parameters``."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """The LLM asked to call ``name`` with ``arguments`` (unvalidated: the engine checks them)."""

    name: str
    arguments: Mapping[str, Any]


@runtime_checkable
class ToolLLM(Protocol):
    """An LLM that can answer with a function call (the openai plugin through telephony.llm)."""

    async def reply_with_tools(
        self, messages: Sequence[LlmMessage], tools: Sequence[ToolSpec]
    ) -> str | ToolRequest: ...
