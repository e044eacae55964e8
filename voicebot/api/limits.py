"""Request body size limits, enforced while the body streams in (never buffered whole first).

Knowledge uploads may be up to ``ApiLimits.max_upload_bytes`` (plus the multipart envelope); every other
request body up to ``max_body_bytes``. A declared ``Content-Length`` over the limit is answered 413 before
the body is read; a body that grows past it (chunked transfer) is cut off with a 413 as soon as it does.
Both answers are our JSON error body.
"""

from __future__ import annotations

import re

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voicebot.api.services import ApiLimits

__all__ = ["MULTIPART_OVERHEAD", "BodyLimit"]

MULTIPART_OVERHEAD = 64 * 1024
_UPLOAD = re.compile(r"^/(v1|console)/bots/[^/]+/knowledge/?$")  # API and console uploads
_CSV_UPLOAD = re.compile(r"^/v1/campaigns/csv/?$")  # a campaign's numbers as a CSV body


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limits: ApiLimits) -> None:
        self.app = app
        self.limits = limits

    def _limit(self, scope: Scope) -> int:
        if scope["method"] == "POST" and _UPLOAD.match(scope["path"]):
            return self.limits.max_upload_bytes + MULTIPART_OVERHEAD
        if scope["method"] == "POST" and _CSV_UPLOAD.match(scope["path"]):
            return self.limits.max_upload_bytes
        return self.limits.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        detail = f"the request body is larger than {limit} bytes"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises an HTTPException met while reading the body: the error handlers
                    # turn it into our JSON 413.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, limited, send)
