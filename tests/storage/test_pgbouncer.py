"""Calls behind PgBouncer in transaction mode: Postgres sees a bounded number of connections, nothing is lost.

Each call opens its pool the way a call's process does (``Database.open(lazy=True, max_size=2)``, statement
cache off as docs/operations.md says) and records a whole call through the real recorder; 24 calls run at
once. Without PgBouncer Postgres sees up to two connections per call; through it, at most the pool size.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.storage.helpers import DeployedBot
from tests.storage.pgbouncer import CONNECTIONS, PgBouncer, pgbouncer_binary
from tests.storage.recording import assert_complete, call_records
from voicebot.settings import Settings
from voicebot.storage import Database, Journal, PostgresSink, Recorder, create_pool

pytestmark = pytest.mark.skipif(pgbouncer_binary() is None, reason="pgbouncer not installed")

CALLS = 24
TURNS = 12
POOL = 3


async def _record_calls(
    url: str, direct_url: str, bot_id: uuid.UUID, tmp_path: Path, peak: list[int]
) -> list[uuid.UUID]:
    """CALLS concurrent calls, each with a call process's pool on ``url``; ``peak`` gets the most
    connections Postgres saw for the database (``direct_url``'s) while they ran."""
    dbname = direct_url.rsplit("/", 1)[1]
    settings = Settings.from_env(
        {"DATABASE_URL": url, "VOICEBOT_DATA_DIR": str(tmp_path), "VOICEBOT_DB_STATEMENT_CACHE_SIZE": "0"}
    )
    call_ids = [uuid.uuid4() for _ in range(CALLS)]

    async def one_call(n: int, call_id: uuid.UUID) -> None:
        db = await Database.open(settings, max_size=2, lazy=True)
        recorder = Recorder(
            sink=PostgresSink(db.pool), journal=Journal(tmp_path / f"journal-{n}"), flush_interval=0.005
        )
        try:
            async with recorder:
                for record in call_records(call_id, bot_id, TURNS):
                    recorder.record(record)
                    await asyncio.sleep(0.004)
                assert await recorder.flush()
        finally:
            await db.close()

    async def watch(stop: asyncio.Event) -> None:
        admin = await create_pool(direct_url.rsplit("/", 1)[0] + "/postgres", min_size=1, max_size=1)
        try:
            while not stop.is_set():
                peak[0] = max(peak[0], int(await admin.fetchval(CONNECTIONS, dbname)))
                await asyncio.sleep(0.01)
        finally:
            await admin.close()

    stop = asyncio.Event()
    watcher = asyncio.create_task(watch(stop))
    try:
        await asyncio.gather(*(one_call(n, c) for n, c in enumerate(call_ids)))
    finally:
        stop.set()
        await watcher
    return call_ids


async def test_calls_through_pgbouncer_use_at_most_its_pool_and_lose_no_record(
    database_url: str, db_pool: Any, deployed_bot: DeployedBot, tmp_path: Path
) -> None:
    dbname = database_url.rsplit("/", 1)[1]
    base = int(await db_pool.fetchval(CONNECTIONS, dbname))  # the test's own pool
    direct_peak, bounced_peak = [0], [0]
    direct = await _record_calls(database_url, database_url, deployed_bot.bot_id, tmp_path / "d", direct_peak)
    await assert_complete(db_pool, direct, TURNS)
    await db_pool.execute("TRUNCATE calls CASCADE")

    with PgBouncer(database_url, pool_size=POOL) as bouncer:
        # trust auth on loopback: the server password stays with PgBouncer
        bounced = await _record_calls(
            bouncer.url, database_url, deployed_bot.bot_id, tmp_path / "b", bounced_peak
        )
    await assert_complete(db_pool, bounced, TURNS)

    # Direct: each concurrent call holds its own connections; through PgBouncer: at most its pool.
    assert direct_peak[0] - base > POOL * 2
    assert bounced_peak[0] - base <= POOL
