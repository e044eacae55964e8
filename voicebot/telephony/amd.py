"""Answering-machine detection (AMD) on outbound calls: a timing heuristic over the callee's first audio.

livekit-agents 1.8.9 ships AMD (``voice/amd``), but its verdict comes from an LLM classifying the
greeting's transcript (its timers only gate when the verdict may be emitted), and it needs a job
context: offline, over our fakes, it would only echo a scripted LLM. This detector decides from
audio timing alone, with livekit's thresholds as the starting point:

* a person answers briefly and waits: "Hello?", "Hi, this is Anna." -- a first utterance of at most
  ``human_speech`` seconds (2.5 s, livekit's HUMAN_SPEECH_THRESHOLD), then ``human_silence`` (0.8 s) of
  silence -> ``human``;
* a machine reads a greeting: speech going on past ``human_speech`` seconds (pauses shorter than
  ``human_silence`` do not end it) -> ``machine``;
* a beep (below) before either -> ``machine``;
* nothing heard for ``no_speech`` seconds -> ``uncertain`` (treated as a person: the bot speaks).

After a ``machine`` verdict, :meth:`GreetingDetector.ready_for_message` turns true at the beep (a pure
tone: one spectral peak holding at least 80 % of a frame's energy, 300-3000 Hz, for 120 ms or more, then
ending) or at the end of the greeting (``machine_silence`` = 1.5 s of silence, livekit's
MACHINE_SILENCE_THRESHOLD), so the message is recorded after the tone rather than over the greeting.

Known limits (docs/telephony.md): a person who answers with a long sentence ("Hello, this is Anna from
accounts, how can I help you today?") is taken for a machine; a machine with a one-word greeting for a
person. Measured on synthesized greetings in docs/performance.md.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from livekit import rtc
from livekit.agents.voice import io

__all__ = ["AmdSettings", "GreetingDetector", "ListeningInput", "Verdict"]

Verdict = Literal["human", "machine", "uncertain"]


@dataclass(frozen=True, slots=True)
class AmdSettings:
    human_speech: float = 2.5
    human_silence: float = 0.8
    machine_silence: float = 1.5
    no_speech: float = 6.0
    speech_db: float = -40.0
    """A frame louder than this (dBFS) is voiced."""
    tone_ratio: float = 0.8
    tone_min: float = 0.12


@dataclass
class GreetingDetector:
    """Feed the callee's audio with :meth:`push`; read :attr:`verdict` and :meth:`ready_for_message`."""

    settings: AmdSettings = field(default_factory=AmdSettings)
    verdict: Verdict | None = None
    decided_at: float | None = None
    """Seconds of audio heard when the verdict was reached."""
    beep_at: float | None = None
    t: float = 0.0
    _first_voice: float | None = None
    _last_voice: float | None = None
    _tone_run: float = 0.0
    _ready: bool = False
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def push(self, samples: np.ndarray, sample_rate: int) -> None:
        """One frame of int16 mono samples."""
        s = self.settings
        dur = len(samples) / sample_rate
        self.t += dur
        x = samples.astype(np.float32) / 32768.0
        rms = float(np.sqrt(np.mean(x * x))) if len(x) else 0.0
        voiced = rms > 0 and 20 * np.log10(rms) > s.speech_db
        tone = voiced and _is_tone(x, sample_rate, s.tone_ratio)
        if voiced:
            if self._first_voice is None:
                self._first_voice = self.t - dur
            self._last_voice = self.t
        silence = self.t - self._last_voice if self._last_voice is not None else self.t
        beep_ended = False
        if tone:
            self._tone_run += dur
        else:
            beep_ended = self._tone_run >= s.tone_min
            self._tone_run = 0.0
        if self.verdict is None:
            if self._tone_run >= s.tone_min:  # a beep: only machines beep
                self._set("machine")
            else:
                self._decide(silence)
        if self.verdict == "machine" and not self._ready:
            if beep_ended:
                self.beep_at = self.t
                self._set_ready()
            elif silence >= s.machine_silence:
                self._set_ready()

    def _decide(self, silence: float) -> None:
        s = self.settings
        if self._first_voice is None:
            if self.t >= s.no_speech:
                self._set("uncertain")
            return
        assert self._last_voice is not None
        length = self._last_voice - self._first_voice
        if length > s.human_speech:
            self._set("machine")
        elif silence >= s.human_silence:
            self._set("human")

    def _set(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.decided_at = self.t
        self._changed.set()

    def _set_ready(self) -> None:
        self._ready = True
        self._changed.set()

    def ready_for_message(self) -> bool:
        return self._ready

    def timeout(self, verdict: Verdict = "uncertain") -> None:
        """No decision in time (the caller's side gave no audio): settle with ``verdict``."""
        if self.verdict is None:
            self._set(verdict)
        self._set_ready()

    async def wait(self, predicate: str = "verdict") -> None:
        """Until a verdict (``"verdict"``) or until ready for the message (``"ready"``)."""
        while (self.verdict is None) if predicate == "verdict" else not self._ready:
            self._changed.clear()
            await self._changed.wait()


def _is_tone(x: np.ndarray, sample_rate: int, ratio: float) -> bool:
    """One spectral peak (300-3000 Hz) holds ``ratio`` of the frame's energy: a beep, not a voice."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    total = float(spectrum.sum())
    if total <= 0:
        return False
    peak = int(np.argmax(spectrum))
    freq = peak * sample_rate / len(x)
    around = float(spectrum[max(0, peak - 2) : peak + 3].sum())
    return 300 <= freq <= 3000 and around / total >= ratio


class ListeningInput(io.AudioInput):
    """The session's audio input, passed through unchanged, with every frame also fed to a detector."""

    def __init__(self, source: io.AudioInput, detector: GreetingDetector) -> None:
        super().__init__(label="amd", source=source)
        self.detector = detector
        self.listening = True

    async def __anext__(self) -> rtc.AudioFrame:
        frame = await super().__anext__()
        if self.listening:
            samples = np.frombuffer(bytes(frame.data), dtype=np.int16)
            if frame.num_channels > 1:
                samples = samples[:: frame.num_channels]
            self.detector.push(samples, frame.sample_rate)
        return frame
