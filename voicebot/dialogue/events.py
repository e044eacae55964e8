"""What happens to a call, as typed frozen events fed into the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from voicebot.dialogue.ports import Passage

__all__ = [
    "Dtmf",
    "DtmfTimeout",
    "Event",
    "Hangup",
    "KnowledgeResult",
    "LlmReplied",
    "NoInput",
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


Event = Utterance | Dtmf | DtmfTimeout | NoInput | Hangup | KnowledgeResult | LlmReplied | Understood
