"""Scenarios: YAML -> validated model -> static checks; the condition language; JSON Schema; diagrams.

Everything here is pure (no network, no database). Typical use::

    from voicebot.scenario import load_file

    loaded = load_file(Path("scenarios/salon.yaml"))  # raises ScenarioError listing every problem
    loaded.scenario.states["greet"]
"""

from voicebot.scenario.expressions import Condition, ConditionSyntaxError, compile_condition
from voicebot.scenario.graph import mermaid
from voicebot.scenario.loader import LoadedScenario, check_paths, find_scenario_files, load_file, load_text
from voicebot.scenario.model import (
    BUILTIN_INTENTS,
    EVENTS,
    SLOT_TYPES,
    BotMeta,
    DateSlot,
    DateTimeSlot,
    EmailSlot,
    EnumSlot,
    GlobalHandler,
    Intent,
    KnowledgeSpec,
    Language,
    LlmSettings,
    LlmTurn,
    NumberSlot,
    OutcomeRule,
    PhoneSlot,
    Providers,
    Scenario,
    ScenarioSettings,
    Slot,
    State,
    SttSettings,
    Text,
    TextSlot,
    TimeSlot,
    Transition,
    TtsSettings,
    YesNoSlot,
)
from voicebot.scenario.schema import json_schema
from voicebot.scenario.yamlsource import Positions

__all__ = [
    "BUILTIN_INTENTS",
    "EVENTS",
    "SLOT_TYPES",
    "BotMeta",
    "Condition",
    "ConditionSyntaxError",
    "DateSlot",
    "DateTimeSlot",
    "EmailSlot",
    "EnumSlot",
    "GlobalHandler",
    "Intent",
    "KnowledgeSpec",
    "Language",
    "LlmSettings",
    "LlmTurn",
    "LoadedScenario",
    "NumberSlot",
    "OutcomeRule",
    "PhoneSlot",
    "Positions",
    "Providers",
    "Scenario",
    "ScenarioSettings",
    "Slot",
    "State",
    "SttSettings",
    "Text",
    "TextSlot",
    "TimeSlot",
    "Transition",
    "TtsSettings",
    "YesNoSlot",
    "check_paths",
    "compile_condition",
    "find_scenario_files",
    "json_schema",
    "load_file",
    "load_text",
    "mermaid",
]
