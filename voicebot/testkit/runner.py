"""Runs scenario test files through the real engine and driver, and measures coverage."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from voicebot.dialogue import (
    Action,
    CallContext,
    CallFinished,
    Conversation,
    Dtmf,
    Engine,
    Event,
    Hangup,
    NoInput,
    RecordTransition,
    Say,
    Transfer,
    TransferResult,
    Utterance,
    WarmTransfer,
)
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.dialogue.driver import TurnResult
from voicebot.dialogue.fakes import ScriptedLLM
from voicebot.dialogue.nlu import from_json, to_json
from voicebot.dialogue.ports import Passage
from voicebot.runtime import OfflineBot, load_offline_bot
from voicebot.testkit.actions import ScriptedActions
from voicebot.testkit.spec import Expect, Step, TestCase, TestFile, load_test_file

__all__ = ["CaseResult", "FileResult", "run_test_file"]


@dataclass
class CaseResult:
    name: str
    failures: list[str] = field(default_factory=list)
    turns: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class FileResult:
    path: Path
    scenario_path: Path
    bot_id: str
    cases: list[CaseResult]
    states: frozenset[str]
    edges: frozenset[str]
    visited: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)

    @property
    def passed(self) -> int:
        return sum(case.passed for case in self.cases)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed


@dataclass
class _CallLog:
    said: list[str] = field(default_factory=list)
    knowledge: bool = False
    llm: bool = False
    transfer: str | None = None
    finished: CallFinished | None = None
    actions: list[str] = field(default_factory=list)
    filler: bool = False

    def add_result(self, result: TurnResult) -> None:
        """The actions of one driver result, with the action runs (a slow one's filler said first)."""
        for run, done in result.action_calls:
            self.actions.append(run.name)
            if done.filler and run.filler:
                self.filler = True
                self.said.append(run.filler)
        self.add(result.actions)

    def add(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Say):
                self.said.append(action.text)
                self.knowledge = self.knowledge or action.source == "knowledge"
                self.llm = self.llm or action.source == "llm"
            elif isinstance(action, Transfer):
                self.transfer = action.number
            elif isinstance(action, WarmTransfer):
                self.transfer = action.to
            elif isinstance(action, CallFinished):
                self.finished = action


def _scenario_path(test_path: Path, spec: TestFile) -> Path:
    if spec.scenario:
        return (test_path.parent / spec.scenario).resolve()
    name = test_path.name.removesuffix(".test.yaml") + ".yaml"
    return test_path.parent / name


def _event(step: Step) -> Event | None:
    if step.caller is not None:
        return Utterance(step.caller)
    if step.dtmf is not None:
        return Dtmf(step.dtmf)
    if step.silence:
        return NoInput()
    if step.hangup:
        return Hangup()
    if step.transfer_result is not None:
        return TransferResult(
            step.transfer_result, agent="test-agent" if step.transfer_result == "connected" else None
        )
    return None


async def run_test_file(path: Path) -> FileResult:
    """Run every case of a test file; raises ScenarioError / ConfigError for broken files."""
    spec = load_test_file(path)
    scenario_path = _scenario_path(path, spec)
    knowledge = (path.parent / spec.knowledge).resolve() if spec.knowledge else None
    bot = load_offline_bot(scenario_path, knowledge_dir=knowledge)
    compiled = bot.engine.compiled
    edges = frozenset(name for name in compiled.machine.events)
    result = FileResult(path, scenario_path, bot.bot_id, [], frozenset(compiled.states), edges)
    for case in spec.tests:
        result.cases.append(await _run_case(bot, spec, case, result))
    return result


async def _run_case(bot: OfflineBot, spec: TestFile, case: TestCase, totals: FileResult) -> CaseResult:
    compiled = bot.engine.compiled
    now = case.now or spec.now
    clock_value = _aware(now, compiled.tz) if now is not None else None
    scripted = case.llm is not None
    engine = Engine(compiled, clock=(lambda: clock_value) if clock_value else None, llm_enabled=scripted)
    context = CallContext(call_id=f"test:{case.name}", caller_number=case.caller_number or spec.caller_number)
    retriever = (
        _ScriptedKnowledge(list(case.knowledge_results))
        if case.knowledge_results is not None
        else bot.retriever
    )
    conversation = Conversation(
        engine,
        context,
        bot_id=bot.bot_id,
        retriever=retriever,
        llm=ScriptedLLM(replies=list(case.llm)) if case.llm is not None else None,
        answerer=bot.answerer,
        actions=(scripted_actions := ScriptedActions(case.actions)),
    )
    outcome = CaseResult(case.name)
    log = _CallLog()
    first = await conversation.start()
    _track(first.actions, totals)
    log.add(first.actions)
    turn_log = _CallLog()
    turn_log.add_result(first)
    for index, step in enumerate(case.steps, start=1):
        event = _event(step)
        if event is not None:
            if conversation.ended:
                outcome.failures.append(f"step {index} ({step.describe()}): the call had already ended")
                break
            reply = await conversation.send(event)
            outcome.turns += 1
            _track(reply.actions, totals)
            log.add(reply.actions)
            turn_log = _CallLog()
            turn_log.add_result(reply)
        if step.expect is not None:
            for failure in _check(compiled, step.expect, turn_log, conversation):
                outcome.failures.append(f"step {index} ({step.describe()}): {failure}")
    for name in dict.fromkeys(scripted_actions.unscripted):
        outcome.failures.append(
            f"action {name!r} ran without a scripted answer (add actions: {{{name}: [...]}} to the case)"
        )
    call = conversation.call
    totals.visited |= call.visited
    finished = log.finished
    if case.outcome is not None:
        got = finished.outcome if finished else None
        if got != case.outcome:
            outcome.failures.append(f"outcome: expected {case.outcome!r}, got {got!r}")
    if case.end_reason is not None and (finished is None or finished.end_reason != case.end_reason):
        outcome.failures.append(
            f"end_reason: expected {case.end_reason!r}, got {finished.end_reason if finished else None!r}"
        )
    if case.state is not None and call.state != case.state:
        outcome.failures.append(f"final state: expected {case.state!r}, got {call.state!r}")
    if case.slots is not None:
        outcome.failures += _slot_failures(compiled, case.slots, call.slots)
    return outcome


class _ScriptedKnowledge:
    """A knowledge base that returns the test's passages in order, one per lookup."""

    def __init__(self, texts: list[str]) -> None:
        self._texts = deque(texts)

    async def retrieve(self, bot_id: str, query: str, *, top_k: int) -> list[Passage]:
        text = self._texts.popleft() if self._texts else ""
        if not text:
            return []
        return [Passage(chunk_id=f"test:{len(self._texts)}", doc_id="test", text=text, score=1.0)]


def _aware(value: datetime, tz: Any) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _track(actions: list[Action], totals: FileResult) -> None:
    for action in actions:
        if isinstance(action, RecordTransition) and action.edge is not None:
            totals.taken.add(action.edge)


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _check(
    compiled: CompiledScenario, expect: Expect, turn: _CallLog, conversation: Conversation
) -> list[str]:
    failures: list[str] = []
    spoken = " ".join(turn.said)
    heard = spoken.lower()
    for text in _as_list(expect.say):
        if text.lower() not in heard:
            failures.append(f"expected the bot to say {text!r}, it said {spoken!r}")
    for text in _as_list(expect.not_say):
        if text.lower() in heard:
            failures.append(f"expected the bot not to say {text!r}, it said {spoken!r}")
    if expect.say_regex is not None and not re.search(expect.say_regex, spoken, re.IGNORECASE):
        failures.append(f"expected the bot's speech to match /{expect.say_regex}/, it said {spoken!r}")
    call = conversation.call
    if expect.state is not None and call.state != expect.state:
        failures.append(f"expected state {expect.state!r}, the call is in {call.state!r}")
    if expect.slots is not None:
        failures += _slot_failures(compiled, expect.slots, call.slots)
    for name in expect.unset or []:
        if name in call.slots:
            failures.append(f"expected slot {name!r} to be empty, it is {to_json(call.slots[name])!r}")
    if expect.ended is not None and call.ended != expect.ended:
        failures.append("expected the call to have ended" if expect.ended else "expected the call to go on")
    if expect.transfer is not None and turn.transfer != expect.transfer:
        failures.append(f"expected a transfer to {expect.transfer}, got {turn.transfer}")
    if expect.llm is not None and turn.llm != expect.llm:
        failures.append("expected a reply from the LLM" if expect.llm else "expected no LLM reply")
    for name in _as_list(expect.action):
        if name not in turn.actions:
            failures.append(f"expected action {name!r} to run, ran {turn.actions or 'none'}")
    if expect.filler is not None and turn.filler != expect.filler:
        failures.append("expected the filler phrase" if expect.filler else "expected no filler phrase")
    if expect.knowledge is not None and turn.knowledge != expect.knowledge:
        failures.append(
            "expected an answer from the knowledge base"
            if expect.knowledge
            else "expected no knowledge answer"
        )
    return failures


def _slot_failures(compiled: CompiledScenario, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Compare by value, so "2026-11-24T10:00:00-05:00" equals "2026-11-24T10:00-05:00"."""
    failures = []
    for name, want in expected.items():
        if name not in actual:
            failures.append(f"slot {name!r}: expected {want!r}, it is empty")
            continue
        got = actual[name]
        slot = compiled.slots.get(name)
        try:
            wanted = from_json(slot.spec, want, tz=compiled.tz) if slot is not None else want
        except ValueError:
            wanted = want
        if got != wanted and to_json(got) != want:
            failures.append(f"slot {name!r}: expected {want!r}, got {to_json(got)!r}")
    return failures
