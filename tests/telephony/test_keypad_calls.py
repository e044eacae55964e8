"""Keypad calls end to end: a bot deployed in Postgres answers through the worker's RoomLine over a real
``rtc.Room`` fed SIP DTMF packets (tests.fakes.FakeRoom); keys reach the engine, typed slots land in
Postgres with method ``dtmf``, ``send_dtmf`` keys are published to the room with their RFC 4733 codes,
and each state's end-of-turn timing is applied to the running AgentSession."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes import FakeLiveKitServer, FakeRoom
from voicebot.scenario import load_text
from voicebot.settings import Settings
from voicebot.storage import Database, Journal, PostgresSink, Recorder
from voicebot.telephony.answer import CallServices, answer_call
from voicebot.telephony.session import text_session

from .lines import KeypadLine

BANK_NUMBER = "+14155550142"

BANK = """
version: 1
bot: {id: bank, name: River Bank, language: en, region: GB, greeting: "River Bank."}
slots:
  account: {type: text, input: [speech, dtmf], digits: 8, prompt: "Type your account number."}
  pin: {type: number, input: [dtmf], digits: {min: 4, max: 6}, prompt: "Now your PIN and the hash key."}
  ok: {type: yes_no, prompt: "Shall I read your balance?"}
start: main
states:
  main:
    say: "Main menu."
    menu:
      options:
        - {key: "1", label: balances, to: balance}
        - {key: "9", label: the card line, to: cards}
    transitions:
      - {fallback: true, to: cards}
  balance:
    collect: [account, pin, ok]
    transitions:
      - {when: "ok", to: terms}
      - {fallback: true, to: cards}
  terms:
    say: "Balances are indicative and do not include pending card payments."
    barge_in: false
    next: done
  done: {say: "Your balance is 100 pounds. Goodbye.", end: true, outcome: balance_read}
  cards: {say: "Transferring you to the card line.", send_dtmf: "2w#", end: true, outcome: card_line}
"""


@pytest.fixture
async def bank(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Database, Recorder, uuid.UUID]]:
    db = await Database.open(Settings(database_url=database_url, data_dir=tmp_path), min_size=1, max_size=2)
    company = await db.companies.create("River Bank")
    deployed = await db.bots.deploy(company.company.id, BANK_NUMBER, load_text(BANK, "bank.yaml"))
    recorder = Recorder(sink=PostgresSink(db.pool), journal=Journal(tmp_path / "journal"))
    await recorder.start()
    try:
        yield db, recorder, deployed.bot_id
    finally:
        await recorder.aclose()
        await db.close()


def services(db: Database, recorder: Recorder) -> CallServices:
    return CallServices(
        bots=db.bots,
        record=recorder.record,
        new_session=lambda _p, _l: text_session(),
        flush=recorder.flush,
        no_input_timer=False,
    )


async def test_menu_key_typed_slots_and_live_turn_taking(
    bank: tuple[Database, Recorder, uuid.UUID], fake_livekit: FakeLiveKitServer
) -> None:
    db, recorder, _ = bank
    room = FakeRoom("call-bank")
    async with fake_livekit.api() as client:
        line = KeypadLine(client, room, dialed=BANK_NUMBER)
        call = asyncio.create_task(answer_call(line, services(db, recorder)))
        await asyncio.wait_for(line.started.wait(), 10)
        assert line.session is not None
        endpointing = line.session.options.endpointing
        assert "For balances, press 1. For the card line, press 9." in line.heard[0]
        assert endpointing["min_delay"] == 0.3  # menu: short

        assert await line.press("1") == ["Type your account number."]
        assert (endpointing["min_delay"], endpointing["max_delay"]) == (1.8, 6.0)  # digits

        room.join_sip("agent_desk")
        room.press("agent_desk", "5")  # another party of the room, not the caller: ignored
        assert await line.press("1234567", replies=0, timeout=0.3) == []
        assert await line.press("8") == ["Now your PIN and the hash key."]
        assert await line.press("4321#") == ["Shall I read your balance?"]
        assert (endpointing["min_delay"], endpointing["max_delay"]) == (0.3, 1.5)  # yes_no: short

        heard = await line.say("yes")
        assert heard[0].startswith("Balances are indicative")
        outcome = await asyncio.wait_for(call, 10)

    assert outcome.call_id is not None
    slots = {s.name: s for s in await db.calls.slots(outcome.call_id)}
    assert slots["account"].value == "12345678" and slots["account"].method == "dtmf"
    assert slots["pin"].value == 4321 and slots["pin"].method == "dtmf"
    transitions = await db.calls.transitions(outcome.call_id)
    assert transitions[1].trigger_type == "menu" and transitions[1].trigger_data == {"key": "1", "by": "dtmf"}
    assert (await db.calls.get(outcome.call_id)).status == "completed"


async def test_send_dtmf_publishes_keys_with_their_codes_and_a_failure_does_not_end_the_call_badly(
    bank: tuple[Database, Recorder, uuid.UUID], fake_livekit: FakeLiveKitServer
) -> None:
    db, recorder, _ = bank
    room = FakeRoom("call-cards")
    async with fake_livekit.api() as client:
        line = KeypadLine(client, room, dialed=BANK_NUMBER)
        call = asyncio.create_task(answer_call(line, services(db, recorder)))
        await asyncio.wait_for(line.started.wait(), 10)
        started = asyncio.get_running_loop().time()
        await line.press("9")
        for _ in range(100):
            if len(room.local.published) == 2:
                break
            await asyncio.sleep(0.05)
        outcome = await asyncio.wait_for(call, 10)
    assert [(p.code, p.digit) for p in room.local.published] == [(2, "2"), (11, "#")]
    gap = room.local.published[1].at - room.local.published[0].at
    assert gap >= 0.75  # key gap 0.3 s + the 'w' wait 0.5 s
    assert asyncio.get_running_loop().time() - started < 10
    assert outcome.call_id is not None
    assert (await db.calls.get(outcome.call_id)).status == "completed"

    room = FakeRoom("call-cards-2")
    room.local.fail_next()
    async with fake_livekit.api() as client:
        line = KeypadLine(client, room, dialed=BANK_NUMBER)
        call = asyncio.create_task(answer_call(line, services(db, recorder)))
        await asyncio.wait_for(line.started.wait(), 10)
        await line.press("9")
        outcome = await asyncio.wait_for(call, 10)
    assert room.local.published == []
    assert outcome.call_id is not None
    errors = await db.pool.fetch("SELECT error_type FROM error_logs WHERE call_id = $1", outcome.call_id)
    assert [e["error_type"] for e in errors] == ["dtmf_send"]
