"""Summaries and, for ambiguous calls, an LLM's outcome classification.

Offline (no LLM configured) every call gets a deterministic summary built from its outcome, how it
ended and its slots. With an LLM (the dialogue's :class:`~voicebot.dialogue.ports.LLM` port) every call
gets a short written summary, and a call the scenario's rules left *ambiguous* (no state set an outcome
and no rule matched, or the rule that matched is below the confidence threshold) is classified by the
LLM among the scenario's outcome names. The LLM never overrides an outcome a state set, nor "dropped".
Any LLM failure falls back to the rules and the template: the webhook is never held up by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from voicebot.dialogue.actions import CallFinished
from voicebot.dialogue.nlu import to_json
from voicebot.dialogue.ports import LLM, LlmMessage
from voicebot.errors import VoicebotError
from voicebot.outcomes.payloads import TranscriptEntry

__all__ = ["Advice", "OutcomeAdvisor", "is_ambiguous", "template_summary"]

log = structlog.get_logger("voicebot.outcomes.summary")

SUMMARY_PROMPT = (
    "You summarize a phone call between a caller and a company's voice bot for the company's staff. "
    "Write one or two plain sentences: what the caller wanted and how the call ended. "
    "Do not invent details that are not in the transcript."
)

_ENDINGS = {
    "completed": "the bot completed the conversation",
    "caller_hangup": "the caller hung up",
    "hangup": "the caller hung up",
    "transferred": "the call was transferred to a person",
    "no_input": "the caller stopped responding",
    "error": "the call ended on an error",
    "dropped": "the call was lost (its worker stopped responding)",
}


def template_summary(finished: CallFinished) -> str:
    """A deterministic one-line summary from the outcome, the end reason, the final state and the slots."""
    ending = _ENDINGS.get(finished.end_reason, f"the call ended ({finished.end_reason})")
    text = f"Outcome {finished.outcome}: {ending} in state {finished.final_state}."
    filled = [(k, to_json(v)) for k, v in finished.slots.items() if v is not None]
    if filled:
        text += " Collected " + ", ".join(f"{k}={v}" for k, v in filled) + "."
    return text


def is_ambiguous(finished: CallFinished, threshold: float) -> bool:
    """Whether the rules left the outcome open: a default, or a rule below ``threshold``."""
    if finished.outcome == "dropped" or finished.rule.startswith("state:"):
        return False
    return finished.rule.startswith("default:") or finished.confidence < threshold


@dataclass(frozen=True, slots=True)
class Advice:
    outcome: str
    confidence: float
    decided_by: str  # "rules" | "llm"
    rule: str
    summary: str


def _transcript_text(transcript: Sequence[TranscriptEntry], limit: int = 6000) -> str:
    text = "\n".join(f"{line.role}: {line.text}" for line in transcript)
    return text[-limit:]


class OutcomeAdvisor:
    """Decides the final outcome and summary of a call; ``llm=None`` is the offline, deterministic mode."""

    def __init__(
        self,
        *,
        llm: LLM | None = None,
        ambiguity_threshold: float = 0.6,
        llm_confidence: float = 0.7,
        timeout: float = 8.0,
    ) -> None:
        self._llm = llm
        self._threshold = ambiguity_threshold
        self._llm_confidence = llm_confidence
        self._timeout = timeout

    async def advise(
        self,
        finished: CallFinished,
        transcript: Sequence[TranscriptEntry],
        *,
        outcome_names: Sequence[str] = (),
    ) -> Advice:
        outcome, confidence, rule, decided_by = finished.outcome, finished.confidence, finished.rule, "rules"
        summary = template_summary(finished)
        if self._llm is None or not transcript:
            return Advice(outcome, confidence, decided_by, rule, summary)
        text = _transcript_text(transcript)
        candidates = [n for n in dict.fromkeys(outcome_names) if n != "dropped"]
        if candidates and is_ambiguous(finished, self._threshold):
            choice = await self._ask(self._llm.classify(text, candidates, context="call outcome"), "classify")
            if isinstance(choice, str) and choice in candidates:
                outcome, confidence, decided_by = choice, self._llm_confidence, "llm"
                rule = f"llm:{choice} (rules: {finished.rule})"
        slots: Mapping[str, Any] = {k: to_json(v) for k, v in finished.slots.items()}
        messages = [
            LlmMessage("system", SUMMARY_PROMPT),
            LlmMessage("user", f"Outcome: {outcome}. Slots: {slots}.\nTranscript:\n{text}"),
        ]
        written = await self._ask(self._llm.reply(messages), "summary")
        if isinstance(written, str) and written.strip():
            summary = written.strip()[:1000]
        return Advice(outcome, confidence, decided_by, rule, summary)

    async def _ask(self, request: Any, kind: str) -> object:
        try:
            return await asyncio.wait_for(request, self._timeout)
        except (VoicebotError, TimeoutError) as exc:
            log.warning("outcome_llm_failed", kind=kind, error=str(exc) or type(exc).__name__)
            return None
