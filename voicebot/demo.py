"""The end-to-end demo (`voicebot demo`): the whole path of a call on embedded defaults, no keys.

1. the embedded PostgreSQL and Qdrant (local mode) start;
2. a company and a bot are created from an example scenario and its documents are ingested;
3. a scripted caller talks through the real session path (AgentSession in text mode, the bridge, the
   engine): asks a knowledge question, books an appointment, corrects one detail;
4. every turn, transition and slot lands in Postgres through the write-behind recorder;
5. the outcome is decided and written with its webhook outbox rows in one transaction;
6. the dispatcher signs and delivers the webhooks to a local receiver that verifies the signature.

Everything here is composed from the same services a deployment uses; nothing is simulated but the
caller.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from voicebot.dialogue import CallContext, CallFinished, Engine, Hangup, Say, TurnResult
from voicebot.errors import ConflictError, VoicebotError
from voicebot.knowledge import KnowledgeService, MiniLMEmbedder, QdrantRetriever, open_store
from voicebot.outcomes import TranscriptEntry, WebhookSettings
from voicebot.outcomes.signing import SignatureError, verify
from voicebot.outcomes.urlguard import HostPolicy
from voicebot.runtime import compiled_for, extractive_answerer, finalize_calls_with
from voicebot.runtime_outcomes import build_outcome_services
from voicebot.scenario import LoadedScenario, load_file
from voicebot.settings import Settings
from voicebot.storage import Database, DeployResult, Recorder
from voicebot.telephony.answer import CallOutcome
from voicebot.telephony.recording import CallInfo
from voicebot.telephony.textcall import TextCall

__all__ = ["CALLER_LINES", "DemoResult", "run_demo"]

CALLER_LINES = [
    "Hi! Do you accept Blue Cross insurance?",
    "Great. I'd like to book an appointment",
    "John Smith",
    "March 3rd 1985",
    "I need a check-up",
    "next Tuesday at 10 am",  # the clinic is closed on Sundays: the demo must work any day
    "no, make it 11:30 am",
    "yes",
]
CALLER_NUMBER = "+12125550123"


@dataclass
class DemoResult:
    """What the demo did, for its summary (and for tests)."""

    call_id: uuid.UUID
    company_id: uuid.UUID
    bot_id: uuid.UUID
    phone: str
    finished: CallFinished | None
    rows: dict[str, int] = field(default_factory=dict)
    confirmation_code: str | None = None
    delivered: list[dict[str, Any]] = field(default_factory=list)
    deliver_ms: float = 0.0


class _Receiver:
    """A webhook endpoint on 127.0.0.1 that verifies each signature before accepting the event."""

    def __init__(self, show: Callable[[str], None]) -> None:
        self.secret = ""
        self.events: list[dict[str, Any]] = []
        self.rejected = 0
        self._show = show
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhooks", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/webhooks"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verify(self.secret, dict(request.headers), body)
        except SignatureError as exc:
            self.rejected += 1
            self._show(f"receiver: REJECTED ({exc})")
            return web.Response(status=401, text=str(exc))
        event = json.loads(body)
        self.events.append(event)
        self._show(
            f"receiver: signature OK, {event.get('type')} v{event.get('version')} "
            f"(webhook-id {request.headers.get('webhook-id')})\n"
            + json.dumps(event, indent=2, ensure_ascii=False)
        )
        return web.Response(status=204)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def run_demo(
    settings: Settings,
    *,
    scenario: Path,
    show: Callable[[str], None],
    show_turn: Callable[[TurnResult], None],
    lines: list[str] | None = None,
) -> DemoResult:
    """Run the demo; ``show`` prints a line, ``show_turn`` prints what the bot did in a turn."""
    loaded = load_file(scenario)
    knowledge_dir = scenario.parent / loaded.scenario.bot.id / "knowledge"
    receiver = _Receiver(show)
    await receiver.start()
    started = time.perf_counter()
    show("1/6 starting the embedded PostgreSQL and Qdrant (local mode)")
    db = await Database.open(settings)
    store = await asyncio.to_thread(open_store, settings)
    try:
        show(f"    database {db.url.split('@')[-1]} ({'embedded' if db.embedded else 'DATABASE_URL'})")
        show("2/6 creating a company and a bot, ingesting its documents")
        company = await db.companies.create("Demo clinic", webhook_url=receiver.url)
        receiver.secret = company.webhook_secret
        phone, deployed = await _deploy(db, company.company.id, loaded)
        bot_id = deployed.bot_id
        show(
            f"    company {company.company.id}, bot {bot_id} on {phone} (scenario version {deployed.version})"
        )
        embedder = MiniLMEmbedder()
        service = KnowledgeService(store=store, embedder=embedder, registry=db.knowledge_docs)
        for path in sorted(knowledge_dir.glob("*")) if knowledge_dir.is_dir() else []:
            doc = await service.add(bot_id, path)
            show(f"    ingested {doc.filename}: {doc.chunk_count} passages ({doc.status})")
        retriever = QdrantRetriever(store=store, embedder=embedder)

        show("3/6 the call (AgentSession in text mode, the same bridge and engine as a phone call)\n")
        call_id = uuid.uuid4()
        began = dt.datetime.now(dt.UTC)
        transcript: list[TranscriptEntry] = []
        finished: CallFinished | None = None

        def take(turn: TurnResult) -> None:
            nonlocal finished
            show_turn(turn)
            for action in turn.actions:
                if isinstance(action, Say):
                    transcript.append(
                        TranscriptEntry(role="bot", text=action.text, at=dt.datetime.now(dt.UTC))
                    )
                elif isinstance(action, CallFinished):
                    finished = action

        info = CallInfo(
            call_id=call_id,
            bot_id=bot_id,
            bot_slug=loaded.scenario.bot.id,
            caller_number=CALLER_NUMBER,
            dialed_number=phone,
            scenario_version_id=deployed.version_id,
        )
        recorder = Recorder.from_settings(settings, db.pool)
        async with recorder:
            async with TextCall(
                Engine(compiled_for(loaded)),
                bot_id=str(bot_id),
                context=CallContext(call_id=str(call_id), caller_number=CALLER_NUMBER, dialed_number=phone),
                retriever=retriever,
                answerer=extractive_answerer,
                record=recorder.record,
                info=info,
            ) as call:
                for turn in call.greeting:
                    take(turn)
                for line in lines if lines is not None else CALLER_LINES:
                    if call.ended:
                        break
                    show(f"caller> {line}")
                    transcript.append(TranscriptEntry(role="caller", text=line, at=dt.datetime.now(dt.UTC)))
                    for turn in await call.say(line):
                        take(turn)
                if not call.ended:
                    for turn in await call.send(Hangup()):
                        take(turn)
            await recorder.flush(10)
        rows = {
            "turns": len(await db.calls.turns(call_id)),
            "transitions": len(await db.calls.transitions(call_id)),
            "slots": len(await db.calls.slots(call_id)),
        }
        show(
            f"\n4/6 recorded in Postgres: {rows['turns']} turns, {rows['transitions']} transitions, "
            f"{rows['slots']} slot values"
        )
        result = DemoResult(call_id, company.company.id, bot_id, phone, finished, rows)
        if finished is None:
            raise VoicebotError("the demo call did not finish")

        webhook_settings = dataclasses.replace(
            WebhookSettings.from_env(), allow=HostPolicy.parse("127.0.0.1")
        )
        services = build_outcome_services(db.pool, webhook_settings)
        try:
            # The same finalize hook a phone call's worker uses.
            finalize = finalize_calls_with(services.finalizer)
            record = CallOutcome(
                call_id,
                info=info,
                started_at=began,
                scenario=compiled_for(loaded),
                transcript=tuple((e.role, e.text, e.at or began) for e in transcript),
            )
            ended = time.perf_counter()
            final = await finalize(finished, record)
            result.confirmation_code = final.confirmation_code
            show(
                f"5/6 outcome: {finished.outcome} (confidence {finished.confidence:.2f}, {finished.rule}); "
                f"{len(final.event_ids)} webhook event(s) queued in the same transaction"
            )
            show("6/6 delivering the signed webhooks to the local receiver")
            dispatcher = services.dispatcher()
            deadline = time.monotonic() + 30
            while len(receiver.events) < len(final.event_ids) and time.monotonic() < deadline:
                if not await dispatcher.run_once():
                    await asyncio.sleep(0.05)
            result.deliver_ms = (time.perf_counter() - ended) * 1000
            result.delivered = list(receiver.events)
        finally:
            await services.aclose()
        show(f"\ndone in {time.perf_counter() - started:.1f} s")
        return result
    finally:
        await receiver.stop()
        store.close()
        await db.close()


async def _deploy(db: Database, company_id: uuid.UUID, loaded: LoadedScenario) -> tuple[str, DeployResult]:
    """Deploy on a fresh number from the fictional 555-01xx range (numbers are unique across bots)."""
    for _ in range(20):
        phone = f"+1202555{secrets.randbelow(10_000):04d}"
        try:
            return phone, await db.bots.deploy(company_id, phone, loaded)
        except ConflictError:
            continue
    raise ConflictError("no free demo phone number found; run `voicebot bot list` to see the numbers in use")
