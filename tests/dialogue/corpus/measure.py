"""Drives corpus conversations through the real engine and scores each one.

The conversation is fed the way voicebot/testkit/runner.py feeds a scenario test: a ``Conversation``
over the scenario's real compiled engine with a frozen clock, caller words as ``Utterance``, silence as
``NoInput`` and a hang-up as ``Hangup``.

"Understood first time" fails on a scripted (non-noise, non-silence) caller turn when the engine
 - counted it as not understood (``CallState.retries`` went up: the reprompt branch of the engine), or
 - said a slot's *invalid* message (the scenario's own text or the built-in one), or
 - is now asking for a slot the caller has already given and the call does not hold it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from voicebot.dialogue import CallContext, CallFinished, Conversation, Engine, Hangup, NoInput, Say, Utterance
from voicebot.dialogue.messages import builtin
from voicebot.dialogue.nlu import from_json, to_json
from voicebot.runtime import OfflineBot, load_offline_bot

from .model import Convo, Turn

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "scenarios"

# Frozen clocks, local time of each bot: Monday 23 November 2026 (open days follow: clinic Mon-Sat,
# salon Tue-Sun), the same instants the scenarios' own test files use.
NOW = {
    "clinic": (datetime(2026, 11, 23, 9, 0), "+12125550123"),
    "salon": (datetime(2026, 11, 23, 10, 0), "+79001234567"),
    "support": (datetime(2026, 11, 23, 10, 0), "+13125550199"),
}


@dataclass
class Score:
    convo: Convo
    outcome: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)
    misunderstood: list[str] = field(default_factory=list)
    turns: int = 0
    error: str | None = None

    @property
    def right(self) -> bool:
        return self.error is None and not self.wrong

    @property
    def first_time(self) -> bool:
        return self.error is None and not self.misunderstood


@cache
def bot(name: str) -> OfflineBot:
    return load_offline_bot(SCENARIOS / f"{name}.yaml")


@cache
def _invalid_markers(name: str) -> tuple[str, ...]:
    """The fixed part of every invalid message the bot could say (the longest piece around {value})."""
    raw = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
    lang = raw["bot"]["language"]
    texts = [builtin("invalid", lang, value="{value}")]
    texts += [s["invalid"] for s in raw.get("slots", {}).values() if isinstance(s.get("invalid"), str)]
    return tuple(max(re.split(r"\{[^}]*\}", text), key=len).strip() for text in texts)


def _event(turn: Turn) -> Utterance | NoInput | Hangup:
    if turn.silence:
        return NoInput()
    if turn.hangup:
        return Hangup()
    assert turn.text is not None
    return Utterance(turn.text)


def _same(bot_: OfflineBot, name: str, want: Any, got: Any) -> bool:
    compiled = bot_.engine.compiled
    slot = compiled.slots.get(name)
    try:
        wanted = from_json(slot.spec, want, tz=compiled.tz) if slot is not None else want
    except ValueError:
        wanted = want
    return bool(got == wanted or to_json(got) == want)


async def run(convo: Convo) -> Score:
    score = Score(convo)
    try:
        await _run(convo, score)
    except Exception as exc:  # the test asserts there are none and names them
        score.error = f"{type(exc).__name__}: {exc}"
    return score


async def _run(convo: Convo, score: Score) -> None:
    b = bot(convo.scenario)
    compiled = b.engine.compiled
    now, number = NOW[convo.scenario]
    clock = now.replace(tzinfo=compiled.tz)
    engine = Engine(compiled, clock=lambda: clock, llm_enabled=False)
    context = CallContext(call_id=f"corpus:{convo.name}", caller_number=number)
    conversation = Conversation(engine, context, bot_id=b.bot_id, retriever=b.retriever, answerer=b.answerer)
    finished: CallFinished | None = None
    first = await conversation.start()
    finished = next((a for a in first.actions if isinstance(a, CallFinished)), None)
    given: set[str] = set()
    markers = _invalid_markers(convo.scenario)
    for index, turn in enumerate(convo.turns, start=1):
        if conversation.ended:
            score.wrong.append(f"turn {index}: the call had already ended")
            break
        call = conversation.call
        retries = call.retries
        reply = await conversation.send(_event(turn))
        score.turns += 1
        given |= set(turn.gives)
        said = " ".join(a.text for a in reply.actions if isinstance(a, Say))
        finished = next((a for a in reply.actions if isinstance(a, CallFinished)), finished)
        if turn.text is None or turn.noise:
            continue
        call = conversation.call
        if call.retries > retries:
            score.misunderstood.append(f"turn {index} {turn.text!r}: not understood, said {said!r}")
        elif any(marker and marker in said for marker in markers):
            score.misunderstood.append(f"turn {index} {turn.text!r}: refused as invalid, said {said!r}")
        elif call.asked in given and call.asked not in call.slots and not call.ended:
            score.misunderstood.append(f"turn {index} {turn.text!r}: asked again for {call.asked}")
    call = conversation.call
    score.outcome = finished.outcome if finished is not None else call.outcome
    score.slots = {name: to_json(value) for name, value in call.slots.items()}
    if score.outcome != convo.outcome:
        score.wrong.append(f"outcome: expected {convo.outcome!r}, got {score.outcome!r}")
    for name, want in convo.slots.items():
        if name not in call.slots:
            score.wrong.append(f"slot {name}: expected {want!r}, empty")
        elif not _same(b, name, want, call.slots[name]):
            score.wrong.append(f"slot {name}: expected {want!r}, got {to_json(call.slots[name])!r}")


@dataclass
class Shares:
    conversations: int
    right: int
    first_time: int
    turns: int
    min_turns: int

    def line(self, label: str) -> str:
        def pct(n: int) -> str:
            return (
                f"{n}/{self.conversations} ({100 * n / self.conversations:.0f}%)"
                if self.conversations
                else "-"
            )

        ratio = self.turns / self.min_turns if self.min_turns else 0.0
        return (
            f"| {label} | {self.conversations} | {pct(self.right)} | {pct(self.first_time)} | "
            f"{self.turns} / {self.min_turns} ({ratio:.2f}x) |"
        )


def shares(scores: list[Score]) -> Shares:
    return Shares(
        conversations=len(scores),
        right=sum(s.right for s in scores),
        first_time=sum(s.first_time for s in scores),
        turns=sum(s.turns for s in scores),
        min_turns=sum(s.convo.min_turns for s in scores),
    )


def report(scores: list[Score]) -> str:
    lines = [
        "| language | conversations | right outcome and slots | understood first time"
        " | turns used / minimal |",
        "|---|---|---|---|---|",
    ]
    for lang, label in (("en", "English"), ("ru", "Russian")):
        lines.append(shares([s for s in scores if s.convo.language == lang]).line(label))
    lines.append(shares(scores).line("all"))
    misses = [s for s in scores if not (s.right and s.first_time)]
    lines.append("")
    lines.append("Known misses (conversation: reason, what the measure saw):")
    lines.append("")
    for s in misses:
        seen = "; ".join(s.wrong + s.misunderstood + ([s.error] if s.error else []))
        lines.append(
            f"- {s.convo.scenario} / {s.convo.name} [{s.convo.kind}]: "
            f"{s.convo.known_miss or 'UNMARKED'} — {seen}"
        )
    return "\n".join(lines)
