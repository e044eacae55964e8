"""The real openai.LLM plugin against FakeOpenAI: streamed replies, tool calls, recorded requests, errors."""

from __future__ import annotations

import pytest
from livekit.agents import APIConnectOptions, APIStatusError, APITimeoutError, llm

from tests.fakes import Fail, FakeOpenAI, Hang, Reply, ToolCall

NO_RETRY = APIConnectOptions(max_retry=0, timeout=2.0)


def _ctx(text: str) -> llm.ChatContext:
    ctx = llm.ChatContext()
    ctx.add_message(role="system", content="You are a salon receptionist.")
    ctx.add_message(role="user", content=text)
    return ctx


async def _run(
    model: llm.LLM, ctx: llm.ChatContext, **kwargs: object
) -> tuple[str, list[llm.FunctionToolCall]]:
    text, calls = "", []
    kwargs.setdefault("conn_options", NO_RETRY)
    async with model.chat(chat_ctx=ctx, **kwargs) as stream:  # type: ignore[arg-type]
        async for chunk in stream:
            if chunk.delta:
                text += chunk.delta.content or ""
                calls += chunk.delta.tool_calls or []
    return text, calls


async def test_streams_the_scripted_reply_and_records_the_request(
    fake_openai: FakeOpenAI, lk_http: None
) -> None:
    fake_openai.script("We open at nine tomorrow.")
    text, calls = await _run(fake_openai.llm(model="gpt-4.1-mini"), _ctx("When do you open?"))
    assert text == "We open at nine tomorrow." and calls == []
    [req] = fake_openai.requests
    assert req.stream and req.model == "gpt-4.1-mini"
    assert req.last_user_text == "When do you open?"
    assert req.messages[0]["role"] == "system"


async def test_responder_and_tool_calls(fake_openai: FakeOpenAI, lk_http: None) -> None:
    @llm.function_tool
    async def book(day: str) -> str:
        """Book an appointment.

        Args:
            day: the day
        """
        return "booked"

    fake_openai.script(Reply(text="Let me book that.", tool_calls=(ToolCall("book", {"day": "monday"}),)))
    fake_openai.responder = lambda req: f"echo: {req.last_user_text}"
    text, calls = await _run(fake_openai.llm(), _ctx("monday please"), tools=[book])
    assert text == "Let me book that."
    assert [(c.name, c.arguments) for c in calls] == [("book", '{"day": "monday"}')]
    assert fake_openai.requests[0].tools[0]["function"]["name"] == "book"
    text, _ = await _run(fake_openai.llm(), _ctx("hi"))
    assert text == "echo: hi"


async def test_errors_timeouts_and_unscripted_calls(fake_openai: FakeOpenAI, lk_http: None) -> None:
    fake_openai.script(Fail(503, "overloaded"), Hang(5.0))
    with pytest.raises(APIStatusError) as info:
        await _run(fake_openai.llm(), _ctx("a"))
    assert info.value.status_code == 503
    with pytest.raises(APITimeoutError):
        await _run(fake_openai.llm(), _ctx("b"), conn_options=APIConnectOptions(max_retry=0, timeout=0.3))
    with pytest.raises(APIStatusError) as info:  # nothing scripted: a loud 500
        await _run(fake_openai.llm(), _ctx("c"))
    assert info.value.status_code == 500
    with pytest.raises(APIStatusError) as info:
        await _run(fake_openai.llm(api_key="wrong"), _ctx("d"))
    assert info.value.status_code == 401
    assert len(fake_openai.requests) == 3  # the 401 is refused before it is recorded
