"""Running personas against a scenario and reporting success rate, turns used and failures.

Offline and pure but for the optional LLM caller: the bot runs on the real engine and conversation
driver (its knowledge from the scenario's documents, no LLM), with the clock frozen at the persona's
``now``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from voicebot.dialogue import CallContext, CallFinished, Conversation, Engine, Hangup, Say
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.dialogue.nlu import from_json, to_json
from voicebot.runtime import OfflineBot
from voicebot.simulate.callers import BotTurn, Caller, describe
from voicebot.simulate.persona import Persona

__all__ = ["PersonaResult", "SimulationReport", "simulate", "simulate_all"]


@dataclass(slots=True)
class PersonaResult:
    persona: str
    path: str
    success: bool
    turns: int
    outcome: str | None
    reason: str = ""
    transcript: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class SimulationReport:
    scenario: str
    results: list[PersonaResult] = field(default_factory=list)

    @property
    def success_rate(self) -> float:
        return sum(r.success for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def mean_turns(self) -> float:
        return sum(r.turns for r in self.results) / len(self.results) if self.results else 0.0

    def text(self) -> str:
        lines = []
        for r in self.results:
            mark = "PASS" if r.success else "FAIL"
            lines.append(f"  {mark} {r.persona} ({r.turns} turns, outcome {r.outcome})")
            if not r.success:
                lines.append(f"       {r.reason}")
                lines += [f"       {who:>6}: {text}" for who, text in r.transcript]
        lines.append(
            f"{self.scenario}: {sum(r.success for r in self.results)}/{len(self.results)} personas reached "
            f"their goal ({100 * self.success_rate:.0f}%), {self.mean_turns:.1f} turns on average"
        )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "success_rate": self.success_rate,
            "mean_turns": self.mean_turns,
            "personas": [
                {
                    "name": r.persona,
                    "path": r.path,
                    "success": r.success,
                    "turns": r.turns,
                    "outcome": r.outcome,
                    "reason": r.reason,
                    "transcript": [{"role": w, "text": t} for w, t in r.transcript],
                }
                for r in self.results
            ],
        }


def _confirming(engine: Engine, conversation: Conversation) -> str | None:
    call = conversation.call
    if call.pending_confirm is not None:
        return call.pending_confirm.slot
    state = engine.compiled.states.get(call.state)
    if call.asked is None and state is not None and "yes" in state.intents:
        return "*"
    return None


def _goal(
    compiled: CompiledScenario,
    persona: Persona,
    finished: CallFinished | None,
    state: str,
    slots: dict[str, Any],
) -> str:
    """Why the goal was not reached ('' if it was). Slots compare by value ("14:00" is "14:00:00")."""
    goal = persona.goal
    if finished is None:
        return f"the call did not end within {persona.max_turns} turns"
    if goal.outcomes and finished.outcome not in goal.outcomes:
        return f"outcome {finished.outcome!r}, wanted {' or '.join(goal.outcomes)}"
    if goal.state is not None and state != goal.state:
        return f"ended in state {state!r}, wanted {goal.state!r}"
    for name, want in (goal.slots or {}).items():
        got = slots.get(name)
        slot = compiled.slots.get(name)
        try:
            wanted = from_json(slot.spec, want, tz=compiled.tz) if slot is not None else want
        except ValueError:
            wanted = want
        if got is None or (got != wanted and str(to_json(got)) != str(want)):
            return f"slot {name!r} is {to_json(got) if got is not None else None!r}, wanted {want!r}"
    return ""


async def simulate(bot: OfflineBot, persona: Persona, caller: Caller) -> PersonaResult:
    compiled = bot.engine.compiled
    now = persona.now or datetime.now(compiled.tz)
    frozen = now if now.tzinfo is not None else now.replace(tzinfo=compiled.tz)
    engine = Engine(compiled, clock=lambda: frozen)
    context = CallContext(
        call_id=f"simulate:{persona.name}", caller_number=persona.caller_number or "+15550000000"
    )
    conversation = Conversation(
        engine, context, bot_id=bot.bot_id, retriever=bot.retriever, answerer=bot.answerer
    )
    transcript: list[tuple[str, str]] = []
    finished: CallFinished | None = None

    def take(actions: Sequence[Any]) -> str:
        nonlocal finished
        said = " ".join(a.text for a in actions if isinstance(a, Say))
        finished = next((a for a in actions if isinstance(a, CallFinished)), finished)
        if said:
            transcript.append(("bot", said))
        return said

    said = take((await conversation.start()).actions)
    turns = 0
    while not conversation.ended and turns < persona.max_turns:
        turns += 1
        call = conversation.call
        view = BotTurn(turns, said, call.asked, _confirming(engine, conversation), tuple(transcript))
        event = await caller.next(view)
        transcript.append(("caller", describe(event)))
        said = take((await conversation.send(event)).actions)
        if isinstance(event, Hangup):
            break
    call = conversation.call
    reason = _goal(compiled, persona, finished, call.state, call.slots)
    stuck = getattr(caller, "stuck", None)
    if reason and stuck:
        reason = f"{reason} ({stuck})"
    return PersonaResult(
        persona.name,
        persona.path,
        not reason,
        turns,
        finished.outcome if finished else None,
        reason,
        transcript,
    )


async def simulate_all(
    bot: OfflineBot, personas: Sequence[Persona], caller_for: Callable[[Persona], Caller], *, scenario: str
) -> SimulationReport:
    report = SimulationReport(scenario)
    for persona in personas:
        report.results.append(await simulate(bot, persona, caller_for(persona)))
    return report
