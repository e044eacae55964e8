"""The LLM's analysis of a call (summary and sentiment), when the analysis config asks for it.

The model sees the *redacted* transcript only (PII never leaves for a provider when the policy
redacts) and must answer one JSON object ``{"summary": str, "sentiment": "negative"|"neutral"|
"positive", "score": -1..1}``. Any failure (a provider error, a timeout, an answer that is not that
object) keeps the rule-based analysis; the reason is logged (``analysis_llm_failed``, no text).
Tokens are estimated at one per 4 characters of prompt and answer (the port returns no usage).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace

import structlog

from voicebot.analysis.config import AnalysisConfig
from voicebot.analysis.model import Analysis
from voicebot.dialogue.ports import LLM, LlmMessage

__all__ = ["analyze_with_llm"]

log = structlog.get_logger("voicebot.analysis.llm")

_PROMPT = (
    "You analyse a finished phone call between a caller and a voice bot. Personal data was replaced by "
    "placeholders such as [NAME]. Reply with ONE JSON object and nothing else: "
    '{"summary": "<at most three sentences, in the language of the call>", '
    '"sentiment": "negative" | "neutral" | "positive", "score": <number from -1 to 1>}'
)


async def analyze_with_llm(
    llm: LLM,
    lines: Sequence[tuple[str, str]],
    base: Analysis,
    *,
    lang: str,
    model: str | None,
    config: AnalysisConfig,
) -> Analysis:
    """``base`` with the LLM's summary and sentiment, or ``base`` itself when the LLM fails."""
    transcript = "\n".join(f"{role}: {text}" for role, text in lines if text)
    messages = [
        LlmMessage("system", _PROMPT),
        LlmMessage("user", f"Language: {lang}\nTranscript:\n{transcript}"),
    ]
    try:
        answer = await llm.reply(messages)
    except Exception as exc:  # a provider failure must not fail the pipeline: the rules answer
        log.warning("analysis_llm_failed", reason="provider", error_class=type(exc).__name__)
        return base
    tokens = math.ceil((len(_PROMPT) + len(transcript) + len(answer)) / 4)
    try:
        start, end = answer.index("{"), answer.rindex("}") + 1
        data = json.loads(answer[start:end])
        summary = str(data["summary"]).strip()
        label = data["sentiment"]
        score = max(-1.0, min(1.0, float(data.get("score", 0.0))))
        if label not in ("negative", "neutral", "positive") or not summary:
            raise ValueError("bad sentiment or empty summary")
    except (ValueError, KeyError, TypeError):
        log.warning("analysis_llm_failed", reason="unparseable")
        return replace(base, llm_tokens=tokens)
    flags = tuple(f for f in base.quality_flags if f != "negative_sentiment")
    if label == "negative":
        flags += ("negative_sentiment",)
    return replace(
        base,
        summary=summary[: config.summary_max_chars],
        sentiment=label,
        sentiment_score=round(score, 3),
        quality_flags=flags,
        analyzed_by="llm",
        model=model,
        llm_tokens=tokens,
    )
