"""Test data of the API tests: two companies, a bot with a recorded call, a webhook event, a document."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from tests.storage.helpers import mini_scenario
from voicebot.scenario.loader import load_text
from voicebot.storage import Bots, Companies, KnowledgeDocs

BROKEN_SCENARIO = """\
version: 1
bot:
  id: broken
  name: Broken bot
  language: en
  greeting: "Hi."
start: ask
states:
  ask:
    say: "Hi"
    transitions:
      - intent: "yes"
        to: nowhere
"""


def scenario(slug: str = "mini") -> str:
    """The storage tests' mini scenario (one question, one outcome) under bot id ``slug``."""
    return mini_scenario(bot_id=slug)


@dataclass(frozen=True)
class Tenant:
    company_id: uuid.UUID
    api_key: str
    bot_id: uuid.UUID
    phone: str
    call_id: uuid.UUID
    event_id: uuid.UUID
    doc_id: uuid.UUID
    resource_id: uuid.UUID | None = None
    code: str | None = None  # a confirmed booking's confirmation code in the built-in book
    campaign_id: uuid.UUID = uuid.UUID(int=0)  # noqa: RUF009 - a constant, evaluated once

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def add_call(
    pool: Any,
    bot_id: uuid.UUID,
    *,
    started_at: dt.datetime,
    status: str = "completed",
    outcome: str | None = "finished",
    final_state: str = "done",
    states: tuple[str, ...] = ("ask", "done"),
) -> uuid.UUID:
    """A finished call with turns, transitions, a slot and (optionally) an outcome."""
    call_id = uuid.uuid4()
    version_id = await pool.fetchval("SELECT current_version_id FROM bots WHERE id = $1", bot_id)
    ended = started_at + dt.timedelta(seconds=42)
    await pool.execute(
        """INSERT INTO calls (id, bot_id, direction, caller_number, dialed_number, scenario_version_id,
                              status, started_at, ended_at, final_state, end_reason)
           VALUES ($1, $2, 'inbound', '+12125550123', '+14155550100', $3, $4, $5, $6, $7, 'completed')""",
        call_id,
        bot_id,
        version_id,
        status,
        started_at,
        ended,
        final_state,
    )
    previous = None
    for seq, state in enumerate(states):
        await pool.execute(
            """INSERT INTO state_transitions (call_id, seq, from_state, to_state, trigger_type, at)
               VALUES ($1, $2, $3, $4, 'intent', $5)""",
            call_id,
            seq,
            previous,
            state,
            started_at,
        )
        await pool.execute(
            """INSERT INTO turns (call_id, seq, role, text, state, e2e_ms, at)
               VALUES ($1, $2, 'bot', $3, $4, 320, $5)""",
            call_id,
            seq,
            f"line {seq}",
            state,
            started_at,
        )
        previous = state
    await pool.execute(
        """INSERT INTO extracted_slots (call_id, seq, name, value, confidence, method, at)
           VALUES ($1, 0, 'callback', $2, 0.9, 'nlu', $3)""",
        call_id,
        True,
        started_at,
    )
    if outcome is not None:
        await pool.execute(
            "INSERT INTO outcomes (call_id, outcome_type, confidence, summary) VALUES ($1, $2, 1.0, 'ok')",
            call_id,
            outcome,
        )
    return call_id


async def add_event(pool: Any, company_id: uuid.UUID, call_id: uuid.UUID | None) -> uuid.UUID:
    """A dead call.completed event with one failed attempt in its log."""
    event_id = uuid.uuid4()
    await pool.execute(
        """INSERT INTO webhook_outbox (event_id, company_id, call_id, event_type, payload, status, attempts,
                                       last_error)
           VALUES ($1, $2, $3, 'call.completed', $4, 'dead', 1, 'HTTP 500')""",
        event_id,
        company_id,
        call_id,
        {"id": str(event_id)},
    )
    await pool.execute(
        """INSERT INTO webhook_deliveries (event_id, attempt, url, status_code, error, duration_ms)
           VALUES ($1, 1, 'https://hooks.example.com/a', 500, 'HTTP 500', 12.5)""",
        event_id,
    )
    return event_id


async def add_analysis(pool: Any, company_id: uuid.UUID, call_id: uuid.UUID) -> None:
    """The post-call pipeline's analysis of a call (what GET /v1/calls/{id}/analysis serves)."""
    await pool.execute(
        """INSERT INTO call_analyses (call_id, company_id, summary, sentiment, sentiment_score, effort,
                                      analyzed_by, cost, estimated_cost, currency, config_snapshot)
           VALUES ($1, $2, 'Inbound call.', 'neutral', 0, '{}', 'rules', '{}', 0.01, 'USD', '{}')""",
        call_id,
        company_id,
    )


async def tenant(pool: Any, name: str, phone: str) -> Tenant:
    created = await Companies(pool).create(name, webhook_url=f"https://{name.lower()}.example.com/hooks")
    company_id = created.company.id
    deployed = await Bots(pool).deploy(company_id, phone, load_text(scenario(), "mini.yaml"))
    call_id = await add_call(pool, deployed.bot_id, started_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC))
    event_id = await add_event(pool, company_id, call_id)
    await add_analysis(pool, company_id, call_id)
    doc = await KnowledgeDocs(pool).create(
        deployed.bot_id, "faq.md", file_type="md", file_size=10, sha256="0" * 64
    )
    resource_id, code = await add_booking(pool, company_id, deployed.bot_id)
    campaign = await _campaign(pool, company_id, deployed.bot_id)
    return Tenant(
        company_id,
        created.api_key,
        deployed.bot_id,
        phone,
        call_id,
        event_id,
        doc.id,
        resource_id,
        code,
        campaign,
    )


async def add_booking(pool: Any, company_id: uuid.UUID, bot_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """A resource 'Chair 1' and a confirmed booking on it (1 January 2030, 10:00 UTC)."""
    from voicebot.outcomes import new_confirmation_code
    from voicebot.storage.repositories.book import Book

    book = Book(pool)
    chair = await book.add_resource(company_id, bot_id, name="Chair 1")
    start = dt.datetime(2030, 1, 1, 10, tzinfo=dt.UTC)
    booking = await book.reserve(
        resource_id=chair.id,
        bot_id=bot_id,
        capacity=1,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        local=start.replace(tzinfo=None),
        new_code=new_confirmation_code,
    )
    assert booking is not None
    return chair.id, booking.confirmation_code


async def _campaign(pool: Any, company_id: uuid.UUID, bot_id: uuid.UUID) -> uuid.UUID:
    """A draft campaign of one number (the campaign routes' tenant isolation needs one)."""
    from voicebot.storage.repositories.campaigns import Campaigns, NewCampaign, NewNumber

    info = await Campaigns(pool).create(
        company_id,
        NewCampaign(
            bot_id=bot_id,
            name="seed",
            window_start=dt.time(9),
            window_end=dt.time(20),
            window_days=(1, 2, 3, 4, 5, 6, 7),
            starts_at=None,
            ends_at=None,
            default_timezone="Europe/Berlin",
            max_concurrent=1,
            max_attempts=1,
            retry_on=("busy",),
            retry_delays_s=(60,),
        ),
        [NewNumber(1, "+4930901800", "Europe/Berlin", {})],
    )
    return info.id
