"""The dialogue engine, events in and actions out, on small inline scenarios."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from voicebot.dialogue import (
    CallContext,
    CallFinished,
    Conversation,
    Dtmf,
    EndCall,
    Engine,
    GenerateReply,
    Hangup,
    Listen,
    LookupKnowledge,
    NoInput,
    Passage,
    RecordSlot,
    RecordTransition,
    Say,
    Transfer,
    Understand,
    Utterance,
    compile_scenario,
)
from voicebot.dialogue.fakes import KeywordRetriever, ScriptedLLM
from voicebot.scenario import load_text

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))

BASE = """
version: 1
bot: {id: t, name: Test Bot, language: en, greeting: "Hello from {bot_name}."}
settings: {max_retries: 1, max_no_input: 1}
slots:
  day: {type: date, not_in_past: true, prompt: "Which day?"}
  hour: {type: time, earliest: "09:00", latest: "17:00", prompt: "What time?",
         invalid: "We are closed at {value}."}
  phone: {type: phone, default_from: caller_number, prompt: "Your number?"}
  email: {type: email, confirm: true, prompt: "Your email?"}
intents:
  book: {examples: [book a table, make a booking], patterns: ['\\breserve\\b']}
  faq: {examples: [I have a question]}
global:
  - {intent: repeat, do: repeat}
  - {intent: help, do: say, say: "I book tables."}
  - {intent: human, to: agent}
start: menu
states:
  menu:
    say: "How can I help?"
    transitions:
      - {dtmf: "1", to: collect}
      - {intent: book, to: collect, say: "Great."}
      - {intent: faq, to: answer}
      - {fallback: true, to: agent}
  collect:
    collect: [day, hour]
    transitions:
      - {when: "filled('day') and filled('hour')", to: contact}
      - {event: no_input, to: agent}
      - {fallback: true, to: agent}
  contact:
    collect: [email]
    transitions:
      - {when: "filled('email')", to: done}
      - {fallback: true, to: agent}
  answer:
    knowledge: {min_score: 0.3}
    return: true
    transitions:
      - {event: no_answer, to: agent}
  agent: {say: "Connecting you.", transfer: "+15550001111", outcome: support}
  done: {say: "Booked for {day} at {hour}.", end: true, outcome: booking}
outcomes:
  - {outcome: lead, when: "filled('day')"}
"""


def make_engine(source: str = BASE, **kwargs: object) -> Engine:
    return Engine(compile_scenario(load_text(source, "t.yaml").scenario), clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]


def said(actions: list[object]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def start(engine: Engine, caller: str = "+12125550123") -> tuple[object, list[object]]:
    return engine.start(CallContext(call_id="c1", caller_number=caller))


def test_greeting_then_start_state_then_listen() -> None:
    call, actions = start(make_engine())
    assert said(actions) == "Hello from Test Bot. How can I help?"
    assert isinstance(actions[-1], Listen)
    assert call.state == "menu"  # type: ignore[attr-defined]


def test_caller_number_prefills_phone_slot() -> None:
    call, actions = start(make_engine())
    assert call.slots["phone"] == "+12125550123"  # type: ignore[attr-defined]
    assert any(isinstance(a, RecordSlot) and a.name == "phone" and a.method == "call" for a in actions)


def test_intent_transition_says_its_line_and_asks_first_missing_slot() -> None:
    engine = make_engine()
    call, _ = start(engine)
    actions = engine.handle(call, Utterance("I'd like to book a table"))  # type: ignore[arg-type]
    assert said(actions) == "Great. Which day?"
    assert [(a.source, a.dest, a.trigger) for a in actions if isinstance(a, RecordTransition)] == [
        ("menu", "collect", "intent")
    ]


def test_one_utterance_fills_several_slots_and_condition_moves_on() -> None:
    engine = make_engine()
    call, _ = start(engine)
    actions = engine.handle(call, Utterance("reserve tomorrow at 10 am"))  # type: ignore[arg-type]
    assert call.state == "contact"  # type: ignore[attr-defined]
    assert "Your email?" in said(actions)
    assert str(call.slots["day"]) == "2026-11-24"  # type: ignore[attr-defined]


def test_invalid_value_is_rejected_with_scenario_message_and_recorded_unvalidated() -> None:
    engine = make_engine()
    call, _ = start(engine)
    engine.handle(call, Utterance("book a table tomorrow"))  # type: ignore[arg-type]
    actions = engine.handle(call, Utterance("at 8 pm"))  # type: ignore[arg-type]
    assert "We are closed at 8 PM" in said(actions)
    assert "hour" not in call.slots  # type: ignore[attr-defined]
    assert any(isinstance(a, RecordSlot) and a.name == "hour" and not a.validated for a in actions)


def test_read_back_confirmation_yes_keeps_value_no_asks_again() -> None:
    engine = make_engine()
    call, _ = start(engine)
    engine.handle(call, Utterance("book a table tomorrow at 10 am"))  # type: ignore[arg-type]
    actions = engine.handle(call, Utterance("anna at example dot com"))  # type: ignore[arg-type]
    assert "anna at example dot com" in said(actions) and "right" in said(actions)
    assert "email" not in call.slots  # type: ignore[attr-defined]
    actions = engine.handle(call, Utterance("no"))  # type: ignore[arg-type]
    assert said(actions) == "Your email?"
    engine.handle(call, Utterance("bob@example.org"))  # type: ignore[arg-type]
    actions = engine.handle(call, Utterance("yes"))  # type: ignore[arg-type]
    assert call.slots["email"] == "bob@example.org"  # type: ignore[attr-defined]
    assert isinstance(actions[-1], CallFinished) and actions[-1].outcome == "booking"
    assert any(isinstance(a, EndCall) for a in actions)


def test_correction_overwrites_a_filled_slot() -> None:
    engine = make_engine()
    call, _ = start(engine)
    engine.handle(call, Utterance("book a table tomorrow"))  # type: ignore[arg-type]
    actions = engine.handle(call, Utterance("no, I said Wednesday"))  # type: ignore[arg-type]
    assert str(call.slots["day"]) == "2026-11-25"  # type: ignore[attr-defined]
    assert "Got it" in said(actions) and "What time?" in said(actions)


def test_value_for_filled_slot_without_cue_is_ignored() -> None:
    engine = make_engine()
    call, _ = start(engine)
    engine.handle(call, Utterance("book a table tomorrow"))  # type: ignore[arg-type]
    engine.handle(call, Utterance("Wednesday"))  # type: ignore[arg-type]
    assert str(call.slots["day"]) == "2026-11-24"  # type: ignore[attr-defined]


def test_dtmf_transition() -> None:
    engine = make_engine()
    call, _ = start(engine)
    actions = engine.handle(call, Dtmf("1"))  # type: ignore[arg-type]
    assert call.state == "collect" and said(actions) == "Which day?"  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["", "   ", "???", "asdfgh qwerty", "x" * 5000])
def test_garbage_is_reprompted_then_fallback(text: str) -> None:
    engine = make_engine()
    call, _ = start(engine)
    first = engine.handle(call, Utterance(text))  # type: ignore[arg-type]
    assert "didn't catch" in said(first) and "How can I help?" in said(first)
    second = engine.handle(call, Utterance(text))  # type: ignore[arg-type]
    assert any(isinstance(a, Transfer) for a in second)
    assert next(a for a in second if isinstance(a, RecordTransition)).trigger == "fallback"


def test_no_input_event_transition_wins_over_reprompt() -> None:
    engine = make_engine()
    call, _ = start(engine)
    engine.handle(call, Dtmf("1"))  # type: ignore[arg-type]
    actions = engine.handle(call, NoInput())  # type: ignore[arg-type]
    assert call.state == "agent" and any(isinstance(a, Transfer) for a in actions)  # type: ignore[attr-defined]


def test_no_input_without_transition_reprompts_then_ends_politely() -> None:
    engine = make_engine()
    call, _ = start(engine)
    first = engine.handle(call, NoInput())  # type: ignore[arg-type]
    assert said(first) == "Are you still there? How can I help?"
    second = engine.handle(call, NoInput())  # type: ignore[arg-type]
    finished = second[-1]
    assert isinstance(finished, CallFinished) and finished.end_reason == "no_input"
    assert engine.handle(call, Utterance("hello?")) == []  # type: ignore[arg-type]


def test_repeat_and_help_from_a_collecting_state() -> None:
    engine = make_engine()
    call, _ = start(engine)
    engine.handle(call, Utterance("book a table"))  # type: ignore[arg-type]
    assert said(engine.handle(call, Utterance("repeat that"))) == "Great. Which day?"  # type: ignore[arg-type]
    assert said(engine.handle(call, Utterance("help"))) == "I book tables. Which day?"  # type: ignore[arg-type]


def test_hangup_decides_outcome_by_rules() -> None:
    engine = make_engine()
    call, _ = start(engine)
    engine.handle(call, Utterance("book a table tomorrow"))  # type: ignore[arg-type]
    actions = engine.handle(call, Hangup())  # type: ignore[arg-type]
    finished = actions[-1]
    assert isinstance(finished, CallFinished)
    assert (finished.outcome, finished.end_reason) == ("lead", "caller_hangup")
    assert finished.rule.startswith("rule[0]")


def test_hangup_with_no_rule_matching_gets_default_outcome() -> None:
    engine = make_engine()
    call, _ = start(engine)
    finished = engine.handle(call, Hangup())[-1]  # type: ignore[arg-type]
    assert isinstance(finished, CallFinished) and finished.outcome == "hangup" and finished.confidence < 1


def test_calls_share_one_machine_and_attach_no_models() -> None:
    engine = make_engine()
    machine = engine.compiled.machine
    calls = [start(engine)[0] for _ in range(50)]
    for call in calls:
        engine.handle(call, Utterance("book a table"))  # type: ignore[arg-type]
    assert engine.compiled.machine is machine
    assert machine.models == []
    assert {c.state for c in calls} == {"collect"}  # type: ignore[attr-defined]


async def test_knowledge_answer_then_return_to_where_the_call_was() -> None:
    engine = make_engine()
    retriever = KeywordRetriever(
        {"t": [Passage("c1", "d1", "We are open from nine to five every weekday.", 0, "faq.md")]}
    )
    convo = Conversation(engine, CallContext(), bot_id="t", retriever=retriever)
    await convo.start()
    result = await convo.send(Utterance("I have a question: when are you open on weekdays?"))
    texts = [a.text for a in result.actions if isinstance(a, Say)]
    assert texts == ["We are open from nine to five every weekday.", "How can I help?"]
    assert result.chunks == ["c1"]
    assert convo.call.state == "menu"


async def test_knowledge_is_scoped_to_the_bot() -> None:
    engine = make_engine()
    retriever = KeywordRetriever({"other-bot": [Passage("c9", "d9", "We are open from nine to five.", 0)]})
    convo = Conversation(engine, CallContext(), bot_id="t", retriever=retriever)
    await convo.start()
    result = await convo.send(Utterance("I have a question: when are you open?"))
    assert any(isinstance(a, Transfer) for a in result.actions)  # no_answer -> agent


LLM_STATE = """
version: 1
bot: {id: l, name: L, language: en, greeting: "Hi."}
slots:
  size: {type: enum, values: [small, large], prompt: "Small or large?"}
intents:
  order: {examples: [I want to order]}
start: chat
states:
  chat:
    llm: {instructions: "Chat about pizza.", max_turns: 2, offline_reply: "Let's talk pizza."}
    transitions:
      - {intent: order, to: pick}
      - {event: retries_exhausted, to: bye}
      - {fallback: true, to: bye}
  pick:
    collect: [size]
    transitions:
      - {when: "filled('size')", to: bye}
      - {fallback: true, to: bye}
  bye: {say: "Bye.", end: true, outcome: done}
"""


async def test_llm_state_replies_through_llm_and_template_states_never_call_it() -> None:
    llm = ScriptedLLM(replies=["Pepperoni is our favourite."])
    engine = make_engine(LLM_STATE, llm_enabled=True)
    convo = Conversation(engine, CallContext(), bot_id="l", llm=llm)
    await convo.start()
    reply = await convo.send(Utterance("what do you recommend"))
    assert [a.text for a in reply.actions if isinstance(a, Say)] == ["Pepperoni is our favourite."]
    assert [kind for kind, _ in llm.requests] == ["reply"]
    await convo.send(Utterance("I want to order"))
    await convo.send(Utterance("large"))
    assert [kind for kind, _ in llm.requests] == ["reply"]  # template states: no LLM call


def test_llm_state_without_llm_says_offline_reply() -> None:
    engine = make_engine(LLM_STATE)
    call, _ = start(engine)
    actions = engine.handle(call, Utterance("what do you recommend"))  # type: ignore[arg-type]
    assert said(actions) == "Let's talk pizza."
    assert not any(isinstance(a, GenerateReply) for a in actions)


async def test_llm_proposals_are_validated_by_the_engine() -> None:
    llm = ScriptedLLM(slots={"gigantic": {"size": "gigantic"}, "biggest": {"size": "large"}})
    engine = make_engine(LLM_STATE, llm_enabled=True)
    convo = Conversation(engine, CallContext(), bot_id="l", llm=llm)
    await convo.start()
    await convo.send(Utterance("I want to order"))
    await convo.send(Utterance("the gigantic one"))
    assert "size" not in convo.call.slots  # not an allowed value: rejected
    await convo.send(Utterance("your biggest one"))
    assert convo.call.slots["size"] == "large"


def test_understand_is_only_requested_when_llm_enabled() -> None:
    engine = make_engine(LLM_STATE)
    call, _ = start(engine)
    engine.handle(call, Utterance("I want to order"))  # type: ignore[arg-type]
    actions = engine.handle(call, Utterance("hmm the biggest one"))  # type: ignore[arg-type]
    assert not any(isinstance(a, Understand) for a in actions)
    assert "didn't catch" in said(actions)


LOOP = """
version: 1
bot: {id: loop, name: L, language: en, greeting: "Hi."}
start: a
states:
  a:
    transitions:
      - {when: "true", to: b}
      - {fallback: true, to: b}
  b:
    transitions:
      - {when: "true", to: a}
      - {fallback: true, to: a}
"""


def test_condition_loop_stops_and_listens_instead_of_hanging() -> None:
    engine = make_engine(LOOP)
    _call, actions = start(engine)
    assert isinstance(actions[-1], Listen)
    assert sum(isinstance(a, RecordTransition) for a in actions) <= 40


def test_knowledge_lookup_action_carries_the_question() -> None:
    engine = make_engine()
    call, _ = start(engine)
    actions = engine.handle(call, Utterance("I have a question about parking"))  # type: ignore[arg-type]
    lookups = [a for a in actions if isinstance(a, LookupKnowledge)]
    assert lookups and lookups[0].query == "I have a question about parking"


def test_an_error_end_is_the_outcome_even_when_a_catch_all_rule_exists() -> None:
    source = BASE.replace(
        "outcomes:\n  - {outcome: lead, when: \"filled('day')\"}",
        'outcomes:\n  - {outcome: hangup, when: "true"}',
    )
    engine = make_engine(source)
    call, _ = start(engine)
    finished = engine.handle(call, Hangup(reason="error"))[-1]  # type: ignore[arg-type]
    assert isinstance(finished, CallFinished)
    assert (finished.outcome, finished.rule, finished.end_reason) == ("error", "end:error", "error")
    call, _ = start(engine)
    assert engine.handle(call, Hangup())[-1].outcome == "hangup"  # type: ignore[arg-type,union-attr]


def test_an_outcome_set_by_a_state_survives_a_later_error() -> None:
    from voicebot.dialogue.outcome import decide_outcome

    engine = make_engine()
    call, _ = start(engine)
    call.outcome = "booking"  # type: ignore[attr-defined]  # as a state's `outcome:` sets it
    decision = decide_outcome(engine.compiled, call, "error")  # type: ignore[arg-type]
    assert (decision.outcome, decision.rule) == ("booking", "state:menu")
