"""The LiveKit worker: one job per call, answered by the bot that owns the dialed number.

LiveKit runs every job in a process of its own (``num_idle_processes`` are started ahead and prewarmed;
a process exits when its job ends), so what a call needs beyond its session is opened per job by the
``open_services`` factory (a small database pool, the recorder) and closed by the job's shutdown
callback, which also flushes the records. Loop-free things are loaded once in LiveKit's forkserver
(:mod:`voicebot.telephony.preload`: modules, Silero VAD, the offline embedder) and shared by the job
processes copy-on-write; the prewarm hook hands the VAD to the job. The database therefore sees up to
``concurrent calls x pool size`` connections (PgBouncer bounds them: docs/operations.md).

Per job (:func:`run_job`): connect, wait for the SIP participant, then :func:`~voicebot.telephony.answer.
answer_call` on a :class:`RoomLine` (the room seen through the :class:`~voicebot.telephony.answer.CallLine`
Protocol), then shut the job down.

Drain: :meth:`VoicebotWorker.drain` (SIGTERM in ``start`` mode) marks the worker full, refuses new jobs
(livekit answers "unavailable" and our request handler rejects) and waits up to ``drain_timeout`` for
the active calls; each call flushes its records when it ends, and a job cut short by the process
shutting down flushes them in its shutdown callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import structlog
from livekit import api, rtc
from livekit.agents import Agent, AgentServer, AgentSession, JobContext, JobProcess, JobRequest, WorkerOptions

from voicebot.observability import metrics
from voicebot.telephony.answer import CallServices, answer_call
from voicebot.telephony.control import AGENT_NAME
from voicebot.telephony.dtmf import DtmfPublisher, forward_dtmf
from voicebot.telephony.gc_policy import settle_after_warmup
from voicebot.telephony.session import load_vad

__all__ = ["RoomLine", "ServicesFactory", "VoicebotWorker", "run_job"]

log = structlog.get_logger("voicebot.telephony")

ServicesFactory = Callable[[Any], Awaitable[tuple[CallServices, Callable[[], Awaitable[None]]]]]
"""(the prewarmed VAD) -> the call's services and their closer (flushes the records, closes the pool)."""


class RoomLine:
    """:class:`~voicebot.telephony.answer.CallLine` over a connected JobContext and its SIP participant."""

    def __init__(self, ctx: JobContext, participant: rtc.RemoteParticipant) -> None:
        self._ctx = ctx
        self._participant = participant

    @property
    def room_name(self) -> str:
        return self._ctx.room.name

    @property
    def caller_identity(self) -> str:
        return self._participant.identity

    @property
    def caller_attributes(self) -> Mapping[str, str]:
        return self._participant.attributes

    @property
    def job_metadata(self) -> str | None:
        return self._ctx.job.metadata or None

    @property
    def api(self) -> api.LiveKitAPI:
        return self._ctx.api

    async def start(self, session: AgentSession[None], agent: Agent) -> None:
        await session.start(agent, room=self._ctx.room)
        # The job is warmed up (the forkserver froze its own heap before forking): freeze the call's
        # long-lived objects too, so no full collection walks them mid-call (gc_policy.py). About 0.2 ms.
        settle_after_warmup()

    def on_dtmf(self, handler: Callable[[str], None]) -> None:
        forward_dtmf(self._ctx.room, handler, caller_identity=self._participant.identity)

    @property
    def dtmf_publisher(self) -> DtmfPublisher | None:
        return self._ctx.room.local_participant

    def on_caller_left(self, handler: Callable[[], None]) -> None:
        def left(p: rtc.RemoteParticipant) -> None:
            if p.identity == self._participant.identity:
                handler()

        self._ctx.room.on("participant_disconnected", left)


async def run_job(ctx: JobContext, services: CallServices, close: Callable[[], Awaitable[None]]) -> None:
    """The whole of one job. ``close`` (flush records, close the pool) runs in the job's shutdown
    callback, so it also runs when the worker shuts the process down mid-call."""
    closed = asyncio.Event()

    async def shutdown(reason: str) -> None:
        if not closed.is_set():
            closed.set()
            log.info("job_shutdown", reason=reason)
            try:
                await close()
            finally:
                metrics.job_process_ended()

    ctx.add_shutdown_callback(shutdown)
    await ctx.connect()
    participant = await ctx.wait_for_participant()
    outcome = await answer_call(RoomLine(ctx, participant), services)
    ctx.shutdown("call rejected" if outcome.rejected else "call ended")


PRELOAD_MODULE = "voicebot.telephony.preload"
"""Named to LiveKit's forkserver: voicebot's modules, Silero VAD and the offline embedder, loaded once."""

LOCAL_INFERENCE_ENV = "LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE"


class VoicebotWorker:
    """livekit's ``AgentServer`` registered as agent ``voicebot``, with voicebot's per-job services.

    The forkserver preloads :mod:`voicebot.telephony.preload` (then livekit freezes the collector), and
    livekit's own local inference models (about 256 MiB of turn-detector weights voicebot never uses)
    are not loaded unless ``LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE`` is set explicitly."""

    def __init__(
        self,
        *,
        open_services: ServicesFactory,
        url: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        drain_timeout: int = 600,
        **options: Any,
    ) -> None:
        self._open_services = open_services
        self.drain_timeout = drain_timeout
        os.environ.setdefault(LOCAL_INFERENCE_ENV, "0")
        self.server = AgentServer.from_server_options(
            WorkerOptions(
                entrypoint_fnc=self._entrypoint,
                request_fnc=self.on_job_request,
                prewarm_fnc=prewarm,
                agent_name=AGENT_NAME,
                ws_url=url,
                api_key=api_key,
                api_secret=api_secret,
                drain_timeout=drain_timeout,
                **{"preload_modules": [PRELOAD_MODULE], **options},
            )
        )
        metrics.worker_gauges(lambda: len(self.server.active_jobs), lambda: self.server.draining)
        self.server.on("worker_started", self._watch_job_processes)

    def _watch_job_processes(self) -> None:
        """Once livekit's process pool runs: a job process that closes (ended or crashed) leaves the live
        gauges (calls active, recorder backlog) of the exporter's sum."""
        pool = getattr(self.server, "_proc_pool", None)
        if pool is not None:
            pool.on("process_closed", lambda proc: metrics.process_dead(getattr(proc, "pid", None)))

    @property
    def draining(self) -> bool:
        return self.server.draining

    async def on_job_request(self, request: JobRequest) -> None:
        """Accept the job unless draining (livekit already answers 'unavailable' then; this closes the race
        of a request that arrived just before the drain began)."""
        if self.server.draining:
            log.info("job_refused", reason="draining")
            await request.reject()
            return
        await request.accept(identity=f"voicebot-{request.id}", name="voicebot")

    async def _entrypoint(self, ctx: JobContext) -> None:
        vad = ctx.proc.userdata.get("vad")
        services, close = await self._open_services(vad)
        await run_job(ctx, services, close)

    async def drain(self, timeout: int | None = None) -> None:
        """Refuse new jobs and wait for the active calls to end (TimeoutError after ``timeout`` s)."""
        await self.server.drain(self.drain_timeout if timeout is None else timeout)

    async def run(self, *, devmode: bool = False) -> None:
        """Register with LiveKit and take calls until SIGTERM/SIGINT; then drain (not in dev) and close."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        runner = asyncio.create_task(self.server.run(devmode=devmode), name="voicebot-worker")
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({runner, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set() and not devmode:
                log.info("worker_draining", timeout_s=self.drain_timeout, active=len(self.server.active_jobs))
                drain = asyncio.create_task(self.drain())
                for sig in (signal.SIGTERM, signal.SIGINT):  # a second signal: stop waiting for calls
                    loop.add_signal_handler(sig, drain.cancel)
                try:
                    await drain
                except (TimeoutError, asyncio.CancelledError):
                    log.warning("worker_drain_cut_short", active=len(self.server.active_jobs))
        finally:
            stopped.cancel()
            await self.server.aclose()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await runner


def prewarm(proc: JobProcess) -> None:
    """In each job process before its job: Silero VAD (the forkserver's copy when it preloaded one) and
    the process's first embedding, so the call's first knowledge query is not its slowest."""
    from voicebot.telephony.preload import preloaded_vad, warm_job_process

    warm_job_process()
    vad = preloaded_vad()
    proc.userdata["vad"] = vad if vad is not None else load_vad()


def run_worker(worker: VoicebotWorker, mode: Literal["start", "dev"]) -> None:
    """Run ``worker`` until it is stopped (blocks). ``start`` drains on SIGTERM; ``dev`` stops at once."""
    asyncio.run(worker.run(devmode=mode == "dev"))
