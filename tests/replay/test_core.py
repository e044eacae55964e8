"""The pure replay core: recordings reshaped into inputs, verdicts, outcome order, redaction."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import yaml

from tests.replay.calls import SALON
from tests.telephony.test_text_calls import TINY  # DTMF ("Press 1") and a no-input reprompt
from voicebot.dialogue.compiled import compile_scenario
from voicebot.replay import Expectations, Replayer, compare, outcome_ranks, recorded_call
from voicebot.replay.export import export_test
from voicebot.replay.redact import Redactor, placeholder_phone
from voicebot.scenario import load_file, load_text
from voicebot.storage.records import SlotFilled, Transition, Turn

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@dataclass
class Rec:
    """The shape Recordings returns (CallRecording), built here from records for table-style tests."""

    turns: tuple[Turn, ...]
    transitions: tuple[Transition, ...] = ()
    slots: tuple[SlotFilled, ...] = ()
    end_reason: str | None = "completed"
    outcome: str | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    direction: str = "inbound"
    caller_number: str | None = "+12125550123"
    dialed_number: str | None = "+14155550100"
    started_at: dt.datetime = T0
    ended_at: dt.datetime | None = T0 + dt.timedelta(minutes=1)
    scenario_version: int | None = 1
    decision: dict[str, Any] | None = None


def at(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_dtmf_no_input_and_speech_become_inputs_in_order_with_what_followed() -> None:
    cid = uuid.uuid4()
    rec = Rec(
        turns=(
            Turn(cid, 0, "bot", "Hello. Press 1 or say sales.", at=at(0)),
            Turn(cid, 1, "system", "", metadata={"event": "no_input"}, at=at(8)),
            Turn(cid, 2, "bot", "Still there?", at=at(9)),
            Turn(cid, 3, "caller", "1", metadata={"event": "dtmf"}, at=at(12)),
            Turn(
                cid,
                4,
                "bot",
                "Sales, thanks.",
                metadata={"answers": [{"source": "llm", "text": "Hi"}]},
                at=at(13),
            ),
        ),
        transitions=(
            Transition(cid, 0, None, "menu", "start", at=at(0)),
            Transition(cid, 1, "menu", "sales", "dtmf", {"dtmf": "1"}, turn_seq=3, at=at(12)),
        ),
    )
    call = recorded_call(rec)
    assert [(s.input.kind, s.input.text) for s in call.steps] == [("no_input", ""), ("dtmf", "1")]
    assert call.greeting.states == ("menu",) and call.steps[1].states == ("sales",)
    assert call.steps[0].reply == "Still there?" and call.steps[1].answers == (("llm", "Hi"),)
    assert call.used_llm and call.path == ("menu", "sales")


def test_an_old_recording_without_dtmf_turns_gets_its_keys_from_the_transition() -> None:
    cid = uuid.uuid4()
    rec = Rec(
        turns=(Turn(cid, 0, "bot", "Press 1.", at=at(0)), Turn(cid, 1, "bot", "Sales, thanks.", at=at(5))),
        transitions=(
            Transition(cid, 0, None, "menu", "start", at=at(0)),
            Transition(cid, 1, "menu", "sales", "dtmf", {"dtmf": "1"}, at=at(4)),
        ),
    )
    call = recorded_call(rec)
    assert [(s.input.kind, s.input.text, s.reply) for s in call.steps] == [("dtmf", "1", "Sales, thanks.")]
    assert call.greeting.reply == "Press 1."


async def test_a_dtmf_call_replays_unchanged_on_its_own_scenario() -> None:
    compiled = compile_scenario(load_text(TINY, "tiny.yaml").scenario)
    replayer = Replayer(compiled)
    cid = uuid.uuid4()
    greeting = await _greeting(replayer)
    rec = Rec(
        turns=(
            Turn(cid, 0, "bot", greeting, at=at(0)),
            Turn(cid, 1, "caller", "1", metadata={"event": "dtmf"}, at=at(3)),
        )
    )
    new = await replayer.replay(recorded_call(rec))
    assert new.ended and new.steps[0].states  # the keys took the DTMF transition
    assert "sales" in " ".join(new.path)


async def _greeting(replayer: Replayer) -> str:
    new = await replayer.replay(recorded_call(Rec(turns=(), end_reason="caller_hangup")))
    return new.greeting.reply


def test_the_default_outcome_order_puts_the_goal_first_and_failures_last() -> None:
    compiled = compile_scenario(load_file(SALON).scenario)
    ranks = outcome_ranks(compiled)
    assert ranks["booking"] > ranks["lead"] > ranks["support"] > ranks["hangup"]
    assert ranks["information"] == ranks["lead"] and ranks["no_input"] == ranks["hangup"] == 0
    declared = outcome_ranks(compiled, Expectations(outcome_order=["support", "booking"]))
    assert declared["support"] > declared["booking"]


def test_redaction_keeps_placeholders_valid_and_removes_the_details() -> None:
    r = Redactor(caller_number="+79161234567", names=["Анна Петрова", "Анна"], lang="ru", region="RU")
    line = r.text("Я Анна Петрова, почта anna.p@mail.ru, карта 4276 1600 1234 5678, телефон 8 916 765-43-21")
    assert (
        "Петрова" not in line and "anna.p@mail.ru" not in line and "4276" not in line and "765-43" not in line
    )
    assert "caller@example.com" in line and "4111 1111 1111 1111" in line and r.phone in line
    import phonenumbers

    assert phonenumbers.is_valid_number(phonenumbers.parse(placeholder_phone("+79161234567")))
    assert placeholder_phone("+79161234567").startswith("+7")
    assert r.digits("4276160012345678") == "0" * 16 and r.digits("1") == "1"


def test_an_export_names_no_caller_detail() -> None:
    compiled = compile_scenario(load_file(SALON).scenario)
    cid = uuid.uuid4()
    rec = Rec(
        turns=(Turn(cid, 0, "caller", "Меня зовут Светлана, мой номер +7 916 111-22-33", at=at(2)),),
        slots=(SlotFilled(cid, 0, "client_name", "Светлана", 0.9, "nlu", turn_seq=0, at=at(2)),),
        caller_number="+79161112233",
        end_reason="caller_hangup",
    )
    text = export_test(recorded_call(rec), compiled, scenario="salon.yaml")
    doc = yaml.safe_load(text)
    assert "Светлана" not in text and "111-22-33" not in text and "+79161112233" not in text
    assert doc["tests"][0]["steps"][-1] == {"hangup": True} and doc["scenario"] == "salon.yaml"


async def test_a_call_of_an_older_version_is_judged_not_crashed_on() -> None:
    compiled = compile_scenario(load_file(SALON).scenario)
    cid = uuid.uuid4()
    rec = Rec(
        turns=(Turn(cid, 0, "caller", "хочу записаться", at=at(2)),),
        slots=(SlotFilled(cid, 0, "loyalty_card", "123", 1.0, "nlu", turn_seq=0, at=at(2)),),
        transitions=(Transition(cid, 0, None, "welcome", "start", at=at(0)),),
        outcome="lead",
        end_reason="caller_hangup",
    )
    old = recorded_call(rec)
    verdict = compare(compiled, old, await Replayer(compiled).replay(old))
    assert any("no longer exist: loyalty_card" in n for n in verdict.notes)
    assert verdict.verdict in ("changed", "regressed", "improved") and not verdict.path_same
