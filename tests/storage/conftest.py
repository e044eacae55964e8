"""Fixtures of the storage tests: a company with a deployed bot, and a tiny valid scenario."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from voicebot.scenario.loader import LoadedScenario, load_text
from voicebot.storage import Bots, Companies

MINI_SCENARIO = """\
version: 1
bot:
  id: mini
  name: Mini bot
  language: en
  greeting: "Hello."
start: ask
states:
  ask:
    say: "Do you want a callback?"
    transitions:
      - intent: "yes"
        to: done
      - fallback: true
        to: done
  done:
    say: "{farewell}"
    outcome: finished
    end: true
"""


def mini_scenario(farewell: str = "Goodbye.", bot_id: str = "mini") -> str:
    return MINI_SCENARIO.replace("{farewell}", farewell).replace("id: mini", f"id: {bot_id}")


def loaded(farewell: str = "Goodbye.", bot_id: str = "mini") -> LoadedScenario:
    return load_text(mini_scenario(farewell, bot_id), "mini.yaml")


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(mini_scenario())
    return path


@dataclass(frozen=True)
class DeployedBot:
    company_id: uuid.UUID
    bot_id: uuid.UUID
    version_id: uuid.UUID
    phone: str


@pytest.fixture
async def deployed_bot(db_pool: Any) -> DeployedBot:
    company = await Companies(db_pool).create("Acme", webhook_url="https://hooks.example.com/voicebot")
    result = await Bots(db_pool).deploy(company.company.id, "+14155550100", loaded())
    return DeployedBot(company.company.id, result.bot_id, result.version_id, "+14155550100")
