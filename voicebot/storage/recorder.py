"""Write-behind recording of calls: the caller's turn never waits for Postgres.

:meth:`Recorder.record` appends to an in-memory buffer and returns (O(1), no I/O, no await). One
background task owned by the recorder writes batches to a :class:`RecordSink` (Postgres, idempotent
on natural keys). When the sink is unreachable the call goes on and records accumulate:

* the buffer is bounded (``buffer_max``): when full, its records are handed to a single journal thread
  that writes them as one fsync-ed segment (see :mod:`voicebot.storage.journal`);
* after ``spill_after`` seconds of outage the buffer is also spilled, so a crash during an outage loses
  little; on :meth:`aclose` whatever cannot be written in ``timeout`` seconds is spilled too.

Order: journal segments are always older than the buffer. The flusher replays segments first (oldest
first, each deleted only after its rows are committed), then the buffer. A batch is only removed from
the buffer after it is committed; if the buffer was spilled meanwhile, the batch is in the journal
too and its replay is a no-op (``ON CONFLICT DO NOTHING``). Nothing is lost, no row is written twice.
Records the database refuses (bad data) are logged and kept in the journal's rejected file.

Heartbeat: the recorder knows which calls of this process are live (a ``CallStarted`` seen, its
``CallEnded`` not yet) and, from the flusher (never from the caller's path), writes their
``calls.last_heartbeat_at`` every ``heartbeat_interval`` seconds, and at once when the database comes
back after an outage. The reaper finalizes as dropped only calls whose heartbeat stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any, Protocol

import structlog

from voicebot.errors import StorageError
from voicebot.settings import Settings
from voicebot.storage.journal import Journal
from voicebot.storage.records import CallEnded, CallStarted, Record
from voicebot.storage.sink import PostgresSink, RecordSink

__all__ = ["NullRecorderMetrics", "Recorder", "RecorderMetrics"]

log = structlog.get_logger("voicebot.storage.recorder")


class RecorderMetrics(Protocol):
    """What the recorder reports; observability/ implements it with Prometheus."""

    def written(self, records: int, seconds: float) -> None: ...
    def spilled(self, records: int) -> None: ...
    def replayed(self, records: int) -> None: ...
    def rejected(self, records: int) -> None: ...
    def unavailable(self) -> None: ...


class NullRecorderMetrics:
    def written(self, records: int, seconds: float) -> None:
        pass

    def spilled(self, records: int) -> None:
        pass

    def replayed(self, records: int) -> None:
        pass

    def rejected(self, records: int) -> None:
        pass

    def unavailable(self) -> None:
        pass


class Recorder:
    """One per process. ``await start()`` (or ``async with``), ``record(...)`` from the call, ``aclose()``."""

    def __init__(
        self,
        *,
        sink: RecordSink,
        journal: Journal,
        buffer_max: int = 10_000,
        batch_max: int = 2_000,
        flush_interval: float = 0.05,
        spill_after: float = 1.0,
        max_backoff: float = 2.0,
        heartbeat_interval: float = 10.0,
        metrics: RecorderMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if buffer_max < 1 or batch_max < 1:
            raise ValueError(f"buffer_max={buffer_max} and batch_max={batch_max} must be at least 1")
        if flush_interval <= 0:
            raise ValueError(f"flush_interval={flush_interval} must be positive")
        self._sink = sink
        self._journal = journal
        self._buffer_max = buffer_max
        self._batch_max = min(batch_max, buffer_max)
        self._flush_interval = flush_interval
        self._spill_after = spill_after
        self._max_backoff = max_backoff
        self._metrics: RecorderMetrics = metrics or NullRecorderMetrics()
        self._clock = clock
        self._buf: deque[Record] = deque()
        self._gen = 0  # bumped whenever the buffer is handed to the journal
        self._spilling: deque[asyncio.Future[Any]] = deque()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voicebot-journal")
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._closed = False
        self._down_since: float | None = None
        self._live: dict[uuid.UUID, None] = {}
        self._heartbeat_interval = heartbeat_interval
        self._last_beat: float | None = None  # None: beat at the next successful flush
        beat = getattr(sink, "beat", None)
        self._beat: Callable[[Sequence[uuid.UUID]], Any] | None = beat if callable(beat) else None

    @classmethod
    def from_settings(
        cls, settings: Settings, pool: Any, *, metrics: RecorderMetrics | None = None
    ) -> Recorder:
        """The process's recorder: journal in ``<data_dir>/journal``, buffer and interval from settings."""
        return cls(
            sink=PostgresSink(pool),
            journal=Journal(settings.data_dir / "journal"),
            buffer_max=settings.recorder_buffer_max,
            flush_interval=settings.recorder_flush_interval or 0.05,
            metrics=metrics,
        )

    # ------------------------------------------------------------------ the caller's path

    def record(self, record: Record) -> None:
        """Hand a record over. Never blocks, never awaits, never raises for the database's sake."""
        if self._closed:
            raise StorageError("the recorder is closed")
        buf = self._buf
        buf.append(record)
        if isinstance(record, CallStarted):
            self._live[record.call_id] = None
        elif isinstance(record, CallEnded):
            self._live.pop(record.call_id, None)
        n = len(buf)
        if n >= self._batch_max:
            if n >= self._buffer_max:
                self._spill()
            elif not self._wake.is_set():
                self._wake.set()

    @property
    def buffered(self) -> int:
        """Records in memory, not yet committed nor journaled."""
        return len(self._buf)

    @property
    def live_calls(self) -> tuple[uuid.UUID, ...]:
        """The calls this process has started and not ended (those the heartbeat keeps alive)."""
        return tuple(self._live)

    @property
    def healthy(self) -> bool:
        """False while the database is unreachable."""
        return self._down_since is None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Open the journal (adopting dead processes' segments) and start the flusher."""
        if self._task is not None:
            return
        await asyncio.get_running_loop().run_in_executor(self._executor, self._journal.open)
        self._task = asyncio.create_task(self._run(), name="voicebot-recorder")

    async def adopt(self) -> int:
        """Adopt (and then replay) the journal segments of processes that exited; how many."""
        if self._task is None or self._closed:
            return 0
        loop = asyncio.get_running_loop()
        adopted: int = await loop.run_in_executor(self._executor, self._journal.adopt)
        if adopted:
            self._wake.set()
        return adopted

    async def __aenter__(self) -> Recorder:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything recorded so far is committed; False if that took longer than ``timeout``."""
        deadline = self._clock() + timeout
        while self._buf or self._spilling or self._journal.segments():
            if self._clock() >= deadline:
                return False
            self._wake.set()
            await asyncio.sleep(min(0.01, self._flush_interval))
        return True

    async def aclose(self, timeout: float = 5.0) -> None:
        """Write everything (waiting at most ``timeout`` s for the database), journal the rest, stop."""
        if self._closed:
            return
        self._closing = True
        self._wake.set()
        try:
            if self._task is not None:
                done, _ = await asyncio.wait({self._task}, timeout=timeout)
                if not done:
                    self._task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._task
        finally:
            # Must survive a cancelled aclose: journal synchronously what is still in memory.
            self._closed = True
            leftover = list(self._buf)
            self._buf.clear()
            self._executor.shutdown(wait=True)
            if leftover:
                if self._journal.dir is None:
                    self._journal.open()
                self._journal.write(leftover)
                self._metrics.spilled(len(leftover))
                log.warning("recorder_spilled_on_close", records=len(leftover))
            self._journal.close()

    # ------------------------------------------------------------------ background

    def _spill(self) -> None:
        if not self._buf:
            return
        records, self._buf = self._buf, deque()
        self._gen += 1
        loop = asyncio.get_running_loop()
        self._spilling.append(loop.run_in_executor(self._executor, self._journal.write, records))
        self._metrics.spilled(len(records))
        self._wake.set()

    async def _settle_spills(self) -> None:
        while self._spilling:
            future = self._spilling[0]
            try:
                await asyncio.shield(future)
            except OSError as exc:  # the disk failed us too: nothing else can keep these records
                log.error("recorder_journal_write_failed", error=str(exc))
            self._spilling.popleft()

    async def _write(self, batch: Sequence[Record]) -> None:
        started = self._clock()
        rejected = await self._sink.write(batch)
        self._metrics.written(len(batch) - len(rejected), self._clock() - started)
        if rejected:
            self._journal.reject(rejected)
            self._metrics.rejected(len(rejected))

    async def _drain(self) -> None:
        """Write journal segments then the buffer; raises StorageError(retryable) when the sink is down."""
        loop = asyncio.get_running_loop()
        while True:
            await self._settle_spills()
            segments = self._journal.segments()
            if segments:
                for segment in segments:
                    records = await loop.run_in_executor(self._executor, self._journal.read, segment)
                    for i in range(0, len(records), self._batch_max):
                        await self._write(records[i : i + self._batch_max])
                    self._journal.remove(segment)
                    self._metrics.replayed(len(records))
                continue
            if not self._buf:
                return
            gen = self._gen
            batch = list(islice(self._buf, self._batch_max))
            await self._write(batch)
            if gen == self._gen:
                for _ in range(len(batch)):
                    self._buf.popleft()

    async def _run(self) -> None:
        backoff = self._flush_interval
        while True:
            try:
                await self._drain()
                await self._heartbeat()
            except Exception as exc:
                retryable = isinstance(exc, StorageError) and exc.retryable
                now = self._clock()
                self._last_beat = None  # beat as soon as the database is back
                if self._down_since is None:
                    self._down_since = now
                    log.warning("recorder_database_unavailable", error=str(exc), retryable=retryable)
                self._metrics.unavailable()
                if self._closing:
                    return
                if now - self._down_since >= self._spill_after:
                    self._spill()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing_soon(), timeout=backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            if self._down_since is not None:
                log.info("recorder_database_back", outage_s=round(self._clock() - self._down_since, 3))
                self._down_since = None
            backoff = self._flush_interval
            if self._closing:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._flush_interval)
            self._wake.clear()

    async def _heartbeat(self) -> None:
        if self._beat is None or not self._live:
            return
        now = self._clock()
        if self._last_beat is not None and now - self._last_beat < self._heartbeat_interval:
            return
        await self._beat(tuple(self._live))
        self._last_beat = now

    async def _closing_soon(self) -> None:
        while not self._closing:
            self._wake.clear()
            await self._wake.wait()
