"""The JSON Schema (draft 2020-12) of the scenario format, for YAML editors (yaml-language-server).

Generated from the models, so it cannot drift from what the loader accepts; descriptions the models do not
carry are added here. The schema checks shape only: cross-references (unknown states, slots...) are the
static checks' job (``voicebot check``). docs/scenario.schema.json is this output, committed; a test keeps
it up to date (regenerate with ``voicebot schema -o docs/scenario.schema.json``).
"""

from __future__ import annotations

from typing import Any, Final

from voicebot.scenario.model import Scenario

__all__ = ["SCHEMA_ID", "json_schema"]

SCHEMA_ID: Final = "urn:voicebot:scenario:1"
"""``$id`` of the schema; a URN because the schema is served from files, not from a web address."""

_DEF_DESCRIPTIONS: Final[dict[str, str]] = {
    "Scenario": "A voicebot scenario: one bot, its slots, intents, states and outcome rules.",
    "Providers": "Speech and language providers.",
    "Intent": "Extra examples and patterns for an intent (built-in intents may be extended too).",
    "State": "One step of the conversation: what the bot says, what it collects, where it goes next.",
    "TextSlot": "Free text, optionally limited in length or by a regular expression.",
    "EnumSlot": "One of a fixed set of values, each with optional synonyms.",
    "NumberSlot": "A number, spoken or typed; optionally an integer within min..max.",
    "DateSlot": "A calendar date ('tomorrow', 'next Friday', '3 March').",
    "TimeSlot": "A time of day, optionally between earliest and latest (HH:MM).",
    "DateTimeSlot": "A date and a time of day.",
    "PhoneSlot": "A phone number, normalised to E.164 using the bot's (or the slot's) region.",
    "EmailSlot": "An e-mail address.",
    "YesNoSlot": "A yes or no answer (true or false in conditions).",
}

_FIELD_DESCRIPTIONS: Final[dict[tuple[str, str], str]] = {
    ("Scenario", "version"): "Format version; always 1.",
    ("Scenario", "bot"): "Who the bot is: id, name, language, greeting, providers.",
    ("Scenario", "settings"): "Turn-taking knobs shared by every state.",
    ("Scenario", "slots"): "Values to collect from the caller, by name.",
    ("Scenario", "intents"): "Intents by name; yes, no, repeat, help, human and cancel are built in.",
    ("Scenario", "global"): "Handlers that apply in every state, after the state's own transitions.",
    ("Scenario", "start"): "The state the conversation starts in, after the greeting.",
    ("Scenario", "states"): "The conversation's states, by name.",
    ("Scenario", "outcomes"): "Rules deciding the call's outcome when it ends; the first that holds wins.",
    ("State", "knowledge"): "Answer the caller's last question from the knowledge base.",
    ("State", "llm"): "Let the LLM hold a free-form turn here.",
    ("State", "transitions"): "Ways out of this state, tried in the order written.",
    ("State", "max_retries"): "Overrides settings.max_retries here.",
    ("Transition", "to"): "The state to go to.",
    ("Transition", "dtmf"): "Fires when the caller types these keys.",
    ("GlobalHandler", "intent"): "The intent that triggers this handler.",
    ("GlobalHandler", "do"): "goto: go to 'to'; say: say 'say' and stay; repeat: repeat the last prompt.",
    ("GlobalHandler", "to"): "The state to go to (do: goto).",
    ("OutcomeRule", "outcome"): "The outcome name reported when this rule decides.",
    ("OutcomeRule", "confidence"): "How sure this rule is (0..1), reported with the outcome.",
    ("Intent", "examples"): "Example phrases, one list or one per language, matched offline.",
}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, with ``$schema``, ``$id``, title and descriptions."""
    generated = Scenario.model_json_schema(by_alias=True)
    definitions: dict[str, Any] = generated.get("$defs", {})
    _describe("Scenario", generated)
    for name, definition in definitions.items():
        _describe(name, definition)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "voicebot scenario",
    }
    schema.update({key: value for key, value in generated.items() if key != "title"})
    return schema


def _describe(name: str, definition: dict[str, Any]) -> None:
    if name in _DEF_DESCRIPTIONS and not definition.get("description"):
        definition["description"] = _DEF_DESCRIPTIONS[name]
    for field, prop in definition.get("properties", {}).items():
        text = _FIELD_DESCRIPTIONS.get((name, field))
        if text is not None and not prop.get("description"):
            prop["description"] = text
