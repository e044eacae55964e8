"""Is the database ready to serve? Reachable, and every migration of ``sql/`` applied (``/readyz``)."""

from __future__ import annotations

import asyncio
from typing import Any

from voicebot.errors import VoicebotError
from voicebot.storage.errors import translated
from voicebot.storage.migrations import pending

__all__ = ["readiness"]


async def readiness(pool: Any, *, timeout: float = 2.0) -> str | None:
    """None when ready, else the reason (one short sentence, no secrets)."""
    try:
        async with asyncio.timeout(timeout):
            with translated():
                async with pool.acquire() as conn:
                    todo = await pending(conn)
    except TimeoutError:
        return "the database did not answer in time"
    except VoicebotError as exc:
        if getattr(exc, "retryable", False):
            return "the database is unreachable"
        return "the database schema could not be checked"
    if todo:
        return f"{len(todo)} migration(s) pending, first {todo[0].name}; run `voicebot db migrate`"
    return None
