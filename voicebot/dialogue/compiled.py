"""A scenario compiled once for every call that runs it.

Compiling parses every template and condition, builds the offline NLU (intent matcher, slot extractor)
and the pytransitions machine. Starting a call only creates a :class:`~voicebot.dialogue.state.CallState`;
nothing here is rebuilt per call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from transitions import Machine

from voicebot.dialogue.edges import Edges, build_edges
from voicebot.dialogue.menu import CompiledMenu, compile_menu
from voicebot.dialogue.nlu import IntentMatcher, SlotExtractor
from voicebot.dialogue.templates import Template, parse_template
from voicebot.scenario.expressions import Condition, compile_condition
from voicebot.scenario.model import (
    GlobalHandler,
    Language,
    Scenario,
    Slot,
    State,
    Text,
    Transition,
)

__all__ = ["CompiledCache", "CompiledScenario", "CompiledText", "CompiledTransition", "compile_scenario"]


@dataclass(frozen=True, slots=True)
class CompiledText:
    """A per-language template, parsed."""

    variants: dict[str, Template]
    default: str

    def template(self, lang: str) -> Template:
        return (
            self.variants.get(lang) or self.variants.get(self.default) or next(iter(self.variants.values()))
        )


def _text(text: Text | None, default_lang: str) -> CompiledText | None:
    if text is None:
        return None
    if isinstance(text, str):
        return CompiledText({default_lang: parse_template(text)}, default_lang)
    return CompiledText({lang: parse_template(value) for lang, value in text.items()}, default_lang)


@dataclass(frozen=True, slots=True)
class CompiledTransition:
    trigger: str
    spec: Transition
    condition: Condition | None
    say: CompiledText | None


@dataclass(frozen=True, slots=True)
class CompiledGlobal:
    trigger: str | None
    spec: GlobalHandler
    say: CompiledText | None


@dataclass(frozen=True, slots=True)
class CompiledState:
    name: str
    spec: State
    say: CompiledText | None
    reprompt: CompiledText | None
    no_input: CompiledText | None
    transitions: tuple[CompiledTransition, ...]
    next_trigger: str | None
    intents: frozenset[str]
    waiting: bool
    llm_offline: CompiledText | None
    relevant: frozenset[str] = frozenset()
    """The intents worth recognizing here: the state's own and the global handlers'."""
    menu: CompiledMenu | None = None


@dataclass(frozen=True, slots=True)
class CompiledSlot:
    name: str
    spec: Slot
    prompt: CompiledText | None
    reprompt: CompiledText | None
    invalid: CompiledText | None


@dataclass(frozen=True, slots=True)
class CompiledOutcome:
    outcome: str
    condition: Condition
    confidence: float


@dataclass(frozen=True)
class CompiledScenario:
    """Everything the engine needs, shared read-only by all calls of one scenario."""

    scenario: Scenario
    lang: Language
    tz: ZoneInfo
    machine: Machine
    states: dict[str, CompiledState]
    slots: dict[str, CompiledSlot]
    global_handlers: tuple[CompiledGlobal, ...]
    global_intents: frozenset[str]
    outcomes: tuple[CompiledOutcome, ...]
    greeting: CompiledText
    intents: IntentMatcher
    extractor: SlotExtractor
    messages: dict[str, CompiledText | None]
    slot_names: tuple[str, ...]
    edges: Edges
    """Candidate transitions by (state, trigger) and each trigger's destination (``edges.py``)."""

    def fire(self, trigger: str, model: object) -> None:
        """Move ``model`` along ``trigger``: the machine's edge from the model's state (MachineError if
        there is none), looked up in :attr:`edges` instead of run through pytransitions' event
        processing (the machine has no callbacks or conditions to run)."""
        self.jump(self.edges.dest(trigger, model.state), model)  # type: ignore[attr-defined]

    def jump(self, dest: str, model: object) -> None:
        """Set the state directly (returning to where the conversation was has no static edge): what
        ``machine.set_state(dest, model=model)`` does for one model (ValueError for an unknown state)."""
        machine = self.machine
        setattr(model, machine.model_attribute, machine.get_state(dest).value)


def _is_waiting(state: State) -> bool:
    """A state waits for the caller unless it moves on by itself (next, return) or ends the call.

    A knowledge state without next/return answers on entry, then waits like any other state.
    """
    return not (state.terminal or state.next is not None or state.return_ or state.action is not None)


def compile_scenario(scenario: Scenario) -> CompiledScenario:
    """Compile a validated scenario (see :func:`voicebot.scenario.load_file`) once for all its calls."""
    lang = scenario.bot.language
    machine = Machine(
        model=None,
        states=list(scenario.states),
        initial=scenario.start,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )
    states: dict[str, CompiledState] = {}
    for name, state in scenario.states.items():
        compiled_transitions: list[CompiledTransition] = []
        for index, transition in enumerate(state.transitions):
            trigger = f"{name}#{index}"
            machine.add_transition(trigger, source=name, dest=transition.to)
            condition = compile_condition(transition.when) if transition.when is not None else None
            compiled_transitions.append(
                CompiledTransition(trigger, transition, condition, _text(transition.say, lang))
            )
        next_trigger = None
        if state.next is not None:
            next_trigger = f"{name}#next"
            machine.add_transition(next_trigger, source=name, dest=state.next)
        states[name] = CompiledState(
            name=name,
            spec=state,
            say=_text(state.say, lang),
            reprompt=_text(state.reprompt, lang),
            no_input=_text(state.no_input, lang),
            transitions=tuple(compiled_transitions),
            next_trigger=next_trigger,
            intents=frozenset(t.intent for t in state.transitions if t.intent is not None),
            waiting=_is_waiting(state),
            llm_offline=_text(state.llm.offline_reply, lang) if state.llm is not None else None,
            menu=compile_menu(name, state.menu, machine, lang, _text),
        )
    handlers: list[CompiledGlobal] = []
    for index, handler in enumerate(scenario.global_):
        global_trigger: str | None = None
        if handler.do == "goto" and handler.to is not None:
            global_trigger = f"global#{index}"
            machine.add_transition(global_trigger, source="*", dest=handler.to)
        handlers.append(CompiledGlobal(global_trigger, handler, _text(handler.say, lang)))

    global_intents = frozenset(h.intent for h in scenario.global_)
    states = {name: replace(state, relevant=state.intents | global_intents) for name, state in states.items()}
    slots = {
        name: CompiledSlot(
            name, slot, _text(slot.prompt, lang), _text(slot.reprompt, lang), _text(slot.invalid, lang)
        )
        for name, slot in scenario.slots.items()
    }
    intent_specs: dict[str, tuple[list[str], list[str]]] = {}
    for name, intent in scenario.intents.items():
        examples = intent.examples
        if isinstance(examples, dict):
            examples = list(examples.get(lang, [])) or [e for group in examples.values() for e in group]
        intent_specs[name] = (list(examples), list(intent.patterns))
    settings = scenario.settings
    greeting = _text(scenario.bot.greeting, lang)
    assert greeting is not None
    return CompiledScenario(
        scenario=scenario,
        lang=lang,
        tz=ZoneInfo(scenario.bot.timezone),
        machine=machine,
        states=states,
        slots=slots,
        global_handlers=tuple(handlers),
        global_intents=global_intents,
        outcomes=tuple(
            CompiledOutcome(rule.outcome, compile_condition(rule.when), rule.confidence)
            for rule in scenario.outcomes
        ),
        greeting=greeting,
        intents=IntentMatcher(intent_specs, lang=lang),
        extractor=SlotExtractor(dict(scenario.slots), lang=lang, region=scenario.bot.region),
        messages={
            "no_input": _text(settings.no_input_message, lang),
            "reprompt": _text(settings.reprompt_message, lang),
            "goodbye_no_input": _text(settings.goodbye_message, lang),
        },
        slot_names=tuple(scenario.slots),
        edges=build_edges({name: st.transitions for name, st in states.items()}, machine),
    )


class CompiledCache:
    """Compiled scenarios by content hash: each source is compiled once per process, however many calls
    run it. ``build`` is only called on a miss (so a cached source is not even parsed again)."""

    def __init__(self) -> None:
        self._by_hash: dict[str, CompiledScenario] = {}

    def get(self, sha256: str, build: Callable[[], Scenario]) -> CompiledScenario:
        compiled = self._by_hash.get(sha256)
        if compiled is None:
            compiled = compile_scenario(build())
            self._by_hash[sha256] = compiled
        return compiled
