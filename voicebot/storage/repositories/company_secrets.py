"""A company's action secrets: values substituted for ``{secret.<name>}`` in its action requests.

Stored server-side per company (table ``company_secrets``, migration 0007). Values are written and read
for a call's requests only; listing returns names and dates, never values, and nothing here logs one.
"""

from __future__ import annotations

import builtins
import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voicebot.errors import ConfigError, NotFoundError
from voicebot.storage.errors import translated

__all__ = ["CompanySecrets", "SecretInfo", "check_secret"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_VALUE = 8192


@dataclass(frozen=True, slots=True)
class SecretInfo:
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime


def check_secret(name: str, value: str | None = None) -> None:
    """ConfigError naming the rule a secret's name (or value) breaks."""
    if not _NAME.match(name):
        raise ConfigError(
            f"secret name {name!r} must be lowercase letters, digits and '_', starting with a letter "
            "(at most 64 characters)"
        )
    if value is not None and not 1 <= len(value) <= MAX_VALUE:
        raise ConfigError(f"a secret's value must be 1 to {MAX_VALUE} characters")


class CompanySecrets:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def set(self, company_id: uuid.UUID, name: str, value: str) -> SecretInfo:
        """Create or replace one secret."""
        check_secret(name, value)
        with translated():
            row = await self._pool.fetchrow(
                """INSERT INTO company_secrets (company_id, name, value) VALUES ($1, $2, $3)
                   ON CONFLICT (company_id, name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
                   RETURNING name, created_at, updated_at""",
                company_id,
                name,
                value,
            )
        return SecretInfo(**dict(row))

    async def discard(self, company_id: uuid.UUID, name: str) -> bool:
        """Delete one secret; False when there was none."""
        with translated():
            status = await self._pool.execute(
                "DELETE FROM company_secrets WHERE company_id = $1 AND name = $2", company_id, name
            )
        return not str(status).endswith(" 0")

    async def delete(self, company_id: uuid.UUID, name: str) -> None:
        """Delete one secret; NotFoundError when there was none."""
        if not await self.discard(company_id, name):
            raise NotFoundError(f"no secret named {name!r}")

    async def list(self, company_id: uuid.UUID) -> builtins.list[SecretInfo]:
        """Names and dates only."""
        with translated():
            rows = await self._pool.fetch(
                "SELECT name, created_at, updated_at FROM company_secrets WHERE company_id = $1 "
                "ORDER BY name",
                company_id,
            )
        return [SecretInfo(**dict(r)) for r in rows]

    async def values(self, company_id: uuid.UUID | None, names: Sequence[str]) -> Mapping[str, str]:
        """The values of those of ``names`` that are set (for the HTTP action runner only)."""
        if company_id is None or not names:
            return {}
        with translated():
            rows = await self._pool.fetch(
                "SELECT name, value FROM company_secrets WHERE company_id = $1 AND name = ANY($2::text[])",
                company_id,
                builtins.list(names),
            )
        return {r["name"]: r["value"] for r in rows}
