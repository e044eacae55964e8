"""Test lines for :func:`voicebot.telephony.answer.answer_call`: the room of a call, without a LiveKit server.

``TextLine`` starts the session in text mode (the caller's lines through ``session.run(user_input=...)``);
``AudioLine`` gives the session a fake caller and speaker (tests.fakes.audio). Both hang up and transfer
through a real ``livekit.api.LiveKitAPI`` pointed at the LiveKit Twirp fake.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from livekit import api
from livekit.agents import Agent, AgentSession, llm

from tests.fakes import CallerAudioInput, CapturingAudioOutput, FakeRoom, attach_call_audio
from voicebot.telephony.worker import RoomLine


class TextLine:
    """A call arriving with SIP ``attributes``; ``say(line)`` returns what the bot answered."""

    def __init__(
        self,
        client: api.LiveKitAPI,
        *,
        dialed: str | None,
        caller: str | None = "+13125550199",
        room: str = "call-room-1",
        metadata: str | None = None,
    ) -> None:
        self._api = client
        self.room_name = room
        self.caller_identity = "sip_caller"
        attributes = {"sip.phoneNumber": caller or "", "sip.callID": "SCL_test"}
        if dialed is not None:
            attributes["sip.trunkPhoneNumber"] = dialed
        self.caller_attributes: Mapping[str, str] = attributes
        self.job_metadata = metadata
        self.session: AgentSession[None] | None = None
        self.started = asyncio.Event()
        self.heard: list[str] = []
        """Everything the bot said, in order."""
        self._dtmf: list[Callable[[str], None]] = []
        self._left: list[Callable[[], None]] = []

    @property
    def api(self) -> api.LiveKitAPI:
        return self._api

    async def start(self, session: AgentSession[None], agent: Agent) -> None:
        self.session = session

        def added(ev: Any) -> None:
            item = ev.item
            if isinstance(item, llm.ChatMessage) and item.role == "assistant" and item.text_content:
                self.heard.append(item.text_content)

        session.on("conversation_item_added", added)
        await self._start(session, agent)
        self.started.set()

    async def _start(self, session: AgentSession[None], agent: Agent) -> None:
        run = await session.start(agent, capture_run=True)
        await run

    def on_dtmf(self, handler: Callable[[str], None]) -> None:
        self._dtmf.append(handler)

    def on_caller_left(self, handler: Callable[[], None]) -> None:
        self._left.append(handler)

    @property
    def dtmf_publisher(self) -> Any:
        return None  # text mode: send_dtmf keys go nowhere (logged)

    async def say(self, text: str) -> list[str]:
        """The caller says ``text``; returns the bot's replies to it."""
        await asyncio.wait_for(self.started.wait(), 10)
        assert self.session is not None
        before = len(self.heard)
        await self.session.run(user_input=text)
        await asyncio.sleep(0)
        return self.heard[before:]

    def hang_up(self) -> None:
        for handler in self._left:
            handler()


class AudioLine(TextLine):
    """The session hears a silent caller and plays to a captured speaker (real TTS over the fake)."""

    caller_audio: CallerAudioInput
    speaker: CapturingAudioOutput

    async def _start(self, session: AgentSession[None], agent: Agent) -> None:
        self.caller_audio, self.speaker = attach_call_audio(session)
        await session.start(agent)


class KeypadLine(RoomLine):
    """The worker's own :class:`RoomLine` over a :class:`tests.fakes.FakeRoom` (a real ``rtc.Room`` fed
    the SDK's room events): DTMF arrives as ``sip_dtmf_received`` from the SIP participant, ``send_dtmf``
    keys go to the room's local participant. The session runs in text mode; ``heard`` collects replies."""

    def __init__(self, client: api.LiveKitAPI, room: FakeRoom, *, dialed: str, caller: str = "+13125550199"):
        self.fake = room
        participant = room.join_sip("sip_caller", {"sip.trunkPhoneNumber": dialed, "sip.phoneNumber": caller})
        ctx = SimpleNamespace(room=room.room, api=client, job=SimpleNamespace(metadata=""))
        super().__init__(ctx, participant)  # type: ignore[arg-type]
        self.session: AgentSession[None] | None = None
        self.started = asyncio.Event()
        self.heard: list[str] = []

    async def start(self, session: AgentSession[None], agent: Agent) -> None:
        self.session = session

        def added(ev: Any) -> None:
            item = ev.item
            if isinstance(item, llm.ChatMessage) and item.role == "assistant" and item.text_content:
                self.heard.append(item.text_content)

        session.on("conversation_item_added", added)
        run = await session.start(agent, capture_run=True)
        await run
        self.started.set()

    async def press(self, keys: str, *, replies: int = 1, timeout: float = 5.0) -> list[str]:
        """The caller types ``keys``; returns the bot's next ``replies`` replies (0: none expected)."""
        await asyncio.wait_for(self.started.wait(), 10)
        before = len(self.heard)
        await self.fake.type("sip_caller", keys)
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.heard) < before + replies and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        return self.heard[before:]

    async def say(self, text: str) -> list[str]:
        await asyncio.wait_for(self.started.wait(), 10)
        assert self.session is not None
        before = len(self.heard)
        await self.session.run(user_input=text)
        await asyncio.sleep(0)
        return self.heard[before:]
