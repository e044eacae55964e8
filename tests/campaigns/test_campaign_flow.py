"""A campaign end to end on a real Postgres: the real dispatcher dials through the real livekit-api
client into the local LiveKit server fake; SIP answers drive retries; windows, pause/resume/stop,
do-not-call and max concurrent calls hold."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.campaigns.conftest import World
from voicebot.campaigns import QUEUE_NAME, CallingWindow, RetryPolicy
from voicebot.storage.repositories.campaigns import CAMPAIGN_QUEUE

BERLIN_A, BERLIN_B, BERLIN_C = "+4930901820", "+4930901821", "+4930901822"
NEW_YORK = "+12125550100"


async def attempts(w: World, campaign_id: Any) -> list[tuple[str, int, str, int | None]]:
    rows = await w.pool.fetch(
        """SELECT phone_number, attempt_no, status, sip_status_code FROM campaign_attempts
           WHERE campaign_id = $1 ORDER BY phone_number, attempt_no""",
        campaign_id,
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _attempts_metric(status: str) -> float:
    value = REGISTRY.get_sample_value("voicebot_campaign_attempts_total", {"status": status})
    return value or 0.0


def test_the_queue_names_agree() -> None:
    assert QUEUE_NAME == CAMPAIGN_QUEUE


async def test_sip_answers_drive_retries_until_answered_or_out_of_attempts(world: World) -> None:
    w = world
    w.lk.script(BERLIN_B, "busy", "answered")
    w.lk.script(BERLIN_C, "no-answer", "no-answer", "no-answer")
    info = await w.service.create(
        w.company_id,
        w.spec(),
        [{"phone": BERLIN_A, "name": "Ann"}, {"phone": BERLIN_B}, {"phone": BERLIN_C}],
    )
    assert info.status == "draft" and info.number_count == 3
    await w.service.start(w.company_id, info.id)
    before = {s: _attempts_metric(s) for s in ("answered", "busy", "no_answer")}
    await w.dispatcher().run_until_idle()
    assert {s: _attempts_metric(s) - before[s] for s in before} == {"answered": 2, "busy": 1, "no_answer": 3}

    assert await attempts(w, info.id) == [
        (BERLIN_A, 1, "answered", 200),
        (BERLIN_B, 1, "busy", 486),
        (BERLIN_B, 2, "answered", 200),
        (BERLIN_C, 1, "no_answer", 480),
        (BERLIN_C, 2, "no_answer", 480),
        (BERLIN_C, 3, "no_answer", 480),
    ]
    assert sorted(w.lk.dialed) == sorted([BERLIN_A, BERLIN_B, BERLIN_B, BERLIN_C, BERLIN_C, BERLIN_C])
    progress = await w.service.progress(w.company_id, info.id)
    assert progress.numbers == {"answered": 2, "exhausted": 1}
    assert progress.attempts == {"answered": 2, "busy": 1, "no_answer": 3}
    assert (await w.service.campaigns.get(w.company_id, info.id)).status == "completed"
    # the worker is dispatched with the bot's number, the callee, the call id and the variables
    dispatches = [json.loads(r.metadata) for r in w.lk.calls_to("AgentDispatchService/CreateDispatch")]
    ann = next(m for m in dispatches if m["to"] == BERLIN_A)
    call_id = await w.pool.fetchval("SELECT call_id FROM campaign_attempts WHERE phone_number = $1", BERLIN_A)
    assert ann["bot_number"] == w.bot_number and ann["call_id"] == str(call_id)
    assert ann["variables"] == {"name": "Ann"} and ann["campaign_id"] == str(info.id)
    # the worker records Ann's call under that id, with its outcome: the campaign's outcome mix shows it
    await w.pool.execute(
        """INSERT INTO calls (id, bot_id, direction, status, started_at, ended_at)
           VALUES ($1, $2, 'outbound', 'completed', now(), now())""",
        call_id,
        w.bot_id,
    )
    await w.pool.execute("INSERT INTO outcomes (call_id, outcome_type) VALUES ($1, 'booked')", call_id)
    assert (await w.service.progress(w.company_id, info.id)).outcomes == {"booked": 1}
    sip = w.lk.calls_to("SIP/CreateSIPParticipant")[0]
    assert sip.wait_until_answered and sip.sip_trunk_id == "ST_outbound"


async def test_the_retry_schedule_sets_when_the_next_attempt_is_due(world: World) -> None:
    w = world
    w.lk.script(BERLIN_A, "busy")
    w.clock.now = dt.datetime.now(dt.UTC)  # the next attempt must be due in the (real) future
    spec = w.spec(
        window=CallingWindow(start=dt.time(0), end=dt.time.max),
        policy=RetryPolicy(max_attempts=2, retry_on=("busy",), delays=(1800,)),
    )
    info = await w.service.create(w.company_id, spec, [{"phone": BERLIN_A}])
    await w.service.start(w.company_id, info.id)
    await w.dispatcher().run_until_idle()
    job = await w.pool.fetchrow(
        "SELECT run_at, status FROM jobs WHERE queue = $1 AND key = $2", QUEUE_NAME, f"{info.id}:{BERLIN_A}:2"
    )
    assert job["status"] == "pending"
    assert job["run_at"] == w.clock.now + dt.timedelta(minutes=30)


async def test_failed_calls_are_not_retried_unless_listed(world: World) -> None:
    w = world
    w.lk.script(BERLIN_A, "unreachable")
    spec = w.spec(policy=RetryPolicy(max_attempts=3, retry_on=("busy", "no_answer"), delays=(0,)))
    info = await w.service.create(w.company_id, spec, [{"phone": BERLIN_A}])
    await w.service.start(w.company_id, info.id)
    await w.dispatcher().run_until_idle()
    assert await attempts(w, info.id) == [(BERLIN_A, 1, "failed", 404)]
    assert (await w.service.progress(w.company_id, info.id)).numbers == {"exhausted": 1}


async def test_calls_wait_for_the_callees_window_in_their_own_time_zone(world: World) -> None:
    w = world
    w.clock.now = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)  # 13:00 Berlin, 07:00 New York
    spec = w.spec(window=CallingWindow(start=dt.time(9), end=dt.time(17)), default_timezone=None)
    info = await w.service.create(
        w.company_id, spec, [{"phone": BERLIN_A, "timezone": "Europe/Berlin"}, {"phone": NEW_YORK}]
    )
    await w.service.start(w.company_id, info.id)
    await w.dispatcher().run_until_idle()
    assert w.lk.dialed == [BERLIN_A]
    wait = await w.pool.fetchval(
        "SELECT run_at - now() FROM jobs WHERE queue = $1 AND key = $2", QUEUE_NAME, f"{info.id}:{NEW_YORK}:1"
    )
    # put back until 09:00 in New York (EST) = 14:00 UTC: two hours after the dispatcher's clock
    assert dt.timedelta(hours=1, minutes=59) < wait <= dt.timedelta(hours=2)
    # The dispatcher's clock says 10:00 New York, and the job is made due (as time passing would):
    w.clock.now = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    await w.pool.execute("UPDATE jobs SET run_at = now() WHERE key = $1", f"{info.id}:{NEW_YORK}:1")
    await w.dispatcher().run_until_idle()
    assert w.lk.dialed == [BERLIN_A, NEW_YORK]


async def test_a_job_claimed_outside_the_window_is_put_back_not_dialed(world: World) -> None:
    w = world
    info = await w.service.create(w.company_id, w.spec(), [{"phone": BERLIN_A}])
    await w.service.start(w.company_id, info.id)
    w.clock.now = dt.datetime(2026, 3, 2, 21, tzinfo=dt.UTC)  # 22:00 in Berlin: closed
    before = await w.pool.fetchval("SELECT now()")
    await w.dispatcher().run_until_idle()
    assert w.lk.dialed == []
    run_at = await w.pool.fetchval("SELECT run_at FROM jobs WHERE key = $1", f"{info.id}:{BERLIN_A}:1")
    # next opening: 09:00 Berlin = 08:00 UTC, 11 hours after the dispatcher's clock
    assert dt.timedelta(hours=10, minutes=59) < run_at - before < dt.timedelta(hours=11, minutes=1)


async def test_pause_resume_and_stop(world: World) -> None:
    w = world
    numbers = [{"phone": f"+49309018{30 + i}"} for i in range(4)]
    info = await w.service.create(w.company_id, w.spec(), numbers)
    await w.service.start(w.company_id, info.id)
    await w.service.pause(w.company_id, info.id)
    await w.dispatcher().run_until_idle()
    assert w.lk.dialed == []
    assert (await w.service.progress(w.company_id, info.id)).jobs == {"paused": 4}
    await w.service.resume(w.company_id, info.id)
    await w.dispatcher(concurrency=1).run_until_idle()
    assert len(w.lk.dialed) == 4

    second = await w.service.create(w.company_id, w.spec(name="second"), numbers)
    await w.service.start(w.company_id, second.id)
    stopped = await w.service.stop(w.company_id, second.id)
    await w.dispatcher().run_until_idle()
    assert stopped.status == "stopped" and len(w.lk.dialed) == 4
    progress = await w.service.progress(w.company_id, second.id)
    assert progress.numbers == {"cancelled": 4} and progress.jobs == {"cancelled": 4}
    from voicebot.errors import ConflictError

    with pytest.raises(ConflictError, match="stopped"):
        await w.service.resume(w.company_id, second.id)


async def test_a_number_put_on_the_do_not_call_list_after_the_start_is_not_dialed(world: World) -> None:
    w = world
    info = await w.service.create(w.company_id, w.spec(), [{"phone": BERLIN_A}, {"phone": BERLIN_B}])
    await w.service.start(w.company_id, info.id)
    await w.service.do_not_call.add(w.company_id, [BERLIN_B], reason="asked on the phone")
    await w.dispatcher().run_until_idle()
    assert w.lk.dialed == [BERLIN_A]
    assert (await w.service.progress(w.company_id, info.id)).numbers == {"answered": 1, "do_not_call": 1}


async def test_max_concurrent_holds_across_dispatcher_instances(world: World) -> None:
    """Answered calls count as live until the call's process records their end (calls.ended_at)."""
    w = world
    numbers = [{"phone": f"+49309018{40 + i}"} for i in range(6)]
    info = await w.service.create(w.company_id, w.spec(max_concurrent=2), numbers)
    await w.service.start(w.company_id, info.id)
    first, second = w.dispatcher("d1"), w.dispatcher("d2")
    await asyncio.gather(first.run_until_idle(), second.run_until_idle())
    assert len(w.lk.dialed) == 2
    assert (await w.service.progress(w.company_id, info.id)).live == 2
    # the two calls end: the worker records them under the attempts' call ids
    for call_id in await w.pool.fetch(
        "SELECT call_id FROM campaign_attempts WHERE campaign_id = $1", info.id
    ):
        await w.pool.execute(
            """INSERT INTO calls (id, bot_id, direction, status, started_at, ended_at)
               VALUES ($1, $2, 'outbound', 'completed', now(), now())""",
            call_id[0],
            w.bot_id,
        )
    await w.pool.execute("UPDATE jobs SET run_at = now() WHERE queue = $1 AND status = 'pending'", QUEUE_NAME)
    await asyncio.gather(first.run_until_idle(), second.run_until_idle())
    assert len(w.lk.dialed) == 4
    assert (await w.service.progress(w.company_id, info.id)).live == 2


async def test_a_campaign_needs_an_active_bot_of_the_company(world: World) -> None:
    from voicebot.errors import ConfigError, NotFoundError

    w = world
    other = w.spec()
    with pytest.raises(NotFoundError):
        await w.service.create(uuid.uuid4(), other, [{"phone": BERLIN_A}])
    await w.pool.execute("UPDATE bots SET is_active = false WHERE id = $1", w.bot_id)
    with pytest.raises(ConfigError, match="not active"):
        await w.service.create(w.company_id, other, [{"phone": BERLIN_A}])
    assert await w.pool.fetchval("SELECT count(*) FROM campaigns") == 0
