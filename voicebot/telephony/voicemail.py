"""Outbound calls that may reach an answering machine: listen first, then greet a person or leave voicemail.

:class:`VoicemailAgent` is the :class:`~voicebot.telephony.bridge.CallAgent` of an outbound call whose
scenario declares ``voicemail`` (top level or on its start state). Instead of greeting at once, it listens
to the callee through :class:`~voicebot.telephony.amd.ListeningInput` until
:class:`~voicebot.telephony.amd.GreetingDetector` decides:

* ``human`` (or ``uncertain``: nothing heard within ``no_speech``): the call goes on as any call, the
  bot's greeting first. What the person said before ("Hello?") is not fed to the engine.
* ``machine``: the call is recorded as started, the engine starts (its greeting is not spoken), the bot
  waits for the beep or the end of the greeting (at most the voicemail's ``max_greeting`` seconds after
  the machine answered), speaks the rendered voicemail message without barge-in, ends the call with
  end reason and outcome ``voicemail``, and hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from typing import Any

import structlog
from livekit.agents import ModelSettings, llm

from voicebot.dialogue import Hangup
from voicebot.dialogue.transfer import voicemail_message
from voicebot.dialogue.turn import Turn
from voicebot.observability import metrics
from voicebot.scenario.transfer import voicemail_of
from voicebot.telephony.amd import AmdSettings, GreetingDetector, ListeningInput
from voicebot.telephony.bridge import CallAgent

__all__ = ["VoicemailAgent", "declares_voicemail", "wait_answered"]

log = structlog.get_logger("voicebot.telephony")

HELLO_TRANSCRIPT_GRACE = 1.0
"""Seconds after a ``human`` verdict during which a final transcript still belongs to the person's hello."""


async def wait_answered(
    attributes: Callable[[], Mapping[str, str]], *, timeout: float = 90.0, poll: float = 0.1
) -> bool:
    """Until the callee's ``sip.callStatus`` is ``active`` (answered); True if it is (or is not reported).

    Before the answer the line carries ringback and early media: a ringback tone would pass for a beep."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = attributes().get("sip.callStatus")
        if status is None or status == "active":
            return True
        if status == "hangup" or asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(poll)


def declares_voicemail(scenario: Any) -> bool:
    """Whether an outbound call of ``scenario`` should listen for a machine first."""
    return voicemail_of(scenario, scenario.start) is not None


class VoicemailAgent(CallAgent):
    """See the module docstring. Same constructor as CallAgent, plus the detector's settings."""

    def __init__(
        self,
        *args: Any,
        amd: AmdSettings | None = None,
        verdict_timeout: float = 10.0,
        answered: Callable[[], Awaitable[bool]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._answered_fn = answered
        self.detector = GreetingDetector(amd or AmdSettings())
        self.verdict_timeout = verdict_timeout
        self._talking = False
        """True once the call goes on with a person: only then do caller turns reach the engine."""
        self._hello_until = 0.0
        """Caller messages created before this (``time.time()``): the person's "hello", transcribed late."""

    async def on_enter(self) -> None:
        if self._answered_fn is not None and not await self._answered_fn():
            log.info("outbound_not_answered")
            await self.caller_hung_up("caller_hangup")  # never answered: nobody to greet or leave a message
            return
        listening: ListeningInput | None = None
        source = self.session.input.audio
        if source is not None:
            listening = ListeningInput(source, self.detector)
            self.session.input.audio = listening
        try:
            await asyncio.wait_for(self.detector.wait("verdict"), self.verdict_timeout)
        except TimeoutError:
            self.detector.timeout()
        verdict = self.detector.verdict or "uncertain"
        metrics.amd_verdict(verdict)
        log.info("amd_verdict", verdict=verdict, heard_s=round(self.detector.t, 2))
        if verdict != "machine":
            if listening is not None:
                listening.listening = False
            self._talking = True
            self._hello_until = time.time() + HELLO_TRANSCRIPT_GRACE
            await super().on_enter()
            return
        await self._leave_voicemail(listening)

    async def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[str]:
        last = next((m for m in reversed(chat_ctx.items) if getattr(m, "role", None) == "user"), None)
        if not self._talking or (last is not None and getattr(last, "created_at", 0.0) < self._hello_until):
            return  # the greeting of whoever answered, heard while listening: not a turn
        async for text in super().llm_node(chat_ctx, tools, model_settings):
            yield text

    async def _leave_voicemail(self, listening: ListeningInput | None) -> None:
        session = self.session
        session.on("error", self._on_error)
        session.on("close", self._on_close)
        self.calllog.started()
        metrics.call_started(self.info.direction)
        log.info("call_started", direction=self.info.direction, bot=self.info.bot_slug, answered_by="machine")
        async with self._lock:
            result = await self.conversation.start()  # the greeting is for people: not spoken
            self._book(result, turn_seq=None)
        compiled = self.conversation.engine.compiled
        spec = voicemail_of(compiled.scenario, self.conversation.call.state)
        budget = (spec.max_greeting if spec is not None else 20.0) - self.detector.t
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.detector.wait("ready"), max(0.0, budget))
        if listening is not None:
            listening.listening = False
        turn = Turn(self.conversation.call, compiled, self.conversation.engine._clock())
        text = voicemail_message(turn)
        if text:
            try:
                handle = session.say(text, allow_interruptions=False)
                await handle.wait_for_playout()
                self.calllog.turn(
                    "bot", text, state=self.conversation.call.state, metadata={"source": ["voicemail"]}
                )
                metrics.voicemail("left")
                log.info("voicemail_left", beep=self.detector.beep_at is not None)
            except Exception as exc:  # TTS down or the line dropped: the call still ends as voicemail
                metrics.voicemail("no_message")
                log.warning("voicemail_not_left", error_class=type(exc).__name__)
        else:
            metrics.voicemail("no_message")
        async with self._lock:
            result = await self.conversation.send(Hangup("voicemail"))
            self._book(result, turn_seq=None)
        try:
            await self.control.hang_up()
        except Exception as exc:
            metrics.error("call_control")
            self.calllog.error("call_control_error", str(exc), context={"action": "end_call"})
            log.error("call_control_failed", action="end_call", error=str(exc))
        self._end("voicemail")
