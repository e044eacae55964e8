"""The scenario language as typed, frozen models (pydantic v2).

One YAML file describes one bot. The models here are the single source of truth for the format: the
loader validates against them, ``voicebot schema`` prints their JSON Schema, and docs/scenarios.md
documents each field. Cross-references (a transition naming an unknown state, a template naming an
unknown slot...) are checked by :mod:`voicebot.scenario.checks`, not here.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from voicebot.scenario.actions import ActionSpec, ActionStep
from voicebot.scenario.book import BookConfig
from voicebot.scenario.calendar import Calendar
from voicebot.scenario.keypad import DtmfKeys, KeypadMenu
from voicebot.scenario.modelbase import Examples, Language, Name, Text
from voicebot.scenario.modelbase import FrozenModel as _Model
from voicebot.scenario.slots import (
    DateSlot,
    DateTimeSlot,
    EmailSlot,
    EnumSlot,
    NumberSlot,
    PhoneSlot,
    Slot,
    TextSlot,
    TimeSlot,
    YesNoSlot,
)
from voicebot.scenario.transfer import TransferSpec, VoicemailSpec
from voicebot.scenario.turntaking import TurnTakingKey, TurnTakingSpec

__all__ = [
    "BUILTIN_INTENTS",
    "EVENTS",
    "SLOT_TYPES",
    "BotMeta",
    "DateSlot",
    "DateTimeSlot",
    "EmailSlot",
    "EnumSlot",
    "GlobalHandler",
    "KnowledgeSpec",
    "Language",
    "LlmSettings",
    "LlmTurn",
    "NumberSlot",
    "OutcomeRule",
    "PhoneSlot",
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
]

BUILTIN_INTENTS = ("yes", "no", "repeat", "help", "human", "cancel")
"""Intents every scenario knows with default examples in every language; a scenario may add examples."""

EVENTS = ("no_input", "retries_exhausted", "no_answer", "utterance")
"""Events a transition may fire on (``event: ...``)."""

SLOT_TYPES = ("text", "enum", "number", "date", "time", "datetime", "phone", "email", "yes_no")

# --------------------------------------------------------------------------- bot metadata


class SttSettings(_Model):
    """Speech-to-text provider settings."""

    provider: Literal["deepgram"] = "deepgram"
    model: str = "nova-3"


class TtsSettings(_Model):
    """Text-to-speech provider settings."""

    provider: Literal["cartesia"] = "cartesia"
    model: str = "sonic-2"
    voice: str | None = Field(default=None, description="Provider voice id; the provider default if unset.")
    speed: float | None = Field(default=None, ge=0.5, le=2.0)


class LlmSettings(_Model):
    """LLM provider settings; used only by states that ask for it (llm turns, classification)."""

    provider: Literal["openai"] = "openai"
    model: str = "gpt-4o-mini"
    temperature: float = Field(default=0.3, ge=0.0, le=2.0)


class Providers(_Model):
    stt: SttSettings = SttSettings()
    tts: TtsSettings = TtsSettings()
    llm: LlmSettings = LlmSettings()


class BotMeta(_Model):
    """Who the bot is."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
    name: str = Field(min_length=1, max_length=200)
    language: Language
    greeting: Text = Field(description="Said first, before the start state.")
    timezone: str = Field(default="UTC", description="IANA zone used for relative dates ('tomorrow').")
    region: str = Field(
        default="US",
        pattern=r"^[A-Z]{2}$",
        description="Default region for phone numbers written without a country code (ISO 3166 alpha-2).",
    )
    providers: Providers = Providers()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as 'Europe/Moscow')"
            ) from None
        return value


class ScenarioSettings(_Model):
    """Turn-taking knobs shared by every state (a state may override some)."""

    no_input_seconds: float = Field(default=8.0, gt=0, le=120, description="Silence before a no_input event.")
    max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Reprompts after input that is not understood, before retries_exhausted.",
    )
    max_no_input: int = Field(
        default=2, ge=0, le=10, description="Silence reprompts before the call is ended."
    )
    intent_threshold: float = Field(default=0.6, gt=0, le=1, description="Minimum offline intent score.")
    corrections: bool = Field(
        default=True, description="Let the caller correct a filled slot ('no, I said Tuesday')."
    )
    no_input_message: Text | None = Field(
        default=None, description="Said on silence; built-in default if unset."
    )
    reprompt_message: Text | None = Field(
        default=None, description="Said when input is not understood; built-in default if unset."
    )
    goodbye_message: Text | None = Field(
        default=None, description="Said before hanging up after too much silence; built-in default if unset."
    )
    turn_taking: dict[TurnTakingKey, TurnTakingSpec] = Field(
        default_factory=dict, description="Per slot type."
    )


# --------------------------------------------------------------------------- intents


class Intent(_Model):
    examples: Examples = Field(default_factory=list, description="Example phrases, matched offline.")
    patterns: list[str] = Field(default_factory=list, description="Regular expressions (case-insensitive).")

    @field_validator("patterns")
    @classmethod
    def _compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return value


# --------------------------------------------------------------------------- states


class Transition(_Model):
    """One way out of a state. A state's transitions are tried in the order written."""

    to: Name
    intent: Name | None = Field(
        default=None, description="Fires when the caller's utterance has this intent."
    )
    when: str | None = Field(default=None, description="Fires when this condition over slots holds.")
    event: Literal["no_input", "retries_exhausted", "no_answer", "utterance"] | None = Field(
        default=None,
        description=(
            "no_input: silence; retries_exhausted: not understood max_retries times; "
            "no_answer: the knowledge base had no good answer; "
            "utterance: anything the caller said that nothing else handled."
        ),
    )
    dtmf: Annotated[str, Field(pattern=r"^[0-9*#]+$")] | None = None
    fallback: bool = Field(
        default=False, description="Catch-all: the caller was not understood, retries ran out."
    )
    say: Text | None = Field(default=None, description="Said while taking the transition.")

    @model_validator(mode="after")
    def _one_trigger(self) -> Transition:
        triggers = [
            name
            for name, value in (
                ("intent", self.intent),
                ("when", self.when),
                ("event", self.event),
                ("dtmf", self.dtmf),
                ("fallback", self.fallback or None),
            )
            if value is not None
        ]
        if len(triggers) != 1:
            raise ValueError(
                "a transition needs exactly one of intent, when, event, dtmf, fallback"
                + (f" (found {', '.join(triggers)})" if triggers else "")
            )
        return self

    @property
    def trigger_kind(self) -> str:
        for name in ("intent", "when", "event", "dtmf"):
            if getattr(self, name) is not None:
                return name
        return "fallback"


class KnowledgeSpec(_Model):
    """Answer the caller's last question from the bot's knowledge base."""

    top_k: int = Field(default=3, ge=1, le=20)
    min_score: float = Field(
        default=0.35, ge=0, le=1, description="Below this best score there is no answer."
    )
    max_sentences: int = Field(default=2, ge=1, le=10, description="Offline extractive answer length.")


class LlmTurn(_Model):
    """A free-form LLM turn; the state machine stays authoritative over where the call goes."""

    instructions: str = Field(min_length=1)
    max_turns: int = Field(
        default=5, ge=1, le=50, description="After this many LLM replies, retries_exhausted."
    )
    offline_reply: Text | None = Field(default=None, description="Said instead when no LLM is configured.")
    tools: list[Name] = Field(
        default_factory=list,
        description=(
            "Declared actions the LLM may call here (function calling). Arguments are the slots the "
            "action's templates read, validated against the slot types before the call."
        ),
        examples=[["lookup_account"]],
    )


class State(_Model):
    say: Text | None = Field(default=None, description="Said on entering the state.")
    collect: list[Name] = Field(default_factory=list, description="Slots to collect, in any order.")
    knowledge: KnowledgeSpec | None = None
    llm: LlmTurn | None = None
    transitions: list[Transition] = Field(default_factory=list)
    next: Name | None = Field(default=None, description="Go here right after speaking, without waiting.")
    return_: bool = Field(
        default=False,
        alias="return",
        description="After speaking, go back to the state the conversation came from.",
    )
    outcome: Name | None = Field(default=None, description="Sets the call's outcome on entry.")
    transfer: Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$")] | TransferSpec | None = Field(
        default=None,
        description="Transfer the call: an E.164 number (cold), or {mode: warm, to, brief, fallback, ...}.",
    )
    end: bool = Field(default=False, description="Hang up after speaking.")
    reprompt: Text | None = Field(default=None, description="Said when input is not understood here.")
    no_input: Text | None = Field(default=None, description="Said on silence here.")
    max_retries: int | None = Field(default=None, ge=0, le=10)
    clear: list[Name] = Field(
        default_factory=list,
        description="Slot actions, run on entering the state before it speaks: forget these slots.",
        examples=[["res_time"]],
    )
    set_: dict[Name, str | int | float | bool] = Field(
        default_factory=dict,
        alias="set",
        description="Slot actions: fill these slots with fixed values (checked against the slot's type).",
        examples=[{"party_size": 2, "confirmed": False}],
    )
    copy_: dict[Name, Name] = Field(
        default_factory=dict,
        alias="copy",
        description="Slot actions: target slot <- source slot (the source's value, if it is filled).",
        examples=[{"callback_phone": "caller_phone"}],
    )
    edit: bool = Field(
        default=False,
        description=(
            "Any slot value the caller gives here replaces the filled one, no correction cue "
            "needed; then the call returns to the state it came from "
            "(e.g. 'What should I change?' after a read-back)."
        ),
    )
    action: ActionStep | None = Field(
        default=None,
        description="Run a declared action after speaking, then go on by its result (ok, branches, error).",
        examples=[{"run": "lookup_account", "ok": "found", "error": "cant_reach"}],
    )
    voicemail: VoicemailSpec | None = Field(default=None, description="Outbound: left on a machine here.")
    menu: KeypadMenu | None = Field(default=None, description="A keypad menu; spoken choices work too.")
    send_dtmf: DtmfKeys | None = Field(default=None, description="Keys sent on entry (remote IVR).")
    turn_taking: TurnTakingSpec | None = Field(default=None, description="End-of-turn timing here.")
    barge_in: bool = Field(default=True, description="false: the caller cannot interrupt what is said here.")

    @property
    def terminal(self) -> bool:
        return self.end or self.transfer is not None

    @model_validator(mode="after")
    def _consistent(self) -> State:
        if self.end and self.transfer is not None:
            raise ValueError("a state cannot both end the call and transfer it")
        if self.knowledge is not None and self.llm is not None:
            raise ValueError("a state answers from knowledge or from the LLM, not both")
        if self.next is not None and self.return_:
            raise ValueError("use either next or return, not both")
        if self.action is not None and (self.terminal or self.next or self.return_ or self.collect):
            raise ValueError("a state that runs an action goes on by its result: no next/return/end/collect")
        return self


class GlobalHandler(_Model):
    """A handler that applies in every state (after the state's own transitions)."""

    intent: Name
    do: Literal["repeat", "say", "goto"] = "goto"
    say: Text | None = None
    to: Name | None = None

    @model_validator(mode="after")
    def _complete(self) -> GlobalHandler:
        if self.do == "goto" and self.to is None:
            raise ValueError("a goto handler needs 'to'")
        if self.do == "say" and self.say is None:
            raise ValueError("a say handler needs 'say'")
        return self


class OutcomeRule(_Model):
    """The first rule whose condition holds when the call ends decides the outcome."""

    outcome: Name
    when: str = Field(description="Condition over slots, the final state and how the call ended.")
    confidence: float = Field(default=1.0, ge=0, le=1)


class Scenario(_Model):
    """A whole bot."""

    version: Literal[1] = 1
    bot: BotMeta
    settings: ScenarioSettings = ScenarioSettings()
    slots: dict[Name, Slot] = Field(default_factory=dict)
    intents: dict[Name, Intent] = Field(default_factory=dict)
    global_: list[GlobalHandler] = Field(default_factory=list, alias="global")
    start: Name
    states: dict[Name, State]
    outcomes: list[OutcomeRule] = Field(default_factory=list)
    actions: dict[Name, ActionSpec] = Field(
        default_factory=dict,
        description="Declared actions (HTTP requests to the company's systems, built-in book actions).",
    )
    calendar: Calendar | None = Field(
        default=None,
        description="Business calendar that slots with 'calendar: true' are checked against.",
        examples=[
            {"hours": {"tue": ["12:00-15:00", "17:30-22:00"]}, "closed": ["2026-12-25"], "step": "30m"}
        ],
    )
    voicemail: VoicemailSpec | None = Field(
        default=None, description="Outbound calls that reach an answering machine leave this message."
    )
    book: BookConfig | None = Field(default=None, description="The built-in appointment book's resources.")
