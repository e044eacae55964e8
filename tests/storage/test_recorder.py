"""The recorder with Postgres up: batching, idempotent replays, refused records, the journal on close."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

from tests.storage.helpers import DeployedBot
from tests.storage.recording import assert_complete, call_records, counts, expected
from voicebot.storage import Calls, Journal, PostgresSink, Recorder, Turn, create_pool


async def test_concurrent_calls_are_recorded_completely_with_their_fields(
    db_pool: Any, deployed_bot: DeployedBot, tmp_path: Path
) -> None:
    recorder = Recorder(sink=PostgresSink(db_pool), journal=Journal(tmp_path / "journal"), batch_max=100)
    call_ids = [uuid.uuid4() for _ in range(20)]

    async def call(call_id: uuid.UUID) -> None:
        for record in call_records(call_id, deployed_bot.bot_id, 15):
            recorder.record(record)
            await asyncio.sleep(0)

    async with recorder:
        await asyncio.gather(*(call(c) for c in call_ids))
        assert await recorder.flush()
    await assert_complete(db_pool, call_ids, 15)
    turn = (await Calls(db_pool).turns(call_ids[0]))[3]
    assert (turn.role, turn.text, turn.state, turn.stt_ms, turn.e2e_ms) == (
        "caller",
        "turn 3",
        "s3",
        12.5,
        420.0,
    )
    slot = (await Calls(db_pool).slots(call_ids[0]))[2]
    assert (slot.value, slot.validated, slot.turn_seq) == ({"n": 2}, True, 2)
    checkpoint = await Calls(db_pool).last_checkpoint(call_ids[0])
    assert checkpoint is not None and (checkpoint.turn_seq, checkpoint.state) == (14, "s15")
    summary = await Calls(db_pool).get(call_ids[0])
    assert summary.final_state == "s15" and summary.duration_ms is not None and summary.duration_ms >= 0


async def test_writing_the_same_records_twice_creates_no_duplicate(
    db_pool: Any, deployed_bot: DeployedBot
) -> None:
    records = list(call_records(uuid.uuid4(), deployed_bot.bot_id, 5))
    sink = PostgresSink(db_pool)
    assert await sink.write(records) == []
    assert await sink.write(records) == []
    assert await sink.write(records[3:9]) == []
    assert await counts(db_pool) == expected(1, 5)


async def test_record_never_waits_for_the_database(tmp_path: Path) -> None:
    """Against an unreachable server, record() still returns at once and keeps everything (journaled)."""
    pool = await create_pool("postgresql://nobody:x@127.0.0.1:9/none", min_size=0, max_size=1)
    recorder = Recorder(sink=PostgresSink(pool, timeout=0.5), journal=Journal(tmp_path / "j"), buffer_max=500)
    await recorder.start()
    started = time.perf_counter()
    for record in call_records(uuid.uuid4(), None, 1000):
        recorder.record(record)
    elapsed = time.perf_counter() - started
    await recorder.aclose(timeout=0.2)
    await pool.close()
    assert elapsed < 0.5  # 4002 records; a wait for the database would take seconds
    lines = sum(len(p.read_text().splitlines()) for p in (tmp_path / "j").rglob("[0-9]*.jsonl"))
    assert lines == 4002


async def test_records_the_database_refuses_are_set_aside_and_the_rest_written(
    db_pool: Any, deployed_bot: DeployedBot, tmp_path: Path
) -> None:
    good = list(call_records(uuid.uuid4(), deployed_bot.bot_id, 3))
    orphan = Turn(uuid.uuid4(), 0, "caller", "a turn of a call that was never started")
    recorder = Recorder(sink=PostgresSink(db_pool), journal=Journal(tmp_path / "j"))
    async with recorder:
        for record in [*good[:5], orphan, *good[5:]]:
            recorder.record(record)
        assert await recorder.flush()
    assert await counts(db_pool) == expected(1, 3)
    [rejected] = (tmp_path / "j" / "rejected").glob("*.jsonl")
    assert "never started" in rejected.read_text()


async def test_close_journals_what_it_cannot_write_and_the_next_recorder_replays_it(
    db_pool: Any, deployed_bot: DeployedBot, tmp_path: Path
) -> None:
    dead = await create_pool("postgresql://nobody:x@127.0.0.1:9/none", min_size=0, max_size=1)
    first = Recorder(sink=PostgresSink(dead, timeout=0.5), journal=Journal(tmp_path / "j"))
    await first.start()
    call_id = uuid.uuid4()
    for record in call_records(call_id, deployed_bot.bot_id, 10):
        first.record(record)
    await first.aclose(timeout=0.3)
    await dead.close()
    assert await counts(db_pool) == expected(0, 10)
    second = Recorder(sink=PostgresSink(db_pool), journal=Journal(tmp_path / "j"))
    async with second:
        assert await second.flush()
    await assert_complete(db_pool, [call_id], 10)
    assert list((tmp_path / "j").rglob("[0-9]*.jsonl")) == []
