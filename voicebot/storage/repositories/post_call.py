"""What the post-call pipeline reads and writes: one call's rows, its privacy policy and analysis
config layers; the analysis, turn texts, discarded turns and ``call.analyzed`` outbox row, written in
one transaction. Also the policy and config rows companies set.

:meth:`PostCalls.save` is idempotent per call: a call that already has an analysis is left as it is
(a job retried after its lease ran out cannot emit a second webhook).
"""

from __future__ import annotations

import builtins
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voicebot.errors import NotFoundError
from voicebot.storage.errors import translated

__all__ = ["PostCallRows", "PostCallWrite", "PostCalls"]


@dataclass(frozen=True, slots=True)
class PostCallRows:
    """One call as the pipeline reads it (plain rows; analysis/ maps them to its model)."""

    call: dict[str, Any]
    turns: tuple[dict[str, Any], ...]
    transitions: tuple[dict[str, Any], ...]
    slots: tuple[dict[str, Any], ...]
    policy: dict[str, Any] | None
    config_layers: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class PostCallWrite:
    call_id: uuid.UUID
    company_id: uuid.UUID | None
    summary: str
    sentiment: str
    sentiment_score: float
    effort: Mapping[str, Any]
    quality_flags: Sequence[str]
    analyzed_by: str
    model: str | None
    cost: Mapping[str, Any]
    estimated_cost: float
    currency: str
    config_snapshot: Mapping[str, Any]
    pii: Mapping[str, int]
    texts: Sequence[tuple[int, str | None, str | None, list[Any], float | None, Any, Mapping[str, int]]] = ()
    """(seq, cleaned_text, redacted_text, corrections, stt_confidence, words, pii)"""
    discarded: Sequence[tuple[int, str, float | None, int, Any]] = ()
    """(seq, reason, stt_confidence, chars, at)"""
    event_id: uuid.UUID | None = None
    event: Mapping[str, Any] | None = None
    drop_raw_now: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


_CALL = """
SELECT c.id, c.bot_id, c.direction, c.status, c.end_reason, c.final_state, c.started_at, c.ended_at,
       c.scenario_version_id, c.decision, b.company_id, b.slug AS bot_slug, b.language, b.providers,
       o.outcome_type, coalesce(co.webhook_slot_values, true) AS webhook_slot_values
FROM calls c
LEFT JOIN bots b ON b.id = c.bot_id
LEFT JOIN companies co ON co.id = b.company_id
LEFT JOIN outcomes o ON o.call_id = c.id
WHERE c.id = $1"""

_POLICY = """
SELECT mode, drop_raw_after_days, recognizers FROM privacy_policies
WHERE company_id = $1 AND (bot_id = $2 OR bot_id IS NULL)
ORDER BY bot_id NULLS LAST LIMIT 1"""

# Least specific first: bot, bot x direction, company, company x direction.
_LAYERS = """
SELECT config FROM analysis_configs
WHERE company_id = $1 AND (bot_id = $2 OR bot_id IS NULL) AND (direction = $3 OR direction IS NULL)
ORDER BY (bot_id IS NULL), (direction IS NOT NULL)"""

_INSERT_TEXT = """
INSERT INTO turn_texts (call_id, seq, cleaned_text, redacted_text, corrections, stt_confidence, words, pii)
SELECT $1, t.seq, t.cleaned, t.redacted, t.corrections::jsonb, t.confidence, t.words::jsonb, t.pii::jsonb
FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::real[], $7::text[], $8::text[])
     AS t(seq, cleaned, redacted, corrections, confidence, words, pii)
ON CONFLICT (call_id, seq) DO UPDATE SET cleaned_text = excluded.cleaned_text,
    redacted_text = excluded.redacted_text, corrections = excluded.corrections,
    stt_confidence = excluded.stt_confidence, words = excluded.words, pii = excluded.pii"""

_INSERT_DISCARDED = """
INSERT INTO discarded_turns (call_id, seq, reason, stt_confidence, chars, at)
SELECT $1, d.seq, d.reason, d.confidence, d.chars, d.at
FROM unnest($2::int[], $3::text[], $4::real[], $5::int[], $6::timestamptz[])
     AS d(seq, reason, confidence, chars, at)
ON CONFLICT (call_id, seq) DO NOTHING"""

_INSERT_ANALYSIS = """
INSERT INTO call_analyses (call_id, company_id, summary, sentiment, sentiment_score, effort, quality_flags,
                           analyzed_by, model, cost, estimated_cost, currency, config_snapshot, pii,
                           discarded_turns, webhook_event_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"""

_DROP_RAW = """
WITH t AS (
    UPDATE turns SET text = tt.redacted_text FROM turn_texts tt
    WHERE turns.call_id = $1 AND tt.call_id = turns.call_id AND tt.seq = turns.seq
      AND tt.redacted_text IS NOT NULL
    RETURNING 1
), x AS (UPDATE turn_texts SET raw_dropped_at = now() WHERE call_id = $1 RETURNING 1)
UPDATE calls SET raw_dropped_at = now() WHERE id = $1"""


class PostCalls:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def load(self, call_id: uuid.UUID) -> PostCallRows | None:
        """The call's rows, or None when the call is gone (deleted by retention)."""
        with translated():
            async with self._pool.acquire() as conn:
                call = await conn.fetchrow(_CALL, call_id)
                if call is None:
                    return None
                turns = await conn.fetch(
                    """SELECT seq, role, text, state, at, llm_ms, metadata FROM turns
                       WHERE call_id = $1 ORDER BY seq""",
                    call_id,
                )
                transitions = await conn.fetch(
                    """SELECT seq, from_state, to_state, trigger_type, turn_seq FROM state_transitions
                       WHERE call_id = $1 ORDER BY seq""",
                    call_id,
                )
                slots = await conn.fetch(
                    """SELECT seq, name, value, method, turn_seq FROM extracted_slots
                       WHERE call_id = $1 ORDER BY seq""",
                    call_id,
                )
                policy = layers = None
                if call["company_id"] is not None:
                    policy = await conn.fetchrow(_POLICY, call["company_id"], call["bot_id"])
                    layers = await conn.fetch(_LAYERS, call["company_id"], call["bot_id"], call["direction"])
        return PostCallRows(
            call=dict(call),
            turns=tuple(dict(t) for t in turns),
            transitions=tuple(dict(t) for t in transitions),
            slots=tuple(dict(s) for s in slots),
            policy=None if policy is None else dict(policy),
            config_layers=tuple(dict(r["config"]) for r in layers or ()),
        )

    async def save(self, w: PostCallWrite) -> bool:
        """Write everything of one call's analysis atomically; False when it was already analyzed."""
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                locked = await conn.fetchrow(
                    """SELECT c.id, EXISTS (SELECT 1 FROM call_analyses a WHERE a.call_id = c.id) AS done
                       FROM calls c WHERE c.id = $1 FOR UPDATE""",
                    w.call_id,
                )
                if locked is None or locked["done"]:
                    return False
                if w.texts:
                    cols = list(zip(*w.texts, strict=True))
                    await conn.execute(
                        _INSERT_TEXT,
                        w.call_id,
                        list(cols[0]),
                        list(cols[1]),
                        list(cols[2]),
                        [json.dumps(c, ensure_ascii=False, default=str) for c in cols[3]],
                        list(cols[4]),
                        [None if x is None else json.dumps(x, default=str) for x in cols[5]],
                        [json.dumps(p) for p in cols[6]],
                    )
                if w.discarded:
                    cols = list(zip(*w.discarded, strict=True))
                    await conn.execute(_INSERT_DISCARDED, w.call_id, *[list(c) for c in cols])
                event_id = None
                if w.event is not None and w.company_id is not None and w.event_id is not None:
                    event_id = w.event_id
                    await conn.execute(
                        """INSERT INTO webhook_outbox
                               (event_id, company_id, call_id, event_type, version, payload)
                           VALUES ($1, $2, $3, 'call.analyzed', 1, $4)""",
                        event_id,
                        w.company_id,
                        w.call_id,
                        dict(w.event),
                    )
                await conn.execute(
                    _INSERT_ANALYSIS,
                    w.call_id,
                    w.company_id,
                    w.summary,
                    w.sentiment,
                    w.sentiment_score,
                    dict(w.effort),
                    list(w.quality_flags),
                    w.analyzed_by,
                    w.model,
                    dict(w.cost),
                    w.estimated_cost,
                    w.currency,
                    dict(w.config_snapshot),
                    dict(w.pii),
                    len(w.discarded),
                    event_id,
                )
                if w.drop_raw_now:
                    await conn.execute(_DROP_RAW, w.call_id)
        return True

    async def analysis(self, call_id: uuid.UUID) -> dict[str, Any] | None:
        with translated():
            row = await self._pool.fetchrow("SELECT * FROM call_analyses WHERE call_id = $1", call_id)
        return None if row is None else dict(row)

    # ---------------------------------------------------------------- what companies set

    async def _bot_id(self, conn: Any, company_id: uuid.UUID, bot: str | None) -> uuid.UUID | None:
        if bot is None:
            return None
        found: uuid.UUID | None = await conn.fetchval(
            "SELECT id FROM bots WHERE company_id = $1 AND (slug = $2 OR id::text = $2)", company_id, bot
        )
        if found is None:
            raise NotFoundError(f"bot {bot!r} not found in company {company_id}")
        return found

    async def set_policy(
        self,
        company_id: uuid.UUID,
        *,
        bot: str | None,
        mode: str,
        drop_raw_after_days: int | None,
        recognizers: Sequence[str],
    ) -> None:
        """Set the company's (``bot`` None) or a bot's privacy policy (validate it in analysis/ first)."""
        with translated():
            async with self._pool.acquire() as conn:
                await self._company(conn, company_id)
                bot_id = await self._bot_id(conn, company_id, bot)
                await conn.execute(
                    """INSERT INTO privacy_policies
                           (company_id, bot_id, mode, drop_raw_after_days, recognizers)
                       VALUES ($1, $2, $3, $4, $5)
                       ON CONFLICT (company_id, bot_id) DO UPDATE SET mode = excluded.mode,
                           drop_raw_after_days = excluded.drop_raw_after_days,
                           recognizers = excluded.recognizers, updated_at = now()""",
                    company_id,
                    bot_id,
                    mode,
                    drop_raw_after_days,
                    list(recognizers),
                )

    async def policies(self, company_id: uuid.UUID) -> builtins.list[dict[str, Any]]:
        with translated():
            rows = await self._pool.fetch(
                """SELECT b.slug AS bot, p.mode, p.drop_raw_after_days, p.recognizers, p.updated_at
                   FROM privacy_policies p LEFT JOIN bots b ON b.id = p.bot_id
                   WHERE p.company_id = $1 ORDER BY p.bot_id NULLS FIRST""",
                company_id,
            )
        return [dict(r) for r in rows]

    async def set_config(
        self, company_id: uuid.UUID, *, bot: str | None, direction: str | None, config: Mapping[str, Any]
    ) -> None:
        """Set one layer of the analysis config (validate it in analysis/ first)."""
        with translated():
            async with self._pool.acquire() as conn:
                await self._company(conn, company_id)
                bot_id = await self._bot_id(conn, company_id, bot)
                await conn.execute(
                    """INSERT INTO analysis_configs (company_id, bot_id, direction, config)
                       VALUES ($1, $2, $3, $4)
                       ON CONFLICT (company_id, bot_id, direction) DO UPDATE
                       SET config = excluded.config, updated_at = now()""",
                    company_id,
                    bot_id,
                    direction,
                    dict(config),
                )

    async def _company(self, conn: Any, company_id: uuid.UUID) -> None:
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM companies WHERE id = $1)", company_id):
            raise NotFoundError(f"company {company_id} not found")
