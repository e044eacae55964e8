"""The bot's voice in a warm transfer's consult room: speaks the brief, hears the person's yes or no.

:class:`SessionConsultVoice` runs an ``AgentSession`` of its own (the bot's STT/TTS, built by the call's
session factory): :meth:`say` speaks the brief and waits until it was played; the person's replies are
classified with the offline NLU's built-in ``yes``/``no`` intents (score 0.5 or more), and DTMF ``1`` /
``2`` (:meth:`dtmf`) mean accept / decline. Decisions land in :meth:`decisions`, which
:class:`~voicebot.telephony.warm_transfer.LiveKitWarmLine` polls.

:func:`open_room_consult_voice` joins the consult room as the bot (an ``rtc.Room`` with a token of its own,
as livekit's ``beta/workflows/warm_transfer.py`` does) and starts the session on it. That part needs a
LiveKit media server and is not exercised by the tests (docs/telephony.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, Callable
from typing import Any

import structlog
from livekit import api, rtc
from livekit.agents import Agent, AgentSession, ModelSettings, llm
from livekit.agents.voice import room_io

from voicebot.dialogue.nlu import IntentMatcher
from voicebot.scenario.model import Language, Providers

__all__ = ["SessionConsultVoice", "open_room_consult_voice"]

log = structlog.get_logger("voicebot.telephony")

_MIN_SCORE = 0.5
_MATCHERS: dict[str, IntentMatcher] = {}


def decision_of(text: str, lang: Language) -> str | None:
    """``accept`` for a yes, ``decline`` for a no, None when neither is clear."""
    matcher = _MATCHERS.get(lang)
    if matcher is None:
        matcher = _MATCHERS[lang] = IntentMatcher({}, lang=lang)
    for match in matcher.match(text):
        if match.score < _MIN_SCORE:
            break
        if match.name == "yes":
            return "accept"
        if match.name == "no":
            return "decline"
    return None


class _ConsultAgent(Agent):
    def __init__(self, voice: SessionConsultVoice) -> None:
        super().__init__(instructions="")
        self._voice = voice

    async def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[str]:
        message = next((m for m in reversed(chat_ctx.items) if getattr(m, "role", None) == "user"), None)
        if message is not None:
            self._voice.heard(message.text_content or "")  # type: ignore[union-attr]
        for _ in ():
            yield ""


class SessionConsultVoice:
    """:class:`~voicebot.telephony.warm_transfer.ConsultVoice` over an ``AgentSession`` (see the module)."""

    def __init__(self, session: AgentSession[None], *, lang: Language = "en") -> None:
        self.session = session
        self.lang: Language = lang
        self.agent = _ConsultAgent(self)
        self._decisions: asyncio.Queue[str] = asyncio.Queue()
        self.heard_texts: list[str] = []

    async def start(self, **kwargs: Any) -> None:
        await self.session.start(self.agent, **kwargs)

    async def say(self, text: str) -> None:
        handle = self.session.say(text, allow_interruptions=False, add_to_chat_ctx=False)
        await handle.wait_for_playout()

    def decisions(self) -> asyncio.Queue[str]:
        return self._decisions

    def heard(self, text: str) -> None:
        self.heard_texts.append(text)
        decision = decision_of(text, self.lang)
        if decision is not None:
            self._decisions.put_nowait(decision)

    def dtmf(self, digit: str) -> None:
        if digit in ("1", "2"):
            self._decisions.put_nowait("accept" if digit == "1" else "decline")

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await self.session.aclose()


class _RoomConsultVoice(SessionConsultVoice):
    """A consult voice whose session is on an ``rtc.Room`` it disconnects when closed."""

    def __init__(self, session: AgentSession[None], room: rtc.Room, *, lang: Language) -> None:
        super().__init__(session, lang=lang)
        self.room = room

    async def aclose(self) -> None:
        await super().aclose()
        with contextlib.suppress(Exception):
            await self.room.disconnect()


class _Lazy:
    """Connects in the background; ``say`` waits for the connection (a factory cannot be async)."""

    def __init__(self, opening: asyncio.Task[_RoomConsultVoice]) -> None:
        self._opening = opening
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    async def say(self, text: str) -> None:
        voice = await self._opening
        self._queue = voice.decisions()
        await voice.say(text)

    def decisions(self) -> asyncio.Queue[str]:
        return self._queue

    async def aclose(self) -> None:
        if not self._opening.done():
            self._opening.cancel()
        with contextlib.suppress(BaseException):
            voice = await self._opening
            await voice.aclose()


def open_room_consult_voice(
    *, url: str, api_key: str, api_secret: str, new_session: Callable[[Providers, str], AgentSession[None]]
) -> Callable[[str, str, Providers, Language], Any]:
    """A ``CallServices.consult_voice``: (consult room, person's identity, bot providers, language) -> a
    voice joining that room with the bot's speech providers."""

    async def open_(room_name: str, identity: str, providers: Providers, lang: Language) -> _RoomConsultVoice:
        token = (
            api.AccessToken(api_key, api_secret)
            .with_identity(f"voicebot-consult-{room_name}")
            .with_kind("agent")
            .with_grants(
                api.VideoGrants(room_join=True, room=room_name, can_publish=True, can_subscribe=True)
            )
            .to_jwt()
        )
        room = rtc.Room()
        await room.connect(url, token)
        voice = _RoomConsultVoice(new_session(providers, lang), room, lang=lang)

        def on_dtmf(ev: rtc.SipDTMF) -> None:
            voice.dtmf(ev.digit)

        room.on("sip_dtmf_received", on_dtmf)
        await voice.start(room=room, room_options=room_io.RoomOptions(participant_identity=identity))
        log.info("consult_voice_joined", room=room_name)
        return voice

    def factory(room_name: str, identity: str, providers: Providers, lang: Language) -> Any:
        return _Lazy(asyncio.get_running_loop().create_task(open_(room_name, identity, providers, lang)))

    return factory
