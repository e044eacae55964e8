"""The post-call pipeline's job handler: load a call, process it, write the result in one transaction.

Jobs live in storage's durable queue (``queue="post_call"``, ``key="<call id>:analyze"``), enqueued by
call finalize in the outcome's own transaction. :class:`PostCallPipeline` is the handler a
``QueueWorker`` runs: redaction and cleaning, analysis, then the ``call.analyzed`` outbox row, all
written by one ``save`` that is a no-op for a call already analyzed (a retried job cannot send a second
webhook). A call deleted meanwhile (retention) completes the job with ``{"skipped": "call gone"}``; a
call whose rows cannot be analyzed at all (a bad stored policy) dead-letters the job (not retryable).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import structlog

from voicebot.analysis.config import PriceTable
from voicebot.analysis.model import (
    CallRecord,
    PostCallResult,
    SlotRow,
    TransitionRow,
    TurnRow,
)
from voicebot.analysis.process import process_call
from voicebot.dialogue.ports import LLM
from voicebot.errors import ConfigError

__all__ = ["POST_CALL_QUEUE", "PostCallPipeline", "PostCallStore", "job_key", "to_record"]

log = structlog.get_logger("voicebot.analysis.pipeline")

POST_CALL_QUEUE = "post_call"


def job_key(call_id: uuid.UUID, stage: str = "analyze") -> str:
    """The idempotency key of a call's post-call job: one job per call and stage."""
    return f"{call_id}:{stage}"


class RowsLike(Protocol):
    @property
    def call(self) -> dict[str, Any]: ...
    @property
    def turns(self) -> tuple[dict[str, Any], ...]: ...
    @property
    def transitions(self) -> tuple[dict[str, Any], ...]: ...
    @property
    def slots(self) -> tuple[dict[str, Any], ...]: ...
    @property
    def policy(self) -> dict[str, Any] | None: ...
    @property
    def config_layers(self) -> tuple[dict[str, Any], ...]: ...


class PostCallStore(Protocol):
    """storage's ``PostCalls``."""

    async def load(self, call_id: uuid.UUID) -> Any: ...
    async def save(self, write: Any) -> bool: ...


class JobLike(Protocol):
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def attempt(self) -> int: ...


class NotRetryable(ConfigError):
    """A job that will fail the same way every time: dead-letter it at once."""

    retryable = False


def to_record(rows: RowsLike) -> CallRecord:
    """The analysis model of storage's rows."""
    c = rows.call
    decision = c.get("decision") or {}
    return CallRecord(
        call_id=c["id"],
        company_id=c.get("company_id"),
        bot_id=c.get("bot_id"),
        bot_slug=c.get("bot_slug") or decision.get("bot_slug"),
        language=c.get("language") or "en",
        direction="outbound" if c.get("direction") == "outbound" else "inbound",
        status=c["status"],
        end_reason=c.get("end_reason"),
        final_state=c.get("final_state"),
        started_at=c["started_at"],
        ended_at=c.get("ended_at"),
        outcome=c.get("outcome_type"),
        scenario_version_id=c.get("scenario_version_id"),
        providers=dict(c.get("providers") or {}),
        slot_types=dict(decision.get("slot_types") or {}),
        turns=tuple(
            TurnRow(
                t["seq"], t["role"], t["text"], t["state"], t["at"], t["llm_ms"], dict(t["metadata"] or {})
            )
            for t in rows.turns
        ),
        transitions=tuple(
            TransitionRow(t["seq"], t["from_state"], t["to_state"], t["trigger_type"], t["turn_seq"])
            for t in rows.transitions
        ),
        slots=tuple(SlotRow(s["seq"], s["name"], s["value"], s["method"], s["turn_seq"]) for s in rows.slots),
        policy=rows.policy,
        config_layers=rows.config_layers,
        webhook_slot_values=bool(c.get("webhook_slot_values", True)),
    )


def to_write(result: PostCallResult, new_write: Callable[..., Any]) -> Any:
    a = result.analysis
    return new_write(
        call_id=result.call_id,
        company_id=result.company_id,
        summary=a.summary,
        sentiment=a.sentiment,
        sentiment_score=a.sentiment_score,
        effort=a.effort.as_json(),
        quality_flags=a.quality_flags,
        analyzed_by=a.analyzed_by,
        model=a.model,
        cost=result.cost.as_json(),
        estimated_cost=result.cost.total,
        currency=result.cost.currency,
        config_snapshot=result.config_snapshot,
        pii=result.pii,
        texts=[
            (
                t.seq,
                t.cleaned_text,
                t.redacted_text,
                list(t.corrections),
                t.stt_confidence,
                list(t.words) if t.words is not None else None,
                dict(t.pii),
            )
            for t in result.texts
        ],
        discarded=[(d.seq, d.reason, d.stt_confidence, d.chars, d.at) for d in result.discarded],
        event_id=result.event_id,
        event=result.event,
        drop_raw_now=result.drop_raw_now,
    )


class PostCallPipeline:
    """The ``post_call`` queue's handler. One per process; safe to share between concurrent jobs."""

    def __init__(
        self,
        *,
        store: PostCallStore,
        new_write: Callable[..., Any],
        prices: PriceTable,
        llm: LLM | None = None,
        llm_model: str | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._store = store
        self._new_write = new_write
        self._prices = prices
        self._llm = llm
        self._model = llm_model
        self._clock = clock

    async def __call__(self, job: JobLike) -> Mapping[str, Any]:
        raw = job.payload.get("call_id")
        try:
            call_id = uuid.UUID(str(raw))
        except ValueError:
            raise NotRetryable(f"post_call job without a valid call_id ({raw!r})") from None
        return await self.run(call_id)

    async def run(self, call_id: uuid.UUID) -> Mapping[str, Any]:
        """Analyze one call (StorageError propagates: the queue retries it with backoff)."""
        started = self._clock()
        rows = await self._store.load(call_id)
        if rows is None:
            log.info("post_call_skipped", call_id=str(call_id), reason="call_gone")
            return {"skipped": "call gone"}
        try:
            record = to_record(rows)
            result = await process_call(record, prices=self._prices, llm=self._llm, model=self._model)
        except ConfigError as exc:
            raise NotRetryable(f"call {call_id} cannot be analyzed: {exc}") from exc
        written = await self._store.save(to_write(result, self._new_write))
        seconds = (self._clock() - started).total_seconds()
        log.info(
            "call_analyzed",
            call_id=str(call_id),
            written=written,
            analyzed_by=result.analysis.analyzed_by,
            flags=list(result.analysis.quality_flags),
            discarded=len(result.discarded),
            pii_spans=sum(result.pii.values()),
            cost=result.cost.total,
            seconds=round(seconds, 3),
        )
        return {
            "written": written,
            "analyzed_by": result.analysis.analyzed_by,
            "event_id": str(result.event_id) if written and result.event_id else None,
        }
