"""What the company console reads and writes beyond the admin API's repositories.

- :class:`ConsoleSessions`: sign-in sessions (``console_sessions``, sql/0013). The browser holds a random
  token; only its sha256 is stored. A session of a deactivated company is not found.
- :class:`ConsoleQueries`: scenario versions of a bot, the call list with a phone search, the calls in
  progress, and the outcome mix per scenario version. Every query is scoped by ``company_id`` and a row
  of another company is a :class:`NotFoundError` worded like one that does not exist.
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass, replace
from typing import Any

from voicebot.errors import NotFoundError
from voicebot.storage.errors import translated
from voicebot.storage.repositories.call_history import CALL_SELECT, CallFilters, CallHistory, CallRow
from voicebot.storage.tenancy import system_scope

__all__ = [
    "ConsoleQueries",
    "ConsoleSession",
    "ConsoleSessions",
    "NewSession",
    "OutcomeMix",
    "ScenarioVersion",
]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    company_id: uuid.UUID
    company_name: str
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    """Goes into the cookie; never stored."""
    session: ConsoleSession


@dataclass(frozen=True, slots=True)
class ScenarioVersion:
    id: uuid.UUID
    version: int
    sha256: str
    created_at: dt.datetime
    current: bool


@dataclass(frozen=True, slots=True)
class OutcomeMix:
    version: int | None
    outcome: str
    calls: int


class ConsoleSessions:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def create(self, company_id: uuid.UUID, *, lifetime: dt.timedelta) -> NewSession:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        with translated():
            row = await self._pool.fetchrow(
                """WITH s AS (
                       INSERT INTO console_sessions (token_hash, company_id, csrf_token, expires_at)
                       VALUES ($1, $2, $3, now() + $4::interval) RETURNING company_id, csrf_token, expires_at)
                   SELECT s.company_id, c.name AS company_name, s.csrf_token, s.expires_at
                   FROM s JOIN companies c ON c.id = s.company_id""",
                _hash(token),
                company_id,
                csrf,
                lifetime,
            )
            # Expired sessions are swept on sign-in: the table stays the size of the live sessions.
            # Every company's: maintenance, not the signed-in company's data (row-level security).
            with system_scope():
                await self._pool.execute("DELETE FROM console_sessions WHERE expires_at < now()")
        return NewSession(token, ConsoleSession(**dict(row)))

    async def get(self, token: str) -> ConsoleSession | None:
        """The live session of ``token`` (not expired, company active), or None."""
        with translated():
            row = await self._pool.fetchrow(
                """SELECT s.company_id, c.name AS company_name, s.csrf_token, s.expires_at
                   FROM console_sessions s JOIN companies c ON c.id = s.company_id
                   WHERE s.token_hash = $1 AND s.expires_at > now() AND c.is_active""",
                _hash(token),
            )
        return None if row is None else ConsoleSession(**dict(row))

    async def delete(self, token: str) -> None:
        with translated():
            await self._pool.execute("DELETE FROM console_sessions WHERE token_hash = $1", _hash(token))


class ConsoleQueries:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def calls(
        self,
        company_id: uuid.UUID,
        filters: CallFilters,
        *,
        phone: str | None = None,
        limit: int = 50,
        after: tuple[dt.datetime, uuid.UUID] | None = None,
    ) -> builtins.list[CallRow]:
        """``CallHistory.list`` with the phone search: ``phone`` is digits in the caller's number."""
        return await CallHistory(self._pool).list(
            company_id, replace(filters, phone=phone or None), limit=limit, after=after
        )

    async def live_calls(self, company_id: uuid.UUID, *, limit: int = 100) -> builtins.list[CallRow]:
        """Calls in progress, oldest first."""
        with translated():
            rows = await self._pool.fetch(
                f"{CALL_SELECT} WHERE b.company_id = $1 AND c.status = 'active' "
                "ORDER BY c.started_at, c.id LIMIT $2",
                company_id,
                limit,
            )
        return [CallRow(**dict(r)) for r in rows]

    async def versions(self, company_id: uuid.UUID, bot_id: uuid.UUID) -> builtins.list[ScenarioVersion]:
        """The bot's scenario versions, newest first."""
        with translated():
            rows = await self._pool.fetch(
                """SELECT v.id, v.version, v.sha256, v.created_at, v.id = b.current_version_id AS current
                   FROM scenario_versions v JOIN bots b ON b.id = v.bot_id
                   WHERE b.company_id = $1 AND b.id = $2 ORDER BY v.version DESC""",
                company_id,
                bot_id,
            )
        return [ScenarioVersion(**dict(r)) for r in rows]

    async def version_source(self, company_id: uuid.UUID, bot_id: uuid.UUID, version: int) -> str:
        with translated():
            source = await self._pool.fetchval(
                """SELECT v.source FROM scenario_versions v JOIN bots b ON b.id = v.bot_id
                   WHERE b.company_id = $1 AND b.id = $2 AND v.version = $3""",
                company_id,
                bot_id,
                version,
            )
        if source is None:
            raise NotFoundError(f"no version {version} of bot {bot_id}")
        return str(source)

    async def outcome_mix(self, company_id: uuid.UUID, bot_id: uuid.UUID) -> builtins.list[OutcomeMix]:
        """Calls per scenario version and outcome (``(none)`` for calls without one), newest version first."""
        with translated():
            rows = await self._pool.fetch(
                """SELECT v.version, coalesce(o.outcome_type, '(none)') AS outcome, count(*) AS calls
                   FROM calls c JOIN bots b ON b.id = c.bot_id
                   LEFT JOIN scenario_versions v ON v.id = c.scenario_version_id
                   LEFT JOIN outcomes o ON o.call_id = c.id
                   WHERE b.company_id = $1 AND c.bot_id = $2
                   GROUP BY 1, 2 ORDER BY 1 DESC NULLS LAST, 3 DESC, 2""",
                company_id,
                bot_id,
            )
        return [OutcomeMix(**dict(r)) for r in rows]
