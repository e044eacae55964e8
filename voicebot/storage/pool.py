"""Connection pools and the :class:`Database` handle the rest of voicebot receives.

Which server: ``settings.database_url`` when set, otherwise the embedded cluster of
``settings.data_dir`` (started on demand). Pool sizes come from settings (VOICEBOT_DB_POOL_MIN/MAX) and
are *per process*: LiveKit runs each call in its own process, so the server sees up to
``processes x max`` connections (see docs/database.md for sizing).
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import structlog

from voicebot.errors import StorageError
from voicebot.settings import Settings
from voicebot.storage.embedded import EmbeddedPostgres
from voicebot.storage.errors import translated
from voicebot.storage.migrations import Migration, discover, migrate, pending
from voicebot.storage.records import json_default
from voicebot.storage.repositories import Bots, Calls, Companies, CompanySecrets, KnowledgeDocs

log = structlog.get_logger("voicebot.storage.pool")

__all__ = ["Database", "create_pool", "migrate_url", "resolve_url", "schema_status"]


def _dumps(value: object) -> str:
    return json.dumps(value, default=json_default, ensure_ascii=False)


async def _init_connection(conn: Any) -> None:
    # jsonb / json columns are Python objects both ways.
    for name in ("jsonb", "json"):
        await conn.set_type_codec(name, encoder=_dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 4,
    command_timeout: float = 30.0,
    statement_cache_size: int = 100,
) -> Any:
    """An asyncpg pool with voicebot's codecs; a retryable StorageError if the server is unreachable.

    ``statement_cache_size=0`` for PgBouncer in transaction mode (prepared statements do not survive
    a server connection change there); see docs/operations.md."""
    if min_size > max_size:
        raise StorageError(f"pool min_size={min_size} is greater than max_size={max_size}")
    with translated():
        return await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            command_timeout=command_timeout,
            statement_cache_size=statement_cache_size,
            init=_init_connection,
        )


def resolve_url(settings: Settings) -> tuple[str, bool]:
    """(database URL, embedded?): DATABASE_URL if set, else the embedded cluster, started if needed."""
    if settings.database_url:
        return settings.database_url, False
    return EmbeddedPostgres(settings.data_dir).start(), True


async def migrate_url(url: str) -> list[Migration]:
    """Apply pending migrations to the database at ``url``; return those applied."""
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return await migrate(conn)
    finally:
        await pool.close()


async def schema_status(url: str) -> tuple[int, int]:
    """(applied, pending) migration counts of the database at ``url``."""
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            todo = await pending(conn)
            return len(discover()) - len(todo), len(todo)
    finally:
        await pool.close()


class Database:
    """An open pool plus the repositories built on it. Close it with :meth:`close` (or ``async with``)."""

    def __init__(self, pool: Any, *, url: str, embedded: bool) -> None:
        self.pool = pool
        self.url = url
        self.embedded = embedded
        self.companies = Companies(pool)
        self.bots = Bots(pool)
        self.calls = Calls(pool)
        self.knowledge_docs = KnowledgeDocs(pool)
        self.company_secrets = CompanySecrets(pool)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        min_size: int | None = None,
        max_size: int | None = None,
        auto_migrate: bool | None = None,
        lazy: bool = False,
    ) -> Database:
        """Open a pool. ``auto_migrate`` (default: only for the embedded cluster) applies pending migrations;
        otherwise pending migrations are an error naming ``voicebot db migrate``.

        ``lazy`` (a call's process): no connection is made up front (``min_size=0``) and an unreachable
        server is not an error: the schema check is skipped, connections are opened when first needed,
        so a call that starts during an outage is answered and recorded to the journal."""
        url, embedded = resolve_url(settings)
        pool = await create_pool(
            url,
            min_size=0 if lazy else settings.db_pool_min if min_size is None else min_size,
            max_size=settings.db_pool_max if max_size is None else max_size,
            statement_cache_size=settings.db_statement_cache_size,
        )
        if lazy:
            try:
                with translated():
                    async with pool.acquire(timeout=5.0) as conn:
                        todo = await pending(conn)
            except StorageError as exc:
                if not exc.retryable:
                    await pool.close()
                    raise
                log.warning("database_unavailable_at_open", error=str(exc))
                return cls(pool, url=url, embedded=embedded)
            if todo:
                await pool.close()
                raise StorageError(
                    f"the database schema is behind ({len(todo)} pending migration(s), first "
                    f"{todo[0].name}); run `voicebot db migrate`"
                )
            return cls(pool, url=url, embedded=embedded)
        try:
            async with pool.acquire() as conn:
                if auto_migrate if auto_migrate is not None else embedded:
                    await migrate(conn)
                else:
                    todo = await pending(conn)
                    if todo:
                        raise StorageError(
                            f"the database schema is behind ({len(todo)} pending migration(s), first "
                            f"{todo[0].name}); run `voicebot db migrate`"
                        )
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url=url, embedded=embedded)

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
