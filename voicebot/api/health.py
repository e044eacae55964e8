"""``/healthz`` (the process answers), ``/readyz`` (database reachable, migrations applied), ``/metrics``.

These three need no API key: put them behind the network's own access rules, not the internet.
"""

from __future__ import annotations

from enum import Enum

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from voicebot.api.auth import Services
from voicebot.observability.metrics import exposition

__all__ = ["PUBLIC_PATHS", "register"]

TAGS: list[str | Enum] = ["health"]

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class Health(BaseModel):
    status: str
    reason: str | None = None


def register(app: FastAPI) -> None:
    @app.get("/healthz", tags=TAGS, response_model=Health)
    async def healthz() -> Health:
        return Health(status="ok")

    @app.get(
        "/readyz",
        tags=TAGS,
        response_model=Health,
        responses={503: {"model": Health, "description": "not ready"}},
    )
    async def readyz(services: Services) -> JSONResponse:
        reason = await services.readiness()
        if reason is None:
            return JSONResponse(Health(status="ready").model_dump())
        return JSONResponse(Health(status="unavailable", reason=reason).model_dump(), status_code=503)

    @app.get("/metrics", tags=TAGS, response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    async def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type)
