"""A company's own bots, as the admin API sees them: every query is scoped by ``company_id``.

A bot of another company is a :class:`NotFoundError` worded exactly like a bot that does not exist, so
the answer says nothing about other tenants. Creating and updating scenarios goes through
:meth:`Bots.deploy`; this class adds what the API needs around it (one bot, its scenario source,
activation, phone number reassignment).

Call processes cache the bot lookup by number (``Bots.by_phone``) for up to 30 s; a change made here is
seen by running workers within that time, and at once by new call processes.
"""

from __future__ import annotations

import builtins
import uuid
from typing import Any

from voicebot.errors import ConflictError, NotFoundError
from voicebot.storage.errors import translated
from voicebot.storage.repositories.bots import BotInfo, normalize_phone

__all__ = ["CompanyBots"]

_SELECT = """
SELECT b.id, b.company_id, b.slug, b.name, b.phone_number, b.language, b.is_active,
       v.version, v.sha256, b.updated_at
FROM bots b LEFT JOIN scenario_versions v ON v.id = b.current_version_id"""


def _missing(bot_id: uuid.UUID) -> NotFoundError:
    return NotFoundError(f"no bot with id {bot_id}")


class CompanyBots:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def list(self, company_id: uuid.UUID) -> builtins.list[BotInfo]:
        with translated():
            rows = await self._pool.fetch(f"{_SELECT} WHERE b.company_id = $1 ORDER BY b.slug", company_id)
        return [BotInfo(**dict(r)) for r in rows]

    async def get(self, company_id: uuid.UUID, bot_id: uuid.UUID) -> BotInfo:
        with translated():
            row = await self._pool.fetchrow(
                f"{_SELECT} WHERE b.company_id = $1 AND b.id = $2", company_id, bot_id
            )
        if row is None:
            raise _missing(bot_id)
        return BotInfo(**dict(row))

    async def by_slug(self, company_id: uuid.UUID, slug: str) -> BotInfo | None:
        with translated():
            row = await self._pool.fetchrow(
                f"{_SELECT} WHERE b.company_id = $1 AND b.slug = $2", company_id, slug
            )
        return None if row is None else BotInfo(**dict(row))

    async def scenario_source(self, company_id: uuid.UUID, bot_id: uuid.UUID) -> str:
        """The YAML of the bot's current scenario version, exactly as deployed."""
        with translated():
            row = await self._pool.fetchrow(
                """SELECT v.source FROM bots b JOIN scenario_versions v ON v.id = b.current_version_id
                   WHERE b.company_id = $1 AND b.id = $2""",
                company_id,
                bot_id,
            )
        if row is None:
            raise _missing(bot_id)
        source: str = row["source"]
        return source

    async def set_active(self, company_id: uuid.UUID, bot_id: uuid.UUID, active: bool) -> BotInfo:
        with translated():
            updated = await self._pool.fetchval(
                """UPDATE bots SET is_active = $3, updated_at = now()
                   WHERE company_id = $1 AND id = $2 RETURNING id""",
                company_id,
                bot_id,
                active,
            )
        if updated is None:
            raise _missing(bot_id)
        return await self.get(company_id, bot_id)

    async def set_phone(self, company_id: uuid.UUID, bot_id: uuid.UUID, phone_number: str) -> BotInfo:
        """Move the bot to ``phone_number`` (E.164); ConflictError if another bot has that number."""
        phone = normalize_phone(phone_number)
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                holder = await conn.fetchval("SELECT id FROM bots WHERE phone_number = $1", phone)
                if holder is not None and holder != bot_id:
                    raise ConflictError(f"phone number {phone} is already assigned to another bot")
                updated = await conn.fetchval(
                    """UPDATE bots SET phone_number = $3, updated_at = now()
                       WHERE company_id = $1 AND id = $2 RETURNING id""",
                    company_id,
                    bot_id,
                    phone,
                )
        if updated is None:
            raise _missing(bot_id)
        return await self.get(company_id, bot_id)
