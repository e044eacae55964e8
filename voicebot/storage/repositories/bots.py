"""Bots: deploy (create or update, one scenario version per change), list, and the per-call lookup.

The lookup by dialed number is one indexed query (``bots.phone_number`` is UNIQUE) joined to the
bot's current scenario version, cached in this :class:`Bots` instance (the composition root makes one per
process) for ``cache_ttl`` seconds. A deploy through the same instance invalidates its entries at once;
other processes see a deploy within ``cache_ttl``. Misses are cached for ``negative_ttl`` seconds.
"""

from __future__ import annotations

import asyncio
import builtins
import datetime as dt
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import phonenumbers
import structlog

from voicebot.errors import ConfigError, ConflictError, NotFoundError, StorageError
from voicebot.scenario.model import Scenario
from voicebot.storage.errors import translated
from voicebot.storage.repositories.book import sync_declared

__all__ = ["BotForCall", "BotInfo", "Bots", "DeployResult", "DeployableScenario", "normalize_phone"]


def normalize_phone(raw: str) -> str:
    """E.164 form of an international number (``+`` and country code required); ConfigError otherwise."""
    text = raw.strip()
    if not text.startswith("+"):
        raise ConfigError(f"phone number {raw!r} must be in international form, e.g. +14155550100")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise ConfigError(f"phone number {raw!r} is not a phone number: {exc}") from None
    if not phonenumbers.is_possible_number(number):
        raise ConfigError(f"phone number {raw!r} is not a possible number for its country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class DeployableScenario(Protocol):
    """What :meth:`Bots.deploy` needs of a loaded scenario (voicebot.scenario.loader.LoadedScenario)."""

    @property
    def scenario(self) -> Scenario: ...
    @property
    def source(self) -> str: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True, slots=True)
class DeployResult:
    bot_id: uuid.UUID
    version_id: uuid.UUID
    version: int
    created: bool  # a new bot
    changed: bool  # a new scenario version (False: same content as the current version)


@dataclass(frozen=True, slots=True)
class BotInfo:
    id: uuid.UUID
    company_id: uuid.UUID
    slug: str
    name: str
    phone_number: str
    language: str
    is_active: bool
    version: int | None
    sha256: str | None
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class BotForCall:
    """Everything a call needs to run a bot, from one query."""

    id: uuid.UUID
    company_id: uuid.UUID
    name: str
    language: str
    phone_number: str
    providers: dict[str, Any]
    version_id: uuid.UUID
    sha256: str
    source: str


log = structlog.get_logger("voicebot.storage.bots")


def _snapshot_path(root: Path, number: str) -> Path:
    return root / f"{hashlib.sha256(number.encode()).hexdigest()[:32]}.json"


def _write_snapshot(root: Path, number: str, bot: BotForCall | None) -> None:
    path = _snapshot_path(root, number)
    try:
        if bot is None:
            path.unlink(missing_ok=True)
            return
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in asdict(bot).items()}
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        tmp.replace(path)
    except OSError as exc:  # a snapshot is a convenience: never fail a call for it
        log.warning("bot_snapshot_write_failed", error=str(exc))


def _read_snapshot(root: Path, number: str) -> BotForCall | None:
    try:
        data = json.loads(_snapshot_path(root, number).read_text())
        for key in ("id", "company_id", "version_id"):
            data[key] = uuid.UUID(data[key])
        return BotForCall(**data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


_LOOKUP = """
SELECT b.id, b.company_id, b.name, b.language, b.phone_number, b.providers,
       v.id AS version_id, v.sha256, v.source
FROM bots b
JOIN scenario_versions v ON v.id = b.current_version_id
JOIN companies c ON c.id = b.company_id
WHERE b.phone_number = $1 AND b.is_active AND c.is_active"""

_ACTIVE_SOURCES = """
SELECT b.id, v.sha256, v.source
FROM bots b
JOIN scenario_versions v ON v.id = b.current_version_id
JOIN companies c ON c.id = b.company_id
WHERE b.is_active AND c.is_active"""


async def active_scenarios(conn: Any) -> list[tuple[uuid.UUID, str, str]]:
    """(bot id, sha256, source) of every active bot's current scenario (the worker precompiles them)."""
    with translated():
        rows = await conn.fetch(_ACTIVE_SOURCES)
    return [(r["id"], r["sha256"], r["source"]) for r in rows]


async def fetch_active_scenarios(
    database_url: str, *, timeout: float = 10.0
) -> list[tuple[uuid.UUID, str, str]]:
    """:func:`active_scenarios` over one short connection of its own, closed before returning (the
    worker's preload runs it in the forkserver parent, which must hold no connection when it forks)."""
    import asyncpg

    with translated():
        conn = await asyncpg.connect(database_url, timeout=timeout)
    try:
        return await active_scenarios(conn)
    finally:
        await conn.close()


class Bots:
    def __init__(
        self,
        pool: Any,
        *,
        cache_ttl: float = 30.0,
        negative_ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._ttl = cache_ttl
        self._negative_ttl = negative_ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, BotForCall | None]] = {}

    async def deploy(
        self,
        company_id: uuid.UUID,
        phone_number: str,
        loaded: DeployableScenario,
        *,
        activate: bool = True,
    ) -> DeployResult:
        """Create the company's bot ``loaded.scenario.bot.id`` or update it.

        A new scenario version is made when the source differs from the current version's. An update
        activates the bot unless ``activate`` is False (the admin API keeps a deactivated bot inactive)."""
        phone = normalize_phone(phone_number)
        meta = loaded.scenario.bot
        providers = meta.providers.model_dump(mode="json")
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                if not await conn.fetchval("SELECT true FROM companies WHERE id = $1 FOR SHARE", company_id):
                    raise NotFoundError(f"no company with id {company_id}")
                holder = await conn.fetchrow(
                    "SELECT company_id, slug FROM bots WHERE phone_number = $1", phone
                )
                if holder is not None and (holder["company_id"], holder["slug"]) != (company_id, meta.id):
                    raise ConflictError(
                        f"phone number {phone} is already assigned to another bot ({holder['slug']})"
                    )
                row = await conn.fetchrow(
                    """SELECT b.id, v.sha256 FROM bots b
                       LEFT JOIN scenario_versions v ON v.id = b.current_version_id
                       WHERE b.company_id = $1 AND b.slug = $2 FOR UPDATE OF b""",
                    company_id,
                    meta.id,
                )
                created = row is None
                if created:
                    bot_id = await conn.fetchval(
                        """INSERT INTO bots (company_id, slug, name, phone_number, language, providers)
                           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
                        company_id,
                        meta.id,
                        meta.name,
                        phone,
                        meta.language,
                        providers,
                    )
                    current_sha = None
                else:
                    bot_id, current_sha = row["id"], row["sha256"]
                    old_phone = await conn.fetchval(
                        """UPDATE bots b SET name = $2, phone_number = $3, language = $4, providers = $5,
                                  is_active = b.is_active OR $6, updated_at = now()
                           FROM bots old WHERE b.id = $1 AND old.id = b.id RETURNING old.phone_number""",
                        bot_id,
                        meta.name,
                        phone,
                        meta.language,
                        providers,
                        activate,
                    )
                    self.invalidate(old_phone)
                if current_sha == loaded.sha256:
                    version = await conn.fetchrow(
                        "SELECT v.id, v.version FROM bots b"
                        " JOIN scenario_versions v ON v.id = b.current_version_id WHERE b.id = $1",
                        bot_id,
                    )
                else:
                    version = await conn.fetchrow(
                        """INSERT INTO scenario_versions (bot_id, version, sha256, source)
                           SELECT $1, coalesce(max(version), 0) + 1, $2, $3 FROM scenario_versions
                           WHERE bot_id = $1 RETURNING id, version""",
                        bot_id,
                        loaded.sha256,
                        loaded.source,
                    )
                    await conn.execute(
                        "UPDATE bots SET current_version_id = $2 WHERE id = $1", bot_id, version["id"]
                    )
                if loaded.scenario.book is not None:  # the scenario's declared resources (issue 13)
                    await sync_declared(conn, bot_id, loaded.scenario.book.resources)
        self.invalidate(phone)
        return DeployResult(bot_id, version["id"], version["version"], created, current_sha != loaded.sha256)

    async def list(self, company_id: uuid.UUID | None = None) -> builtins.list[BotInfo]:
        with translated():
            rows = await self._pool.fetch(
                """SELECT b.id, b.company_id, b.slug, b.name, b.phone_number, b.language, b.is_active,
                          v.version, v.sha256, b.updated_at
                   FROM bots b LEFT JOIN scenario_versions v ON v.id = b.current_version_id
                   WHERE $1::uuid IS NULL OR b.company_id = $1
                   ORDER BY b.company_id, b.slug""",
                company_id,
            )
        return [BotInfo(**dict(r)) for r in rows]

    async def scenario_source(self, bot_id: uuid.UUID) -> str | None:
        """The YAML of the bot's current scenario version, or None (no such bot, nothing deployed)."""
        with translated():
            source: str | None = await self._pool.fetchval(
                """SELECT v.source FROM bots b JOIN scenario_versions v ON v.id = b.current_version_id
                   WHERE b.id = $1""",
                bot_id,
            )
        return source

    async def by_phone(self, dialed_number: str) -> BotForCall | None:
        """The active bot answering ``dialed_number`` (E.164), or None. Cached; see the module docstring."""
        now = self._clock()
        hit = self._cache.get(dialed_number)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            with translated():
                row = await self._pool.fetchrow(_LOOKUP, dialed_number)
        except StorageError as exc:
            if not exc.retryable or self.snapshot_dir is None:
                raise
            snapshot = await asyncio.to_thread(_read_snapshot, self.snapshot_dir, dialed_number)
            if snapshot is None:
                raise
            log.warning("bot_lookup_from_snapshot", bot_id=str(snapshot.id), error=str(exc))
            return snapshot
        bot = None if row is None else BotForCall(**dict(row))
        self._cache[dialed_number] = (now + (self._ttl if bot else self._negative_ttl), bot)
        if self.snapshot_dir is not None:
            await asyncio.to_thread(_write_snapshot, self.snapshot_dir, dialed_number, bot)
        return bot

    snapshot_dir: Path | None = None
    """When set (call processes: ``<data_dir>/bots``), each successful lookup is kept on disk (mode 0600)
    and used when Postgres is unreachable, so a call that starts during an outage is answered by the
    bot as it was last seen; a number found to have no bot removes its snapshot."""

    def invalidate(self, phone_number: str | None = None) -> None:
        """Forget one cached number (or all of them)."""
        if phone_number is None:
            self._cache.clear()
        else:
            self._cache.pop(phone_number, None)
