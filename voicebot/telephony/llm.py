"""The dialogue's :class:`~voicebot.dialogue.ports.LLM` port over a livekit ``llm.LLM`` (OpenAI plugin).

Only states that ask for it reach this adapter (GenerateReply / Understand actions, fulfilled by the
conversation driver). livekit's exceptions become :class:`~voicebot.errors.ProviderError` here, once; a
timeout is an error too. Each failure is reported to ``on_error`` so the call can log it (error_logs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from livekit.agents import APIConnectOptions, APIError, llm

from voicebot.dialogue.ports import LlmMessage, ToolRequest, ToolSpec
from voicebot.errors import ProviderError

__all__ = ["LivekitLLM", "standalone_openai"]

ErrorReporter = Callable[[str, BaseException], None]


class LivekitLLM:
    """Implements the dialogue LLM port with one livekit LLM. ``timeout`` bounds each request."""

    def __init__(
        self, model: llm.LLM[Any], *, timeout: float = 8.0, on_error: ErrorReporter | None = None
    ) -> None:
        self._model = model
        self._timeout = timeout
        self.on_error = on_error
        self.calls = 0
        """Requests made (for tests and the 'zero LLM calls on template states' goal)."""

    async def _complete(self, messages: Sequence[LlmMessage]) -> str:
        text, _calls = await self._stream(messages, ())
        return text

    async def reply_with_tools(
        self, messages: Sequence[LlmMessage], tools: Sequence[ToolSpec]
    ) -> str | ToolRequest:
        """A reply, or the first function call the model made (its arguments unvalidated)."""
        text, calls = await self._stream(messages, tools)
        if not calls:
            return text
        name, raw = calls[0]
        try:
            arguments = json.loads(raw or "{}")
        except ValueError:
            arguments = {"_unparsable": raw}
        return ToolRequest(name, arguments if isinstance(arguments, dict) else {"_unparsable": raw})

    async def _stream(
        self, messages: Sequence[LlmMessage], tools: Sequence[ToolSpec]
    ) -> tuple[str, list[tuple[str, str]]]:
        ctx = llm.ChatContext.empty()
        for message in messages:
            role = message.role if message.role in ("system", "user", "assistant") else "user"
            ctx.add_message(role=role, content=message.content)  # type: ignore[arg-type]
        self.calls += 1
        parts: list[str] = []
        calls: list[tuple[str, str]] = []
        functions: list[llm.Tool] = [_declared(tool) for tool in tools]
        try:
            async with asyncio.timeout(self._timeout):
                stream = self._model.chat(
                    chat_ctx=ctx,
                    tools=functions or None,
                    conn_options=APIConnectOptions(max_retry=0, timeout=self._timeout),
                )
                async with stream:
                    async for chunk in stream:
                        if chunk.delta is None:
                            continue
                        if chunk.delta.content:
                            parts.append(chunk.delta.content)
                        calls.extend((c.name, c.arguments) for c in chunk.delta.tool_calls)
        except TimeoutError as exc:
            raise self._failed(
                "llm_timeout", exc, f"the LLM did not answer within {self._timeout} s"
            ) from None
        except APIError as exc:
            raise self._failed("llm_error", exc, f"the LLM request failed: {exc.message}") from None
        return "".join(parts).strip(), calls

    def _failed(self, kind: str, exc: BaseException, message: str) -> ProviderError:
        if self.on_error is not None:
            self.on_error(kind, exc)
        return ProviderError(message, provider="llm", retryable=True)

    async def reply(self, messages: Sequence[LlmMessage]) -> str:
        return await self._complete(messages)

    async def classify(self, text: str, intents: Sequence[str], *, context: str = "") -> str | None:
        prompt = (
            "Classify the caller's words into exactly one of these intents: "
            f"{', '.join(intents)}. Reply with the intent name only, or NONE."
            + (f"\nContext: {context}" if context else "")
        )
        answer = await self._complete((LlmMessage("system", prompt), LlmMessage("user", text)))
        name = answer.strip().strip(".").strip()
        return name if name in intents else None

    async def extract(self, text: str, slots: Mapping[str, str], *, context: str = "") -> Mapping[str, Any]:
        spec = ", ".join(f"{name} ({kind})" for name, kind in slots.items())
        prompt = (
            f"Extract these values from the caller's words: {spec}. Reply with one JSON object holding only "
            "the values that are present." + (f"\nContext: {context}" if context else "")
        )
        answer = await self._complete((LlmMessage("system", prompt), LlmMessage("user", text)))
        start, end = answer.find("{"), answer.rfind("}")
        if start < 0 or end < start:
            return {}
        try:
            data = json.loads(answer[start : end + 1])
        except ValueError:
            return {}
        return {k: v for k, v in data.items() if k in slots} if isinstance(data, dict) else {}


def _declared(tool: ToolSpec) -> llm.Tool:
    """A declared action as a raw function tool. It is never executed by livekit: the engine validates
    the call and runs the action itself."""

    async def never_called(raw_arguments: dict[str, object]) -> None:
        raise RuntimeError("declared actions are run by the engine, not by livekit")

    schema = {"name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)}
    declared: llm.Tool = llm.function_tool(never_called, raw_schema=schema)
    return declared


@contextlib.asynccontextmanager
async def standalone_openai(
    *, api_key: str, base_url: str | None, model: str, timeout: float = 30.0
) -> AsyncIterator[LivekitLLM]:
    """The LLM port on the OpenAI plugin outside a worker job (``voicebot pipeline run``): it opens
    livekit's HTTP session for the plugin and closes it on exit."""
    from livekit.agents.utils import http_context
    from livekit.plugins import openai

    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    async with http_context.open():
        yield LivekitLLM(openai.LLM(model=model, api_key=api_key, max_retries=0, **kwargs), timeout=timeout)
