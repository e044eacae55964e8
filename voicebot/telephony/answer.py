"""Answering one call, once the room is connected and the caller's participant is known.

:func:`answer_call` is everything a worker job does after "room connected, participant known": find the
bot by the dialed number, compile its scenario, run an ``AgentSession`` with the bot's providers over the
:class:`~voicebot.telephony.bridge.CallAgent`, wait for the call to end and flush its records. It sees
the room only through :class:`CallLine` (the caller's attributes, the room's name, the server API, how
to start a session on the line), so tests run it with the real session in text mode or with the audio
fakes; the worker's :class:`~voicebot.telephony.worker.RoomLine` is the thin adapter over a JobContext.

An unknown dialed number, an inactive bot or company: the caller hears :data:`NOT_IN_SERVICE` (TTS),
the room is deleted (hang-up) and ``call_rejected`` is logged with the reason, never the numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import structlog
from livekit import api
from livekit.agents import Agent, AgentSession

from voicebot.actions import ActionRegistry
from voicebot.dialogue import LLM, Answerer, CallContext, Conversation, Engine, Passage, Retriever
from voicebot.dialogue.actions import CallFinished
from voicebot.dialogue.compiled import CompiledCache, CompiledScenario
from voicebot.errors import VoicebotError
from voicebot.observability import bind_call, metrics
from voicebot.outcomes.finalize import outcome_names
from voicebot.scenario.model import Providers
from voicebot.storage.records import Record, Turn
from voicebot.storage.repositories.bots import BotForCall
from voicebot.telephony.actions import CallActions
from voicebot.telephony.bridge import CallAgent
from voicebot.telephony.control import LiveKitControl
from voicebot.telephony.dtmf import DtmfPublisher
from voicebot.telephony.llm import LivekitLLM
from voicebot.telephony.recording import CallInfo, RecordFn
from voicebot.telephony.voicemail import VoicemailAgent, declares_voicemail, wait_answered
from voicebot.telephony.warm_transfer import ConsultVoice, LiveKitWarmLine, WarmTransfers

__all__ = [
    "NOT_IN_SERVICE",
    "BotDirectory",
    "CallLine",
    "CallOutcome",
    "CallServices",
    "CallTarget",
    "KnowledgeOpener",
    "SessionFactory",
    "answer_call",
    "call_target",
]

log = structlog.get_logger("voicebot.telephony")

NOT_IN_SERVICE = "Sorry, the number you have called is not in service. Goodbye."


class BotDirectory(Protocol):
    """Finds the bot answering a number (storage.Bots implements it, cached)."""

    async def by_phone(self, dialed_number: str) -> BotForCall | None: ...


class CallLine(Protocol):
    """What :func:`answer_call` needs of the room: a LiveKit JobContext in production, a test double here."""

    @property
    def room_name(self) -> str: ...
    @property
    def caller_identity(self) -> str: ...
    @property
    def caller_attributes(self) -> Mapping[str, str]: ...
    @property
    def job_metadata(self) -> str | None: ...
    @property
    def api(self) -> api.LiveKitAPI: ...

    async def start(self, session: AgentSession[None], agent: Agent) -> None:
        """Start ``session`` with ``agent`` on this line (the room's audio, or the test's I/O)."""
        ...

    def on_dtmf(self, handler: Callable[[str], None]) -> None: ...
    @property
    def dtmf_publisher(self) -> DtmfPublisher | None:
        """Where ``send_dtmf`` keys go (the room's local participant); None when keys cannot be sent."""
        ...

    def on_caller_left(self, handler: Callable[[], None]) -> None: ...


SessionFactory = Callable[[Providers, str], AgentSession[None]]
"""(bot providers, language) -> a new session (audio for phone calls, text for tests)."""

KnowledgeOpener = Callable[[str], Retriever]
"""bot id -> its retriever. Blocking (a local snapshot copies the bot's passages): run off the loop."""

Finalize = Callable[[CallFinished, "CallOutcome"], Awaitable[object]]


PROCESS_COMPILED = CompiledCache()
"""Compiled scenarios of this process, by content hash. The forkserver fills it with the deployed bots'
scenarios (:mod:`voicebot.telephony.preload`), so a job process inherits them and compiles nothing."""


def compile_bot(cache: CompiledCache, sha256: str, source: str, name: str) -> CompiledScenario:
    """``source`` compiled through ``cache`` (parsed and checked only on a miss)."""
    from voicebot.scenario import load_text

    return cache.get(sha256, lambda: load_text(source, name).scenario)


@dataclass
class CallServices:
    """What a call needs from the process: built by ``runtime.open_call_services``, or by a test."""

    bots: BotDirectory
    record: RecordFn
    new_session: SessionFactory
    flush: Callable[[], Awaitable[object]]
    """Wait until the records of this process are written (called at the end of each call)."""
    llm_model: Callable[[Providers], Any] = lambda _p: None
    """The bot's livekit LLM, or None when no LLM is configured (LLM states then apologise, scripted)."""
    llm_timeout: float = 8.0
    knowledge: KnowledgeOpener | None = None
    answerer: Answerer | None = None
    finalize: Finalize | None = None
    """Decide and write the outcome (outcomes.Finalizer) once the records are flushed."""
    finalize_retry_for: float = 20.0
    """How long a call's process retries a finalize the database refused (retryable errors, with
    backoff); after that the sweeper finalizes the call from its journaled end record."""
    no_input_timer: bool = True
    actions: ActionRegistry | None = None
    """Runs the scenario's declared actions (voicebot.runtime_actions); None: every action fails."""
    sip_outbound_trunk: str | None = None
    """The trunk a warm transfer dials the person through (none: warm transfers fall back at once)."""
    consult_voice: Callable[[str, str, Providers, Any], ConsultVoice] | None = None
    """(consult room, person's identity) -> the bot's voice there (none: the brief is an attribute only)."""
    _compiled: CompiledCache = field(default_factory=lambda: PROCESS_COMPILED)

    def compiled(self, bot: BotForCall) -> CompiledScenario:
        """The bot's compiled scenario (cached by content hash: parsed and compiled once per source)."""
        return compile_bot(self._compiled, bot.sha256, bot.source, f"<bot {bot.id}>")


@dataclass(frozen=True, slots=True)
class CallTarget:
    direction: Literal["inbound", "outbound"]
    bot_number: str | None
    caller_number: str | None
    call_id: uuid.UUID | None = None
    """Outbound: the id the dialer chose (campaign attempts and POST /v1/calls join the call by it)."""
    variables: dict[str, str] = field(default_factory=dict)
    """Outbound: the number's variables (a campaign's extra CSV columns, POST /v1/calls ``variables``)."""


def _variables(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(k, str) and v is not None}


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def call_target(attributes: Mapping[str, str], job_metadata: str | None) -> CallTarget:
    """Which bot and which caller, from the SIP participant's attributes and the job's metadata."""
    meta: dict[str, Any] = {}
    if job_metadata:
        with contextlib.suppress(ValueError):
            loaded = json.loads(job_metadata)
            meta = loaded if isinstance(loaded, dict) else {}
    if meta.get("direction") == "outbound":
        return CallTarget(
            "outbound",
            meta.get("bot_number"),
            meta.get("to") or attributes.get("sip.phoneNumber"),
            _uuid_or_none(meta.get("call_id")),
            _variables(meta.get("variables")),
        )
    return CallTarget("inbound", attributes.get("sip.trunkPhoneNumber"), attributes.get("sip.phoneNumber"))


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """How a call handled by :func:`answer_call` went."""

    call_id: uuid.UUID | None
    """None when the call was rejected (no bot)."""
    rejected: str | None = None
    """Why the call was rejected: unknown_number, no_dialed_number, lookup_failed."""
    info: CallInfo | None = None
    started_at: dt.datetime | None = None
    scenario: CompiledScenario | None = None
    transcript: tuple[tuple[str, str, dt.datetime], ...] = ()
    """(role, text, at) of every turn, in order."""


class _CallRetriever:
    """The call's retriever, opened in a thread while the greeting plays; a failure means no passages."""

    def __init__(self, opener: KnowledgeOpener, bot_id: str) -> None:
        self._task: asyncio.Task[Retriever] = asyncio.get_running_loop().create_task(
            asyncio.to_thread(opener, bot_id), name="voicebot-knowledge-open"
        )

    async def retrieve(self, bot_id: str, query: str, *, top_k: int) -> Sequence[Passage]:
        try:
            retriever = await asyncio.shield(self._task)
        except VoicebotError:
            raise
        except Exception as exc:  # the opener is an adapter: anything it raises is a lookup failure
            from voicebot.errors import KnowledgeError

            raise KnowledgeError(f"the bot's knowledge could not be opened: {exc}") from exc
        return await retriever.retrieve(bot_id, query, top_k=top_k)

    async def aclose(self) -> None:
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(BaseException):
            retriever = await self._task
            close = getattr(retriever, "close", None)
            if close is not None:
                close()


async def _finalize_with_retries(
    services: CallServices, finished: CallFinished, outcome: CallOutcome
) -> None:
    """Finalize, retrying retryable failures for ``finalize_retry_for`` s (finalize is idempotent)."""
    assert services.finalize is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.finalize_retry_for
    delay = 0.25
    while True:
        try:
            await services.finalize(finished, outcome)
            return
        except VoicebotError as exc:
            if not exc.retryable or loop.time() + delay > deadline:
                # The call's end record (with the engine's decision) is in the journal / calls row:
                # the sweeper finalizes it once the database is back.
                log.error("call_finalize_failed", error=str(exc), retryable=exc.retryable)
                return
        await asyncio.sleep(delay)
        delay = min(delay * 2, 4.0)


async def reject_call(line: CallLine, session: AgentSession[None], reason: str) -> None:
    """Say the not-in-service message, hang up, log why (never the numbers)."""
    metrics.call_rejected()
    log.warning("call_rejected", reason=reason, room=line.room_name)
    with contextlib.suppress(Exception):
        await line.start(session, Agent(instructions=""))
        handle = session.say(NOT_IN_SERVICE, allow_interruptions=False)
        await asyncio.wait_for(handle.wait_for_playout(), 15)
    control = LiveKitControl(line.api, room=line.room_name, participant_identity=line.caller_identity)
    try:
        await control.hang_up()
    except VoicebotError as exc:
        log.error("call_control_failed", action="end_call", error=str(exc))
    with contextlib.suppress(Exception):
        await session.aclose()


def _providers_of(bot: BotForCall | None) -> Providers:
    if bot is None or not bot.providers:
        return Providers()
    return Providers.model_validate(bot.providers)


def _consult_voice(services: CallServices, bot: BotForCall) -> Callable[[str, str], ConsultVoice] | None:
    """The bot's voice in a warm transfer's consult room, with the bot's providers and language."""
    factory = services.consult_voice
    if factory is None:
        return None
    providers, lang = _providers_of(bot), bot.language
    return lambda room, identity: factory(room, identity, providers, lang)


async def answer_call(line: CallLine, services: CallServices) -> CallOutcome:
    """Run one call on ``line`` to its end: see the module docstring. Never raises for the caller's sake."""
    target = call_target(line.caller_attributes, line.job_metadata)
    bot: BotForCall | None = None
    lookup_failed = False
    if target.bot_number:
        try:
            bot = await services.bots.by_phone(target.bot_number)
        except VoicebotError as exc:
            lookup_failed = True
            log.error("bot_lookup_failed", error=str(exc))
    session = services.new_session(_providers_of(bot), "en" if bot is None else bot.language)
    if bot is None:
        reason = (
            "lookup_failed"
            if lookup_failed
            else "unknown_number"
            if target.bot_number
            else "no_dialed_number"
        )
        await reject_call(line, session, reason)
        return CallOutcome(None, rejected=reason)

    compiled = services.compiled(bot)
    call_id = target.call_id or uuid.uuid4()
    info = CallInfo(
        call_id=call_id,
        bot_id=bot.id,
        bot_slug=compiled.scenario.bot.id,
        direction=target.direction,
        caller_number=target.caller_number,
        dialed_number=target.bot_number,
        scenario_version_id=bot.version_id,
        slot_types={name: slot.type for name, slot in compiled.scenario.slots.items()},
        outcome_names=outcome_names(compiled.scenario),
    )
    started_at = dt.datetime.now(dt.UTC)
    agent_ref: list[CallAgent] = []
    llm_port: LLM | None = None
    model = services.llm_model(compiled.scenario.bot.providers)
    if model is not None:
        llm_port = LivekitLLM(
            model,
            timeout=services.llm_timeout,
            on_error=lambda kind, exc: agent_ref[0].report_error(kind, exc) if agent_ref else None,
        )
    retriever: _CallRetriever | None = None
    if services.knowledge is not None and any(s.knowledge for s in compiled.scenario.states.values()):
        retriever = _CallRetriever(services.knowledge, str(bot.id))
    actions = CallActions(
        services.actions or ActionRegistry(), call_id=call_id, company_id=bot.company_id, bot_id=bot.id
    )
    conversation = Conversation(
        Engine(compiled, llm_enabled=llm_port is not None),
        CallContext(
            call_id=str(call_id),
            caller_number=target.caller_number,
            dialed_number=target.bot_number,
            direction=target.direction,
            variables=target.variables,
        ),
        bot_id=str(bot.id),
        retriever=retriever,
        llm=llm_port,
        answerer=services.answerer,
        actions=actions,
    )
    control = LiveKitControl(line.api, room=line.room_name, participant_identity=line.caller_identity)
    transcript: list[tuple[str, str, dt.datetime]] = []

    def record(item: Record) -> None:
        services.record(item)
        if isinstance(item, Turn):
            transcript.append((item.role, item.text, item.at))

    warm = WarmTransfers(
        LiveKitWarmLine(
            line.api,
            room=line.room_name,
            caller_identity=line.caller_identity,
            trunk_id=services.sip_outbound_trunk,
            bot_number=target.bot_number,
            voice=_consult_voice(services, bot),
        )
    )
    common: dict[str, Any] = {"info": info, "record": record, "control": control}
    common.update(no_input_timer=services.no_input_timer, on_result=warm.on_result)
    agent: CallAgent
    if target.direction == "outbound" and declares_voicemail(compiled.scenario):
        # listen for an answering machine first, once the callee has answered
        agent = VoicemailAgent(
            conversation, answered=lambda: wait_answered(lambda: line.caller_attributes), **common
        )
    else:
        agent = CallAgent(conversation, **common)
    warm.attach(agent)
    agent_ref.append(agent)
    actions.attach(agent)
    agent.keypad.publisher = line.dtmf_publisher
    with bind_call(call_id=str(call_id), bot_id=str(bot.id)):
        line.on_dtmf(agent.dtmf_received)
        line.on_caller_left(agent.caller_left)
        try:
            await line.start(session, agent)
            await agent.done.wait()
        finally:
            await agent.aclose_tasks()
            if retriever is not None:
                await retriever.aclose()
            with contextlib.suppress(Exception):
                await session.aclose()
            await services.flush()
            outcome = CallOutcome(
                call_id, info=info, started_at=started_at, scenario=compiled, transcript=tuple(transcript)
            )
            if services.finalize is not None and agent.finished is not None:
                await _finalize_with_retries(services, agent.finished, outcome)
    return outcome
