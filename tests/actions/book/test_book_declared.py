"""Resources declared in the scenario (``book:``) are created or updated by name on deploy."""

from __future__ import annotations

from typing import Any

import pytest

from tests.storage.helpers import mini_scenario
from voicebot.errors import ScenarioError
from voicebot.scenario.loader import load_text
from voicebot.storage import Bots, Companies
from voicebot.storage.repositories.book import Book

BOOK = """book:
  resources:
    - {name: Dr Lee, slot_minutes: 20, services: [check-up]}
    - {name: Nurse room, capacity: 2}
"""


def _with_book(book: str) -> str:
    return mini_scenario().replace("start: ask\n", book + "start: ask\n")


@pytest.mark.integration
async def test_deploy_creates_then_updates_the_declared_resources(db_pool: Any) -> None:
    company = (await Companies(db_pool).create("Clinic")).company.id
    bots, book = Bots(db_pool), Book(db_pool)
    bot = (await bots.deploy(company, "+14155550123", load_text(_with_book(BOOK), "c.yaml"))).bot_id
    manual = await book.add_resource(company, bot, name="Dr Ortiz")
    found = {r.name: r for r in await book.resources(company, bot)}
    assert found["Dr Lee"].slot_minutes == 20 and found["Dr Lee"].services == ("check-up",)
    assert found["Nurse room"].capacity == 2
    changed = BOOK.replace("capacity: 2", "capacity: 3")
    await bots.deploy(company, "+14155550123", load_text(_with_book(changed), "c.yaml"))
    again = {r.name: r for r in await book.resources(company, bot)}
    assert again["Nurse room"].capacity == 3 and again["Nurse room"].id == found["Nurse room"].id
    assert again["Dr Ortiz"] == manual  # not declared: left as it is


def test_a_resource_declared_twice_is_a_located_error() -> None:
    twice = BOOK.replace("Nurse room", "dr lee")
    with pytest.raises(ScenarioError) as info:
        load_text(_with_book(twice), "c.yaml")
    assert any("declared twice" in str(p) and str(p).startswith("c.yaml:") for p in info.value.problems)
