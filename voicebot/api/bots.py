"""``/v1/bots``: list, get, create and update from a scenario YAML, activate, deactivate, phone number."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from enum import Enum
from typing import Any

from fastapi import FastAPI, Response
from pydantic import BaseModel, Field

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import ScenarioErrorBody, error_responses
from voicebot.api.textguard import SafeText
from voicebot.errors import ConfigError, ConflictError
from voicebot.scenario import LoadedScenario, load_text
from voicebot.storage.repositories.bots import BotInfo

__all__ = ["register"]

PREFIX = "/v1/bots"
TAGS: list[str | Enum] = ["bots"]
COMMON = error_responses(401, 404)

SCENARIO_PATH = "scenario.yaml"  # the file name in problems: scenario.yaml:LINE:COL: message


class BotOut(BaseModel):
    id: uuid.UUID
    slug: str = Field(description="bot.id of the scenario")
    name: str
    phone_number: str
    language: str
    is_active: bool
    version: int | None = Field(description="current scenario version")
    sha256: str | None = Field(description="sha256 of the current scenario source")
    updated_at: dt.datetime

    @classmethod
    def of(cls, b: BotInfo) -> BotOut:
        return cls(
            id=b.id,
            slug=b.slug,
            name=b.name,
            phone_number=b.phone_number,
            language=b.language,
            is_active=b.is_active,
            version=b.version,
            sha256=b.sha256,
            updated_at=b.updated_at,
        )


class BotCreate(BaseModel):
    scenario: str = Field(description="The scenario YAML (its bot.id names the bot).")
    phone_number: SafeText = Field(description="E.164, e.g. +14155550100", examples=["+14155550100"])


class ScenarioUpdate(BaseModel):
    scenario: str = Field(description="The new scenario YAML; its bot.id must be the bot's slug.")
    phone_number: SafeText | None = Field(default=None, description="E.164; default: keep the current number")


class PhoneUpdate(BaseModel):
    phone_number: SafeText = Field(description="E.164, e.g. +14155550100", examples=["+14155550100"])


class DeployOut(BaseModel):
    bot: BotOut
    version: int
    created: bool = Field(description="a new bot")
    changed: bool = Field(description="a new scenario version (false: same source as the current one)")


async def _load(text: str) -> LoadedScenario:
    # NUL and lone surrogates are refused by the loader, with scenario.yaml:line:col.
    return await asyncio.to_thread(load_text, text, SCENARIO_PATH)


_SCENARIO_422: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "invalid scenario or input",
        "content": {"application/json": {"schema": ScenarioErrorBody}},
    }
}


def register(app: FastAPI) -> None:
    @app.get(PREFIX, tags=TAGS, response_model=list[BotOut], responses=COMMON)
    async def list_bots(company: CurrentCompany, services: Services) -> list[BotOut]:
        return [BotOut.of(b) for b in await services.company_bots.list(company.id)]

    @app.post(
        PREFIX,
        tags=TAGS,
        status_code=201,
        response_model=DeployOut,
        responses={**COMMON, **error_responses(409), **_SCENARIO_422},
    )
    async def create_bot(body: BotCreate, company: CurrentCompany, services: Services) -> DeployOut:
        """Create a bot from a scenario; its problems are reported as ``scenario.yaml:LINE:COL: message``."""
        loaded = await _load(body.scenario)
        slug = loaded.scenario.bot.id
        existing = await services.company_bots.by_slug(company.id, slug)
        if existing is not None:
            raise ConflictError(
                f"a bot with id {slug!r} already exists ({existing.id}); update its scenario instead"
            )
        result = await services.bots.deploy(company.id, body.phone_number, loaded)
        bot = await services.company_bots.get(company.id, result.bot_id)
        return DeployOut(
            bot=BotOut.of(bot), version=result.version, created=result.created, changed=result.changed
        )

    @app.get(PREFIX + "/{bot_id}", tags=TAGS, response_model=BotOut, responses=COMMON)
    async def get_bot(bot_id: uuid.UUID, company: CurrentCompany, services: Services) -> BotOut:
        return BotOut.of(await services.company_bots.get(company.id, bot_id))

    @app.get(
        PREFIX + "/{bot_id}/scenario",
        tags=TAGS,
        response_class=Response,
        responses={**COMMON, 200: {"content": {"application/yaml": {"schema": {"type": "string"}}}}},
    )
    async def get_scenario(bot_id: uuid.UUID, company: CurrentCompany, services: Services) -> Response:
        """The current scenario's YAML, exactly as deployed."""
        source = await services.company_bots.scenario_source(company.id, bot_id)
        return Response(source, media_type="application/yaml")

    @app.put(
        PREFIX + "/{bot_id}/scenario",
        tags=TAGS,
        response_model=DeployOut,
        responses={**COMMON, **error_responses(409), **_SCENARIO_422},
    )
    async def update_scenario(
        bot_id: uuid.UUID, body: ScenarioUpdate, company: CurrentCompany, services: Services
    ) -> DeployOut:
        """Deploy a new scenario version (unchanged source keeps the current version). A deactivated bot stays
        deactivated."""
        bot = await services.company_bots.get(company.id, bot_id)
        loaded = await _load(body.scenario)
        if loaded.scenario.bot.id != bot.slug:
            raise ConfigError(
                f"the scenario's bot.id is {loaded.scenario.bot.id!r} but this bot is {bot.slug!r} "
                "(create a new bot for another bot.id)"
            )
        phone = body.phone_number or bot.phone_number
        result = await services.bots.deploy(company.id, phone, loaded, activate=False)
        bot = await services.company_bots.get(company.id, bot_id)
        return DeployOut(
            bot=BotOut.of(bot), version=result.version, created=result.created, changed=result.changed
        )

    @app.post(PREFIX + "/{bot_id}/activate", tags=TAGS, response_model=BotOut, responses=COMMON)
    async def activate(bot_id: uuid.UUID, company: CurrentCompany, services: Services) -> BotOut:
        """The bot answers calls on its number again."""
        return BotOut.of(await services.company_bots.set_active(company.id, bot_id, True))

    @app.post(PREFIX + "/{bot_id}/deactivate", tags=TAGS, response_model=BotOut, responses=COMMON)
    async def deactivate(bot_id: uuid.UUID, company: CurrentCompany, services: Services) -> BotOut:
        """The bot stops answering calls (within 30 s on running workers); its data is kept."""
        return BotOut.of(await services.company_bots.set_active(company.id, bot_id, False))

    @app.put(
        PREFIX + "/{bot_id}/phone",
        tags=TAGS,
        response_model=BotOut,
        responses={**COMMON, **error_responses(409, 422)},
    )
    async def set_phone(
        bot_id: uuid.UUID, body: PhoneUpdate, company: CurrentCompany, services: Services
    ) -> BotOut:
        """Move the bot to another number (E.164). A number another bot has is a 409."""
        return BotOut.of(await services.company_bots.set_phone(company.id, bot_id, body.phone_number))
