"""The caller's side of a call, for AgentSession tests without a room.

* ``speak_to_frames(text)``: espeak-ng speech as 20 ms ``rtc.AudioFrame``s.
* ``CallerAudioInput``: a ``voice.io.AudioInput`` that streams what the caller says, and silence in
  between (as a SIP track does), paced at playback speed (``speed`` > 1 compresses time).
* ``CapturingAudioOutput``: a ``voice.io.AudioOutput`` that "plays" the agent's audio in real time,
  records what was actually heard with timestamps (``time.time()``, like livekit's events), and
  honours ``clear_buffer`` (barge-in), ``pause``/``resume`` and the playback events the session waits on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from livekit import rtc
from livekit.agents.voice import io

from .speech import loud_windows, synthesize, trim_silence

FRAME_MS = 20


def pcm_to_frames(pcm: bytes, sample_rate: int, *, frame_ms: int = FRAME_MS) -> list[rtc.AudioFrame]:
    """Split mono int16 PCM into frames of ``frame_ms`` (the last one zero-padded)."""
    spf = sample_rate * frame_ms // 1000
    step = spf * 2
    frames = []
    for i in range(0, len(pcm), step):
        chunk = pcm[i : i + step]
        if len(chunk) < step:
            chunk = chunk + b"\x00" * (step - len(chunk))
        frames.append(rtc.AudioFrame(chunk, sample_rate, 1, spf))
    return frames


def speak_to_frames(text: str, sample_rate: int = 16000, *, frame_ms: int = FRAME_MS) -> list[rtc.AudioFrame]:
    """``text`` spoken by espeak-ng (tone fallback without it) as ``frame_ms`` mono frames.

    espeak's leading and trailing silence (~0.4 s at the end) is cut, so the first and last frames are
    the start and end of speech: timings measured from them are the caller's real ones.
    """
    pcm = trim_silence(synthesize(text, sample_rate), sample_rate)
    return pcm_to_frames(pcm, sample_rate, frame_ms=frame_ms)


def silence_frames(
    seconds: float, sample_rate: int = 16000, *, frame_ms: int = FRAME_MS
) -> list[rtc.AudioFrame]:
    spf = sample_rate * frame_ms // 1000
    return [
        rtc.AudioFrame(b"\x00" * spf * 2, sample_rate, 1, spf)
        for _ in range(round(seconds * 1000 / frame_ms))
    ]


@dataclass
class CallerUtterance:
    """Something the caller said, with when it was streamed (``time.time()``)."""

    text: str
    duration: float
    started_at: float | None = None
    ended_at: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


class CallerAudioInput(io.AudioInput):
    """The caller's microphone: speech when told, silence otherwise, paced in real time.

    ``say(text)`` queues an utterance and returns it; ``await caller.say_and_wait(text)`` returns once
    its last frame went out. ``close()`` ends the stream (the session sees the caller's track end).
    """

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        frame_ms: int = FRAME_MS,
        speed: float = 1.0,
        label: str = "FakeCaller",
    ) -> None:
        super().__init__(label=label)
        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self.speed = speed
        self.utterances: list[CallerUtterance] = []
        self._queue: deque[tuple[rtc.AudioFrame, CallerUtterance | None, bool]] = deque()
        self._silence = silence_frames(frame_ms / 1000, sample_rate, frame_ms=frame_ms)[0]
        self._t0: float | None = None
        self._sent = 0
        self._closed = False

    def say(self, text: str) -> CallerUtterance:
        frames = speak_to_frames(text, self.sample_rate, frame_ms=self.frame_ms)
        return self.play(frames, text=text)

    def play(self, frames: Iterable[rtc.AudioFrame], *, text: str = "") -> CallerUtterance:
        items = list(frames)
        utt = CallerUtterance(text=text, duration=sum(f.duration for f in items))
        self.utterances.append(utt)
        for i, frame in enumerate(items):
            self._queue.append((frame, utt, i == len(items) - 1))
        if not items:
            utt.done.set()
        return utt

    def pause(self, seconds: float) -> None:
        """Queue ``seconds`` of silence after what is already queued."""
        for frame in silence_frames(seconds, self.sample_rate, frame_ms=self.frame_ms):
            self._queue.append((frame, None, False))

    async def say_and_wait(self, text: str) -> CallerUtterance:
        utt = self.say(text)
        await utt.done.wait()
        return utt

    @property
    def idle(self) -> bool:
        """Nothing queued: the caller is silent."""
        return not self._queue

    def close(self) -> None:
        self._closed = True

    async def __anext__(self) -> rtc.AudioFrame:
        if self._closed:
            raise StopAsyncIteration
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        due = self._t0 + self._sent * (self.frame_ms / 1000) / self.speed
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > 0.2:
            # the consumer stalled (e.g. a slow start): do not burst to catch up, restart the clock
            self._t0, self._sent = now, 0
        self._sent += 1
        if not self._queue:
            return self._silence
        frame, utt, last = self._queue.popleft()
        if utt is not None:
            if utt.started_at is None:
                utt.started_at = time.time()
            if last:
                utt.ended_at = time.time() + frame.duration / self.speed
                utt.done.set()
        return frame


@dataclass
class PlayedSegment:
    """One agent utterance (an output segment) as the caller heard it."""

    index: int
    captured: float = 0.0
    """Seconds of audio the agent handed over."""
    played: float = 0.0
    """Seconds the caller actually heard."""
    started_at: float | None = None
    """``time.time()`` of the first audible frame."""
    ended_at: float | None = None
    interrupted: bool = False
    flushed: bool = False
    finished: bool = False
    sample_rate: int = 0
    speed: float = 1.0
    pcm: bytearray = field(default_factory=bytearray, repr=False)
    """The audio heard (not what was cleared before playing)."""

    @property
    def audible_at(self) -> float | None:
        """``time.time()`` the first audible sound (not TTS leading silence) was heard."""
        loud = loud_windows(bytes(self.pcm), self.sample_rate)
        if self.started_at is None or not loud:
            return None
        return self.started_at + loud[0] * 0.01 / self.speed


_FLUSH = object()


class CapturingAudioOutput(io.AudioOutput):
    """Plays the agent's audio on a virtual speaker at ``speed`` x real time and records what was heard.

    Segments are delimited by ``flush()`` (finished, not interrupted, once played out) or
    ``clear_buffer()`` (finished at once, interrupted, with the position reached), as the room output does.
    """

    def __init__(
        self, *, sample_rate: int | None = None, speed: float = 1.0, label: str = "FakeSpeaker"
    ) -> None:
        super().__init__(
            label=label,
            capabilities=io.AudioOutputCapabilities(pause=True),
            next_in_chain=None,
            sample_rate=sample_rate,
        )
        self.speed = speed
        self.segments: list[PlayedSegment] = []
        self._queue: asyncio.Queue[tuple[PlayedSegment, rtc.AudioFrame | object]] = asyncio.Queue()
        self._current: PlayedSegment | None = None  # the segment being captured
        self._playing: PlayedSegment | None = None  # the segment the player is in
        self._enabled = asyncio.Event()
        self._enabled.set()
        self._player: asyncio.Task[None] | None = None
        self._frame_started: float | None = None
        self._frame_duration = 0.0
        self._changed = asyncio.Event()

    # -- AudioOutput -----------------------------------------------------------------------------

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._current is None:
            self._current = PlayedSegment(
                index=len(self.segments), sample_rate=frame.sample_rate, speed=self.speed
            )
            self.segments.append(self._current)
        self._current.captured += frame.duration
        self._queue.put_nowait((self._current, frame))
        self._ensure_player()

    def flush(self) -> None:
        super().flush()
        seg, self._current = self._current, None
        if seg is None:
            return
        seg.flushed = True
        if seg.finished:
            return
        self._queue.put_nowait((seg, _FLUSH))
        self._ensure_player()

    def clear_buffer(self) -> None:
        segs = {s.index: s for s in (self._playing, self._current) if s is not None and not s.finished}
        while not self._queue.empty():
            seg, _ = self._queue.get_nowait()
            if not seg.finished:
                segs[seg.index] = seg
        if self._player is not None and self._playing is not None and self._frame_started is not None:
            # the frame being played when the clear came was heard up to now
            partial = min(self._frame_duration, (time.monotonic() - self._frame_started) * self.speed)
            self._playing.played += partial
        if self._player is not None:
            self._player.cancel()
            self._player = None
        self._frame_started = None
        self._playing = None
        for seg in sorted(segs.values(), key=lambda s: s.index):
            self._finish(seg, interrupted=True)

    def pause(self) -> None:
        super().pause()
        self._enabled.clear()

    def resume(self) -> None:
        super().resume()
        self._enabled.set()

    # -- player ----------------------------------------------------------------------------------

    def _ensure_player(self) -> None:
        if self._player is None or self._player.done():
            self._player = asyncio.create_task(self._play(), name="CapturingAudioOutput.play")

    async def _play(self) -> None:
        while True:
            seg, item = await self._queue.get()
            if seg.finished:
                continue
            if item is _FLUSH:
                self._finish(seg, interrupted=False)
                continue
            assert isinstance(item, rtc.AudioFrame)
            await self._enabled.wait()
            self._playing = seg
            if seg.started_at is None:
                seg.started_at = time.time()
                self.on_playback_started(created_at=seg.started_at)
                self._changed.set()
            self._frame_started, self._frame_duration = time.monotonic(), item.duration
            await asyncio.sleep(item.duration / self.speed)
            self._frame_started = None
            seg.played += item.duration
            seg.pcm.extend(bytes(item.data))

    def _finish(self, seg: PlayedSegment, *, interrupted: bool) -> None:
        if seg.finished:
            return
        seg.finished, seg.interrupted, seg.ended_at = True, interrupted, time.time()
        self.on_playback_finished(playback_position=seg.played, interrupted=interrupted)
        self._changed.set()

    # -- test API --------------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        """Audio is being heard right now."""
        return self._playing is not None and not self._playing.finished and self._frame_started is not None

    async def wait_until(self, predicate: object, timeout: float = 20.0) -> None:
        """Wait until ``predicate()`` (re-checked whenever a segment starts or finishes) is true."""
        assert callable(predicate)
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def wait_segment_started(self, index: int, timeout: float = 20.0) -> PlayedSegment:
        await self.wait_until(lambda: len(self.segments) > index and self.segments[index].started_at, timeout)
        return self.segments[index]

    async def wait_segment_finished(self, index: int, timeout: float = 20.0) -> PlayedSegment:
        await self.wait_until(lambda: len(self.segments) > index and self.segments[index].finished, timeout)
        return self.segments[index]

    async def aclose(self) -> None:
        if self._player is not None:
            self._player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._player


def attach_call_audio(
    session: object, *, speed: float = 1.0
) -> tuple[CallerAudioInput, CapturingAudioOutput]:
    """Give an ``AgentSession`` (before ``start``) a fake caller and speaker; returns them."""
    caller, speaker = CallerAudioInput(speed=speed), CapturingAudioOutput(speed=speed)
    session.input.audio = caller  # type: ignore[attr-defined]
    session.output.audio = speaker  # type: ignore[attr-defined]
    return caller, speaker
