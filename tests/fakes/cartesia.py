"""A local Cartesia TTS: ``/tts/websocket`` (streaming contexts) and ``/tts/bytes``, speaking with espeak-ng.

The real ``cartesia.TTS`` plugin connects with ``base_url=fake.base_url``. Each websocket message carrying
a ``transcript`` for a ``context_id`` is synthesized (espeak-ng, resampled to the requested
``output_format.sample_rate``; a word-shaped tone without espeak) and answered, in order within the
context, with ``chunk`` messages (base64 pcm_s16le), a ``timestamps`` message (word timings spread over
the chunk, when ``add_timestamps``) and, after the ``continue: false`` message, ``done``. Every request is
recorded, so a test can assert what the caller was told (``fake.spoken``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from ._server import FakeServer
from .speech import pcm_duration, synthesize_async

DEFAULT_API_KEY = "fake-cartesia-key"
_END = object()


@dataclass
class CartesiaContext:
    """One synthesis context (one agent utterance), as the fake saw it."""

    context_id: str
    model_id: str
    voice: dict[str, Any]
    output_format: dict[str, Any]
    language: str | None
    chunks: list[str] = field(default_factory=list)
    """Transcript pieces in the order received (the plugin sends one sentence each)."""
    continue_flags: list[bool] = field(default_factory=list)
    ended: bool = False
    """The client sent ``continue: false``."""
    done_sent: bool = False
    cancelled: bool = False
    audio_seconds: float = 0.0
    """Audio sent for this context."""
    first_text_wall: float | None = None
    first_audio_wall: float | None = None

    @property
    def text(self) -> str:
        """The whole utterance's text, whitespace-normalized."""
        return " ".join("".join(self.chunks).split())

    @property
    def sample_rate(self) -> int:
        return int(self.output_format.get("sample_rate", 24000))


class FakeCartesia(FakeServer):
    """Cartesia streaming TTS over loopback.

    Args:
        ttfb: injected time to first byte (s): the first audio of a context leaves no sooner than this
            after its first text arrived (synthesis time counts toward it).
        chunk_ms: size of each ``chunk`` message.
        realtime: pace chunks at playback speed (Cartesia itself sends faster than real time).
        api_key: the key expected in the ``X-API-Key`` header (else 401).
        synth: replaces espeak-ng: ``(text, sample_rate) -> pcm bytes`` (awaitable result).
    """

    def __init__(
        self,
        *,
        ttfb: float = 0.0,
        chunk_ms: int = 100,
        realtime: bool = False,
        api_key: str = DEFAULT_API_KEY,
        synth: Callable[[str, int], Any] | None = None,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.ttfb = ttfb
        self.chunk_ms = chunk_ms
        self.realtime = realtime
        self._synth = synth
        self.contexts: list[CartesiaContext] = []
        self.messages: list[dict[str, Any]] = []
        """Every JSON message received on any websocket, in order."""
        self.bytes_requests: list[dict[str, Any]] = []
        """Bodies of ``POST /tts/bytes`` (non-streaming ``synthesize``)."""
        self.connections = 0
        self.fail_contexts: int = 0
        """Answer this many next contexts with an ``error`` message instead of audio (error injection)."""
        self._changed = asyncio.Event()

    def _routes(self, app: web.Application) -> None:
        app.router.add_get("/tts/websocket", self._websocket)
        app.router.add_post("/tts/bytes", self._bytes)

    # -- test API ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to pass as ``cartesia.TTS(base_url=...)``."""
        return self.origin

    @property
    def spoken(self) -> list[str]:
        """Text of every context (utterance) requested, in order; ``/tts/bytes`` requests included."""
        return [c.text for c in self.contexts if c.text]

    def tts(self, **kwargs: Any) -> Any:
        """A real ``livekit.plugins.cartesia.TTS`` pointed at this fake (kwargs pass through)."""
        from livekit.plugins import cartesia

        kwargs.setdefault("api_key", self.api_key)
        return cartesia.TTS(base_url=self.base_url, **kwargs)

    async def wait_contexts(
        self, count: int, *, done: bool = True, timeout: float = 10.0
    ) -> list[CartesiaContext]:
        """Wait until ``count`` contexts exist (and, with ``done``, have been answered with done)."""
        async with asyncio.timeout(timeout):
            while True:
                ready = [c for c in self.contexts if c.done_sent or not done]
                if len(ready) >= count:
                    return ready
                self._changed.clear()
                await self._changed.wait()

    def _check_auth(self, request: web.Request) -> None:
        if request.headers.get("X-API-Key") != self.api_key:
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": "Invalid API key"}), content_type="application/json"
            )

    async def _pcm(self, text: str, sample_rate: int) -> bytes:
        if self._synth is not None:
            result = self._synth(text, sample_rate)
            return bytes(await result if asyncio.iscoroutine(result) else result)
        return await synthesize_async(text, sample_rate)

    # -- websocket -----------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        self._check_auth(request)
        ws = web.WebSocketResponse()
        ws.headers["X-Request-Id"] = f"fake-{self.connections}"
        await ws.prepare(request)
        self._websockets.add(ws)
        self.connections += 1
        queues: dict[str, asyncio.Queue[object]] = {}
        workers: list[asyncio.Task[None]] = []
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data: dict[str, Any] = json.loads(msg.data)
                self.messages.append(data)
                cid = str(data.get("context_id", ""))
                if data.get("cancel"):
                    for ctx in self.contexts:
                        if ctx.context_id == cid:
                            ctx.cancelled = True
                    if cid in queues:
                        queues.pop(cid).put_nowait(_END)
                    continue
                if cid not in queues:
                    ctx = CartesiaContext(
                        context_id=cid,
                        model_id=str(data.get("model_id", "")),
                        voice=dict(data.get("voice") or {}),
                        output_format=dict(data.get("output_format") or {}),
                        language=data.get("language"),
                    )
                    self.contexts.append(ctx)
                    queues[cid] = asyncio.Queue()
                    workers.append(self._spawn(self._context_worker(ws, ctx, queues[cid])))
                    self._changed.set()
                queues[cid].put_nowait(data)
                if not data.get("continue", False):
                    queues.pop(cid).put_nowait(_END)
        finally:
            self._websockets.discard(ws)
            for w in workers:
                w.cancel()
        return ws

    async def _context_worker(
        self, ws: web.WebSocketResponse, ctx: CartesiaContext, queue: asyncio.Queue[object]
    ) -> None:
        failed = False
        if self.fail_contexts > 0:
            self.fail_contexts -= 1
            failed = True
            await self._send(
                ws,
                {
                    "type": "error",
                    "context_id": ctx.context_id,
                    "status_code": 500,
                    "done": True,
                    "title": "Internal error",
                    "message": "injected failure",
                    "error_code": "internal_error",
                },
            )
        offset = 0.0
        while True:
            item = await queue.get()
            if item is _END:
                break
            assert isinstance(item, dict)
            text = str(item.get("transcript", ""))
            ctx.chunks.append(text)
            ctx.continue_flags.append(bool(item.get("continue", False)))
            if not item.get("continue", False):
                ctx.ended = True
            self._changed.set()
            if failed or not text.strip():
                continue
            if ctx.first_text_wall is None:
                ctx.first_text_wall = time.monotonic()
            fmt = ctx.output_format
            if fmt.get("encoding", "pcm_s16le") != "pcm_s16le" or fmt.get("container", "raw") != "raw":
                await self._send(ws, _error(ctx.context_id, f"fake supports raw pcm_s16le only, got {fmt}"))
                failed = True
                continue
            pcm = await self._pcm(text, ctx.sample_rate)
            if ctx.first_audio_wall is None:
                wait = ctx.first_text_wall + self.ttfb - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                ctx.first_audio_wall = time.monotonic()
            step = max(2, int(ctx.sample_rate * self.chunk_ms / 1000) * 2)
            for i in range(0, len(pcm), step):
                piece = pcm[i : i + step]
                await self._send(
                    ws,
                    {
                        "type": "chunk",
                        "context_id": ctx.context_id,
                        "status_code": 206,
                        "done": False,
                        "step_time": 1.0,
                        "data": base64.b64encode(piece).decode(),
                    },
                )
                ctx.audio_seconds += pcm_duration(piece, ctx.sample_rate)
                if self.realtime:
                    await asyncio.sleep(pcm_duration(piece, ctx.sample_rate))
            duration = pcm_duration(pcm, ctx.sample_rate)
            if item.get("add_timestamps"):
                await self._send(ws, _timestamps(ctx.context_id, text, offset, duration))
            offset += duration
        if not failed:
            await self._send(
                ws, {"type": "done", "context_id": ctx.context_id, "status_code": 200, "done": True}
            )
            ctx.done_sent = True
        self._changed.set()

    @staticmethod
    async def _send(ws: web.WebSocketResponse, msg: dict[str, Any]) -> None:
        # the plugin drops a pooled connection when its speech is interrupted: late audio has nowhere to go
        if not ws.closed:
            with contextlib.suppress(ConnectionError):
                await ws.send_str(json.dumps(msg))

    # -- bytes ---------------------------------------------------------------------------------

    async def _bytes(self, request: web.Request) -> web.StreamResponse:
        self._check_auth(request)
        body: dict[str, Any] = await request.json()
        self.bytes_requests.append(body)
        fmt = dict(body.get("output_format") or {})
        ctx = CartesiaContext(
            context_id=f"bytes-{len(self.bytes_requests)}",
            model_id=str(body.get("model_id", "")),
            voice=dict(body.get("voice") or {}),
            output_format=fmt,
            language=body.get("language"),
            chunks=[str(body.get("transcript", ""))],
            ended=True,
        )
        self.contexts.append(ctx)
        ctx.first_text_wall = time.monotonic()
        pcm = await self._pcm(ctx.text, ctx.sample_rate)
        wait = ctx.first_text_wall + self.ttfb - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        ctx.first_audio_wall, ctx.audio_seconds, ctx.done_sent = (
            time.monotonic(),
            pcm_duration(pcm, ctx.sample_rate),
            True,
        )
        self._changed.set()
        return web.Response(body=pcm, content_type="application/octet-stream")


def _error(context_id: str, message: str) -> dict[str, Any]:
    return {"type": "error", "context_id": context_id, "status_code": 400, "done": True, "error": message}


def _timestamps(context_id: str, text: str, offset: float, duration: float) -> dict[str, Any]:
    words = text.split()
    step = duration / len(words) if words else 0.0
    return {
        "type": "timestamps",
        "context_id": context_id,
        "status_code": 206,
        "done": False,
        "word_timestamps": {
            "words": words,
            "start": [round(offset + i * step, 3) for i in range(len(words))],
            "end": [round(offset + (i + 1) * step, 3) for i in range(len(words))],
        },
    }
