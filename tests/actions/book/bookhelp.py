"""Test data of the book tests: a company with a bot, a calendar, and the real book on a real Postgres."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from tests.storage.helpers import mini_scenario
from voicebot.actions.book import AppointmentBook, BookRunner, Hours
from voicebot.scenario.calendar import Calendar
from voicebot.scenario.loader import load_text
from voicebot.storage import Bots, Companies
from voicebot.storage.repositories.book import Book

ZONE = "Europe/London"
CALENDAR = Calendar(
    hours={"mon": ["09:00-12:00", "13:00-17:00"], "tue": ["09:00-12:00"], "wed": ["09:00-12:00"]},
    closed=[dt.date(2027, 1, 5)],  # a Tuesday holiday
)
NOW = dt.datetime(2027, 1, 4, 7, 0, tzinfo=dt.UTC)  # Monday 4 January 2027, 07:00 in London


@dataclass
class Clinic:
    pool: Any
    store: Book
    book: AppointmentBook
    runner: BookRunner
    company_id: uuid.UUID
    bot_id: uuid.UUID


async def clinic(
    pool: Any, *, phone: str = "+14155550111", calendar: Calendar | None = CALENDAR, now: dt.datetime = NOW
) -> Clinic:
    created = await Companies(pool).create(f"Clinic {phone}")
    company_id = created.company.id
    deployed = await Bots(pool).deploy(company_id, phone, load_text(mini_scenario(), "mini.yaml"))
    store = Book(pool)

    async def hours(bot_id: uuid.UUID) -> Hours:
        return Hours(calendar, ZONE)

    book = AppointmentBook(store=store, hours=hours, clock=lambda: now)
    return Clinic(pool, store, book, BookRunner(book=book), company_id, deployed.bot_id)
