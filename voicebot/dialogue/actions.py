"""What the engine asks the runtime to do, as typed frozen actions.

Speech and call control (Say, Listen, Transfer, EndCall) go to the caller; Record* and CallFinished go to
the recorder; LookupKnowledge, GenerateReply and Understand are requests the conversation driver fulfils
and answers with an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from voicebot.dialogue.ports import LlmMessage

__all__ = [
    "Action",
    "AwaitKeys",
    "CallFinished",
    "EndCall",
    "GenerateReply",
    "Listen",
    "LookupKnowledge",
    "RecordSlot",
    "RecordTransition",
    "RunAction",
    "Say",
    "SendDtmf",
    "SetOutcome",
    "Transfer",
    "Understand",
    "WarmTransfer",
]


@dataclass(frozen=True, slots=True)
class Say:
    """Speak this text. ``source`` says where it came from: template, builtin, knowledge or llm."""

    text: str
    source: Literal["template", "builtin", "knowledge", "llm"] = "template"
    chunks: tuple[str, ...] = ()
    type: Literal["say"] = "say"


@dataclass(frozen=True, slots=True)
class Listen:
    """The bot now waits for the caller; send NoInput after ``no_input_seconds`` of silence."""

    no_input_seconds: float
    type: Literal["listen"] = "listen"


@dataclass(frozen=True, slots=True)
class Transfer:
    """Transfer the call to a human at ``number`` (E.164); the bot's part of the call ends."""

    number: str
    type: Literal["transfer"] = "transfer"


@dataclass(frozen=True, slots=True)
class EndCall:
    """Hang up after the pending speech has been played."""

    reason: str
    type: Literal["end_call"] = "end_call"


@dataclass(frozen=True, slots=True)
class AwaitKeys:
    """Keys are being typed: send DtmfTimeout if no key comes within ``seconds``."""

    seconds: float
    type: Literal["await_keys"] = "await_keys"


@dataclass(frozen=True, slots=True)
class SendDtmf:
    """Send these keys to the other side of the call (``w``: wait half a second)."""

    keys: str
    type: Literal["send_dtmf"] = "send_dtmf"


@dataclass(frozen=True, slots=True)
class LookupKnowledge:
    """Retrieve passages for ``query`` from the bot's knowledge and answer with KnowledgeResult."""

    query: str
    top_k: int
    min_score: float
    max_sentences: int
    type: Literal["lookup_knowledge"] = "lookup_knowledge"


@dataclass(frozen=True, slots=True)
class GenerateReply:
    """Ask the LLM for a free-form reply; answer with LlmReplied."""

    messages: tuple[LlmMessage, ...]
    type: Literal["generate_reply"] = "generate_reply"
    allow_tools: bool = True
    """False after a tool's result (or a refused call): the LLM must answer the caller in words."""


@dataclass(frozen=True, slots=True)
class Understand:
    """Ask the LLM which intent / slot values ``text`` expresses; answer with Understood."""

    text: str
    intents: tuple[str, ...]
    slots: Mapping[str, str]
    context: str = ""
    type: Literal["understand"] = "understand"


@dataclass(frozen=True, slots=True)
class RecordSlot:
    name: str
    value: Any
    confidence: float
    method: str
    validated: bool
    turn: int
    type: Literal["record_slot"] = "record_slot"


@dataclass(frozen=True, slots=True)
class RecordTransition:
    source: str | None
    dest: str
    trigger: str
    data: Mapping[str, Any] = field(default_factory=dict)
    turn: int = 0
    edge: str | None = None
    """The compiled edge taken (``state#index``, ``state#next``, ``global#index``); None for start/return."""
    type: Literal["record_transition"] = "record_transition"


@dataclass(frozen=True, slots=True)
class SetOutcome:
    outcome: str
    type: Literal["set_outcome"] = "set_outcome"


@dataclass(frozen=True, slots=True)
class CallFinished:
    """The call is over: its outcome as decided by the scenario's rules, with the evidence."""

    outcome: str
    confidence: float
    rule: str
    end_reason: str
    final_state: str
    slots: Mapping[str, Any]
    type: Literal["call_finished"] = "call_finished"
    transfer: Mapping[str, Any] | None = None
    """The call's last transfer: mode, to, result (connected, no_answer, busy, declined, failed), agent."""


@dataclass(frozen=True, slots=True)
class WarmTransfer:
    """Put the caller on hold, call a person at ``to``, speak ``brief`` to them, connect on acceptance.

    The runtime answers with a :class:`~voicebot.dialogue.events.TransferResult` event."""

    to: str
    brief: str
    hold_audio: str
    timeout: float
    accept_timeout: float
    type: Literal["warm_transfer"] = "warm_transfer"


@dataclass(frozen=True, slots=True)
class RunAction:
    """Run the declared action ``name``; answer with :class:`~voicebot.dialogue.events.ActionDone`.

    Templates are rendered from the call's slots, except ``{secret.<name>}`` placeholders, which stay
    for the runner to fill server-side; literal braces from slot values are doubled (``{{``), so a
    caller cannot inject a secret placeholder. ``filler`` is said if the action takes longer than
    ``filler_after_ms``.
    """

    name: str
    kind: str
    method: str
    url: str
    headers: Mapping[str, str]
    body: Any
    args: Mapping[str, Any]
    secrets: tuple[str, ...]
    timeout_s: float
    retries: int
    idempotency_key: str
    filler: str | None = None
    filler_after_ms: int = 700
    type: Literal["run_action"] = "run_action"


Action = (
    Say
    | Listen
    | Transfer
    | WarmTransfer
    | EndCall
    | AwaitKeys
    | SendDtmf
    | LookupKnowledge
    | GenerateReply
    | Understand
    | RecordSlot
    | RecordTransition
    | SetOutcome
    | CallFinished
    | RunAction
)
