"""Companies (tenants): API keys stored as hashes, webhook URL and signing secrets with rotation."""

from __future__ import annotations

import base64
import builtins
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from voicebot.errors import ConfigError, NotFoundError
from voicebot.storage.errors import translated

__all__ = ["Companies", "Company", "NewCompany", "hash_api_key", "parse_company_id"]

API_KEY_PREFIX = "vbk_"


def hash_api_key(api_key: str) -> str:
    """sha256 hex of a key. Keys are 256 random bits, so no slow KDF is needed to resist guessing."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_url(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"webhook URL {url!r} must be an absolute http:// or https:// URL")
    return url


def parse_company_id(raw: str) -> uuid.UUID:
    """A company id from the command line; ConfigError naming what was expected."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ConfigError(
            f"company id {raw!r} is not a UUID (use the id printed by `voicebot company create`)"
        ) from None


@dataclass(frozen=True, slots=True)
class Company:
    id: uuid.UUID
    name: str
    webhook_url: str | None
    api_key_prefix: str
    is_active: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewCompany:
    company: Company
    api_key: str  # shown once; only its hash is stored
    webhook_secret: str


_COLUMNS = "id, name, webhook_url, api_key_prefix, is_active, created_at"


def _company(row: Any) -> Company:
    return Company(**dict(row))


class Companies:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def create(self, name: str, *, webhook_url: str | None = None) -> NewCompany:
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise ConfigError(f"company name {name!r} must be 1 to 200 characters")
        webhook_url = _check_url(webhook_url)
        api_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        secret = _new_secret()
        with translated():
            row = await self._pool.fetchrow(
                f"""INSERT INTO companies (name, api_key_hash, api_key_prefix, webhook_url, webhook_secret)
                    VALUES ($1, $2, $3, $4, $5) RETURNING {_COLUMNS}""",
                name,
                hash_api_key(api_key),
                api_key[:10],
                webhook_url,
                secret,
            )
        return NewCompany(_company(row), api_key, secret)

    async def get(self, company_id: uuid.UUID) -> Company:
        with translated():
            row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM companies WHERE id = $1", company_id)
        if row is None:
            raise NotFoundError(f"no company with id {company_id}")
        return _company(row)

    async def list(self) -> builtins.list[Company]:
        with translated():
            rows = await self._pool.fetch(f"SELECT {_COLUMNS} FROM companies ORDER BY created_at, id")
        return [_company(r) for r in rows]

    async def authenticate(self, api_key: str) -> Company | None:
        """The active company owning ``api_key``, or None (one indexed lookup by hash)."""
        with translated():
            row = await self._pool.fetchrow(
                f"SELECT {_COLUMNS}, api_key_hash FROM companies WHERE api_key_hash = $1 AND is_active",
                hash_api_key(api_key),
            )
        if row is None or not hmac.compare_digest(row["api_key_hash"], hash_api_key(api_key)):
            return None
        return Company(**{k: v for k, v in row.items() if k != "api_key_hash"})

    async def webhook_secrets(self, company_id: uuid.UUID) -> builtins.list[str]:
        """Secrets to sign with: the current one first, then the previous one while its grace lasts."""
        with translated():
            row = await self._pool.fetchrow(
                """SELECT webhook_secret,
                          CASE WHEN webhook_secret_previous_expires_at > now()
                               THEN webhook_secret_previous END AS previous
                   FROM companies WHERE id = $1""",
                company_id,
            )
        if row is None:
            raise NotFoundError(f"no company with id {company_id}")
        return [row["webhook_secret"], *([row["previous"]] if row["previous"] else [])]

    async def rotate_webhook_secret(self, company_id: uuid.UUID, *, grace: dt.timedelta) -> str:
        """New current secret; the old one stays valid for ``grace``. Returns the new secret."""
        secret = _new_secret()
        with translated():
            updated = await self._pool.fetchval(
                """UPDATE companies
                   SET webhook_secret_previous = webhook_secret,
                       webhook_secret_previous_expires_at = now() + $2::interval,
                       webhook_secret = $3, updated_at = now()
                   WHERE id = $1 RETURNING id""",
                company_id,
                grace,
                secret,
            )
        if updated is None:
            raise NotFoundError(f"no company with id {company_id}")
        return secret
