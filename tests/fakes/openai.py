"""A local OpenAI Chat Completions endpoint (``POST /v1/chat/completions``) with scripted replies.

The real ``openai.LLM`` plugin (which uses the ``openai`` client) connects with
``base_url=fake.base_url``. Streaming requests get Server-Sent Events ``chat.completion.chunk`` objects
(role, content deltas of one word each, tool-call deltas, ``finish_reason``, then the usage chunk the
plugin asks for with ``stream_options.include_usage``, then ``data: [DONE]``); non-streaming requests get
one ``chat.completion``. Every request is recorded (``fake.requests``) so a test can assert that a
template-only state made zero LLM calls.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._server import FakeServer

DEFAULT_API_KEY = "fake-openai-key"


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str = ""

    @property
    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True)
class Reply:
    """An assistant turn: text and/or tool calls."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class Fail:
    """Answer with an HTTP error (the plugin raises ``APIStatusError``)."""

    status: int = 500
    message: str = "injected failure"


@dataclass(frozen=True)
class Hang:
    """Answer nothing for ``seconds`` (longer than the client's timeout makes it time out)."""

    seconds: float = 30.0


Scripted = str | Reply | ToolCall | Fail | Hang
Responder = Callable[["ChatRequest"], Scripted | Awaitable[Scripted]]


@dataclass
class ChatRequest:
    """One request as received."""

    body: dict[str, Any]
    received_wall: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.body.get("tools", []))

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream", False))

    @property
    def last_user_text(self) -> str:
        """Text of the last user message (content parts joined)."""
        for msg in reversed(self.messages):
            if msg.get("role") == "user":
                content = msg.get("content", "")
                if isinstance(content, list):
                    return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
                return str(content)
        return ""


class FakeOpenAI(FakeServer):
    """Scripted OpenAI-compatible chat completions over loopback.

    Args:
        replies: initial queue; each request consumes one (``str`` = a text reply).
        responder: called with the ``ChatRequest`` when the queue is empty (may be async).
        ttft: injected delay before the first token (s).
        token_delay: delay between streamed deltas (s).
        api_key: expected in ``Authorization: Bearer ...`` (else 401 ``invalid_api_key``).

    With an empty queue and no responder the fake answers 500 "no scripted reply", so an unexpected
    LLM call fails the test loudly.
    """

    def __init__(
        self,
        *,
        replies: Iterable[Scripted] = (),
        responder: Responder | None = None,
        ttft: float = 0.0,
        token_delay: float = 0.0,
        api_key: str = DEFAULT_API_KEY,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.ttft = ttft
        self.token_delay = token_delay
        self.responder = responder
        self.replies: deque[Scripted] = deque(replies)
        self.requests: list[ChatRequest] = []

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._completions)

    @property
    def base_url(self) -> str:
        """What to pass as ``openai.LLM(base_url=...)``."""
        return f"{self.origin}/v1"

    def script(self, *replies: Scripted) -> None:
        self.replies.extend(replies)

    def llm(self, **kwargs: Any) -> Any:
        """A real ``livekit.plugins.openai.LLM`` pointed at this fake (default model ``gpt-4o-mini``)."""
        from livekit.plugins import openai

        kwargs.setdefault("api_key", self.api_key)
        kwargs.setdefault("model", "gpt-4o-mini")
        return openai.LLM(base_url=self.base_url, **kwargs)

    async def _next(self, request: ChatRequest) -> Scripted:
        if self.replies:
            return self.replies.popleft()
        if self.responder is not None:
            result = self.responder(request)
            return await result if inspect.isawaitable(result) else result
        return Fail(500, "FakeOpenAI: no scripted reply for this request")

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        body: dict[str, Any] = await request.json()
        chat = ChatRequest(body=body, received_wall=time.monotonic())
        self.requests.append(chat)
        scripted = await self._next(chat)
        if isinstance(scripted, Hang):
            await self._sleep(scripted.seconds)
            return _error(504, "hang over", "server_error", None)
        if isinstance(scripted, Fail):
            return _error(scripted.status, scripted.message, "server_error", None)
        reply = _as_reply(scripted)
        if self.ttft:
            await asyncio.sleep(self.ttft)
        model = chat.model or "fake"
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        usage = _usage(chat, reply)
        if not chat.stream:
            message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
            if reply.tool_calls:
                message["tool_calls"] = [_tool_call_json(i, tc) for i, tc in enumerate(reply.tool_calls)]
            return web.json_response(
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": _finish(reply)}],
                    "usage": usage,
                }
            )
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)

        async def chunk(delta: dict[str, Any], finish: str | None = None) -> None:
            payload = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            await resp.write(f"data: {json.dumps(payload)}\n\n".encode())

        await chunk({"role": "assistant", "content": ""})
        words = reply.text.split(" ") if reply.text else []
        for i, word in enumerate(words):
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            await chunk({"content": word if i == len(words) - 1 else word + " "})
        for i, tc in enumerate(reply.tool_calls):
            head = _tool_call_json(i, tc)
            head["function"]["arguments"] = ""
            await chunk({"tool_calls": [head]})
            await chunk({"tool_calls": [{"index": i, "function": {"arguments": tc.arguments_json}}]})
        await chunk({}, _finish(reply))
        if (body.get("stream_options") or {}).get("include_usage"):
            payload = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [],
                "usage": usage,
            }
            await resp.write(f"data: {json.dumps(payload)}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp


def _as_reply(scripted: Scripted) -> Reply:
    if isinstance(scripted, str):
        return Reply(text=scripted)
    if isinstance(scripted, ToolCall):
        return Reply(tool_calls=(scripted,))
    assert isinstance(scripted, Reply)
    return scripted


def _finish(reply: Reply) -> str:
    return "tool_calls" if reply.tool_calls else "stop"


def _tool_call_json(index: int, tc: ToolCall) -> dict[str, Any]:
    return {
        "index": index,
        "id": tc.id or f"call_{uuid.uuid4().hex[:16]}",
        "type": "function",
        "function": {"name": tc.name, "arguments": tc.arguments_json},
    }


def _usage(chat: ChatRequest, reply: Reply) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in chat.messages)
    completion = len(reply.text.split()) + sum(len(tc.arguments_json) // 4 for tc in reply.tool_calls)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _error(status: int, message: str, kind: str, code: str | None) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": kind, "param": None, "code": code}}, status=status
    )
