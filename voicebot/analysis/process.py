"""One call's post-call processing, from what storage loaded to what it writes: no I/O but the LLM.

Steps: per turn, the cleaned caller text (:mod:`~voicebot.analysis.cleaning`) and the redacted copy
(:mod:`~voicebot.analysis.redaction`, slot spans first, then the recognizers); discarded caller turns
with their reason; the analysis (rules, or the LLM on the *redacted* transcript when configured, the
rules answering when it fails); the estimated cost; the configuration snapshot; the ``call.analyzed``
payload. Deterministic for the same input (but the event id).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

import structlog

from voicebot.analysis.cleaning import clean_turn
from voicebot.analysis.config import AnalysisConfig, PriceTable, resolve_config
from voicebot.analysis.llm import analyze_with_llm
from voicebot.analysis.model import (
    Analysis,
    CallRecord,
    Cost,
    DiscardedTurn,
    PostCallResult,
    TurnRow,
    TurnText,
)
from voicebot.analysis.redaction import PLACEHOLDERS, PrivacyPolicy, SlotHeard, is_pii_slot, redact_text
from voicebot.analysis.rules import analyze_rules
from voicebot.dialogue.nlu import is_garbage
from voicebot.dialogue.ports import LLM
from voicebot.outcomes.payloads import AnalyzedTurn, CallAnalyzedData, CallAnalyzedV1, EffortInfo

__all__ = ["discard_reason", "estimate_cost", "process_call"]

log = structlog.get_logger("voicebot.analysis.process")

_NOISE: Final = re.compile(r"^\W*(?:\[[^\]]*\]|<[^>]*>|\((?:noise|music|silence|inaudible)\)|\W)*\W*$", re.I)


def discard_reason(turn: TurnRow, config: AnalysisConfig) -> str | None:
    """Why a caller turn carried nothing to understand (empty, noise, garbage, low_confidence), or None."""
    text = turn.text.strip()
    if not text:
        return "empty"
    if _NOISE.match(text):
        return "noise"
    if is_garbage(text):
        return "garbage"
    confidence = _confidence(turn)
    if confidence is not None and confidence < config.low_confidence:
        return "low_confidence"
    return None


def _confidence(turn: TurnRow) -> float | None:
    value = turn.metadata.get("stt_confidence")
    return float(value) if isinstance(value, int | float) else None


def estimate_cost(call: CallRecord, prices: PriceTable, *, analysis_tokens: int = 0) -> Cost:
    """STT: the call's duration (streaming STT bills the open stream); TTS: characters of bot turns;
    LLM: the analysis' tokens plus about one token per 4 characters of bot turns an LLM wrote."""
    stt_seconds = call.duration_s
    tts_chars = sum(len(t.text) for t in call.turns if t.role == "bot")
    llm_turn_tokens = sum(math.ceil(len(t.text) / 4) for t in call.turns if t.role == "bot" and t.llm_ms)
    tokens = llm_turn_tokens + analysis_tokens
    return Cost(
        stt_seconds=stt_seconds,
        tts_characters=tts_chars,
        llm_tokens=tokens,
        stt=stt_seconds / 60 * prices.stt_per_minute,
        tts=tts_chars / 1000 * prices.tts_per_1k_chars,
        llm=tokens / 1000 * prices.llm_per_1k_tokens,
        currency=prices.currency,
    )


def _texts(
    call: CallRecord, policy: PrivacyPolicy, config: AnalysisConfig
) -> tuple[list[TurnText], list[DiscardedTurn], dict[str, int]]:
    by_turn: dict[int, list[SlotHeard]] = {}
    for slot in call.slots:
        if slot.turn_seq is not None:
            by_turn.setdefault(slot.turn_seq, []).append(
                SlotHeard(slot.name, call.slot_types.get(slot.name), slot.value)
            )
    texts: list[TurnText] = []
    discarded: list[DiscardedTurn] = []
    pii: dict[str, int] = {}
    lang = call.language
    for turn in call.turns:
        heard = by_turn.get(turn.seq, [])
        redacted = redact_text(turn.text, policy, lang=lang, slots=heard if turn.role == "caller" else ())
        for kind, n in redacted.kinds.items():
            pii[kind] = pii.get(kind, 0) + n
        if turn.role != "caller":
            if policy.redacts:
                texts.append(TurnText(turn.seq, None, redacted.text, pii=dict(redacted.kinds)))
            continue
        reason = discard_reason(turn, config)
        if reason is not None:
            discarded.append(DiscardedTurn(turn.seq, reason, _confidence(turn), len(turn.text), turn.at))  # type: ignore[arg-type]
            log.info("turn_discarded", call_id=str(call.call_id), seq=turn.seq, reason=reason)
        slot_values = [
            (s.name, PLACEHOLDERS["slot"] if policy.redacts and is_pii_slot(s.name, s.type) else s.value)
            for s in heard
        ]
        cleaned = clean_turn(redacted.text if policy.redacts else turn.text, lang, slots=slot_values)
        words = turn.metadata.get("words")
        texts.append(
            TurnText(
                turn.seq,
                cleaned.text,
                redacted.text if policy.redacts else None,
                cleaned.corrections,
                _confidence(turn),
                tuple(words) if isinstance(words, list) else None,
                dict(redacted.kinds),
            )
        )
    return texts, discarded, pii


async def process_call(
    call: CallRecord,
    *,
    prices: PriceTable,
    llm: LLM | None = None,
    model: str | None = None,
    event_id: uuid.UUID | None = None,
) -> PostCallResult:
    """Everything the pipeline writes for ``call`` (one transaction in storage)."""
    policy = PrivacyPolicy.from_json(call.policy)
    config = resolve_config(call.config_layers)
    texts, discarded, pii = _texts(call, policy, config)
    text_of = {t.seq: t for t in texts}
    caller_texts = [
        text_of[t.seq].cleaned_text or "" for t in call.turns if t.role == "caller" and t.seq in text_of
    ]
    analysis = analyze_rules(call, config, caller_texts=caller_texts, discarded=discarded)
    lines = [
        (t.role, (text_of[t.seq].redacted_text if t.seq in text_of and policy.redacts else t.text) or "")
        for t in call.turns
    ]
    if config.use_llm and llm is not None:
        analysis = await analyze_with_llm(
            llm, lines, analysis, lang=call.language, model=model, config=config
        )
    cost = estimate_cost(call, prices, analysis_tokens=analysis.llm_tokens)
    snapshot = {
        "analysis": config.as_json(),
        "privacy": policy.as_json(),
        "prices": prices.as_json(),
        "scenario_version_id": str(call.scenario_version_id) if call.scenario_version_id else None,
        "bot_slug": call.bot_slug,
        "language": call.language,
        "direction": call.direction,
        "providers": dict(call.providers),
        "llm_model": model if config.use_llm and llm is not None else None,
    }
    event_id = event_id or uuid.uuid4()
    event = _event(call, analysis, cost, texts, lines, discarded, pii, policy, event_id)
    return PostCallResult(
        call_id=call.call_id,
        company_id=call.company_id,
        texts=tuple(texts),
        discarded=tuple(discarded),
        analysis=analysis,
        cost=cost,
        config_snapshot=snapshot,
        pii=pii,
        drop_raw_now=policy.mode == "redact_drop_raw" and policy.drop_raw_after_days == 0,
        drop_raw_after_days=policy.drop_raw_after_days,
        event=event,
        event_id=event_id if event is not None else None,
    )


def _slot_values(call: CallRecord, policy: PrivacyPolicy) -> dict[str, Any] | None:
    if not call.webhook_slot_values:
        return None
    values: dict[str, Any] = {}
    for slot in call.slots:
        values[slot.name] = slot.value
    return values


def _event(
    call: CallRecord,
    analysis: Analysis,
    cost: Cost,
    texts: Sequence[TurnText],
    lines: Sequence[tuple[str, str]],
    discarded: Sequence[DiscardedTurn],
    pii: Mapping[str, int],
    policy: PrivacyPolicy,
    event_id: uuid.UUID,
) -> dict[str, Any] | None:
    if call.company_id is None:
        return None
    cleaned = {t.seq: t.cleaned_text for t in texts}
    transcript = tuple(
        AnalyzedTurn(role=role, text=text, cleaned_text=cleaned.get(turn.seq))  # type: ignore[arg-type]
        for turn, (role, text) in zip(call.turns, lines, strict=True)
    )
    data = CallAnalyzedData(
        call_id=call.call_id,
        bot_id=call.bot_id,
        bot_slug=call.bot_slug,
        direction=call.direction,
        outcome=call.outcome,
        summary=analysis.summary,
        sentiment=analysis.sentiment,
        sentiment_score=analysis.sentiment_score,
        effort=EffortInfo(**analysis.effort.as_json()),
        quality_flags=analysis.quality_flags,
        analyzed_by=analysis.analyzed_by,
        estimated_cost=cost.as_json(),
        discarded_turns=len(discarded),
        redaction=policy.mode,
        pii=dict(pii),
        slot_names=tuple(dict.fromkeys(s.name for s in call.slots)),
        slots=_slot_values(call, policy),
        transcript=transcript,
    )
    ended = call.ended_at or call.started_at
    return CallAnalyzedV1(id=event_id, timestamp=ended, company_id=call.company_id, data=data).model_dump(
        mode="json"
    )
