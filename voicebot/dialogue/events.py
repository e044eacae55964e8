"""What happens to a call, as typed frozen events fed into the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from voicebot.dialogue.ports import Passage

__all__ = [
    "ActionDone",
    "Dtmf",
    "DtmfTimeout",
    "Event",
    "Hangup",
    "KnowledgeResult",
    "LlmReplied",
    "NoInput",
    "ToolCalled",
    "TransferResult",
    "Understood",
    "Utterance",
]


@dataclass(frozen=True, slots=True)
class Utterance:
    """The caller said something (a final transcript)."""

    text: str
    confidence: float = 1.0
    type: Literal["utterance"] = "utterance"


@dataclass(frozen=True, slots=True)
class Dtmf:
    """The caller pressed keys."""

    digits: str
    type: Literal["dtmf"] = "dtmf"


@dataclass(frozen=True, slots=True)
class DtmfTimeout:
    """No key for the ``seconds`` of an :class:`~voicebot.dialogue.actions.AwaitKeys`: typed input ends."""

    type: Literal["dtmf_timeout"] = "dtmf_timeout"


@dataclass(frozen=True, slots=True)
class NoInput:
    """The caller said nothing for the scenario's no-input timeout."""

    type: Literal["no_input"] = "no_input"


@dataclass(frozen=True, slots=True)
class Hangup:
    """The caller hung up (or the line dropped)."""

    reason: str = "caller_hangup"
    type: Literal["hangup"] = "hangup"


@dataclass(frozen=True, slots=True)
class KnowledgeResult:
    """The answer to a :class:`~voicebot.dialogue.actions.LookupKnowledge` action."""

    passages: tuple[Passage, ...]
    answer: str | None
    type: Literal["knowledge_result"] = "knowledge_result"


@dataclass(frozen=True, slots=True)
class LlmReplied:
    """The answer to a :class:`~voicebot.dialogue.actions.GenerateReply` action (None: the LLM failed)."""

    text: str | None
    type: Literal["llm_replied"] = "llm_replied"


@dataclass(frozen=True, slots=True)
class Understood:
    """The answer to an :class:`~voicebot.dialogue.actions.Understand` action: the LLM's proposal."""

    intent: str | None
    slots: Mapping[str, Any] = field(default_factory=dict)
    type: Literal["understood"] = "understood"


@dataclass(frozen=True, slots=True)
class ActionDone:
    """The answer to a :class:`~voicebot.dialogue.actions.RunAction`: the runner's result."""

    name: str
    status: Literal["ok", "error", "timeout"]
    data: Mapping[str, Any] = field(default_factory=dict)
    http_status: int | None = None
    error: str | None = None
    latency_ms: float = 0.0
    error_kind: str | None = None
    attempts: int = 1
    filler: bool = False
    """The filler phrase was said while the caller waited."""
    type: Literal["action_done"] = "action_done"


@dataclass(frozen=True, slots=True)
class ToolCalled:
    """The answer to a GenerateReply: the LLM asked to call the declared action ``name``."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    type: Literal["tool_called"] = "tool_called"


@dataclass(frozen=True, slots=True)
class TransferResult:
    """How a :class:`~voicebot.dialogue.actions.WarmTransfer` went: ``connected`` (``agent`` took the call),
    or ``no_answer``, ``busy``, ``declined``, ``failed`` (the caller is back with the bot)."""

    result: Literal["connected", "no_answer", "busy", "declined", "failed"]
    agent: str | None = None
    type: Literal["transfer_result"] = "transfer_result"


Event = (
    Utterance
    | Dtmf
    | DtmfTimeout
    | NoInput
    | Hangup
    | KnowledgeResult
    | LlmReplied
    | Understood
    | ActionDone
    | ToolCalled
    | TransferResult
)
