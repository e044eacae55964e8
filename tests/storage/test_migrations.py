"""Migrations: from an empty database, re-run as a no-op, concurrent runs, edited files refused."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from voicebot.errors import StorageError
from voicebot.storage import create_pool, discover, migrate, pending
from voicebot.storage.migrations import MIGRATIONS_DIR

EXPECTED_TABLES = {
    "companies", "bots", "scenario_versions", "knowledge_docs", "calls", "turns", "state_transitions",
    "extracted_slots", "call_checkpoints", "appointments", "outcomes", "webhook_outbox", "webhook_deliveries",
    "error_logs", "caller_feedback", "schema_migrations",
}  # fmt: skip
EXPECTED_VIEWS = {
    "call_success_daily", "avg_duration_by_final_state", "errors_by_type", "slot_extraction_accuracy",
    "state_funnel", "outcome_webhook_status",
}  # fmt: skip


async def test_migrate_from_empty_creates_every_table_and_view_then_rerun_is_a_noop(
    empty_database_url: str,
) -> None:
    pool = await create_pool(empty_database_url)
    try:
        async with pool.acquire() as conn:
            applied = await migrate(conn)
            assert [m.version for m in applied] == [m.version for m in discover()]
            tables = {
                r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            }
            views = {
                r[0] for r in await conn.fetch("SELECT viewname FROM pg_views WHERE schemaname='public'")
            }
            assert tables >= EXPECTED_TABLES
            assert views >= EXPECTED_VIEWS
            assert await migrate(conn) == []
            assert await pending(conn) == []
            assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == len(discover())
    finally:
        await pool.close()


async def test_concurrent_migrations_serialize_on_the_advisory_lock(empty_database_url: str) -> None:
    pool = await create_pool(empty_database_url, min_size=3, max_size=3)
    try:

        async def run() -> int:
            async with pool.acquire() as conn:
                return len(await migrate(conn))

        counts = await asyncio.gather(run(), run(), run())
        assert sorted(counts) == [0, 0, len(discover())]
    finally:
        await pool.close()


async def test_an_applied_migration_edited_afterwards_is_refused(
    empty_database_url: str, tmp_path: Path
) -> None:
    copy = tmp_path / "sql"
    shutil.copytree(MIGRATIONS_DIR, copy)
    pool = await create_pool(empty_database_url)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, copy)
            first = sorted(copy.glob("*.sql"))[0]
            first.write_text(first.read_text() + "\n-- edited\n")
            with pytest.raises(StorageError, match="changed after it was applied"):
                await migrate(conn, copy)
    finally:
        await pool.close()


def test_badly_named_migration_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1_init.sql").write_text("SELECT 1")
    with pytest.raises(StorageError, match=r"NNNN_lowercase_name\.sql"):
        discover(tmp_path)
