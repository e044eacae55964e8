"""The edges table and the restricted intent scoring choose exactly what the full scans chose.

The engine looks up a state's candidate transitions by trigger (``dialogue/edges.py``) instead of
scanning them all, scores only the intents the state can use, and fires a trigger by its table
destination instead of through pytransitions' event processing. A caller must not notice any of it:
every example scenario's conversations (its scenario tests and the awkward-caller corpus) get the same
actions, turn for turn, as from an engine that scans like before.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from transitions import MachineError

from tests.dialogue.corpus import CORPUS
from tests.dialogue.corpus.measure import NOW
from voicebot.dialogue import CallContext, Conversation, Dtmf, Engine, Hangup, NoInput, Utterance
from voicebot.dialogue.compiled import CompiledScenario, CompiledTransition
from voicebot.dialogue.edges import kind_of
from voicebot.dialogue.engine import Engine as _Engine
from voicebot.dialogue.outcome import condition_env
from voicebot.dialogue.state import CallState
from voicebot.dialogue.turn import Turn
from voicebot.runtime import OfflineBot, load_offline_bot

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NAMES = sorted(p.stem for p in SCENARIOS.glob("*.yaml") if not p.name.endswith(".test.yaml"))


def _bot(name: str) -> OfflineBot:
    return load_offline_bot(SCENARIOS / f"{name}.yaml")


BOTS = {name: _bot(name) for name in NAMES}


def _scanned(
    transitions: tuple[CompiledTransition, ...], intent: str | None, event: str | None, dtmf: str | None
) -> tuple[CompiledTransition, ...]:
    """What the engine's old scan looked at, in order: intent, event, keys transitions of this trigger
    and every condition (the scan's if/elif order decides a transition's kind)."""
    out = []
    for tr in transitions:
        spec = tr.spec
        if spec.intent is not None:
            if intent == spec.intent:
                out.append(tr)
        elif tr.condition is not None:
            out.append(tr)
        elif spec.event is not None:
            if event == spec.event:
                out.append(tr)
        elif spec.dtmf is not None and dtmf == spec.dtmf:
            out.append(tr)
    return tuple(out)


@pytest.mark.parametrize("name", NAMES)
def test_a_state_s_candidates_for_a_trigger_are_what_the_scan_looked_at(name: str) -> None:
    compiled = BOTS[name].engine.compiled
    builtin = {"yes", "no", "human", "repeat", "help", "cancel"}
    intents: list[str | None] = [None, "no_such_intent", *sorted(set(compiled.scenario.intents) | builtin)]
    checked = 0
    for state_name, state in compiled.states.items():
        edges = compiled.edges[state_name]
        events = {tr.spec.event for tr in state.transitions} | {"utterance", "no_input", "no_answer", None}
        keys = {tr.spec.dtmf for tr in state.transitions} | {"9", None}
        for intent in intents:
            assert edges.candidates(intent=intent) == _scanned(state.transitions, intent, None, None)
        for event in events:
            assert edges.candidates(event=event) == _scanned(state.transitions, None, event, None)
        for key in keys:
            assert edges.candidates(dtmf=key) == _scanned(state.transitions, None, None, key)
        both = edges.candidates(intent="yes", event="utterance")
        assert both == _scanned(state.transitions, "yes", "utterance", None)
        checked += len(state.transitions)
    assert checked > 10  # the example scenarios have transitions of every kind between them
    kinds = {kind_of(tr) for st in compiled.states.values() for tr in st.transitions}
    assert "intent" in kinds


@pytest.mark.parametrize("name", NAMES)
def test_every_trigger_leads_where_pytransitions_leads(name: str) -> None:
    compiled = BOTS[name].engine.compiled
    pairs = list(compiled.edges.triggers())
    assert len(pairs) >= len(compiled.states)
    for trigger, source in pairs:
        theirs = CallState(context=CallContext(), state=source)
        ours = CallState(context=CallContext(), state=source)
        compiled.machine.events[trigger].trigger(theirs)
        compiled.fire(trigger, ours)
        assert ours.state == theirs.state


def test_a_trigger_with_no_edge_from_the_state_is_refused_as_pytransitions_refuses_it() -> None:
    compiled = BOTS["clinic"].engine.compiled
    trigger, source = next(iter(compiled.edges.triggers()))
    other = next(s for s in compiled.states if (trigger, s) not in set(compiled.edges.triggers()))
    call = CallState(context=CallContext(), state=other)
    with pytest.raises(MachineError):
        compiled.machine.events[trigger].trigger(CallState(context=CallContext(), state=other))
    with pytest.raises(MachineError):
        compiled.fire(trigger, call)
    assert call.state == other and source != other


# ---------------------------------------------------------------------------- whole conversations


class _ScanningCompiled(CompiledScenario):
    def fire(self, trigger: str, model: object) -> None:
        self.machine.events[trigger].trigger(model)  # through pytransitions, as before


class ScanningEngine(_Engine):
    """The engine as it was: every transition scanned, every intent scored, pytransitions firing."""

    def _intent(self, t: Turn, text: str) -> str | None:
        relevant = t.state.relevant
        if t.call.pending_confirm is not None:
            relevant = relevant | {"yes", "no"}
        threshold = self.compiled.scenario.settings.intent_threshold
        for match in self.compiled.intents.match(text):
            if match.score < threshold:
                break
            if match.name in relevant:
                return match.name
        return None

    def _try_transitions(
        self, t: Turn, *, intent: str | None = None, event: str | None = None, dtmf: str | None = None
    ) -> bool:
        call = t.call
        env: dict[str, object] | None = None
        for tr in t.state.transitions:
            spec = tr.spec
            if spec.intent is not None:
                fired = intent == spec.intent
            elif tr.condition is not None:
                if call.pending_confirm is not None:
                    continue
                if env is None:
                    env = condition_env(call, self.compiled.lang)
                fired = tr.condition.evaluate(
                    env, filled=call.slots.__contains__, visited=call.visited.__contains__
                )
            elif spec.event is not None:
                fired = event == spec.event
            elif spec.dtmf is not None:
                fired = dtmf == spec.dtmf
            else:
                continue
            if fired:
                t.say_text(tr.say)
                data = {spec.trigger_kind: getattr(spec, spec.trigger_kind)}
                self._go(t, spec.to, tr.trigger, spec.trigger_kind, data)
                return True
        return False


def _scanning(compiled: CompiledScenario) -> CompiledScenario:
    return _ScanningCompiled(**{f.name: getattr(compiled, f.name) for f in dataclasses.fields(compiled)})


def _conversations() -> list[tuple[str, str, list[Any]]]:
    """(scenario, name, caller events) of every scenario test and every corpus conversation."""
    out: list[tuple[str, str, list[Any]]] = []
    for name in NAMES:
        spec = yaml.safe_load((SCENARIOS / f"{name}.test.yaml").read_text(encoding="utf-8"))
        for case in spec["tests"]:
            events: list[Any] = []
            for step in case.get("steps", []):
                if step.get("caller") is not None:
                    events.append(Utterance(str(step["caller"])))
                elif step.get("dtmf") is not None:
                    events.append(Dtmf(str(step["dtmf"])))
                elif step.get("silence"):
                    events.append(NoInput())
                elif step.get("hangup"):
                    events.append(Hangup())
            out.append((name, case["name"], events))
    for convo in CORPUS:
        events = [
            NoInput() if t.silence else Hangup() if t.hangup else Utterance(t.text or "") for t in convo.turns
        ]
        out.append((convo.scenario, convo.name, events))
    return out


CONVERSATIONS = _conversations()


async def _run(engine: Engine, bot: OfflineBot, events: list[Any], number: str | None) -> list[Any]:
    conversation = Conversation(
        engine,
        CallContext(call_id="edges", caller_number=number),
        bot_id=bot.bot_id,
        retriever=bot.retriever,
        answerer=bot.answerer,
    )
    results = [(await conversation.start()).actions]
    for event in events:
        if conversation.ended:
            break
        results.append((await conversation.send(event)).actions)
    results.append([conversation.call.state, conversation.call.checkpoint()])
    return results


def test_every_example_conversation_gets_the_same_actions_as_from_the_scanning_engine() -> None:
    assert len(CONVERSATIONS) >= 74 + 20
    moves = 0
    for scenario, name, events in CONVERSATIONS:
        bot = BOTS[scenario]
        compiled = bot.engine.compiled
        now, number = NOW.get(scenario, NOW["clinic"])
        at: datetime = now.replace(tzinfo=compiled.tz)
        ours = Engine(compiled, clock=lambda at=at: at)
        theirs = ScanningEngine(_scanning(compiled), clock=lambda at=at: at)
        got = asyncio.run(_run(ours, bot, events, number))
        want = asyncio.run(_run(theirs, bot, events, number))
        assert got == want, f"{scenario}: {name}"
        moves += sum(1 for actions in got[:-1] for a in actions if a.type == "record_transition")
    assert moves > 300  # the conversations really move through the scenarios
