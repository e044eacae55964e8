"""The clinic's book on the phone, before the `actions:` language is merged: the runner built for
scenarios/clinic.yaml (its calendar: weekday lunch break, Saturday mornings, closed Sundays and on
holidays, every 30 minutes, in New York) checks and books, ActionCall in and ActionResult out."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from voicebot.actions.book import ActionCall, ActionResult, runner_for_scenario
from voicebot.actions.book.runner import BookRunner
from voicebot.scenario.loader import load_file, load_text
from voicebot.storage import Bots, Companies
from voicebot.storage.repositories.book import Book

pytestmark = pytest.mark.integration

CLINIC = Path(__file__).resolve().parents[3] / "scenarios" / "clinic.yaml"
DRAFT = CLINIC.parent / "drafts" / "clinic_book.yaml.draft"


async def _runner(pool: Any) -> tuple[BookRunner, uuid.UUID, uuid.UUID]:
    loaded = load_file(CLINIC)
    company = (await Companies(pool).create("Riverside")).company.id
    bot = (await Bots(pool).deploy(company, "+15550100200", loaded)).bot_id
    store = Book(pool)
    await store.add_resource(company, bot, name="Dr Patel", services=["check-up", "sick visit", "follow-up"])
    await store.add_resource(company, bot, name="Nurse room", capacity=2, services=["vaccination"])
    return runner_for_scenario(store, loaded.scenario), company, bot


def _next(weekday: int) -> dt.date:
    day = dt.date.today() + dt.timedelta(days=7)
    while day.weekday() != weekday or day in (dt.date(2026, 12, 25), dt.date(2027, 1, 1)):
        day += dt.timedelta(days=1)
    return day


async def _run(
    runner: BookRunner, company: uuid.UUID, bot: uuid.UUID, kind: str, **args: Any
) -> ActionResult:
    return await runner.run(ActionCall(kind, kind, args, None, company, bot, str(uuid.uuid4()), 5.0))


async def test_the_clinic_checks_books_and_offers_other_times(db_pool: Any) -> None:
    runner, company, bot = await _runner(db_pool)
    tuesday, sunday = _next(1), _next(6)
    at = f"{tuesday.isoformat()}T10:00"
    free = await _run(runner, company, bot, "book.availability", datetime=at, service="check-up")
    assert free.data["available"] is True and free.data["resource"] == "Dr Patel"
    booked = await _run(runner, company, bot, "book.reserve", datetime=at, service="check-up", name="Ann")
    assert booked.status == "ok" and booked.data["starts_at"].startswith(at)  # New York local time
    taken = await _run(runner, company, bot, "book.availability", datetime=at, service="check-up")
    assert [a["time"] for a in taken.data["alternatives"]] == ["09:30", "10:30", "09:00"]
    # The nurse's room takes two vaccinations at 10:00 while the doctor's 10:00 is taken.
    for _ in range(2):
        shot = await _run(runner, company, bot, "book.reserve", datetime=at, service="vaccination")
        assert shot.data["resource"] == "Nurse room"
    assert (
        await _run(runner, company, bot, "book.reserve", datetime=at, service="vaccination")
    ).error == "taken"
    lunch = await _run(runner, company, bot, "book.availability", datetime=f"{tuesday}T12:15")
    assert lunch.data["reason"] == "closed"
    assert [a["time"] for a in lunch.data["alternatives"]] == ["11:30", "13:00", "11:00"]  # around lunch
    closed = await _run(runner, company, bot, "book.reserve", datetime=f"{sunday}T10:00", service="check-up")
    assert closed.error == "closed"
    monday = sunday + dt.timedelta(days=1)
    assert closed.data["alternatives"][0]["starts_at"].startswith(f"{monday}T08:00")


def test_the_draft_keeps_to_what_this_branch_has() -> None:
    """The draft's book: key and {booking_code:code} load on this branch (the actions part cannot yet)."""
    import yaml

    draft = yaml.safe_load(DRAFT.read_text(encoding="utf-8"))
    source = CLINIC.read_text(encoding="utf-8").replace(
        "start: menu\n", yaml.safe_dump({"book": draft["book"]}, sort_keys=False) + "start: menu\n"
    )
    loaded = load_text(source, "clinic.yaml")
    assert loaded.scenario.book is not None
    assert [r.name for r in loaded.scenario.book.resources] == ["Dr Patel", "Nurse room"]
