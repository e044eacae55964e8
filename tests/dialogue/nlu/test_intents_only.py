"""Scoring only the intents a state can use gives the same matches as scoring all and filtering."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dialogue.corpus import CORPUS
from voicebot.runtime import load_offline_bot

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
NAMES = sorted(p.stem for p in SCENARIOS.glob("*.yaml") if not p.name.endswith(".test.yaml"))


@pytest.mark.parametrize("name", NAMES)
def test_the_matches_among_a_state_s_intents_are_the_filtered_full_matches(name: str) -> None:
    compiled = load_offline_bot(SCENARIOS / f"{name}.yaml").engine.compiled
    lang = compiled.lang
    lines = {t.text for c in CORPUS if c.language == lang for t in c.turns if t.text}
    for intent in compiled.scenario.intents.values():
        examples = intent.examples
        groups = examples.values() if isinstance(examples, dict) else [examples]
        lines |= {e for group in groups for e in group}
    lines |= {"yes please", "no", "can I talk to a person", "what?", "да", "нет", "позовите администратора"}
    sets = {st.relevant for st in compiled.states.values()}
    sets |= {s | {"yes", "no"} for s in sets} | {frozenset(), frozenset({"no_such_intent"})}
    found = 0
    for text in sorted(lines):
        full = compiled.intents.match(text)
        for only in sets:
            restricted = compiled.intents.match(text, only=only)
            assert restricted == [m for m in full if m.name in only], (text, sorted(only))
            found += bool(restricted)
    assert len(lines) > 30 and found > len(lines)  # most lines match some intent of some state
