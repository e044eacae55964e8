"""The dialogue engine: one call's logic, pure. Events in, actions out.

Build once per scenario with :func:`compile_scenario`, share one :class:`Engine` between calls, and run
each call through a :class:`Conversation` (which fulfils knowledge and LLM requests via the ports).
"""

from voicebot.dialogue.actions import (
    Action,
    CallFinished,
    EndCall,
    GenerateReply,
    Listen,
    LookupKnowledge,
    RecordSlot,
    RecordTransition,
    RunAction,
    Say,
    SetOutcome,
    Transfer,
    Understand,
    WarmTransfer,
)
from voicebot.dialogue.compiled import CompiledScenario, compile_scenario
from voicebot.dialogue.driver import Answerer, Conversation, TurnResult
from voicebot.dialogue.engine import Engine
from voicebot.dialogue.events import (
    ActionDone,
    Dtmf,
    Event,
    Hangup,
    KnowledgeResult,
    LlmReplied,
    NoInput,
    TransferResult,
    Understood,
    Utterance,
)
from voicebot.dialogue.ports import LLM, ActionPort, LlmMessage, Passage, Retriever
from voicebot.dialogue.state import CallContext, CallState

__all__ = [
    "LLM",
    "Action",
    "ActionDone",
    "ActionPort",
    "Answerer",
    "CallContext",
    "CallFinished",
    "CallState",
    "CompiledScenario",
    "Conversation",
    "Dtmf",
    "EndCall",
    "Engine",
    "Event",
    "GenerateReply",
    "Hangup",
    "KnowledgeResult",
    "Listen",
    "LlmMessage",
    "LlmReplied",
    "LookupKnowledge",
    "NoInput",
    "Passage",
    "RecordSlot",
    "RecordTransition",
    "Retriever",
    "RunAction",
    "Say",
    "SetOutcome",
    "Transfer",
    "TransferResult",
    "TurnResult",
    "Understand",
    "Understood",
    "Utterance",
    "WarmTransfer",
    "compile_scenario",
]
