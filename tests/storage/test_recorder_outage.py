"""Adversity: Postgres stops in the middle of many concurrent calls, and the recording process is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import PrivatePostgres
from tests.storage.recording import assert_complete, call_records, counts, expected
from voicebot.storage import Journal, PostgresSink, Recorder, create_pool

REPO = Path(__file__).resolve().parents[2]


class CountingMetrics:
    def __init__(self) -> None:
        self.spilled_n = 0
        self.replayed_n = 0
        self.unavailable_n = 0

    def written(self, records: int, seconds: float) -> None:
        pass

    def spilled(self, records: int) -> None:
        self.spilled_n += records

    def replayed(self, records: int) -> None:
        self.replayed_n += records

    def rejected(self, records: int) -> None:
        raise AssertionError(f"{records} records refused")

    def unavailable(self) -> None:
        self.unavailable_n += 1


async def test_postgres_stop_and_start_mid_recording_loses_and_duplicates_nothing(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    pool = await create_pool(private_postgres.url, min_size=1, max_size=2, command_timeout=5)
    await pool.execute("TRUNCATE calls CASCADE")
    metrics = CountingMetrics()
    recorder = Recorder(
        sink=PostgresSink(pool, timeout=2.0),
        journal=Journal(tmp_path / "journal"),
        buffer_max=300,
        batch_max=200,
        spill_after=0.2,
        max_backoff=0.2,
        metrics=metrics,
    )
    calls, turns = 40, 40
    call_ids = [uuid.uuid4() for _ in range(calls)]
    slowest = 0.0

    async def call(call_id: uuid.UUID) -> None:
        nonlocal slowest
        for record in call_records(call_id, None, turns):
            started = time.perf_counter()
            recorder.record(record)
            slowest = max(slowest, time.perf_counter() - started)
            await asyncio.sleep(0.005)

    async def outage() -> None:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(private_postgres.stop)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(private_postgres.start)

    async with recorder:
        await asyncio.gather(outage(), *(call(c) for c in call_ids))
        assert await recorder.flush(timeout=30)
    try:
        assert metrics.unavailable_n > 0, "the outage did not happen while recording"
        assert metrics.spilled_n > 0 and metrics.replayed_n > 0, "the journal was not exercised"
        await assert_complete(pool, call_ids, turns)
        assert slowest < 0.05, f"record() took {slowest * 1e3:.2f} ms"  # loose: 2 shared cores; see bench/
        assert list((tmp_path / "journal").rglob("[0-9]*.jsonl")) == []
    finally:
        await pool.close()


CHILD = textwrap.dedent(
    """
    import asyncio, sys, uuid
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from tests.storage.recording import call_records
    from voicebot.storage import Journal, PostgresSink, Recorder, create_pool

    async def main():
        pool = await create_pool("postgresql://nobody:x@127.0.0.1:9/none", min_size=0, max_size=1)
        recorder = Recorder(sink=PostgresSink(pool, timeout=0.2), journal=Journal(Path({journal!r})),
                            buffer_max=50, spill_after=0.0, max_backoff=0.05)
        await recorder.start()
        for call_id in {call_ids!r}:
            for record in call_records(uuid.UUID(call_id), None, {turns}):
                recorder.record(record)
        while recorder.buffered:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # the journal thread's last segment
        print("READY", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


async def test_a_killed_process_journal_is_replayed_by_the_next_recorder(
    db_pool: Any, tmp_path: Path
) -> None:
    journal = tmp_path / "journal"
    call_ids = [uuid.uuid4() for _ in range(5)]
    code = CHILD.format(tests=str(REPO), journal=str(journal), call_ids=[str(c) for c in call_ids], turns=20)
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:  # structlog writes its warnings to stdout too
            if line.strip() == "READY":
                break
        else:
            raise AssertionError("the child exited before journaling its records")
        journaled = list(journal.rglob("[0-9]*.jsonl"))
        assert sum(len(p.read_text().splitlines()) for p in journaled) == 5 * (2 + 4 * 20)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert await counts(db_pool) == expected(0, 20)
    from prometheus_client import REGISTRY

    from voicebot.observability.metrics import RecorderPrometheusMetrics

    replayed_before = REGISTRY.get_sample_value("voicebot_recorder_replayed_records_total") or 0.0
    recorder = Recorder(
        sink=PostgresSink(db_pool), journal=Journal(journal), metrics=RecorderPrometheusMetrics()
    )
    async with recorder:
        assert await recorder.flush(timeout=10)
    await assert_complete(db_pool, call_ids, 20)
    # the journal-draining alert compares this with voicebot_recorder_spilled_records_total
    replayed = REGISTRY.get_sample_value("voicebot_recorder_replayed_records_total") or 0.0
    assert replayed - replayed_before == 5 * (2 + 4 * 20)
    assert [p.name for p in journal.iterdir()] in ([], ["rejected"])  # the dead process's directory is gone
