"""The clinic that books in the built-in book (scenarios/clinic_book.yaml), in whole calls: answer_call,
the real bridge and AgentSession (text mode), the real action registry (book.* on the real book), the
recorder writing to a real Postgres. Two callers want the same time: the second hears the nearest free
ones; the first hears a confirmation code it can cancel with."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes import FakeLiveKitServer
from tests.telephony.lines import TextLine
from voicebot.runtime_actions import build_action_registry
from voicebot.scenario import load_text
from voicebot.settings import Settings
from voicebot.storage import Database, Journal, PostgresSink, Recorder
from voicebot.telephony.answer import CallServices, answer_call
from voicebot.telephony.session import text_session

CLINIC = Path(__file__).resolve().parents[3] / "scenarios" / "clinic_book.yaml"
NUMBER = "+12125550188"
WHEN = "next Tuesday at 10 am"  # always a weekday the clinic is open, never a holiday


@dataclass
class Clinic:
    db: Database
    services: CallServices


@pytest.fixture
async def clinic(database_url: str, tmp_path: Path) -> AsyncIterator[Clinic]:
    db = await Database.open(Settings(database_url=database_url, data_dir=tmp_path), min_size=1, max_size=4)
    company = await db.companies.create("Riverside")
    await db.bots.deploy(
        company.company.id, NUMBER, load_text(CLINIC.read_text(encoding="utf-8"), "clinic.yaml")
    )
    recorder = Recorder(sink=PostgresSink(db.pool), journal=Journal(tmp_path / "journal"))
    await recorder.start()
    registry, close = build_action_registry(db.pool)
    services = CallServices(
        bots=db.bots,
        record=recorder.record,
        new_session=lambda _p, _l: text_session(),
        flush=recorder.flush,
        no_input_timer=False,
        actions=registry,
    )
    try:
        yield Clinic(db, services)
    finally:
        await close()
        await recorder.aclose()
        await db.close()


async def _call(
    clinic: Clinic, lk: FakeLiveKitServer, lines: list[str], *, hang_up: bool = False
) -> tuple[list[str], uuid.UUID]:
    heard: list[str] = []
    async with lk.api() as client:
        line = TextLine(client, dialed=NUMBER, caller="+12125550123", room=f"call-{uuid.uuid4().hex[:8]}")
        task = asyncio.create_task(answer_call(line, clinic.services))
        for text in lines:
            heard += await line.say(text)
        if hang_up:
            line.hang_up()
        outcome = await asyncio.wait_for(task, 30)
    assert outcome.call_id is not None
    return heard, outcome.call_id


async def test_booked_in_the_book_then_the_same_time_is_offered_elsewhere_then_cancelled_by_code(
    clinic: Clinic, fake_livekit: FakeLiveKitServer
) -> None:
    booking = ["I'd like to book an appointment", "John Smith", "a check-up", WHEN, "yes"]
    heard, call_id = await _call(clinic, fake_livekit, booking)
    said = " ".join(heard)
    assert "Shall I book it" in said and "You're booked with Dr Patel" in said
    spoken = re.search(r"Your confirmation code is ([A-Z0-9 ,]+)\.", said)
    assert spoken, said
    code = spoken.group(1).replace(" ", "").replace(",", "")
    assert len(code) >= 6
    assert re.fullmatch(r"(?:[A-Z0-9] ){2}[A-Z0-9], .*", spoken.group(1))  # read in threes, one by one
    row = await clinic.db.pool.fetchrow(
        "SELECT status, booked_by_call, resource_id IS NOT NULL AS has_resource FROM appointments "
        "WHERE confirmation_code = $1",
        code,
    )
    assert row is not None and row["status"] == "confirmed" and row["booked_by_call"] == call_id

    # Dr Patel has one seat: the same time again is taken, and the nearest free times are offered.
    second = ["I'd like to book an appointment", "Ann Lee", "a check-up", WHEN]
    heard, _ = await _call(clinic, fake_livekit, second, hang_up=True)
    said = " ".join(heard)
    assert "that time is taken" in said and re.search(r"nearest free times are \d\d:\d\d and \d\d:\d\d", said)
    assert "When would you like to come in" in said  # asked again, not a dead end

    # The first caller cancels with the code read out the way they heard it.
    heard, _ = await _call(clinic, fake_livekit, ["I need to cancel my appointment", spoken.group(1)])
    assert "is cancelled" in " ".join(heard)
    status = await clinic.db.pool.fetchval(
        "SELECT status FROM appointments WHERE confirmation_code = $1", code
    )
    assert status == "cancelled"
