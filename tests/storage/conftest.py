"""Fixtures of the storage tests: a company with a deployed bot, and a tiny valid scenario file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.storage.helpers import DeployedBot, loaded, mini_scenario
from voicebot.storage import Bots, Companies


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(mini_scenario())
    return path


@pytest.fixture
async def deployed_bot(db_pool: Any) -> DeployedBot:
    company = await Companies(db_pool).create("Acme", webhook_url="https://hooks.example.com/voicebot")
    result = await Bots(db_pool).deploy(company.company.id, "+14155550100", loaded())
    return DeployedBot(company.company.id, result.bot_id, result.version_id, "+14155550100")
