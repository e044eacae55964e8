"""``/v1/secrets``: the values a company's actions use as ``{secret.<name>}``, stored server-side.

A value can be set or replaced and deleted, never read back: listing shows names and dates only. The
HTTP action runner substitutes values into a call's requests; they are never logged or recorded.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import error_responses
from voicebot.storage.repositories.company_secrets import MAX_VALUE, CompanySecrets, SecretInfo

__all__ = ["register"]

PREFIX = "/v1/secrets"
TAGS: list[str | Enum] = ["secrets"]
COMMON = error_responses(401, 404)


class SecretOut(BaseModel):
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, s: SecretInfo) -> SecretOut:
        return cls(name=s.name, created_at=s.created_at, updated_at=s.updated_at)


class SecretList(BaseModel):
    items: list[SecretOut]


class SecretUpdate(BaseModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64, examples=["crm_token"])
    value: str | None = Field(
        min_length=1,
        max_length=MAX_VALUE,
        description="the new value (never returned); null deletes the secret",
        examples=["crm-api-token"],
    )


def _store(services: object) -> CompanySecrets:
    store = getattr(services, "secrets", None)
    if store is None:
        raise HTTPException(503, "secrets are not available on this server")
    return store  # type: ignore[no-any-return]


def register(app: FastAPI) -> None:
    @app.get(PREFIX, tags=TAGS, response_model=SecretList, responses=COMMON)
    async def list_secrets(company: CurrentCompany, services: Services) -> SecretList:
        """The company's secret names (values are never shown)."""
        return SecretList(items=[SecretOut.of(s) for s in await _store(services).list(company.id)])

    @app.put(PREFIX, tags=TAGS, response_model=SecretList, responses={**COMMON, **error_responses(422)})
    async def set_secret(body: SecretUpdate, company: CurrentCompany, services: Services) -> SecretList:
        """Create or replace the secret ``name`` (actions use it as ``{secret.name}``), or delete it with
        ``value: null`` (deleting one that does not exist is not an error). Returns the names."""
        store = _store(services)
        if body.value is None:
            await store.discard(company.id, body.name)
        else:
            await store.set(company.id, body.name, body.value)
        return SecretList(items=[SecretOut.of(s) for s in await store.list(company.id)])
