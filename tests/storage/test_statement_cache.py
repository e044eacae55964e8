"""VOICEBOT_DB_STATEMENT_CACHE_SIZE=0 (PgBouncer, transaction mode): no statement stays prepared."""

from __future__ import annotations

from pathlib import Path

from voicebot.settings import Settings
from voicebot.storage import Database


async def _prepared_after_queries(database_url: str, tmp_path: Path, env: dict[str, str]) -> int:
    settings = Settings.from_env({"DATABASE_URL": database_url, "VOICEBOT_DATA_DIR": str(tmp_path), **env})
    async with await Database.open(settings, min_size=1, max_size=1) as db, db.pool.acquire() as conn:
        for _ in range(2):
            await conn.fetchval("SELECT count(*) FROM bots WHERE is_active = $1", True)
        return int(await conn.fetchval("SELECT count(*) FROM pg_prepared_statements"))


async def test_no_statement_is_kept_prepared_when_the_cache_is_off(database_url: str, tmp_path: Path) -> None:
    assert await _prepared_after_queries(database_url, tmp_path, {}) > 0  # asyncpg's default keeps them
    assert (
        await _prepared_after_queries(database_url, tmp_path, {"VOICEBOT_DB_STATEMENT_CACHE_SIZE": "0"}) == 0
    )
