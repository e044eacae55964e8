"""The LiveKit worker: one job per call, answered by the bot that owns the dialed number.

LiveKit runs each job in its own process (reused for later jobs). What a call needs beyond its session
is opened once per *process* by :class:`ProcessResources` (VAD model, database pool, recorder), so the
database sees up to ``processes x VOICEBOT_DB_POOL_MAX`` connections: keep the pool small (1-2).

Per job: read the SIP participant's attributes (inbound: ``sip.trunkPhoneNumber`` is the number dialed,
``sip.phoneNumber`` the caller; outbound: the dispatch metadata names the bot's number), find the bot,
compile its scenario (cached per process by content hash), run the call, flush its records. An unknown
number or an inactive bot gets a short spoken message and a hang-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import structlog
from livekit import rtc
from livekit.agents import Agent, AgentSession, JobContext, JobProcess, WorkerOptions, cli

from voicebot.dialogue import LLM, CallContext, Conversation, Engine, compile_scenario
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.errors import VoicebotError
from voicebot.observability import bind_call, metrics
from voicebot.scenario import load_text
from voicebot.storage.records import Record
from voicebot.storage.repositories.bots import BotForCall
from voicebot.telephony.bridge import CallAgent
from voicebot.telephony.control import AGENT_NAME, LiveKitControl
from voicebot.telephony.llm import LivekitLLM
from voicebot.telephony.recording import CallInfo
from voicebot.telephony.session import ProviderConfig, audio_session, load_vad, openai_llm

__all__ = [
    "NOT_IN_SERVICE",
    "BotDirectory",
    "CallTarget",
    "ProcessResources",
    "call_target",
    "run_worker",
]

log = structlog.get_logger("voicebot.telephony")

NOT_IN_SERVICE = "Sorry, the number you have called is not in service. Goodbye."


class BotDirectory(Protocol):
    """Finds the bot answering a number (storage.Bots implements it, cached)."""

    async def by_phone(self, dialed_number: str) -> BotForCall | None: ...


@dataclass(frozen=True, slots=True)
class CallTarget:
    direction: Literal["inbound", "outbound"]
    bot_number: str | None
    caller_number: str | None


def call_target(attributes: Mapping[str, str], job_metadata: str | None) -> CallTarget:
    """Which bot and which caller, from the SIP participant's attributes and the job's metadata."""
    meta: dict[str, Any] = {}
    if job_metadata:
        with contextlib.suppress(ValueError):
            loaded = json.loads(job_metadata)
            meta = loaded if isinstance(loaded, dict) else {}
    if meta.get("direction") == "outbound":
        return CallTarget(
            "outbound", meta.get("bot_number"), meta.get("to") or attributes.get("sip.phoneNumber")
        )
    return CallTarget("inbound", attributes.get("sip.trunkPhoneNumber"), attributes.get("sip.phoneNumber"))


@dataclass
class ProcessResources:
    """What one worker process opens once and shares between the calls it runs."""

    bots: BotDirectory
    record: Callable[[Record], None]
    providers: ProviderConfig
    vad: Any
    flush: Callable[[], Awaitable[object]]
    """Wait until this process's records are written (called at the end of each job)."""
    turn_detector: Any = None
    _compiled: dict[str, CompiledScenario] | None = None

    def compiled(self, bot: BotForCall) -> CompiledScenario:
        cache = self._compiled if self._compiled is not None else {}
        self._compiled = cache
        compiled = cache.get(bot.sha256)
        if compiled is None:
            compiled = compile_scenario(load_text(bot.source, f"<bot {bot.id}>").scenario)
            cache[bot.sha256] = compiled
        return compiled


ResourcesFactory = Callable[[], Awaitable[ProcessResources]]


async def reject_call(ctx: JobContext, session: AgentSession[None], reason: str) -> None:
    """Say the not-in-service message, hang up, log why (never the numbers)."""
    metrics.call_rejected()
    log.warning("call_rejected", reason=reason, room=ctx.room.name)
    with contextlib.suppress(Exception):
        await session.start(Agent(instructions=""), room=ctx.room)
        await asyncio.wait_for(session.say(NOT_IN_SERVICE, allow_interruptions=False).wait_for_playout(), 15)
    with contextlib.suppress(Exception):
        await ctx.delete_room()
    ctx.shutdown(reason)


async def run_call(ctx: JobContext, resources: ProcessResources) -> None:
    """The whole of one job: from the SIP participant to the flushed records."""
    await ctx.connect()
    participant = await ctx.wait_for_participant()
    target = call_target(participant.attributes, ctx.job.metadata)
    bot: BotForCall | None = None
    if target.bot_number:
        try:
            bot = await resources.bots.by_phone(target.bot_number)
        except VoicebotError as exc:
            log.error("bot_lookup_failed", error=str(exc))
    lang = "en" if bot is None else bot.language
    session = audio_session(
        _providers_of(bot),
        lang,
        resources.providers,
        vad_model=resources.vad,
        turn_detector=resources.turn_detector,
    )
    if bot is None:
        await reject_call(ctx, session, "unknown_number" if target.bot_number else "no_dialed_number")
        return
    compiled = resources.compiled(bot)
    call_id = uuid.uuid4()
    info = CallInfo(
        call_id=call_id,
        bot_id=bot.id,
        bot_slug=compiled.scenario.bot.id,
        direction=target.direction,
        caller_number=target.caller_number,
        dialed_number=target.bot_number,
        scenario_version_id=bot.version_id,
    )
    control = LiveKitControl(ctx.api, room=ctx.room.name, participant_identity=participant.identity)
    agent_ref: list[CallAgent] = []
    llm_port: LLM | None = None
    model = openai_llm(compiled.scenario.bot.providers, resources.providers)
    if model is not None:
        llm_port = LivekitLLM(
            model,
            timeout=resources.providers.llm_timeout,
            on_error=lambda kind, exc: agent_ref[0].report_error(kind, exc) if agent_ref else None,
        )
    engine = Engine(compiled, llm_enabled=llm_port is not None)
    conversation = Conversation(
        engine,
        CallContext(
            call_id=str(call_id),
            caller_number=target.caller_number,
            dialed_number=target.bot_number,
            direction=target.direction,
        ),
        bot_id=str(bot.id),
        llm=llm_port,
    )
    agent = CallAgent(conversation, info=info, record=resources.record, control=control)
    agent_ref.append(agent)
    with bind_call(call_id=str(call_id), bot_id=str(bot.id)):

        def on_dtmf(ev: rtc.SipDTMF) -> None:
            if ev.digit:
                asyncio.get_running_loop().create_task(agent.dtmf(ev.digit))

        def on_left(p: rtc.RemoteParticipant) -> None:
            if p.identity == participant.identity:
                asyncio.get_running_loop().create_task(agent.caller_hung_up("caller_hangup"))

        ctx.room.on("sip_dtmf_received", on_dtmf)
        ctx.room.on("participant_disconnected", on_left)
        await session.start(agent, room=ctx.room)
        try:
            await agent.done.wait()
        finally:
            await agent.aclose_tasks()
            await resources.flush()
    ctx.shutdown("call ended")


def _providers_of(bot: BotForCall | None) -> Any:
    from voicebot.scenario.model import Providers

    if bot is None or not bot.providers:
        return Providers()
    return Providers.model_validate(bot.providers)


def run_worker(
    mode: Literal["start", "dev"],
    *,
    resources: ResourcesFactory,
    url: str,
    api_key: str,
    api_secret: str,
    drain_timeout: int = 600,
) -> None:
    """Run the livekit worker (blocks). SIGTERM drains: no new jobs, active calls run to their end."""
    state: dict[str, ProcessResources] = {}

    def prewarm(proc: JobProcess) -> None:
        proc.userdata["vad"] = load_vad()

    async def entrypoint(ctx: JobContext) -> None:
        res = state.get("resources")
        if res is None:
            res = await resources()
            if res.vad is None:
                res.vad = ctx.proc.userdata.get("vad") or load_vad()
            state["resources"] = res
        await run_call(ctx, res)

    import sys

    sys.argv = [sys.argv[0], mode]
    cli.run_app(
        WorkerOptions(
            entrypoint_fnc=entrypoint,
            prewarm_fnc=prewarm,
            agent_name=AGENT_NAME,
            ws_url=url,
            api_key=api_key,
            api_secret=api_secret,
            drain_timeout=drain_timeout,
        )
    )
