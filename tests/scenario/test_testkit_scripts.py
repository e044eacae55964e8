"""Scenario tests can script the LLM's replies and the knowledge results, and assert on them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from voicebot.testkit.runner import run_test_file

BOT = """
bot: {id: t, name: T, language: en, greeting: "Hello."}
intents:
  chat: {examples: [let's chat, tell me something]}
  faq: {examples: [I have a question, question about prices]}
start: menu
states:
  menu:
    say: "How can I help?"
    transitions:
      - {intent: chat, to: talk}
      - {intent: faq, to: answer}
      - {fallback: true, to: bye}
  talk:
    llm: {instructions: "Chat briefly.", offline_reply: "I can only book tables."}
    transitions:
      - {intent: no, to: bye}
      - {fallback: true, to: talk}
  answer:
    knowledge: {min_score: 0.3}
    transitions:
      - {event: no_answer, to: bye}
      - {fallback: true, to: bye}
    return: true
  bye: {say: "Goodbye.", end: true, outcome: done}
"""

TESTS = """
scenario: bot.yaml
tests:
  - name: the scripted LLM answers in the LLM state
    llm: ["Sure, the weather is lovely today."]
    steps:
      - caller: "let's chat"
        expect: {llm: true, say: "weather is lovely", state: talk}
  - name: offline, the LLM state says its offline reply
    steps:
      - caller: "let's chat"
        expect: {llm: false, say: "I can only book tables"}
  - name: a scripted knowledge result is the answer
    knowledge_results: ["A haircut costs 30 pounds."]
    steps:
      - caller: "I have a question about prices"
        expect: {knowledge: true, say: "30 pounds"}
  - name: an empty knowledge result is no answer
    knowledge_results: [""]
    steps:
      - caller: "I have a question about prices"
        expect: {knowledge: false, say: "Goodbye", ended: true}
  - name: a wrong expectation fails
    llm: ["Hi."]
    steps:
      - caller: "let's chat"
        expect: {llm: false}
"""


def test_llm_and_knowledge_scripts(tmp_path: Path) -> None:
    (tmp_path / "bot.yaml").write_text(BOT, encoding="utf-8")
    (tmp_path / "bot.test.yaml").write_text(TESTS, encoding="utf-8")
    result = asyncio.run(run_test_file(tmp_path / "bot.test.yaml"))
    failures = {case.name: case.failures for case in result.cases}
    assert failures == {
        "the scripted LLM answers in the LLM state": [],
        "offline, the LLM state says its offline reply": [],
        "a scripted knowledge result is the answer": [],
        "an empty knowledge result is no answer": [],
        "a wrong expectation fails": ['step 1 (caller: "let\'s chat"): expected no LLM reply'],
    }
    assert "talk" in result.visited and "answer" in result.visited  # coverage counts both


ACTION_BOT = """
bot: {id: a, name: A, language: en, greeting: "Hello."}
slots:
  status: {type: enum, values: [open, closed]}
actions:
  check: {method: GET, url: "https://x.example.com/status", result: {status: state}, filler: "One moment."}
start: look
states:
  look:
    action: {run: check, ok: told, error: sorry}
  told: {say: "We are {status}.", end: true, outcome: told}
  sorry: {say: "I can't check right now.", end: true, outcome: callback}
"""

ACTION_TESTS = """
scenario: bot.yaml
tests:
  - name: success
    actions: {check: [{data: {state: open}}]}
    steps:
      - expect: {action: check, filler: false, say: "We are open"}
    outcome: told
  - name: slow
    actions: {check: [{data: {state: closed}, latency_ms: 2000}]}
    steps:
      - expect: {filler: true, say: ["One moment", "We are closed"]}
  - name: failure and timeout take the error branch
    actions: {check: [{status: timeout}]}
    steps:
      - expect: {say: "can't check"}
    outcome: callback
  - name: unscripted
    steps:
      - expect: {say: "can't check"}
"""


def test_action_scripts(tmp_path: Path) -> None:
    (tmp_path / "bot.yaml").write_text(ACTION_BOT, encoding="utf-8")
    (tmp_path / "bot.test.yaml").write_text(ACTION_TESTS, encoding="utf-8")
    result = asyncio.run(run_test_file(tmp_path / "bot.test.yaml"))
    failures = {case.name: case.failures for case in result.cases}
    assert failures == {
        "success": [],
        "slow": [],
        "failure and timeout take the error branch": [],
        "unscripted": [
            "action 'check' ran without a scripted answer (add actions: {check: [...]} to the case)"
        ],
    }


WARM_TESTS = """
scenario: bot.yaml
tests:
  - name: the person takes the call
    outcome: transferred
    end_reason: transferred
    steps:
      - caller: "my name is Anna"
        expect: {transfer: "+4930123456", say: "put you through", ended: false}
      - transfer_result: connected
        expect: {ended: true}
  - name: busy, the caller leaves a message
    outcome: message_taken
    steps:
      - caller: "my name is Anna"
      - caller: "hello? still there?"
        expect: {say: [], state: handover}
      - transfer_result: busy
        expect: {state: take_message, say: "What message should I pass on?"}
      - caller: "call me back"
"""


def test_scenario_tests_can_script_how_a_warm_transfer_ends(tmp_path: Path) -> None:
    from tests.dialogue.test_warm_transfer import WARM

    (tmp_path / "bot.yaml").write_text(WARM, encoding="utf-8")
    (tmp_path / "bot.test.yaml").write_text(WARM_TESTS, encoding="utf-8")
    result = asyncio.run(run_test_file(tmp_path / "bot.test.yaml"))
    assert [(c.name, c.failures) for c in result.cases if c.failures] == []
    assert result.passed == 2
