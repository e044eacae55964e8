"""The support bot's account lookup in a whole call: answer_call, the real bridge and AgentSession (text
mode), the real HTTP runner against the company's API on loopback, the recorder writing to a real
Postgres. Every failure mode takes its declared branch and lands in call_actions, secrets never do."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeCompanyApi, FakeLiveKitServer
from tests.telephony.lines import TextLine
from voicebot.outcomes import HostPolicy, verify
from voicebot.runtime_actions import build_action_registry
from voicebot.scenario import load_text
from voicebot.settings import Settings
from voicebot.storage import Database, Journal, PostgresSink, Recorder
from voicebot.telephony.answer import CallServices, answer_call
from voicebot.telephony.session import text_session

SUPPORT = Path(__file__).resolve().parents[2] / "scenarios" / "support.yaml"
NUMBER = "+14155550123"
TOKEN = "nimbus-token-do-not-log"
CANT_REACH = "can't reach the account system"


@dataclass
class Support:
    db: Database
    recorder: Recorder
    api: FakeCompanyApi
    services: CallServices
    company_id: uuid.UUID
    webhook_secret: str


@pytest.fixture
async def support(database_url: str, tmp_path: Path) -> AsyncIterator[Support]:
    db = await Database.open(Settings(database_url=database_url, data_dir=tmp_path), min_size=1, max_size=3)
    async with FakeCompanyApi() as api:
        source = SUPPORT.read_text(encoding="utf-8")
        source = source.replace("https://api.nimbus.example", api.origin).replace(
            "timeout: 3", "timeout: 1.5"
        )
        company = await db.companies.create("Nimbus Internet")
        await db.bots.deploy(company.company.id, NUMBER, load_text(source, "support.yaml"))
        await db.company_secrets.set(company.company.id, "nimbus_api_token", TOKEN)
        recorder = Recorder(sink=PostgresSink(db.pool), journal=Journal(tmp_path / "journal"))
        await recorder.start()
        registry, close = build_action_registry(db.pool, policy=HostPolicy.parse("127.0.0.0/8"))
        services = CallServices(
            bots=db.bots,
            record=recorder.record,
            new_session=lambda _p, _l: text_session(),
            flush=recorder.flush,
            no_input_timer=False,
            actions=registry,
        )
        try:
            yield Support(db, recorder, api, services, company.company.id, company.webhook_secret)
        finally:
            await close()
            await recorder.aclose()
            await db.close()


async def _call(support: Support, lk: FakeLiveKitServer, account: str) -> tuple[list[str], list[Any]]:
    async with lk.api() as client:
        line = TextLine(client, dialed=NUMBER, room=f"call-{account}")
        task = asyncio.create_task(answer_call(line, support.services))
        await line.say("I want to check my account")
        heard = await line.say(f"it's {account}")
        await line.say("no, that's all")
        outcome = await asyncio.wait_for(task, 20)
    assert outcome.call_id is not None
    rows = await support.db.pool.fetch(
        "SELECT * FROM call_actions WHERE call_id = $1 ORDER BY seq", outcome.call_id
    )
    return heard, [dict(r) for r in rows]


async def test_a_found_account_is_read_back_and_the_request_is_signed_and_recorded(
    support: Support, fake_livekit: FakeLiveKitServer
) -> None:
    heard, rows = await _call(support, fake_livekit, "12345")
    assert "Thanks, Ann Lee. Your account is active" in " ".join(heard)
    request = support.api.requests[-1]
    assert request.path == "/v1/accounts/12345" and request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.body == b""  # a GET: the signature covers 'id.timestamp.' and the empty body
    verify(support.webhook_secret, request.headers, request.body)
    [row] = rows
    assert row["action"] == "lookup_account" and row["status"] == "ok" and row["http_status"] == 200
    assert row["next_state"] == "account_found" and row["latency_ms"] > 0
    assert row["request"]["headers"] == {"authorization": "Bearer ***"}
    everything = json.dumps(rows, default=str)
    assert TOKEN not in everything


@pytest.mark.parametrize(
    ("misbehave", "said", "status", "kind", "state"),
    [
        ("404", "couldn't find an account", "error", "http_4xx", "account_unknown"),
        ("503", "can't reach the account system", "error", "http_5xx", "account_unavailable"),
        ("slow:5000", "can't reach the account system", "timeout", "timeout", "account_unavailable"),
        ("badjson", "can't reach the account system", "error", "bad_json", "account_unavailable"),
        ("huge", "can't reach the account system", "error", "too_large", "account_unavailable"),
        (
            "redirect:http://10.1.2.3/steal",
            "can't reach the account system",
            "error",
            "refused",
            "account_unavailable",
        ),
    ],
)
async def test_each_failure_takes_its_declared_branch_and_is_recorded(
    support: Support,
    fake_livekit: FakeLiveKitServer,
    misbehave: str,
    said: str,
    status: str,
    kind: str,
    state: str,
) -> None:
    support.api.misbehave["44444"] = misbehave
    heard, rows = await _call(support, fake_livekit, "44444")
    assert said in " ".join(heard)
    [row] = rows
    assert (row["status"], row["error_kind"], row["next_state"]) == (status, kind, state)
    call = await support.db.pool.fetchrow(
        "SELECT c.status, c.final_state FROM calls c JOIN call_actions a ON a.call_id = c.id LIMIT 1"
    )
    assert call["status"] == "completed"


async def test_a_slow_system_gets_the_filler_first_and_the_answer_after(
    support: Support, fake_livekit: FakeLiveKitServer
) -> None:
    support.api.misbehave["12121"] = "slow:1000"
    heard, rows = await _call(support, fake_livekit, "12121")
    spoken = " ".join(heard)
    assert spoken.index("One moment while I pull up your account") < spoken.index("Ann Lee")
    assert rows[0]["filler"] is True and rows[0]["status"] == "ok"


async def test_barge_in_during_an_action_keeps_its_result(
    support: Support, fake_livekit: FakeLiveKitServer
) -> None:
    """The caller speaks while the lookup runs: the lookup is not cancelled, its result fills the slots
    and moves the call on, and the caller's words are handled after it, in the state it led to."""
    support.api.misbehave["12121"] = "slow:1000"
    async with fake_livekit.api() as client:
        line = TextLine(client, dialed=NUMBER, room="call-barge")
        task = asyncio.create_task(answer_call(line, support.services))
        await line.say("I want to check my account")
        lookup = asyncio.create_task(line.say("it's 12121"))
        await asyncio.sleep(0.3)
        assert line.session is not None
        await line.session.interrupt()  # the caller barges in while the lookup runs: its reply is cut
        await asyncio.wait_for(lookup, 10)
        await line.say("no, that's all")
        outcome = await asyncio.wait_for(task, 20)
    assert outcome.call_id is not None
    [row] = await support.db.pool.fetch("SELECT * FROM call_actions WHERE call_id = $1", outcome.call_id)
    assert row["status"] == "ok" and row["next_state"] == "account_found"
    slots = {s.name: s.value for s in await support.db.calls.slots(outcome.call_id)}
    assert slots["account_owner"] == "Ann Lee"
    assert (await support.db.calls.get(outcome.call_id)).status == "completed"  # "that's all" ended it
