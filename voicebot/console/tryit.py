"""Try it: a text chat with a bot's current scenario in the browser, through the same path as
``voicebot chat`` (:class:`voicebot.telephony.textcall.TextCall`: the real AgentSession, bridge and
engine in text mode), with the state and slots shown beside the conversation.

Chats live in this process's memory (not recorded as calls, no LLM: deterministic like ``voicebot
chat`` without a key). Knowledge states search the bot's uploaded documents (the knowledge service's
search, opened per question) and answer extractively, as a call without an LLM does. Each chat belongs
to the company that started it; at most :data:`MAX_CHATS` are open at once and an idle one is closed
after :data:`IDLE_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from voicebot.api.services import KnowledgeAccess
from voicebot.console.web import PREFIX, ConsoleDep, CsrfChecked, Signed, render
from voicebot.dialogue import (
    CallContext,
    CallFinished,
    Engine,
    RecordSlot,
    RecordTransition,
    Say,
    compile_scenario,
)
from voicebot.dialogue.nlu import to_json
from voicebot.dialogue.ports import Passage
from voicebot.errors import ConfigError, NotFoundError, VoicebotError
from voicebot.knowledge.answer import spoken_answer
from voicebot.scenario import load_text

__all__ = ["IDLE_SECONDS", "MAX_CHATS", "TryIt", "register"]

MAX_CHATS = 20
IDLE_SECONDS = 600.0


@dataclass
class Chat:
    company_id: uuid.UUID
    bot_id: uuid.UUID
    call: Any  # TextCall, entered
    lines: list[dict[str, str]] = field(default_factory=list)
    used: float = field(default_factory=time.monotonic)
    outcome: str | None = None

    def take(self, results: list[Any]) -> None:
        for result in results:
            for action in result.actions:
                if isinstance(action, Say):
                    self.lines.append({"role": "bot", "text": action.text})
                elif isinstance(action, RecordTransition):
                    self.lines.append(
                        {
                            "role": "event",
                            "text": f"{action.source or '·'} → {action.dest} ({action.trigger})",
                        }
                    )
                elif isinstance(action, RecordSlot):
                    self.lines.append(
                        {
                            "role": "event",
                            "text": f"slot {action.name} = {to_json(action.value)!r} ({action.method})",
                        }
                    )
                elif isinstance(action, CallFinished):
                    self.outcome = action.outcome

    @property
    def state(self) -> str:
        return str(self.call.conversation.call.state)

    @property
    def slots(self) -> dict[str, Any]:
        return {k: to_json(v) for k, v in self.call.conversation.call.slots.items()}


class _BotKnowledge:
    """The Retriever port over the bot's uploaded documents (voicebot.api.KnowledgeAccess)."""

    def __init__(self, access: KnowledgeAccess, bot_id: uuid.UUID) -> None:
        self._access = access
        self._bot_id = bot_id

    async def retrieve(self, bot_id: str, query: str, *, top_k: int) -> Sequence[Passage]:
        try:
            async with self._access.open() as knowledge:
                return await knowledge.search(self._bot_id, query, top_k=top_k)
        except VoicebotError:  # no documents yet, or the store is busy: the state's no-answer path
            return []


class TryIt:
    def __init__(self) -> None:
        self._chats: dict[str, Chat] = {}
        self._lock = asyncio.Lock()

    async def start(
        self, company_id: uuid.UUID, bot_id: uuid.UUID, source: str, knowledge: KnowledgeAccess | None = None
    ) -> str:
        from voicebot.telephony.textcall import TextCall  # the edge that owns the session path

        await self._sweep()
        if len(self._chats) >= MAX_CHATS:
            raise ConfigError("too many try-it chats are open; close one or wait a few minutes")
        loaded = await asyncio.to_thread(load_text, source, "scenario.yaml")
        engine = Engine(compile_scenario(loaded.scenario))
        call = TextCall(
            engine,
            bot_id=loaded.scenario.bot.id,
            context=CallContext(call_id="console-try"),
            retriever=_BotKnowledge(knowledge, bot_id) if knowledge is not None else None,
            answerer=spoken_answer if knowledge is not None else None,
        )
        await call.__aenter__()
        chat = Chat(company_id, bot_id, call)
        chat.take(call.greeting)
        chat_id = secrets.token_urlsafe(12)
        self._chats[chat_id] = chat
        return chat_id

    def get(self, company_id: uuid.UUID, bot_id: uuid.UUID, chat_id: str) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None or chat.company_id != company_id or chat.bot_id != bot_id:
            raise NotFoundError("no such try-it chat (it may have been closed after being idle)")
        chat.used = time.monotonic()
        return chat

    async def say(self, chat: Chat, text: str) -> None:
        async with self._lock:
            chat.lines.append({"role": "caller", "text": text})
            chat.take(await chat.call.say(text))

    async def close(self, chat_id: str) -> None:
        chat = self._chats.pop(chat_id, None)
        if chat is not None:
            with contextlib.suppress(Exception):
                await chat.call.__aexit__(None, None, None)

    async def _sweep(self) -> None:
        cutoff = time.monotonic() - IDLE_SECONDS
        for chat_id in [k for k, c in self._chats.items() if c.used < cutoff]:
            await self.close(chat_id)

    async def aclose(self) -> None:
        for chat_id in list(self._chats):
            await self.close(chat_id)


def register(app: FastAPI) -> None:
    base = PREFIX + "/bots/{bot_id}/try"

    @app.get(base, include_in_schema=False)
    async def try_page(bot_id: uuid.UUID, request: Request, session: Signed, console: ConsoleDep) -> Response:
        bot = await console.services.company_bots.get(session.company_id, bot_id)
        return render(request, "tryit.html", bot=bot, chat=None, chat_id=None)

    @app.post(base, include_in_schema=False)
    async def start(bot_id: uuid.UUID, session: CsrfChecked, console: ConsoleDep) -> Response:
        source = await console.services.company_bots.scenario_source(session.company_id, bot_id)
        chat_id = await console.tryit.start(session.company_id, bot_id, source, console.services.knowledge)
        return RedirectResponse(f"{PREFIX}/bots/{bot_id}/try/{chat_id}", status_code=303)

    @app.get(base + "/{chat_id}", include_in_schema=False)
    async def chat_page(
        bot_id: uuid.UUID, chat_id: str, request: Request, session: Signed, console: ConsoleDep
    ) -> Response:
        bot = await console.services.company_bots.get(session.company_id, bot_id)
        chat = console.tryit.get(session.company_id, bot_id, chat_id)
        return render(request, "tryit.html", bot=bot, chat=chat, chat_id=chat_id)

    @app.post(base + "/{chat_id}/say", include_in_schema=False)
    async def say(
        bot_id: uuid.UUID,
        chat_id: str,
        request: Request,
        session: CsrfChecked,
        console: ConsoleDep,
        text: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        bot = await console.services.company_bots.get(session.company_id, bot_id)
        chat = console.tryit.get(session.company_id, bot_id, chat_id)
        if text.strip() and not chat.call.ended:
            await console.tryit.say(chat, text.strip())
        if request.headers.get("hx-request"):
            return render(request, "tryit_panel.html", bot=bot, chat=chat, chat_id=chat_id)
        return RedirectResponse(f"{PREFIX}/bots/{bot_id}/try/{chat_id}", status_code=303)
