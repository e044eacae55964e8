"""Word timings of the caller's final transcripts, kept for the post-call pipeline.

livekit-agents 1.8.9 hands the agent the transcript text and its confidence, not the provider's word
timings (Deepgram sends them on every final result). :class:`WordTimings` is an ``Agent`` mixin whose
``stt_node`` passes every speech event on unchanged and copies the words of final transcripts into the
call log (``CallLog.stt_words``); the next caller turn takes them into its ``metadata["words"]``.
Nothing awaits and nothing is written here: the call's path pays a list append per word.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
from typing import Any

from livekit import rtc
from livekit.agents import Agent, stt
from livekit.agents.voice import ModelSettings

from voicebot.telephony.recording import CallLog

__all__ = ["WordTimings", "word_timing"]

_MAX_WORDS = 500  # one caller turn's worth; beyond it the turn is garbage anyway


def _number(value: Any) -> float | None:
    return round(float(value), 3) if isinstance(value, int | float) else None


def word_timing(word: Any) -> dict[str, Any]:
    """``{word, start, end, confidence}`` of a livekit ``TimedString`` (missing values are None)."""
    return {
        "word": str(word),
        "start": _number(getattr(word, "start_time", None)),
        "end": _number(getattr(word, "end_time", None)),
        "confidence": _number(getattr(word, "confidence", None)),
    }


class WordTimings:
    """Mixin for the call's ``Agent``: needs a ``calllog`` attribute."""

    calllog: CallLog

    async def stt_node(
        self, audio: AsyncIterable[rtc.AudioFrame], model_settings: ModelSettings
    ) -> AsyncGenerator[stt.SpeechEvent, None]:
        events = Agent.default.stt_node(self, audio, model_settings)  # type: ignore[arg-type]
        async for event in events:
            if isinstance(event, stt.SpeechEvent) and event.type == stt.SpeechEventType.FINAL_TRANSCRIPT:
                words = event.alternatives[0].words if event.alternatives else None
                if words and len(self.calllog.stt_words) < _MAX_WORDS:
                    self.calllog.stt_words.extend(word_timing(w) for w in words)
            yield event
