"""A company's do-not-call list: numbers its campaigns and ``POST /v1/calls`` never dial.

Checked when a campaign is created (a listed number is a row error), again before every attempt (a
number listed after the campaign began is skipped as ``do_not_call``), and before a single call.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from voicebot.storage.errors import translated

__all__ = ["DoNotCall", "DoNotCallEntry"]


@dataclass(frozen=True, slots=True)
class DoNotCallEntry:
    phone_number: str
    reason: str | None
    created_at: dt.datetime


class DoNotCall:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def add(self, company_id: uuid.UUID, numbers: Iterable[str], *, reason: str | None = None) -> int:
        """Add E.164 numbers (already normalized); how many were new."""
        values = sorted(set(numbers))
        with translated():
            tag: str = await self._pool.execute(
                """INSERT INTO do_not_call (company_id, phone_number, reason)
                   SELECT $1, n, $3 FROM unnest($2::text[]) AS n
                   ON CONFLICT DO NOTHING""",
                company_id,
                values,
                reason,
            )
        return int(tag.split()[-1])

    async def remove(self, company_id: uuid.UUID, number: str) -> bool:
        with translated():
            tag: str = await self._pool.execute(
                "DELETE FROM do_not_call WHERE company_id = $1 AND phone_number = $2", company_id, number
            )
        return tag.split()[-1] != "0"

    async def contains(self, company_id: uuid.UUID, number: str) -> bool:
        with translated():
            found = await self._pool.fetchval(
                "SELECT true FROM do_not_call WHERE company_id = $1 AND phone_number = $2", company_id, number
            )
        return bool(found)

    async def all_numbers(self, company_id: uuid.UUID) -> frozenset[str]:
        with translated():
            rows = await self._pool.fetch(
                "SELECT phone_number FROM do_not_call WHERE company_id = $1", company_id
            )
        return frozenset(r["phone_number"] for r in rows)

    async def list(
        self, company_id: uuid.UUID, *, limit: int = 100, after: str | None = None
    ) -> builtins.list[DoNotCallEntry]:
        """In number order; ``after`` is the last number of the previous page."""
        with translated():
            rows = await self._pool.fetch(
                """SELECT phone_number, reason, created_at FROM do_not_call
                   WHERE company_id = $1 AND ($2::text IS NULL OR phone_number > $2)
                   ORDER BY phone_number LIMIT $3""",
                company_id,
                after,
                limit,
            )
        return [DoNotCallEntry(**dict(r)) for r in rows]
