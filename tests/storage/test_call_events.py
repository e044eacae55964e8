"""call_events (migration 0016): what the triggers write for the recorder's rows, what a reader is served
(redacted text, nothing of purged turns) and what retention deletes."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from tests.api.seed import add_call
from tests.storage.helpers import DeployedBot, loaded
from tests.storage.recording import call_records
from voicebot.storage import Bots, Companies, Journal, PostgresSink, Recorder
from voicebot.storage.repositories.call_events import CallEvents
from voicebot.storage.retention import Retention


async def _record(pool: Any, tmp: Path, call_id: uuid.UUID, bot_id: uuid.UUID | None, turns: int) -> None:
    recorder = Recorder(sink=PostgresSink(pool), journal=Journal(tmp / uuid.uuid4().hex))
    await recorder.start()
    for record in call_records(call_id, bot_id, turns):
        recorder.record(record)
    assert await recorder.flush()
    await recorder.aclose()


async def test_the_recorder_rows_of_a_call_become_its_events_once(
    db_pool: Any, deployed_bot: DeployedBot, tmp_path: Path
) -> None:
    call_id = uuid.uuid4()
    await _record(db_pool, tmp_path, call_id, deployed_bot.bot_id, 2)
    events = await CallEvents(db_pool).for_call(deployed_bot.company_id, call_id)
    kinds = [e.kind for e in events]
    assert kinds[0] == "call.started" and kinds[-1] == "call.ended"
    assert sorted(kinds[1:-1]) == sorted(["turn", "transition", "slot"] * 2)
    assert [e.data["text"] for e in events if e.kind == "turn"] == ["turn 0", "turn 1"]
    # The journal replaying the same records (ON CONFLICT DO NOTHING) and heartbeats add nothing.
    await _record(db_pool, tmp_path, call_id, deployed_bot.bot_id, 2)
    await db_pool.execute(
        "UPDATE calls SET last_heartbeat_at = now(), final_state = 'x' WHERE id = $1", call_id
    )
    assert len(await CallEvents(db_pool).for_call(deployed_bot.company_id, call_id)) == len(events)
    # Another company sees none of it.
    other = await Companies(db_pool).create("Other")
    assert await CallEvents(db_pool).for_call(other.company.id, call_id) == []
    assert await CallEvents(db_pool).call_status(other.company.id, call_id) is None
    assert await CallEvents(db_pool).call_status(deployed_bot.company_id, call_id) == "completed"


async def test_a_call_with_no_bot_is_recorded_without_events(db_pool: Any, tmp_path: Path) -> None:
    call_id = uuid.uuid4()
    await _record(db_pool, tmp_path, call_id, None, 2)
    assert await db_pool.fetchval("SELECT count(*) FROM turns WHERE call_id = $1", call_id) == 2
    assert await db_pool.fetchval("SELECT count(*) FROM call_events") == 0


async def test_a_turn_is_served_with_the_apis_text_redacted_and_not_at_all_once_purged(
    db_pool: Any, deployed_bot: DeployedBot, tmp_path: Path
) -> None:
    call_id = uuid.uuid4()
    await _record(db_pool, tmp_path, call_id, deployed_bot.bot_id, 2)
    await db_pool.execute(
        "UPDATE turns SET text = 'my card is 4111 1111 1111 1111' WHERE call_id = $1 AND seq = 0", call_id
    )
    await db_pool.execute(
        "INSERT INTO turn_texts (call_id, seq, redacted_text) VALUES ($1, 0, 'my card is [CARD]')", call_id
    )
    events = CallEvents(db_pool)
    texts = [
        e.data["text"] for e in await events.for_call(deployed_bot.company_id, call_id) if e.kind == "turn"
    ]
    assert texts == ["my card is [CARD]", "turn 1"]
    assert "4111" not in str(await events.for_call(deployed_bot.company_id, call_id))
    await db_pool.execute("DELETE FROM turns WHERE call_id = $1", call_id)  # retention's turn purge
    left = await events.for_call(deployed_bot.company_id, call_id)
    assert "turn" not in {e.kind for e in left} and {"call.started", "slot"} <= {e.kind for e in left}


async def test_retention_deletes_an_old_calls_events_and_keeps_the_rest(db_pool: Any) -> None:
    companies, bots = Companies(db_pool), Bots(db_pool)
    old_co = await companies.create("Old")
    keep_co = await companies.create("Keep")
    old_bot = await bots.deploy(old_co.company.id, "+14155550133", loaded())
    keep_bot = await bots.deploy(keep_co.company.id, "+14155550144", loaded())
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    gone = await add_call(db_pool, old_bot.bot_id, started_at=long_ago)
    recent = await add_call(db_pool, old_bot.bot_id, started_at=dt.datetime.now(dt.UTC))
    kept = await add_call(db_pool, keep_bot.bot_id, started_at=long_ago)
    count = "SELECT count(*) FROM call_events WHERE call_id = $1"
    before = {c: await db_pool.fetchval(count, c) for c in (gone, recent, kept)}
    assert all(n >= 6 for n in before.values())  # started, ended, 2 turns, 2 transitions, a slot

    await Retention(db_pool).set(old_co.company.id, calls_days=30, turns_days=None)
    report = await Retention(db_pool).run()
    assert report.calls_deleted == 1
    assert await db_pool.fetchval(count, gone) == 0
    assert await db_pool.fetchval(count, recent) == before[recent]
    assert await db_pool.fetchval(count, kept) == before[kept]
