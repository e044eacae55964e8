"""Dialogue engine benchmark: compile a 200-state scenario, per-call setup, engine time per caller turn.

Run: ``python bench/bench_engine.py`` (results are recorded in docs/performance.md).
Each figure is printed beside a baseline measured in the same run:
- compile: our compile (templates, conditions, NLU, machine) vs a bare pytransitions Machine with the same
  states and edges, and vs the same Machine with auto_transitions on (the naive default);
- per-call setup: Engine.start (a CallState, the greeting, the start state) vs machine.add_model +
  remove_model (what building or binding a machine per call would cost at least);
- per turn: engine time for scripted caller turns on the example scenarios, offline NLU included.
Goals on a 2-core machine: 200-state compile < 100 ms, per-call setup < 1 ms, per turn p99 < 2 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from transitions import Machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicebot.dialogue import CallContext, Engine, Utterance, compile_scenario  # noqa: E402
from voicebot.scenario import load_file, load_text  # noqa: E402

SCRIPTS: dict[str, list[list[str]]] = {
    "clinic": [
        [
            "I'd like to book an appointment",
            "John Smith",
            "March 3rd 1985",
            "a check-up",
            "tomorrow at 10 am",
            "no, I said Thursday at 2 pm",
            "yes",
        ],
        ["book a visit for Anna Lee born 12 May 1990 for a flu shot", "next Monday at 9:30", "yes"],
        ["what are your hours", "purple elephant", "repeat that", "where are you located", "agent"],
    ],
    "salon": [
        ["Хочу записаться на маникюр", "на завтра", "в 14:00", "Анна", "нет, в 15:00", "да"],
        ["запишите меня на стрижку в пятницу в три часа дня", "Мария", "да", "да"],
        ["сколько стоит", "где вы находитесь", "позовите администратора"],
    ],
}


def generated_scenario(n_states: int) -> str:
    """A valid scenario with ``n_states`` waiting states, each with intent, condition and fallback edges."""
    lines = [
        "version: 1",
        "bot: {id: big, name: Big, language: en, greeting: Hello}",
        "slots:",
    ]
    for i in range(n_states // 4):
        lines.append(f"  s{i}: {{type: number, prompt: 'Number {i}?'}}")
    lines.append("intents:")
    for i in range(20):
        lines.append(f"  go{i}: {{examples: ['go to place {i}', 'take me to {i}']}}")
    lines += ["start: st0", "states:"]
    for i in range(n_states):
        nxt, skip = (i + 1) % n_states, (i + 7) % n_states
        lines.append(f"  st{i}:")
        lines.append(f"    say: 'State {i}.'")
        if i % 4 == 0 and i // 4 < n_states // 4:
            lines.append(f"    collect: [s{i // 4}]")
        lines.append("    transitions:")
        lines.append(f"      - {{intent: go{i % 20}, to: st{nxt}}}")
        lines.append(f"      - {{when: \"filled('s{(i // 4) % (n_states // 4)}')\", to: st{skip}}}")
        lines.append("      - {fallback: true, to: end}")
    lines += ["  end: {say: Bye, end: true, outcome: done}"]
    return "\n".join(lines) + "\n"


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(name: str, samples: list[float], unit: str = "ms") -> str:
    scale = 1000 if unit == "us" else 1
    return (
        f"| {name} | {statistics.median(samples) * scale:.3f} | {pct(samples, 0.99) * scale:.3f} | {unit} |"
    )


def main() -> None:
    source = generated_scenario(200)
    loaded = load_text(source, "generated-200.yaml")
    scenario = loaded.scenario
    states = list(scenario.states)
    edges = [(f"{n}#{i}", n, t.to) for n, s in scenario.states.items() for i, t in enumerate(s.transitions)]

    def bare_machine(auto: bool) -> Machine:
        m = Machine(model=None, states=states, initial=scenario.start, auto_transitions=auto)
        for trigger, src, dst in edges:
            m.add_transition(trigger, source=src, dest=dst)
        return m

    print(f"# engine benchmark, {len(states)} states, {len(edges)} edges, python {sys.version.split()[0]}\n")
    print("| measure | p50 | p99 | unit |")
    print("|---|---|---|---|")
    print(row("load + check 200-state YAML", timed(lambda: load_text(source, "g.yaml"), 10)))
    print(row("compile 200 states (ours)", timed(lambda: compile_scenario(scenario), 10)))
    print(row("baseline: bare pytransitions Machine", timed(lambda: bare_machine(False), 10)))
    print(row("baseline: Machine, auto_transitions on", timed(lambda: bare_machine(True), 3)))

    compiled = compile_scenario(scenario)
    engine = Engine(compiled)
    context = CallContext(call_id="bench", caller_number="+12125550123")
    print(row("per-call setup: Engine.start", timed(lambda: engine.start(context), 2000), "us"))

    machine = bare_machine(False)

    class Model:
        state = scenario.start

    def add_remove() -> None:
        model = Model()
        machine.add_model(model, initial=scenario.start)
        machine.remove_model(model)

    print(row("baseline: machine.add_model + remove_model", timed(add_remove, 2000), "us"))

    turn_samples: list[float] = []
    now = datetime(2026, 11, 23, 9, 0)
    for bot, scripts in SCRIPTS.items():
        bot_loaded = load_file(ROOT / "scenarios" / f"{bot}.yaml")
        bot_compiled = compile_scenario(bot_loaded.scenario)
        frozen = now.replace(tzinfo=bot_compiled.tz)
        bot_engine = Engine(bot_compiled, clock=lambda frozen=frozen: frozen)  # type: ignore[misc]
        for _ in range(200):
            for script in scripts:
                call, _actions = bot_engine.start(context)
                for line in script:
                    if call.ended:
                        break
                    start = time.perf_counter()
                    bot_engine.handle(call, Utterance(line))
                    turn_samples.append((time.perf_counter() - start) * 1000)
    print(row(f"engine time per caller turn ({len(turn_samples)} turns)", turn_samples, "us"))


if __name__ == "__main__":
    main()
