"""Forward-only numbered SQL migrations (``sql/NNNN_name.sql``), applied under an advisory lock.

Each file runs in its own transaction and is recorded in ``schema_migrations`` with its sha256; a file
changed after it was applied is an error (add a new migration instead). Running :func:`migrate` again
is a no-op, and two processes migrating at once serialize on the lock.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicebot.errors import StorageError
from voicebot.storage.errors import translated

__all__ = ["MIGRATIONS_DIR", "Migration", "discover", "migrate", "pending"]

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "sql"
_LOCK_KEY = 0x766F_6963_6562  # "voiceb": one advisory lock id for every voicebot database
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str
    sha256: str


def discover(directory: Path | None = None) -> list[Migration]:
    """Every migration file in order; raises StorageError on a badly named or duplicate file."""
    directory = directory or MIGRATIONS_DIR
    if not directory.is_dir():
        raise StorageError(f"migrations directory {directory} does not exist")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise StorageError(f"{path}: migration files are named NNNN_lowercase_name.sql")
        version = int(match.group(1))
        if version in found:
            raise StorageError(f"{path}: version {version} is used twice")
        sql = path.read_text(encoding="utf-8")
        found[version] = Migration(version, path.stem, sql, hashlib.sha256(sql.encode()).hexdigest())
    return [found[v] for v in sorted(found)]


_CREATE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    sha256      text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)"""


async def _applied(conn: Any) -> dict[int, str]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    return {
        r["version"]: r["sha256"] for r in await conn.fetch("SELECT version, sha256 FROM schema_migrations")
    }


def _check(applied: dict[int, str], migrations: list[Migration]) -> list[Migration]:
    by_version = {m.version: m for m in migrations}
    for version, sha in sorted(applied.items()):
        known = by_version.get(version)
        if known is None:
            raise StorageError(f"the database has migration {version:04d}, which this voicebot does not know")
        if known.sha256 != sha:
            raise StorageError(
                f"sql/{known.name}.sql changed after it was applied; "
                "add a new migration instead of editing it"
            )
    return [m for m in migrations if m.version not in applied]


async def pending(conn: Any, directory: Path | None = None) -> list[Migration]:
    """Migrations not yet applied to the database behind ``conn`` (an asyncpg connection)."""
    with translated():
        return _check(await _applied(conn), discover(directory))


async def migrate(conn: Any, directory: Path | None = None) -> list[Migration]:
    """Apply pending migrations in order under an advisory lock; return those applied (empty: up to date)."""
    migrations = discover(directory)
    with translated():
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(_CREATE)
            todo = _check(await _applied(conn), migrations)
            for migration in todo:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)",
                        migration.version,
                        migration.name,
                        migration.sha256,
                    )
            return todo
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
