"""Background work the API owns (knowledge ingestion): started by a request, cancelled and awaited on
shutdown, at most one per key (a new upload of the same document replaces the running one)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Coroutine
from typing import Any

import structlog

__all__ = ["BackgroundWork"]

_log = structlog.get_logger("voicebot.api")


class BackgroundWork:
    def __init__(self) -> None:
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._closed = False

    def start(self, key: uuid.UUID, work: Coroutine[Any, Any, None]) -> None:
        if self._closed:
            work.close()
            raise RuntimeError("the API is shutting down")
        task = asyncio.create_task(work, name=f"api-work-{key}")
        self._tasks[key] = task
        task.add_done_callback(lambda t: self._done(key, t))

    def _done(self, key: uuid.UUID, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled() and task.exception() is not None:
            _log.error("api_background_work_failed", key=str(key), exc_info=task.exception())

    def running(self, key: uuid.UUID) -> bool:
        return key in self._tasks

    async def cancel(self, key: uuid.UUID) -> None:
        """Cancel the work under ``key`` (if any) and wait until it has cleaned up."""
        task = self._tasks.get(key)
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    async def join(self) -> None:
        """Wait for all current work to finish (tests, graceful drains)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def aclose(self) -> None:
        """Refuse new work, cancel what runs and wait for it (each task leaves its document in error)."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
