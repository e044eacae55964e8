"""The action step, engine only: RunAction out (rendered, secrets left for the runner), ActionDone in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from voicebot.dialogue import (
    ActionDone,
    CallContext,
    Engine,
    RecordSlot,
    RunAction,
    Say,
    Utterance,
    compile_scenario,
)
from voicebot.dialogue.action_step import fill_secrets, mask_secrets
from voicebot.dialogue.state import CallState
from voicebot.scenario import load_text

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))

SCENARIO = """
bot: {id: support, name: S, language: en, greeting: "Hello."}
slots:
  account_number: {type: text, prompt: "Your account number?"}
  account_status: {type: enum, values: [active, suspended], prompt: "?"}
  balance: {type: number, prompt: "?"}
actions:
  lookup:
    method: POST
    url: "https://crm.example.com/accounts/{account_number}?caller={caller_number}"
    headers: {authorization: "Bearer {secret.crm_token}"}
    secrets: [crm_token]
    body: {account: "{account_number}", note: "call {call_id}"}
    result: {account_status: status, balance: billing.balance}
    filler: "One moment."
start: ask
states:
  ask:
    collect: [account_number]
    transitions:
      - {when: "filled('account_number')", to: look}
      - {fallback: true, to: sorry}
  look:
    say: "Let me check."
    action:
      run: lookup
      branches:
        - {when: "account_status == 'suspended'", to: suspended}
      ok: found
      error: sorry
  found: {say: "Your balance is {balance}.", end: true, outcome: found}
  suspended: {say: "Your account is suspended.", end: true, outcome: suspended}
  sorry: {say: "I can't reach the system; we'll call you back.", end: true, outcome: callback}
"""


def _engine() -> Engine:
    return Engine(compile_scenario(load_text(SCENARIO, "s.yaml").scenario), clock=lambda: NOW)


def _start(caller_text: str) -> tuple[Engine, CallState, RunAction]:
    engine = _engine()
    call, _ = engine.start(CallContext(call_id="c-1", caller_number="+15550001111"))
    actions = engine.handle(call, Utterance(caller_text))
    runs = [a for a in actions if isinstance(a, RunAction)]
    assert [a.text for a in actions if isinstance(a, Say)] == ["Let me check."]
    assert len(runs) == 1
    return engine, call, runs[0]


def test_entering_an_action_state_emits_a_rendered_run_action_and_waits() -> None:
    _, call, run = _start("it is A{secret.crm_token}/7")
    assert run.kind == "http" and run.method == "POST" and run.filler == "One moment."
    # The caller's words are escaped (and percent-encoded in the URL): they can never name a secret.
    assert (
        run.url == "https://crm.example.com/accounts/" + "A%7Bsecret.crm_token%7D%2F7?caller=%2B15550001111"
    )
    assert fill_secrets(run.headers, {"crm_token": "s3cr3t"}) == {"authorization": "Bearer s3cr3t"}
    assert mask_secrets(run.headers) == {"authorization": "Bearer ***"}
    body = fill_secrets(run.body, {"crm_token": "s3cr3t"})
    assert body == {"account": "A{secret.crm_token}/7", "note": "call c-1"}
    assert run.idempotency_key == "c-1:lookup:1"
    assert call.pending_action == "lookup"


def test_ok_maps_the_response_into_slots_and_takes_the_default_branch() -> None:
    engine, call, _ = _start("account 12345")
    actions = engine.handle(
        call,
        ActionDone("lookup", "ok", {"status": "active", "billing": {"balance": 42}}),
    )
    assert [a.text for a in actions if isinstance(a, Say)] == ["Your balance is 42."]
    mapped = {a.name: a.value for a in actions if isinstance(a, RecordSlot) and a.method == "action"}
    assert mapped == {"account_status": "active", "balance": 42}


def test_a_branch_condition_over_the_mapped_result_wins_over_ok() -> None:
    engine, call, _ = _start("account 12345")
    actions = engine.handle(call, ActionDone("lookup", "ok", {"status": "suspended"}))
    assert [a.text for a in actions if isinstance(a, Say)] == ["Your account is suspended."]


def test_error_and_timeout_take_the_failure_branch_with_its_graceful_line() -> None:
    for status in ("error", "timeout"):
        engine, call, _ = _start("account 12345")
        actions = engine.handle(call, ActionDone("lookup", status, error="HTTP 503"))
        assert [a.text for a in actions if isinstance(a, Say)] == [
            "I can't reach the system; we'll call you back."
        ]
        assert call.outcome == "callback"


def test_a_value_that_does_not_fit_the_slot_type_is_skipped_not_fatal() -> None:
    engine, call, _ = _start("account 12345")
    actions = engine.handle(
        call,
        ActionDone("lookup", "ok", {"status": "closed", "billing": {"balance": "x"}}),
    )
    assert "account_status" not in call.slots and "balance" not in call.slots
    assert [a.text for a in actions if isinstance(a, Say)] == ["Your balance is ."]
