"""Scenario and bot helpers of the storage tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from voicebot.scenario.loader import LoadedScenario, load_text

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


@dataclass(frozen=True)
class DeployedBot:
    company_id: uuid.UUID
    bot_id: uuid.UUID
    version_id: uuid.UUID
    phone: str
