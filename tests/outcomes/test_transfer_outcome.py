"""The webhook says who took a warm-transferred call, and that an outbound call reached voicemail
(real Postgres: outcome and outbox rows as the finalizer writes them)."""

from __future__ import annotations

from voicebot.runtime_outcomes import OutcomeServices

from .conftest import Tenant, facts, finished


async def test_call_completed_carries_the_transfer_and_who_took_it(
    services: OutcomeServices, tenant: Tenant
) -> None:
    f = facts(tenant)
    transfer = {"mode": "warm", "to": "+4930555000", "result": "connected", "agent": "agent-1f2e3d4c"}
    done = finished(
        "transferred", confidence=1.0, rule="state:handover", end_reason="transferred", transfer=transfer
    )
    await services.finalizer.finalize(done, f)
    row = await tenant.pool.fetchrow(
        "SELECT payload FROM webhook_outbox WHERE call_id=$1 AND event_type='call.completed'", f.call_id
    )
    assert row["payload"]["data"]["transfer"] == transfer
    assert row["payload"]["data"]["end_reason"] == "transferred"
    status = await tenant.pool.fetchval("SELECT status FROM calls WHERE id=$1", f.call_id)
    assert status == "transferred"


async def test_a_call_without_transfer_has_none_and_voicemail_is_an_outcome(
    services: OutcomeServices, tenant: Tenant
) -> None:
    f = facts(tenant, direction="outbound")
    await services.finalizer.finalize(
        finished("voicemail", confidence=1.0, rule="end:voicemail", end_reason="voicemail"), f
    )
    row = await tenant.pool.fetchrow(
        "SELECT payload FROM webhook_outbox WHERE call_id=$1 AND event_type='call.completed'", f.call_id
    )
    data = row["payload"]["data"]
    assert data["transfer"] is None
    assert (data["outcome"], data["end_reason"], data["direction"]) == ("voicemail", "voicemail", "outbound")
