"""Adversity: a campaign dispatcher process killed mid-dial (SIGKILL), and Postgres restarted under a
running dispatcher. Attempts are neither lost nor doubled: each attempt number is dialed at most once,
and every number ends settled."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.campaigns.conftest import World, make_world
from tests.conftest import PrivatePostgres
from voicebot.campaigns import CallingWindow, RetryPolicy
from voicebot.storage import create_pool

ALL_DAY = CallingWindow(start=dt.time(0), end=dt.time.max)


async def attempts(w: World, campaign_id: Any) -> list[tuple[str, int, str]]:
    rows = await w.pool.fetch(
        """SELECT phone_number, attempt_no, status FROM campaign_attempts
           WHERE campaign_id = $1 ORDER BY phone_number, attempt_no""",
        campaign_id,
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def _until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def _dispatcher_process(w: World, database_url: str) -> subprocess.Popen[bytes]:
    """``voicebot campaigns run`` as its own process against the test's Postgres and LiveKit fake."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LIVEKIT_URL": w.lk.url,
        "LIVEKIT_API_KEY": w.lk.api_key,
        "LIVEKIT_API_SECRET": w.lk.api_secret,
        "LIVEKIT_SIP_OUTBOUND_TRUNK": "ST_outbound",
        "VOICEBOT_CAMPAIGN_LEASE_S": "3",
        "VOICEBOT_CAMPAIGN_RING_TIMEOUT_S": "2",
        "VOICEBOT_CAMPAIGN_POLL_MS": "50",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "voicebot", "campaigns", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_sigterm_lets_the_ringing_call_end_and_records_it(world: World, database_url: str) -> None:
    w = world
    number = "+4930901864"
    w.lk.script(number, "ring:1.5")
    info = await w.service.create(w.company_id, w.spec(window=ALL_DAY), [{"phone": number}])
    await w.service.start(w.company_id, info.id)
    proc = _dispatcher_process(w, database_url)
    try:

        async def dialed() -> bool:
            return number in w.lk.dialed

        await _until(dialed, 30, "the dispatcher process to dial")
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert code == 0
    assert await attempts(w, info.id) == [(number, 1, "answered")]
    assert (await w.service.progress(w.company_id, info.id)).jobs == {"done": 1}


async def test_a_dispatcher_killed_mid_dial_loses_no_attempt_and_dials_none_twice(
    world: World, database_url: str
) -> None:
    w = world
    slow, quick = "+4930901861", "+4930901862"
    w.lk.script(slow, "ring:30", "answered")
    spec = w.spec(window=ALL_DAY, policy=RetryPolicy(max_attempts=3, delays=(0,)))
    info = await w.service.create(w.company_id, spec, [{"phone": slow}, {"phone": quick}])
    await w.service.start(w.company_id, info.id)
    proc = _dispatcher_process(w, database_url)
    try:

        async def both_dialed() -> bool:
            return slow in w.lk.dialed and quick in w.lk.dialed

        async def quick_settled() -> bool:
            return (quick, 1, "answered") in await attempts(w, info.id)

        await _until(both_dialed, 30, "the dispatcher process to dial")
        await _until(quick_settled, 30, "the quick call to be recorded")
        proc.send_signal(signal.SIGKILL)  # while the slow callee's phone rings
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert await attempts(w, info.id) == [(slow, 1, "dialing"), (quick, 1, "answered")]

    # Another dispatcher: nothing is due until the dead one's lease ends, then it takes over.
    survivor = w.dispatcher("survivor", lease=dt.timedelta(seconds=3))
    assert await survivor.run_until_idle() == 0
    await asyncio.sleep(3.2)
    await survivor.run_until_idle()
    assert await attempts(w, info.id) == [
        (slow, 1, "interrupted"),  # never dialed again as attempt 1
        (slow, 2, "answered"),
        (quick, 1, "answered"),
    ]
    assert w.lk.dialed.count(slow) == 2 and w.lk.dialed.count(quick) == 1
    progress = await w.service.progress(w.company_id, info.id)
    assert progress.numbers == {"answered": 2}
    assert progress.jobs == {"done": 3}


@pytest.fixture
async def private_world(private_postgres: PrivatePostgres) -> AsyncIterator[World]:
    pool = await create_pool(private_postgres.url, min_size=1, max_size=6, command_timeout=5)
    try:
        await pool.execute("TRUNCATE companies, jobs CASCADE")
        async for w in make_world(pool):
            yield w
    finally:
        await pool.close()


async def test_a_campaign_survives_a_postgres_restart_under_a_running_dispatcher(
    private_world: World, private_postgres: PrivatePostgres
) -> None:
    w = private_world
    numbers = [f"+49309018{70 + i}" for i in range(12)]
    for n in numbers:
        w.lk.script(n, "ring:0.3")
    spec = w.spec(window=ALL_DAY, max_concurrent=3, policy=RetryPolicy(max_attempts=3, delays=(0,)))
    info = await w.service.create(w.company_id, spec, [{"phone": n} for n in numbers])
    await w.service.start(w.company_id, info.id)
    # answered calls would count as live until their calls row ends: let the "worker" end them at once
    dispatcher = w.dispatcher("d1", lease=dt.timedelta(seconds=8), capacity_wait=dt.timedelta(seconds=1))
    ender = asyncio.create_task(_end_answered_calls(w))
    running = asyncio.create_task(dispatcher.run())
    try:
        await _until(lambda: _at_least_dialed(w, 3), 20, "the first dials")
        await asyncio.to_thread(private_postgres.stop)  # three calls ringing
        await asyncio.sleep(1.5)
        assert not running.done(), "the dispatcher exited during the outage"
        await asyncio.to_thread(private_postgres.start)

        async def completed() -> bool:
            try:
                return (await w.service.campaigns.get(w.company_id, info.id)).status == "completed"
            except Exception:
                return False

        await _until(completed, 60, "the campaign to complete after the restart")
    finally:
        await dispatcher.stop()
        await asyncio.wait_for(running, 30)
        ender.cancel()
    got = await attempts(w, info.id)
    assert got == [(n, 1, "answered") for n in numbers], got  # none lost, none doubled, none interrupted
    assert sorted(w.lk.dialed) == numbers


async def _at_least_dialed(w: World, n: int) -> bool:
    return len(w.lk.dialed) >= n


async def _end_answered_calls(w: World) -> None:
    """Stands in for the worker: records each answered attempt's call as ended."""
    while True:
        with contextlib.suppress(Exception):  # Postgres is down: try again
            await w.pool.execute(
                """INSERT INTO calls (id, bot_id, direction, status, started_at, ended_at)
                   SELECT a.call_id, $1, 'outbound', 'completed', now(), now()
                   FROM campaign_attempts a WHERE a.status = 'answered'
                   ON CONFLICT (id) DO NOTHING""",
                w.bot_id,
            )
        await asyncio.sleep(0.1)


async def test_a_dispatcher_that_died_after_the_dial_ended_is_not_dialed_again(world: World) -> None:
    """The dead dispatcher recorded its busy attempt but never settled the job: the one taking over
    schedules attempt 2 from that record instead of dialing attempt 1 again."""
    from voicebot.storage.queue import JobQueue
    from voicebot.storage.repositories.campaign_attempts import CampaignAttempts

    w = world
    number = "+4930901863"
    w.lk.script(number, "answered")
    spec = w.spec(window=ALL_DAY, policy=RetryPolicy(max_attempts=3, delays=(0,)))
    info = await w.service.create(w.company_id, spec, [{"phone": number}])
    await w.service.start(w.company_id, info.id)
    # what the dead dispatcher did: claimed the job, reserved and dialed attempt 1 (busy), recorded it
    (job,) = await JobQueue(w.pool).claim(
        "campaign_call", limit=1, lease=dt.timedelta(seconds=1), worker="dead"
    )
    store = CampaignAttempts(w.pool)
    begun = await store.begin(
        campaign_id=info.id, phone=number, attempt_no=1, job_id=job.id, worker="dead", max_concurrent=5
    )
    assert begun.attempt_id is not None
    await store.finish(begun.attempt_id, status="busy", sip_status_code=486, sip_status="Busy Here")
    await asyncio.sleep(1.2)  # its lease ends
    await w.dispatcher("survivor").run_until_idle()
    assert await attempts(w, info.id) == [(number, 1, "busy"), (number, 2, "answered")]
    assert w.lk.dialed == [number]  # only attempt 2 was dialed by the survivor
