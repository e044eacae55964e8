"""Our exception tree as JSON errors: ``{"detail": "..."}`` with the status a client can act on.

| error                                   | status |
|-----------------------------------------|--------|
| NotFoundError                           | 404 (also for another company's ids)   |
| ConflictError                           | 409    |
| ScenarioError                           | 422, with ``problems``: ``file:line:col: message`` |
| RequestValidationError                  | 422, FastAPI's list without the input (see textguard) |
| ConfigError, non-retryable KnowledgeError | 422  |
| retryable StorageError / KnowledgeError | 503 with ``Retry-After`` |
| anything else                           | 500 ``internal error`` (logged with its traceback, never sent) |

A response never carries a traceback or a database message: those go to the log only.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from voicebot.api.textguard import printable, validation_error
from voicebot.errors import (
    ConfigError,
    ConflictError,
    KnowledgeError,
    NotFoundError,
    ScenarioError,
    StorageError,
    VoicebotError,
)

__all__ = ["ErrorBody", "ScenarioErrorBody", "error_responses", "install_error_handlers"]

_log = structlog.get_logger("voicebot.api")

# OpenAPI documentation of the error bodies.
ErrorBody: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
ScenarioErrorBody: dict[str, Any] = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "path": {"type": "string"},
                    "line": {"type": "integer"},
                    "col": {"type": "integer"},
                    "message": {"type": "string"},
                    "text": {"type": "string", "description": "file:line:col: message"},
                },
            },
        },
    },
    "required": ["detail"],
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting our JSON error body for ``codes``."""
    return {
        code: {
            "description": _DESCRIPTIONS.get(code, "error"),
            "content": {"application/json": {"schema": ErrorBody}},
        }
        for code in codes
    }


_DESCRIPTIONS = {
    401: "missing or invalid API key",
    404: "not found (or not this company's)",
    409: "conflict: a unique value is taken",
    413: "request body too large",
    422: "invalid input",
    503: "temporarily unavailable; retry later",
}


def _json(status: int, detail: str, **extra: Any) -> JSONResponse:
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse({"detail": printable(detail), **extra}, status_code=status, headers=headers)


def response_for(exc: VoicebotError) -> JSONResponse:
    if isinstance(exc, ScenarioError):
        problems = [
            {
                "path": p.path,
                "line": p.line,
                "col": p.col,
                "message": printable(p.message),
                "text": printable(str(p)),
            }
            for p in exc.problems
        ]
        return _json(422, "the scenario is invalid", problems=problems)
    if isinstance(exc, NotFoundError):
        return _json(404, str(exc))
    if isinstance(exc, ConflictError):
        return _json(409, str(exc))
    if isinstance(exc, ConfigError):
        return _json(422, str(exc))
    if isinstance(exc, StorageError):
        if exc.retryable:
            return _json(503, "the database is unavailable; retry later")
        _log.error("api_storage_error", error=str(exc), exc_info=exc)
        return _json(500, "internal error")
    if isinstance(exc, KnowledgeError):
        if exc.retryable:
            return _json(503, "the knowledge base is busy or unavailable; retry later")
        return _json(422, str(exc))
    if exc.retryable:
        return _json(503, "temporarily unavailable; retry later")
    return _json(400, str(exc))


def install_error_handlers(app: FastAPI) -> None:
    async def voicebot_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, VoicebotError)
        return response_for(exc)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("api_unhandled_error", method=request.method, path=request.url.path, exc_info=exc)
        return _json(500, "internal error")

    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(VoicebotError, voicebot_error)
    app.add_exception_handler(Exception, unexpected)
