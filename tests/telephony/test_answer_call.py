"""The worker's job after "room connected, participant known" (`answer_call`), on a real Postgres.

A company and its bot are deployed through the storage repositories; a call arrives with the SIP
attributes LiveKit sets (`sip.trunkPhoneNumber` = the number dialed); the real AgentSession, bridge and
engine run it (text mode) and its records land in Postgres through the real recorder; hang-ups go to
the LiveKit Twirp fake.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog

from tests.fakes import FakeLiveKitServer
from voicebot.scenario import load_file
from voicebot.settings import Settings
from voicebot.storage import Database, Journal, PostgresSink, Recorder
from voicebot.telephony.answer import NOT_IN_SERVICE, CallServices, answer_call
from voicebot.telephony.session import text_session

from .conftest import SCENARIOS
from .lines import TextLine

CLINIC_NUMBER = "+14155550100"


@dataclass
class Deployed:
    db: Database
    recorder: Recorder
    company_id: uuid.UUID
    bot_id: uuid.UUID

    def services(self, **overrides: object) -> CallServices:
        args: dict[str, object] = {
            "bots": self.db.bots,
            "record": self.recorder.record,
            "new_session": lambda _providers, _lang: text_session(),
            "flush": self.recorder.flush,
            "no_input_timer": False,
        }
        args.update(overrides)
        return CallServices(**args)  # type: ignore[arg-type]


@pytest.fixture
async def clinic(database_url: str, tmp_path: Path) -> AsyncIterator[Deployed]:
    db = await Database.open(Settings(database_url=database_url, data_dir=tmp_path), min_size=1, max_size=2)
    company = await db.companies.create("Riverside Family Clinic")
    deployed = await db.bots.deploy(company.company.id, CLINIC_NUMBER, load_file(SCENARIOS / "clinic.yaml"))
    recorder = Recorder(sink=PostgresSink(db.pool), journal=Journal(tmp_path / "journal"))
    await recorder.start()
    try:
        yield Deployed(db, recorder, company.company.id, deployed.bot_id)
    finally:
        await recorder.aclose()
        await db.close()


async def test_a_call_to_the_bots_number_runs_its_scenario_and_lands_in_postgres(
    clinic: Deployed, fake_livekit: FakeLiveKitServer
) -> None:
    lines = [
        "I'd like to book an appointment",
        "John Smith",
        "March 3rd 1985",
        "I need a check-up",
        "next Tuesday at 10 am",  # the clinic is closed on Sundays: never depend on today
        "yes",
    ]
    async with fake_livekit.api() as client:
        line = TextLine(client, dialed=CLINIC_NUMBER, room="call-clinic")
        call = asyncio.create_task(answer_call(line, clinic.services()))
        heard = [await line.say(text) for text in lines]
        outcome = await asyncio.wait_for(call, 10)
    assert "Riverside Family Clinic" in line.heard[0]
    assert heard[-1][0].startswith("You're booked: check-up for John Smith")
    assert [r.room for r in fake_livekit.calls_to("RoomService/DeleteRoom")] == ["call-clinic"]

    assert outcome.call_id is not None
    summary = await clinic.db.calls.get(outcome.call_id)
    assert summary.status == "completed" and summary.bot_id == clinic.bot_id
    turns = await clinic.db.calls.turns(outcome.call_id)
    assert [t.text for t in turns if t.role == "caller"] == lines
    assert [t.text for t in turns if t.role == "bot"] == line.heard
    slots = {s.name for s in await clinic.db.calls.slots(outcome.call_id)}
    assert {"patient_name", "birth_date", "reason"} <= slots


async def test_the_caller_hanging_up_ends_the_call_as_abandoned(
    clinic: Deployed, fake_livekit: FakeLiveKitServer
) -> None:
    async with fake_livekit.api() as client:
        line = TextLine(client, dialed=CLINIC_NUMBER)
        call = asyncio.create_task(answer_call(line, clinic.services()))
        await line.say("I'd like to book an appointment")
        line.hang_up()
        outcome = await asyncio.wait_for(call, 10)
    assert outcome.call_id is not None
    assert (await clinic.db.calls.get(outcome.call_id)).status == "abandoned"
    assert fake_livekit.calls_to("RoomService/DeleteRoom") == []


@pytest.mark.parametrize("case", ["unknown", "inactive_bot", "inactive_company", "no_number"])
async def test_an_unknown_number_or_inactive_bot_is_told_and_hung_up(
    case: str, clinic: Deployed, fake_livekit: FakeLiveKitServer
) -> None:
    dialed: str | None = CLINIC_NUMBER
    if case == "unknown":
        dialed = "+14155550199"
    elif case == "inactive_bot":
        await clinic.db.pool.execute("UPDATE bots SET is_active = false WHERE id = $1", clinic.bot_id)
    elif case == "inactive_company":
        await clinic.db.pool.execute(
            "UPDATE companies SET is_active = false WHERE id = $1", clinic.company_id
        )
    else:
        dialed = None
    async with fake_livekit.api() as client:
        line = TextLine(client, dialed=dialed, room="call-nobody")
        with structlog.testing.capture_logs() as logs:
            outcome = await asyncio.wait_for(answer_call(line, clinic.services()), 10)
    assert line.heard == [NOT_IN_SERVICE]
    assert [r.room for r in fake_livekit.calls_to("RoomService/DeleteRoom")] == ["call-nobody"]
    rejected = [e for e in logs if e["event"] == "call_rejected"]
    assert rejected and rejected[0]["reason"] == outcome.rejected
    assert outcome.rejected == ("no_dialed_number" if case == "no_number" else "unknown_number")
    assert CLINIC_NUMBER not in repr(rejected) and "+1415" not in repr(rejected)
    assert await clinic.db.pool.fetchval("SELECT count(*) FROM calls") == 0


async def test_a_warm_transfer_in_the_worker_rings_the_person_and_falls_back_when_busy(
    clinic: Deployed, fake_livekit: FakeLiveKitServer
) -> None:
    """answer_call wires the warm transfer: the outbound trunk from the services, the caller's room."""
    from voicebot.scenario import load_text

    from .test_warm_transfer import AGENT, SCENARIO

    number = "+14155550177"
    await clinic.db.bots.deploy(clinic.company_id, number, load_text(SCENARIO))
    fake_livekit.rooms.script_callee(AGENT, answer="busy")
    fake_livekit.rooms.join("call-warm", "sip_caller")
    async with fake_livekit.api() as client:
        line = TextLine(client, dialed=number, room="call-warm")
        call = asyncio.create_task(answer_call(line, clinic.services(sip_outbound_trunk="ST_warm")))
        assert await line.say("my name is Anna") == ["One moment, I'll put you through."]
        for _ in range(100):  # the fallback is spoken once the trunk answered busy
            if len(line.heard) > 2:
                break
            await asyncio.sleep(0.05)
        assert line.heard[-1].startswith("Sorry, nobody can take your call right now.")
        await line.say("please call me back")
        outcome = await asyncio.wait_for(call, 10)
    [dial] = fake_livekit.calls_to("SIP/CreateSIPParticipant")
    assert (dial.sip_trunk_id, dial.sip_call_to, dial.room_name) == ("ST_warm", AGENT, "call-warm-consult")
    assert [r.room for r in fake_livekit.calls_to("RoomService/DeleteRoom")] == ["call-warm"]
    assert outcome.call_id is not None
    assert (await clinic.db.calls.get(outcome.call_id)).status == "completed"
