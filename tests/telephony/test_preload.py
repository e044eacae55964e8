"""What the forkserver loads once for every job process: modules, VAD, the deployed bots' scenarios."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from voicebot.scenario import load_file
from voicebot.settings import Settings
from voicebot.storage import Database
from voicebot.telephony import preload
from voicebot.telephony.answer import PROCESS_COMPILED, CallServices
from voicebot.telephony.worker import PRELOAD_MODULE, VoicebotWorker

from .conftest import SCENARIOS


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(
        Settings(database_url=database_url, data_dir=tmp_path), min_size=1, max_size=2
    ) as database:
        yield database


def _must_not_parse() -> object:
    raise AssertionError("the scenario was parsed again in the call")


async def test_a_call_uses_the_scenario_compiled_before_the_fork(database_url: str, db: Database) -> None:
    company = await db.companies.create("preload company")
    await db.bots.deploy(company.company.id, "+13125550177", load_file(SCENARIOS / "support.yaml"))
    bot = await db.bots.by_phone("+13125550177")
    assert bot is not None

    # the forkserver has no event loop of its own at import time; here one runs, so: a thread
    assert await asyncio.to_thread(preload.precompile, database_url) >= 1
    precompiled = PROCESS_COMPILED.get(bot.sha256, _must_not_parse)  # type: ignore[arg-type]

    services = CallServices(bots=db.bots, record=lambda _r: None, new_session=None, flush=None)  # type: ignore[arg-type]
    assert services.compiled(bot) is precompiled
    assert precompiled.scenario.start == load_file(SCENARIOS / "support.yaml").scenario.start


def test_the_worker_names_the_preload_and_skips_livekits_local_inference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE", "")  # restored after the test
    monkeypatch.delenv("LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE")

    async def services(_vad: object) -> object:
        raise AssertionError("no job here")

    worker = VoicebotWorker(open_services=services)  # type: ignore[arg-type]
    assert PRELOAD_MODULE in worker.server._preload_modules
    assert os.environ["LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE"] == "0"
    assert preload.preloaded_vad() is not None  # importing the module loaded Silero once
