"""Hostile text at the API's edge: refused with a 4xx and a reason, never a 500.

- URLs: a path or query string that decodes to a control character (NUL, CR, LF...) is answered 400
  before routing (``GET /v1/calls?outcome=%00`` would otherwise reach Postgres, which refuses NUL).
- JSON text fields typed :data:`SafeText`: NUL and lone UTF-16 surrogates (``"\\ud800"``) are a 422.
  Scenario YAML is checked by the scenario loader instead, which reports ``scenario.yaml:line:col``.
- Validation errors keep FastAPI's shape (``detail`` is a list of ``{loc, msg, type}``) but never echo
  the input, which may be unserializable (``NaN``, ``Infinity``, a lone surrogate) and is the client's
  own anyway.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["SafeText", "UrlTextGuard", "printable", "validation_error"]

_BAD_TEXT = re.compile(r"[\x00\ud800-\udfff]")
_URL_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _refuse_bad_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain a NUL character (\\u0000)")
    if _BAD_TEXT.search(value):
        raise ValueError("text must not contain a lone UTF-16 surrogate (an escape like \\ud800)")
    return value


SafeText = Annotated[str, AfterValidator(_refuse_bad_text)]
"""A ``str`` request field that Postgres and every client can store and print."""


def printable(value: str) -> str:
    """``value`` with lone surrogates replaced by U+FFFD, so it encodes as UTF-8 in a response."""
    return _SURROGATE.sub("\ufffd", value)


def _loc_part(part: Any) -> str | int:
    return part if isinstance(part, int) else printable(str(part))


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [_loc_part(p) for p in error.get("loc", ())],
            "msg": printable(str(error.get("msg", ""))),
            "type": printable(str(error.get("type", ""))),
        }
        for error in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


class UrlTextGuard:
    """400 for a request whose path or query string decodes to a control character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogatepass")
            query = scope.get("query_string", b"")
            decoded = unquote_to_bytes(raw_path) + unquote_to_bytes(query.replace(b"+", b" "))
            if _URL_CONTROL.search(decoded) or _SURROGATE.search(scope["path"]):
                detail = "the request URL must not contain control characters (such as %00, %0A, %0D)"
                await JSONResponse({"detail": detail}, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)
