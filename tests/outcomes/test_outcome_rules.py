"""Rules-based outcomes for every example scenario's end states (scenarios/*.yaml), through the real
engine and offline NLU; plus how each end reason maps to the call's status."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from voicebot.dialogue import CallContext, Conversation, Engine, Hangup, NoInput, Utterance, compile_scenario
from voicebot.dialogue.actions import CallFinished
from voicebot.dialogue.events import Event
from voicebot.outcomes import appointment_fields, call_status, outcome_names
from voicebot.outcomes.finalize import CallFacts
from voicebot.scenario import load_file

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SILENCE, HANGUP, ERROR = "<silence>", "<hangup>", "<error>"

CLINIC_BOOKING = [
    "I'd like to book an appointment",
    "John Smith",
    "March 3rd 1985",
    "check-up",
    "next Tuesday at 10 am",  # not "tomorrow": the clinic is closed on Sundays (and this uses the real clock)
]
SALON_BOOKING = ["хочу записаться на маникюр", "в среду", "в 15:00", "Анна"]  # the salon closes on Mondays

# (scenario, caller lines, expected outcome, rule prefix, end reason, final state)
CASES = [
    ("clinic", [*CLINIC_BOOKING, "yes"], "booking", "state:booked", "completed", "booked"),
    ("clinic", ["I want to talk to a person"], "support", "state:front_desk", "transferred", "front_desk"),
    ("clinic", ["what are your hours", "cancel"], "information", "rule[2]", "completed", "goodbye"),
    ("clinic", [*CLINIC_BOOKING, HANGUP], "lead", "rule[0]", "caller_hangup", "confirm"),
    ("clinic", [HANGUP], "hangup", "rule[1]", "caller_hangup", "menu"),
    ("clinic", [SILENCE, SILENCE, SILENCE], "hangup", "rule[3]", "no_input", "menu"),
    ("clinic", [ERROR], "error", "end:error", "error", "menu"),  # a system end is never hidden by a rule
    ("salon", [*SALON_BOOKING, "да"], "booking", "state:booked", "completed", "booked"),
    (
        "salon",
        ["соедините с администратором"],
        "support",
        "state:administrator",
        "transferred",
        "administrator",
    ),
    ("salon", ["сколько стоит", "отмена"], "information", "rule[1]", "completed", "goodbye"),
    ("salon", [*SALON_BOOKING, HANGUP], "lead", "rule[0]", "caller_hangup", "confirm"),
    ("salon", [HANGUP], "hangup", "rule[2]", "caller_hangup", "menu"),
    ("salon", [SILENCE, SILENCE, SILENCE], "hangup", "rule[2]", "no_input", "menu"),
    ("support", ["agent"], "support", "state:handoff", "transferred", "handoff"),
    ("support", ["my internet is down", "no", "no"], "support", "rule[0]", "completed", "goodbye"),
    ("support", ["cancel"], "hangup", "rule[1]", "completed", "goodbye"),
    ("support", ["my internet is down", HANGUP], "support", "rule[0]", "caller_hangup", "offer_human"),
    ("support", [SILENCE, SILENCE, SILENCE], "hangup", "rule[1]", "no_input", "menu"),
    # clinic_book's booking path runs book actions (tests/actions/book/test_clinic_book_call.py)
    (
        "clinic_book",
        ["I want to talk to a person"],
        "transferred",
        "state:front_desk",
        "transferred",
        "front_desk",
    ),
    ("clinic_book", [HANGUP], "hangup", "default:caller_hangup", "caller_hangup", "menu"),
    ("clinic_book", [SILENCE, SILENCE, SILENCE], "no_input", "default:no_input", "no_input", "menu"),
]


async def _call(bot: str, lines: list[str]) -> CallFinished:
    loaded = load_file(SCENARIOS / f"{bot}.yaml")
    conversation = Conversation(
        Engine(compile_scenario(loaded.scenario)),
        CallContext(call_id="t", caller_number="+12125550123"),
        bot_id=bot,
    )
    actions = list((await conversation.start()).actions)
    for line in lines:
        assert not conversation.ended, f"the call ended before {line!r}"
        event: Event
        if line == SILENCE:
            event = NoInput()
        elif line in (HANGUP, ERROR):
            event = Hangup(reason="error" if line == ERROR else "caller_hangup")
        else:
            event = Utterance(line)
        actions += (await conversation.send(event)).actions
    done = [a for a in actions if isinstance(a, CallFinished)]
    assert len(done) == 1, f"expected one CallFinished, got {done}"
    return done[0]


@pytest.mark.parametrize(("bot", "lines", "outcome", "rule", "end_reason", "state"), CASES)
async def test_end_state_outcome(
    bot: str, lines: list[str], outcome: str, rule: str, end_reason: str, state: str
) -> None:
    finished = await _call(bot, lines)
    assert (finished.outcome, finished.end_reason, finished.final_state) == (outcome, end_reason, state)
    assert finished.rule.startswith(rule), finished.rule
    assert 0 < finished.confidence <= 1


def test_every_example_scenario_is_covered() -> None:
    assert {p.stem for p in SCENARIOS.glob("*.yaml") if not p.stem.endswith(".test")} == {c[0] for c in CASES}


@pytest.mark.parametrize(
    ("end_reason", "status"),
    [
        ("completed", "completed"),
        ("transferred", "transferred"),
        ("caller_hangup", "abandoned"),
        ("no_input", "abandoned"),
        ("error", "failed"),
        ("dropped", "failed"),
    ],
)
def test_every_end_reason_has_a_call_status(end_reason: str, status: str) -> None:
    assert call_status(end_reason) == status


async def test_booking_slots_become_an_appointment_for_both_booking_scenarios() -> None:
    for bot, lines, name_slot in (
        ("clinic", [*CLINIC_BOOKING, "yes"], "John Smith"),
        ("salon", [*SALON_BOOKING, "да"], "Анна"),
    ):
        scenario = load_file(SCENARIOS / f"{bot}.yaml").scenario
        finished = await _call(bot, lines)
        facts = CallFacts.for_scenario(
            scenario, call_id=uuid.uuid4(), bot_id=None, started_at=dt.datetime.now()
        )
        fields = appointment_fields(finished.slots, facts.slot_types)
        assert fields is not None
        assert fields["contact_name"] == name_slot and fields["contact_phone"] == "+12125550123"
        assert fields["appointment_type"] in ("check-up", "маникюр")
        assert "booking" in outcome_names(scenario)
