"""Warm transfer and voicemail in the scenario language and the engine: events in, actions out."""

from __future__ import annotations

import textwrap

from tests.scenario.conftest import problems_of as problems
from voicebot.dialogue import (
    CallContext,
    CallFinished,
    Engine,
    Hangup,
    Say,
    Transfer,
    TransferResult,
    Utterance,
    WarmTransfer,
    compile_scenario,
)
from voicebot.dialogue.transfer import voicemail_message
from voicebot.dialogue.turn import Turn
from voicebot.scenario import load_text, mermaid

WARM = """
bot: {id: t, name: Salon, language: en, greeting: "Hello from {bot_name}."}
slots:
  name: {type: text, prompt: "Your name?"}
voicemail: {message: "Hello, this is {bot_name}. Please call us back."}
start: ask
states:
  ask:
    collect: [name]
    transitions:
      - {when: "filled('name')", to: handover}
      - {fallback: true, to: handover}
  handover:
    say: "One moment, {name}, I'll put you through."
    transfer: {mode: warm, to: "+4930123456", brief: "{name} wants to talk about a booking.",
               timeout: 20, fallback: take_message}
    outcome: transferred
  take_message:
    say: "Nobody is free right now. What message should I pass on?"
    transitions:
      - {event: utterance, to: bye}
      - {fallback: true, to: bye}
  bye: {say: "Thanks, goodbye.", end: true, outcome: message_taken}
"""


WARM_ONLY = "'{}' is for mode: warm (a cold transfer hands over at once)"


def _start(text: str = WARM) -> tuple[Engine, object, list[object]]:
    engine = Engine(compile_scenario(load_text(textwrap.dedent(text), "s.yaml").scenario))
    call, actions = engine.start(CallContext(call_id="c1", direction="outbound"))
    return engine, call, actions


def _warm(engine: Engine, call: object) -> WarmTransfer:
    actions = engine.handle(call, Utterance("my name is anna"))  # type: ignore[arg-type]
    [warm] = [a for a in actions if isinstance(a, WarmTransfer)]
    assert not any(isinstance(a, CallFinished) for a in actions), "a warm transfer does not end the call"
    return warm


def test_warm_transfer_briefs_with_the_slots_so_far_and_waits() -> None:
    engine, call, _ = _start()
    warm = _warm(engine, call)
    assert (warm.to, warm.timeout, warm.hold_audio) == ("+4930123456", 20.0, "music")
    assert warm.brief.startswith("Anna wants to talk about a booking. Details: name: Anna.")
    assert "press 1" in warm.brief


def test_connected_ends_the_call_as_transferred_with_who_took_it() -> None:
    engine, call, _ = _start()
    _warm(engine, call)
    actions = engine.handle(call, TransferResult("connected", agent="sip-agent-1"))  # type: ignore[arg-type]
    [finished] = [a for a in actions if isinstance(a, CallFinished)]
    assert (finished.outcome, finished.end_reason) == ("transferred", "transferred")
    assert finished.transfer == {
        "mode": "warm",
        "to": "+4930123456",
        "result": "connected",
        "agent": "sip-agent-1",
    }


def test_no_answer_brings_the_caller_back_to_take_a_message() -> None:
    engine, call, _ = _start()
    _warm(engine, call)
    back = engine.handle(call, TransferResult("no_answer"))  # type: ignore[arg-type]
    assert [a.text for a in back if isinstance(a, Say)] == [
        "Nobody is free right now. What message should I pass on?"
    ]
    assert call.state == "take_message"  # type: ignore[attr-defined]
    engine.handle(call, Utterance("please call me back tomorrow"))  # type: ignore[arg-type]
    end = engine.handle(call, Hangup())  # type: ignore[arg-type]
    finished = next(a for a in end if isinstance(a, CallFinished)) if end else None
    assert call.ended  # type: ignore[attr-defined]
    del finished


def test_the_outcome_of_a_declined_transfer_reports_the_result() -> None:
    engine, call, _ = _start()
    _warm(engine, call)
    engine.handle(call, TransferResult("declined"))  # type: ignore[arg-type]
    actions = engine.handle(call, Utterance("tell them I called"))  # type: ignore[arg-type]
    [finished] = [a for a in actions if isinstance(a, CallFinished)]
    assert finished.outcome == "message_taken"
    assert finished.transfer is not None and finished.transfer["result"] == "declined"


def test_a_late_second_result_is_ignored() -> None:
    engine, call, _ = _start()
    _warm(engine, call)
    engine.handle(call, TransferResult("busy"))  # type: ignore[arg-type]
    assert engine.handle(call, TransferResult("connected", agent="x")) == []  # type: ignore[arg-type]
    assert call.state == "take_message" and not call.ended  # type: ignore[attr-defined]


def test_a_bare_number_is_still_a_cold_transfer() -> None:
    cold = WARM.replace(
        """    transfer: {mode: warm, to: "+4930123456", brief: "{name} wants to talk about a booking.",
               timeout: 20, fallback: take_message}""",
        '    transfer: "+4930123456"',
    ).replace("      - {fallback: true, to: handover}", "      - {fallback: true, to: take_message}")
    engine, call, _ = _start(cold)
    actions = engine.handle(call, Utterance("my name is anna"))  # type: ignore[arg-type]
    assert Transfer("+4930123456") in actions
    [finished] = [a for a in actions if isinstance(a, CallFinished)]
    assert finished.end_reason == "transferred" and finished.transfer is not None
    assert finished.transfer["mode"] == "cold"


def test_voicemail_message_and_outcome() -> None:
    engine, call, _ = _start()
    turn = Turn(call, engine.compiled, engine._clock())  # type: ignore[arg-type]
    assert voicemail_message(turn) == "Hello, this is Salon. Please call us back."
    actions = engine.handle(call, Hangup("voicemail"))  # type: ignore[arg-type]
    [finished] = [a for a in actions if isinstance(a, CallFinished)]
    assert (finished.outcome, finished.rule, finished.end_reason) == (
        "voicemail",
        "end:voicemail",
        "voicemail",
    )


def test_the_graph_shows_the_fallback_edge() -> None:
    graph = mermaid(load_text(textwrap.dedent(WARM), "s.yaml").scenario)
    assert "handover --> take_message : nobody answered" in graph
    assert "warm transfer +4930123456" in graph


def test_static_checks_point_at_the_transfer() -> None:
    no_fallback = WARM.replace(", fallback: take_message}", "}").replace(
        "      - {fallback: true, to: bye}\n  bye", "      - {fallback: true, to: bye}\n  bye"
    )
    assert any(
        p.startswith("s.yaml:") and "a warm transfer needs 'fallback'" in p for p in problems(no_fallback)
    )
    unknown = WARM.replace("fallback: take_message}", "fallback: take_mesage}")
    assert "states.handover.transfer.fallback: unknown state 'take_mesage'" in "\n".join(problems(unknown))
    bad_brief = WARM.replace("{name} wants", "{nme} wants")
    assert problems(bad_brief) == [
        "s.yaml:14:55: states.handover.transfer.brief: unknown placeholder '{nme}' (did you mean '{name}'?)"
    ]
    bad_vm = WARM.replace("Please call us back.", "Call {bot}.")
    assert any(p.startswith("s.yaml:4:") and "bot" in p for p in problems(bad_vm)), problems(bad_vm)
    cold_with_brief = WARM.replace("mode: warm, ", "")
    assert problems(cold_with_brief)[1:3] == [
        "s.yaml:14:42: states.handover.transfer.brief: " + WARM_ONLY.format("brief"),
        "s.yaml:15:39: states.handover.transfer.fallback: " + WARM_ONLY.format("fallback"),
    ]
