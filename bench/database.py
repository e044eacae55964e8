"""The Postgres a benchmark runs on (shared by the benches).

async with bench_server(args.database_url, tmp) as admin:     # --database-url, or an embedded cluster
    async with fresh_database(admin) as url:                   # every migration applied, dropped after
        ...
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from voicebot.storage import EmbeddedPostgres, create_pool, migrate_url

__all__ = ["bench_server", "fresh_database"]


@asynccontextmanager
async def bench_server(database_url: str | None, tmp: Path, *, fast: bool = False) -> AsyncIterator[str]:
    """``database_url`` as given, or a throwaway embedded cluster under ``tmp`` (destroyed after)."""
    if database_url is not None:
        yield database_url
        return
    cluster = EmbeddedPostgres(tmp / "data", fast=fast)
    try:
        yield cluster.start()
    finally:
        cluster.destroy()


@asynccontextmanager
async def fresh_database(admin: str) -> AsyncIterator[str]:
    """A new database on ``admin``'s server with every migration applied; dropped afterwards."""
    pool = await create_pool(admin, min_size=1, max_size=1)
    name = f"vb_bench_{uuid.uuid4().hex[:8]}"
    await pool.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(urlsplit(admin)._replace(path="/" + name))
        await migrate_url(url)
        yield url
    finally:
        await pool.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await pool.close()
