"""A local Deepgram: ``/v1/listen`` streaming websocket and prerecorded POST, with scripted transcripts.

The real ``deepgram.STT`` plugin connects to it with ``base_url=fake.base_url``. The fake does not
recognise words: it finds speech in the incoming linear16 PCM by energy, and when an utterance ends it
answers with the next transcript of a queue the test fills (``fake.script("yes please", ...)``).
So the audio path (frames, resampling, the plugin's 50 ms chunks, VAD, endpointing, turn taking) is
real while what "the caller said" is controlled by the test.

Messages sent, shaped as the plugin parses them (stt.py ``_process_stream_event``): ``SpeechStarted``
(when ``vad_events=true``), interim ``Results`` (``is_final=false``) while speech goes on (when
``interim_results=true``), one final ``Results`` (``is_final=true, speech_final=true``) per utterance,
``UtteranceEnd`` (when ``utterance_end_ms`` is set) and ``Metadata`` on ``CloseStream``. ``Finalize``
finalizes the utterance in progress (``from_finalize=true``) or is acknowledged with an empty final.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web

from ._server import FakeServer

DEFAULT_API_KEY = "fake-deepgram-key"


@dataclass
class Utterance:
    """One stretch of speech the fake found, and what it answered for it."""

    start: float
    """Audio time (s since the stream's first sample) the speech began."""
    end: float | None = None
    transcript: str = ""
    scripted: bool = True
    """False when the queue was empty (the transcript sent was the fake's ``default_transcript``)."""
    finalized_by: str = ""
    """``endpoint`` (silence), ``finalize`` (the client's Finalize) or ``close`` (CloseStream)."""
    speech_started_wall: float = 0.0
    final_sent_wall: float | None = None
    """``time.monotonic()`` when the final Results left the fake (after the injected latency)."""


@dataclass
class DeepgramConnection:
    """One websocket (or prerecorded request) the plugin opened, as the fake saw it."""

    query: dict[str, str]
    api_key: str
    sample_rate: int
    audio: bytearray = field(default_factory=bytearray)
    controls: list[str] = field(default_factory=list)
    """Types of the JSON control messages received, in order (KeepAlive, Finalize, CloseStream)."""
    utterances: list[Utterance] = field(default_factory=list)
    closed: bool = False

    @property
    def audio_seconds(self) -> float:
        return len(self.audio) / 2 / self.sample_rate


class FakeDeepgram(FakeServer):
    """Scripted Deepgram streaming STT over loopback.

    Args:
        transcripts: initial queue of transcripts, one per detected utterance.
        final_latency: seconds from the end of speech to the final Results (Deepgram publishes
            ~300 ms). The fake can only answer once ``endpoint_silence`` of silence has been heard, so
            the effective delay is ``max(final_latency, endpoint_silence)``.
        endpoint_silence: silence (s) that ends an utterance. Deepgram's own endpointing (the plugin
            asks for 25 ms) runs on a speech model; on energy alone 25 ms would split words, so the fake
            uses this instead: espeak-ng pauses reach ~320 ms at a full stop.
        threshold_dbfs: a 10 ms window louder than this is speech.
        min_speech: loud audio needed (s) before an utterance starts (ignores clicks).
        interim_interval: seconds of speech between interim Results (each shows one more word).
        default_transcript: sent for an utterance when the queue is empty (``""`` is what Deepgram
            sends for noise); such utterances are marked ``scripted=False``.
        api_key: the key expected in ``Authorization: Token ...`` (else 401, as Deepgram does).
    """

    def __init__(
        self,
        *,
        transcripts: Iterable[str] = (),
        final_latency: float = 0.0,
        interim_latency: float = 0.0,
        endpoint_silence: float = 0.4,
        threshold_dbfs: float = -45.0,
        min_speech: float = 0.06,
        interim_interval: float = 0.3,
        default_transcript: str = "",
        api_key: str = DEFAULT_API_KEY,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.final_latency = final_latency
        self.interim_latency = interim_latency
        self.endpoint_silence = endpoint_silence
        self.threshold_dbfs = threshold_dbfs
        self.min_speech = min_speech
        self.interim_interval = interim_interval
        self.default_transcript = default_transcript
        self.transcripts: deque[str] = deque(transcripts)
        self.connections: list[DeepgramConnection] = []
        self.reject_connections: int = 0
        """Refuse this many next websocket handshakes with HTTP 500 (error injection)."""
        self._final_event = asyncio.Event()

    def _routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/listen", self._listen_ws)
        app.router.add_post("/v1/listen", self._listen_prerecorded)

    # -- test API ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to pass as ``deepgram.STT(base_url=...)``."""
        return f"{self.origin}/v1/listen"

    def script(self, *transcripts: str) -> None:
        """Queue transcripts: each detected utterance consumes the next one."""
        self.transcripts.extend(transcripts)

    @property
    def utterances(self) -> list[Utterance]:
        return [u for c in self.connections for u in c.utterances]

    @property
    def finals(self) -> list[str]:
        """Transcripts sent as finals so far, across connections, in order."""
        return [u.transcript for u in self.utterances if u.final_sent_wall is not None]

    async def wait_finals(self, count: int, timeout: float = 10.0) -> list[str]:
        """Wait until ``count`` finals have been sent; returns them."""
        async with asyncio.timeout(timeout):
            while len(self.finals) < count:
                self._final_event.clear()
                await self._final_event.wait()
        return self.finals

    def stt(self, **kwargs: Any) -> Any:
        """A real ``livekit.plugins.deepgram.STT`` pointed at this fake (kwargs pass through)."""
        from livekit.plugins import deepgram

        kwargs.setdefault("api_key", self.api_key)
        return deepgram.STT(base_url=self.base_url, **kwargs)

    def _next_transcript(self) -> tuple[str, bool]:
        if self.transcripts:
            return self.transcripts.popleft(), True
        return self.default_transcript, False

    def _check_auth(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() not in ("token", "bearer") or key != self.api_key:
            raise web.HTTPUnauthorized(
                text=json.dumps({"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}),
                content_type="application/json",
            )
        return key

    # -- streaming -----------------------------------------------------------------------------

    async def _listen_ws(self, request: web.Request) -> web.StreamResponse:
        key = self._check_auth(request)
        if self.reject_connections > 0:
            self.reject_connections -= 1
            raise web.HTTPInternalServerError(text="injected failure")
        query = dict(request.query)
        if query.get("encoding", "linear16") != "linear16" or query.get("channels", "1") != "1":
            raise web.HTTPBadRequest(text="the fake supports linear16 mono only")
        request_id = str(uuid.uuid4())
        ws = web.WebSocketResponse()
        ws.headers["dg-request-id"] = request_id
        await ws.prepare(request)
        self._websockets.add(ws)
        conn = DeepgramConnection(query=query, api_key=key, sample_rate=int(query.get("sample_rate", 16000)))
        self.connections.append(conn)
        stream = _Stream(self, conn, ws, request_id)
        sender = self._spawn(stream.send_loop())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    stream.feed(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    kind = json.loads(msg.data).get("type", "")
                    conn.controls.append(kind)
                    if kind == "Finalize":
                        stream.finalize()
                    elif kind == "CloseStream":
                        stream.close_stream()
                        await stream.drain()
                        await ws.close()
                        break
        finally:
            conn.closed = True
            sender.cancel()
            self._websockets.discard(ws)
        return ws

    # -- prerecorded ---------------------------------------------------------------------------

    async def _listen_prerecorded(self, request: web.Request) -> web.Response:
        key = self._check_auth(request)
        body = await request.read()
        sample_rate, pcm = _wav_pcm(body)
        conn = DeepgramConnection(query=dict(request.query), api_key=key, sample_rate=sample_rate)
        conn.audio.extend(pcm)
        self.connections.append(conn)
        spans = _speech_spans(pcm, sample_rate, self.threshold_dbfs, self.min_speech, self.endpoint_silence)
        alternatives: list[dict[str, Any]] = []
        if spans:
            transcript, scripted = self._next_transcript()
            start, end = spans[0][0], spans[-1][1]
            utt = Utterance(start=start, end=end, transcript=transcript, scripted=scripted)
            utt.finalized_by, utt.final_sent_wall = "prerecorded", time.monotonic()
            conn.utterances.append(utt)
            self._final_event.set()
            alternatives.append(_alternative(transcript, start, end))
        else:
            alternatives.append(_alternative("", 0.0, 0.0))
        duration = len(pcm) / 2 / sample_rate if sample_rate else 0.0
        return web.json_response(
            {
                "metadata": {"request_id": str(uuid.uuid4()), "duration": duration, "channels": 1},
                "results": {"channels": [{"alternatives": alternatives}]},
            }
        )


class _Stream:
    """Energy VAD and message scheduling for one streaming connection."""

    def __init__(self, fake: FakeDeepgram, conn: DeepgramConnection, ws: web.WebSocketResponse, rid: str):
        self.fake, self.conn, self.ws, self.request_id = fake, conn, ws, rid
        self.window = max(1, conn.sample_rate // 100)  # 10 ms
        self.pending = bytearray()
        self.samples = 0  # samples analysed so far
        self.loud_run = 0.0  # seconds of consecutive loud audio (before an utterance starts)
        self.loud_run_start = 0.0
        self.current: Utterance | None = None
        self.last_loud = 0.0
        self.next_interim = 0.0
        self.continuation_until = -1.0
        self.outbox: asyncio.Queue[tuple[float, dict[str, Any] | None]] = asyncio.Queue()
        self.idle = asyncio.Event()
        self.idle.set()
        self.interim_results = conn.query.get("interim_results", "true") == "true"
        self.vad_events = conn.query.get("vad_events", "false") == "true"
        self.utterance_end = "utterance_end_ms" in conn.query

    @property
    def now(self) -> float:
        return self.samples / self.conn.sample_rate

    # -- analysis --

    def feed(self, data: bytes) -> None:
        self.conn.audio.extend(data)
        self.pending.extend(data)
        step = self.window * 2
        while len(self.pending) >= step:
            chunk = np.frombuffer(bytes(self.pending[:step]), dtype=np.int16)
            del self.pending[:step]
            self._window(chunk)

    def _window(self, chunk: np.ndarray) -> None:
        rms = float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2)))
        loud = rms > 0 and 20 * math.log10(rms / 32768) > self.fake.threshold_dbfs
        start = self.now
        self.samples += len(chunk)
        if self.current is None:
            if not loud:
                self.loud_run = 0.0
                return
            if self.loud_run == 0.0:
                self.loud_run_start = start
            self.loud_run += len(chunk) / self.conn.sample_rate
            if self.loud_run >= self.fake.min_speech:
                self._start_utterance(self.loud_run_start)
                self.last_loud = self.now
            return
        if loud:
            self.last_loud = self.now
            if self.interim_results and self.current.transcript and self.now >= self.next_interim:
                self.next_interim = self.now + self.fake.interim_interval
                self._interim()
        elif self.now - self.last_loud >= self.fake.endpoint_silence:
            delay = max(0.0, self.fake.final_latency - self.fake.endpoint_silence)
            self._final(self.last_loud, "endpoint", delay=delay)

    def _start_utterance(self, start: float) -> None:
        if start < self.continuation_until:
            # speech resumed right after a Finalize: the rest of the same utterance, no new script item
            transcript, scripted = "", True
        else:
            transcript, scripted = self.fake._next_transcript()
        self.current = Utterance(start=start, transcript=transcript, scripted=scripted)
        self.current.speech_started_wall = time.monotonic()
        self.conn.utterances.append(self.current)
        self.next_interim = start + self.fake.interim_interval
        if self.vad_events:
            self._send({"type": "SpeechStarted", "channel": [0], "timestamp": round(start, 3)})

    def _interim(self) -> None:
        assert self.current is not None
        words = self.current.transcript.split()
        spoken = self.now - self.current.start
        shown = min(len(words), max(1, int(spoken / self.fake.interim_interval)))
        text = " ".join(words[:shown])
        self._send(
            self._results(text, self.current.start, self.now, is_final=False, speech_final=False),
            delay=self.fake.interim_latency,
        )

    def _final(self, end: float, reason: str, *, delay: float = 0.0, from_finalize: bool = False) -> None:
        utt = self.current
        assert utt is not None
        utt.end, utt.finalized_by, self.current = end, reason, None
        self.loud_run = 0.0
        msg = self._results(utt.transcript, utt.start, end, is_final=True, speech_final=True)
        msg["from_finalize"] = from_finalize
        self._send(msg, delay=delay, utterance=utt)
        if self.utterance_end:
            self._send(
                {"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": round(end, 3)}, delay=delay
            )

    def finalize(self) -> None:
        if self.current is not None:
            self.continuation_until = self.now + self.fake.endpoint_silence
            self._final(self.last_loud, "finalize", from_finalize=True)
        else:
            msg = self._results("", self.now, self.now, is_final=True, speech_final=False)
            msg["from_finalize"] = True
            self._send(msg)

    def close_stream(self) -> None:
        if self.current is not None:
            self._final(self.last_loud, "close")
        self._send(
            {
                "type": "Metadata",
                "transaction_key": "deprecated",
                "request_id": self.request_id,
                "sha256": "",
                "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "duration": round(self.now, 3),
                "channels": 1,
                "models": ["fake-model"],
                "model_info": {"fake-model": {"name": "fake", "version": "0", "arch": "fake"}},
            }
        )

    def _results(
        self, text: str, start: float, end: float, *, is_final: bool, speech_final: bool
    ) -> dict[str, Any]:
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(end - start, 3),
            "start": round(start, 3),
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": False,
            "channel": {"alternatives": [_alternative(text, start, end)]},
            "metadata": {
                "request_id": self.request_id,
                "model_info": {"name": "fake", "version": "0", "arch": "fake"},
                "model_uuid": "00000000-0000-0000-0000-000000000000",
            },
        }

    # -- sending --

    def _send(self, msg: dict[str, Any], *, delay: float = 0.0, utterance: Utterance | None = None) -> None:
        self.idle.clear()
        if utterance is not None:
            msg["_utterance"] = utterance
        self.outbox.put_nowait((time.monotonic() + delay, msg))

    async def send_loop(self) -> None:
        while True:
            due, msg = await self.outbox.get()
            assert msg is not None
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            utt: Utterance | None = msg.pop("_utterance", None)
            if not self.ws.closed:
                with contextlib.suppress(ConnectionError):  # the client went away mid-send
                    await self.ws.send_str(json.dumps(msg))
            if utt is not None:
                utt.final_sent_wall = time.monotonic()
                self.fake._final_event.set()
            if self.outbox.empty():
                self.idle.set()

    async def drain(self) -> None:
        await self.idle.wait()


def _alternative(text: str, start: float, end: float) -> dict[str, Any]:
    """A Deepgram alternative with word timings spread evenly over [start, end]."""
    words = text.split()
    step = (end - start) / len(words) if words else 0.0
    return {
        "transcript": text,
        "confidence": 0.99 if words else 0.0,
        "words": [
            {
                "word": w.strip(".,!?;:").lower(),
                "punctuated_word": w,
                "start": round(start + i * step, 3),
                "end": round(start + (i + 1) * step, 3),
                "confidence": 0.99,
            }
            for i, w in enumerate(words)
        ],
    }


def _wav_pcm(body: bytes) -> tuple[int, bytes]:
    from .speech import _parse_wav

    return _parse_wav(body)


def _speech_spans(
    pcm: bytes, sample_rate: int, threshold_dbfs: float, min_speech: float, endpoint_silence: float
) -> list[tuple[float, float]]:
    """(start, end) of each utterance in a whole buffer, with the streaming detector's rules."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16).astype(np.float64)
    window = max(1, sample_rate // 100)
    spans: list[tuple[float, float]] = []
    run, run_start, start, last_loud = 0.0, 0.0, -1.0, 0.0
    for i in range(0, len(samples) - window + 1, window):
        t = i / sample_rate
        rms = float(np.sqrt(np.mean(samples[i : i + window] ** 2)))
        loud = rms > 0 and 20 * math.log10(rms / 32768) > threshold_dbfs
        if start < 0:
            run = run + window / sample_rate if loud else 0.0
            run_start = t if loud and run == window / sample_rate else run_start
            if run >= min_speech:
                start, last_loud = run_start, t + window / sample_rate
        elif loud:
            last_loud = t + window / sample_rate
        elif t - last_loud >= endpoint_silence:
            spans.append((start, last_loud))
            start, run = -1.0, 0.0
    if start >= 0:
        spans.append((start, last_loud))
    return spans
