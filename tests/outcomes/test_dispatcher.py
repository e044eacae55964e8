"""The dispatcher against real Postgres and a real HTTP receiver on 127.0.0.1 that verifies every
signature with the ``standardwebhooks`` package: delivery, receiver down, 500s, timeouts, 410, dead
letters, redelivery, two dispatchers at once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from voicebot.outcomes import HostPolicy, RetrySchedule
from voicebot.runtime_outcomes import OutcomeServices, build_outcome_services

from .conftest import Receiver, Tenant, facts, fast_settings, finished, make_tenant, run_until


async def _events(services: OutcomeServices, tenant: Tenant, n: int = 1) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for _ in range(n):
        ids += (await services.finalizer.finalize(finished(), facts(tenant))).event_ids
    return ids


async def _status(pool: Any, event_id: uuid.UUID) -> Any:
    return await pool.fetchrow(
        "SELECT status, attempts, last_error FROM webhook_outbox WHERE event_id=$1", event_id
    )


async def _log(pool: Any, event_id: uuid.UUID) -> Any:
    return await pool.fetch("SELECT * FROM webhook_deliveries WHERE event_id=$1 ORDER BY attempt", event_id)


async def test_delivers_a_signed_event_the_reference_verifier_accepts(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    [event_id] = await _events(services, tenant)
    await run_until(lambda: len(receiver.requests) == 1, services.dispatcher())
    [got] = receiver.requests
    assert got.verified, got.error
    assert got.event_id == str(event_id) == got.payload["id"]
    assert got.payload["type"] == "call.completed" and got.payload["version"] == 1
    assert got.payload["data"]["outcome"] == "information"
    await asyncio.sleep(0.05)
    row = await _status(tenant.pool, event_id)
    assert row["status"] == "delivered" and row["attempts"] == 1
    [attempt] = await _log(tenant.pool, event_id)
    assert attempt["status_code"] == 200 and attempt["error"] is None and attempt["duration_ms"] > 0


async def test_rotation_signs_with_both_secrets_during_the_grace_period(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    import datetime as dt

    from voicebot.storage import Companies

    old = tenant.secret
    new = await Companies(tenant.pool).rotate_webhook_secret(tenant.company_id, grace=dt.timedelta(hours=1))
    await _events(services, tenant)
    receiver.secret = old  # a receiver not yet updated still verifies
    await run_until(lambda: len(receiver.requests) == 1, services.dispatcher())
    assert receiver.requests[0].verified
    receiver.secret = new
    await _events(services, tenant)
    await run_until(lambda: len(receiver.requests) == 2, services.dispatcher())
    assert receiver.requests[1].verified


async def test_receiver_down_then_up_is_retried_until_delivered(db_pool: Any, receiver: Receiver) -> None:
    url = receiver.url
    await receiver.stop()  # nothing listens on the port now
    tenant = await make_tenant(db_pool, url)
    receiver.secret = tenant.secret
    services = build_outcome_services(db_pool, fast_settings(schedule=RetrySchedule((0.1,) * 20, jitter=0)))
    try:
        [event_id] = await _events(services, tenant)
        dispatcher = services.dispatcher()
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop))
        while (await _status(db_pool, event_id))["attempts"] < 2:
            await asyncio.sleep(0.02)
        await receiver.start()  # same port
        while (await _status(db_pool, event_id))["status"] != "delivered":
            await asyncio.sleep(0.02)
        stop.set()
        await task
    finally:
        await services.aclose()
    log = await _log(db_pool, event_id)
    assert log[0]["status_code"] is None and "Connect" in log[0]["error"]
    assert log[-1]["status_code"] == 200 and receiver.delivered_ids() == [str(event_id)]


async def test_500s_are_retried_on_schedule_then_dead_lettered(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.behaviour = lambda n: 500
    [event_id] = await _events(services, tenant)
    await run_until(lambda: len(receiver.requests) == 4, services.dispatcher())  # 3 delays -> 4 attempts
    await asyncio.sleep(0.3)
    assert len(receiver.requests) == 4
    row = await _status(tenant.pool, event_id)
    assert row["status"] == "dead" and row["last_error"] == "HTTP 500"
    assert [a["status_code"] for a in await _log(tenant.pool, event_id)] == [500, 500, 500, 500]


async def test_500_then_success_delivers_once(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.behaviour = lambda n: 500 if n == 1 else 200
    [event_id] = await _events(services, tenant)
    await run_until(lambda: len(receiver.delivered_ids()) == 1, services.dispatcher())
    assert [r.event_id for r in receiver.requests] == [str(event_id)] * 2  # same id: the idempotency key


async def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.behaviour = lambda n: ("sleep", 2.0, 200) if n == 1 else 200  # timeout is 1 s
    [event_id] = await _events(services, tenant)
    await run_until(lambda: len(receiver.requests) == 2, services.dispatcher())
    log = await _log(tenant.pool, event_id)
    assert log[0]["status_code"] is None and "timed out after 1s" in log[0]["error"]
    assert 900 < log[0]["duration_ms"] < 1900
    assert log[1]["status_code"] == 200


async def test_410_disables_the_endpoint_and_later_events_are_not_sent(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.behaviour = lambda n: 410
    [first] = await _events(services, tenant)
    await run_until(lambda: len(receiver.requests) == 1, services.dispatcher())
    await asyncio.sleep(0.1)
    assert (await _status(tenant.pool, first))["status"] == "disabled"
    assert await tenant.pool.fetchval(
        "SELECT webhook_disabled_at IS NOT NULL FROM companies WHERE id=$1", tenant.company_id
    )
    [second] = await _events(services, tenant)
    await services.dispatcher().run_once()
    row = await _status(tenant.pool, second)
    assert row["status"] == "disabled" and "410" in row["last_error"] and len(receiver.requests) == 1
    # An operator re-enables the endpoint and redelivers.
    receiver.behaviour = lambda n: 200
    assert await services.outbox.enable_endpoint(tenant.company_id)
    await services.outbox.redeliver(second)
    await run_until(lambda: len(receiver.delivered_ids()) == 1, services.dispatcher())


async def test_redeliver_sends_a_dead_event_again_with_a_fresh_schedule(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.behaviour = lambda n: 500 if n <= 4 else 200
    [event_id] = await _events(services, tenant)
    await run_until(lambda: len(receiver.requests) == 4, services.dispatcher())
    await asyncio.sleep(0.1)
    assert (await _status(tenant.pool, event_id))["status"] == "dead"
    await services.outbox.redeliver(event_id)
    await run_until(lambda: len(receiver.delivered_ids()) == 1, services.dispatcher())
    assert [a["attempt"] for a in await _log(tenant.pool, event_id)] == [1, 2, 3, 4, 5]


async def test_a_refused_destination_is_dead_lettered_without_a_request(
    db_pool: Any, receiver: Receiver
) -> None:
    tenant = await make_tenant(db_pool, receiver.url)
    services = build_outcome_services(db_pool, fast_settings(allow=HostPolicy()))  # loopback not allowed
    try:
        [event_id] = await _events(services, tenant)
        await services.dispatcher().run_once()
    finally:
        await services.aclose()
    row = await _status(db_pool, event_id)
    assert row["status"] == "dead" and "non-public" in row["last_error"] and receiver.requests == []


async def test_two_dispatchers_at_once_send_each_event_exactly_once(
    db_pool: Any, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.behaviour = lambda n: ("sleep", 0.01, 200)
    one = build_outcome_services(db_pool, fast_settings(concurrency=8, batch_size=5))
    two = build_outcome_services(db_pool, fast_settings(concurrency=8, batch_size=5))
    try:
        ids = await _events(one, tenant, 120)
        d1, d2 = one.dispatcher(), two.dispatcher()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(d1.run(stop)), asyncio.create_task(d2.run(stop))]
        while len(receiver.requests) < len(ids):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        stop.set()
        await asyncio.gather(*tasks)
    finally:
        await one.aclose()
        await two.aclose()
    sent = [r.event_id for r in receiver.requests]
    assert sorted(sent) == sorted(str(i) for i in ids)  # each exactly once
    assert d1.sent > 0 and d2.sent > 0  # both took part
    assert await db_pool.fetchval("SELECT count(*) FROM webhook_outbox WHERE status='delivered'") == len(ids)


async def test_stop_drains_attempts_in_flight(
    services: OutcomeServices, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.behaviour = lambda n: ("sleep", 0.5, 200)
    [event_id] = await _events(services, tenant)
    stop = asyncio.Event()
    task = asyncio.create_task(services.dispatcher().run(stop))
    await receiver.started.wait()
    stop.set()  # SIGTERM while the request is in flight
    await task
    assert (await _status(tenant.pool, event_id))["status"] == "delivered"
