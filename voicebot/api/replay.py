"""``/v1/bots/{id}/replay``: replay the bot's recorded calls on a new scenario, optionally deploying it.

``POST /v1/bots/{id}/replay`` with ``deploy: false`` only reports (nothing is written). With
``deploy: true`` it is ``voicebot bot deploy --replay``: a scenario that makes replayed calls fail
(dead end or lower outcome) is refused with 409 and the report, unless ``warn_only``; a deployed
version keeps its replay result (``GET /v1/bots/{id}/replays``). A deactivated bot stays deactivated.
"""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.bots import _load
from voicebot.api.errors import error_responses
from voicebot.errors import ConfigError

__all__ = ["register"]

TAGS: list[str | Enum] = ["bots"]


class ReplayIn(BaseModel):
    scenario: str = Field(description="The new scenario YAML; its bot.id must be the bot's slug.")
    since: str = Field(
        default="7d", description="Replay calls of this span (7d, 12h, 30m, 2w) or an ISO date."
    )
    deploy: bool = Field(
        default=False, description="Deploy the scenario unless the replay shows regressions."
    )
    warn_only: bool = Field(default=False, description="With deploy: deploy even with regressions.")


class ReplayOut(BaseModel):
    replay: dict[str, Any] | None = Field(description="The report (summary, calls with verdicts and diffs).")
    deployed: bool
    version: int | None = Field(default=None, description="The deployed scenario version.")


def register(app: FastAPI) -> None:
    @app.post(
        "/v1/bots/{bot_id}/replay",
        tags=TAGS,
        response_model=ReplayOut,
        responses=error_responses(401, 404, 409, 422),
    )
    async def replay(
        bot_id: uuid.UUID, body: ReplayIn, company: CurrentCompany, services: Services
    ) -> ReplayOut | JSONResponse:
        """Replay the bot's recorded calls on ``scenario`` (and deploy it with ``deploy: true``)."""
        from voicebot.runtime_replay import parse_since

        if services.replay is None:
            raise ConfigError("replay is not offered by this server")
        bot = await services.company_bots.get(company.id, bot_id)
        loaded = await _load(body.scenario)
        if loaded.scenario.bot.id != bot.slug:
            raise ConfigError(
                f"the scenario's bot.id is {loaded.scenario.bot.id!r} but this bot is {bot.slug!r}"
            )
        since = parse_since(body.since)
        if not body.deploy:
            report = await services.replay.replay(company.id, bot_id, loaded, since=since)
            return ReplayOut(replay=report, deployed=False)
        report_or_none, result = await services.replay.deploy(
            company.id, bot.phone_number, loaded, since=since, warn_only=body.warn_only
        )
        if result is None:
            summary: dict[str, Any] = (report_or_none or {}).get("summary", {})
            return JSONResponse(
                {
                    "detail": f"deploy refused: {summary.get('regressed', 0)} replayed calls now fail "
                    "(warn_only deploys anyway)",
                    "replay": report_or_none,
                },
                status_code=409,
            )
        return ReplayOut(replay=report_or_none, deployed=True, version=getattr(result, "version", None))

    @app.get("/v1/bots/{bot_id}/replays", tags=TAGS, responses=error_responses(401, 404))
    async def kept(bot_id: uuid.UUID, company: CurrentCompany, services: Services) -> list[dict[str, Any]]:
        """The replay results kept with the bot's scenario versions, newest first."""
        await services.company_bots.get(company.id, bot_id)
        if services.replay is None:
            return []
        return await services.replay.kept(bot_id)
