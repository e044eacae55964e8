"""What the worker wires around a call: the bot's knowledge, the audio path's failures, drain and the
job's shutdown flush. Real Postgres, real session, real plugins against the loopback fakes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from livekit.agents import JobRequest
from livekit.protocol import agent as agent_pb
from livekit.protocol import models

from tests.fakes import FakeCartesia, FakeDeepgram, FakeLiveKitServer
from tests.fakes.fixtures import requires_espeak
from voicebot.knowledge import KnowledgeService, MiniLMEmbedder, QdrantStore, open_call_retriever
from voicebot.outcomes.config import WebhookSettings
from voicebot.runtime import extractive_answerer, finalize_calls_with, open_call_services
from voicebot.runtime_outcomes import build_outcome_services
from voicebot.scenario import load_file, load_text
from voicebot.settings import Settings
from voicebot.storage import Database, Journal, PostgresSink, Recorder, Turn
from voicebot.storage.records import CallStarted
from voicebot.telephony.answer import NOT_IN_SERVICE, CallServices, answer_call
from voicebot.telephony.session import ProviderConfig, audio_session, text_session
from voicebot.telephony.worker import VoicebotWorker

from .conftest import SCENARIOS
from .lines import AudioLine, TextLine
from .test_text_calls import TINY

SUPPORT_NUMBER = "+13125550100"


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(
        Settings(database_url=database_url, data_dir=tmp_path), min_size=1, max_size=2
    ) as database:
        yield database


@pytest.fixture
async def recorder(db: Database, tmp_path: Path) -> AsyncIterator[Recorder]:
    async with Recorder(sink=PostgresSink(db.pool), journal=Journal(tmp_path / "journal")) as rec:
        yield rec


async def deploy(db: Database, scenario: str, number: str) -> uuid.UUID:
    company = await db.companies.create(f"{scenario} company")
    result = await db.bots.deploy(company.company.id, number, load_file(SCENARIOS / scenario))
    return result.bot_id


async def test_knowledge_states_answer_from_the_bots_documents_on_a_phone_call(
    db: Database, recorder: Recorder, tmp_path: Path, fake_livekit: FakeLiveKitServer
) -> None:
    """The support bot's documents are ingested like `voicebot knowledge add` does (local Qdrant, keyed by
    the bot's id); the call takes a snapshot of them (local mode's lock is held only while copying)."""
    bot_id = await deploy(db, "support.yaml", SUPPORT_NUMBER)
    settings = Settings(data_dir=tmp_path)
    embedder = MiniLMEmbedder()
    store = QdrantStore.local(tmp_path / "qdrant")
    try:
        service = KnowledgeService(store=store, embedder=embedder, registry=db.knowledge_docs)
        for doc in sorted((SCENARIOS / "support" / "knowledge").iterdir()):
            await service.add(bot_id, doc)
    finally:
        store.close()
    services = CallServices(
        bots=db.bots,
        record=recorder.record,
        new_session=lambda _p, _l: text_session(),
        flush=recorder.flush,
        knowledge=lambda bot: open_call_retriever(settings, bot, embedder=embedder),
        answerer=extractive_answerer,
        no_input_timer=False,
    )
    async with fake_livekit.api() as client:
        line = TextLine(client, dialed=SUPPORT_NUMBER)
        call = asyncio.create_task(answer_call(line, services))
        bill = await line.say("When is my bill due each month?")
        price = await line.say("How much does Fiber 500 cost per month?")
        await line.say("no, that's all")
        outcome = await asyncio.wait_for(call, 10)
    assert "15th" in " ".join(bill) and "34.90" in " ".join(price)
    assert outcome.call_id is not None
    turns = await db.calls.turns(outcome.call_id)
    answers = [t for t in turns if t.role == "bot" and "15th" in t.text]
    assert answers and answers[0].metadata.get("chunks")


@requires_espeak
async def test_an_unknown_number_hears_the_message_through_tts(
    db: Database,
    recorder: Recorder,
    silero_vad: Any,
    fake_deepgram: FakeDeepgram,
    fake_cartesia: FakeCartesia,
    fake_livekit: FakeLiveKitServer,
    lk_http: None,
) -> None:
    config = _speech(fake_deepgram, fake_cartesia)
    services = CallServices(
        bots=db.bots,
        record=recorder.record,
        new_session=lambda p, lang: audio_session(p, lang, config, vad_model=silero_vad),
        flush=recorder.flush,
    )
    async with fake_livekit.api() as client:
        line = AudioLine(client, dialed="+14155550199", room="call-unknown")
        outcome = await asyncio.wait_for(answer_call(line, services), 30)
    assert outcome.rejected == "unknown_number"
    assert fake_cartesia.spoken == [NOT_IN_SERVICE]
    played = await line.speaker.wait_segment_finished(0, timeout=5)
    assert not played.interrupted and played.played > 1.0
    assert [r.room for r in fake_livekit.calls_to("RoomService/DeleteRoom")] == ["call-unknown"]


@requires_espeak
async def test_tts_down_ends_the_call_with_an_error_row_and_outcome_error(
    db: Database,
    recorder: Recorder,
    silero_vad: Any,
    fake_deepgram: FakeDeepgram,
    fake_cartesia: FakeCartesia,
    fake_livekit: FakeLiveKitServer,
    lk_http: None,
) -> None:
    """The caller cannot hear an apology when TTS is down: the call is hung up, logged and reported.
    (TINY has no outcome rules, so the default outcome of a call ending on an error applies.)"""
    company = await db.companies.create("Tiny")
    await db.bots.deploy(company.company.id, "+14155550100", load_text(TINY))
    fake_cartesia.fail_contexts = 1000
    config = _speech(fake_deepgram, fake_cartesia)
    outcomes = build_outcome_services(db.pool, WebhookSettings())
    services = CallServices(
        bots=db.bots,
        record=recorder.record,
        new_session=lambda p, lang: audio_session(p, lang, config, vad_model=silero_vad),
        flush=recorder.flush,
        finalize=finalize_calls_with(outcomes.finalizer),
    )
    try:
        async with fake_livekit.api() as client:
            line = AudioLine(client, dialed="+14155550100", room="call-tts-down")
            outcome = await asyncio.wait_for(answer_call(line, services), 60)
    finally:
        await outcomes.aclose()
    assert outcome.call_id is not None
    assert [r.room for r in fake_livekit.calls_to("RoomService/DeleteRoom")] == ["call-tts-down"]
    call = await db.calls.get(outcome.call_id)
    assert (call.status, call.end_reason) == ("failed", "error")
    errors = await db.pool.fetch("SELECT error_type FROM error_logs WHERE call_id = $1", outcome.call_id)
    assert "tts_error" in {r["error_type"] for r in errors}
    decided = await db.pool.fetchval("SELECT outcome_type FROM outcomes WHERE call_id = $1", outcome.call_id)
    assert decided == "error"
    event = await db.pool.fetchrow(
        "SELECT event_type, payload FROM webhook_outbox WHERE call_id = $1", outcome.call_id
    )
    assert event["event_type"] == "call.completed"
    data = event["payload"]["data"]
    assert (data["outcome"], data["end_reason"]) == ("error", "error")


async def test_the_jobs_closer_writes_records_still_pending(database_url: str, tmp_path: Path) -> None:
    """What the job's shutdown callback runs (also when the worker stops the process mid-call): records
    still in the buffer reach Postgres."""
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        deepgram_api_key="k",
        cartesia_api_key="k",
        recorder_flush_interval=3600.0,  # nothing is written on its own during this test
    )
    services, close = await open_call_services(settings, vad=object())
    call_id = uuid.uuid4()
    await asyncio.sleep(0.1)  # the recorder's first pass (at start) is over: now it waits an hour
    services.record(CallStarted(call_id, None, "inbound", None, None, None))
    services.record(Turn(call_id, 0, "bot", "Hello."))
    await asyncio.sleep(0.05)
    async with await Database.open(settings, min_size=1, max_size=1) as db:
        assert await db.pool.fetchval("SELECT count(*) FROM turns WHERE call_id = $1", call_id) == 0
        await close()
        assert await db.pool.fetchval("SELECT count(*) FROM turns WHERE call_id = $1", call_id) == 1


def _gauge(name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    from voicebot.observability.metrics import exposition

    body, _ = exposition()
    [value] = [
        s.value for f in text_string_to_metric_families(body.decode()) for s in f.samples if s.name == name
    ]
    return value


async def test_a_draining_worker_refuses_new_calls() -> None:
    async def no_services(_vad: Any) -> Any:
        raise AssertionError("no job may start")

    worker = VoicebotWorker(open_services=no_services, port=0, num_idle_processes=0)
    started = asyncio.Event()
    worker.server.on("worker_started", lambda *_: started.set())
    runner = asyncio.create_task(worker.server.run(devmode=True, unregistered=True))
    try:
        await asyncio.wait_for(started.wait(), 10)
        answers: list[str] = []

        async def rejected(_terminate: bool) -> None:
            answers.append("rejected")

        async def accepted(_args: Any) -> None:
            answers.append("accepted")

        def request() -> JobRequest:
            job = agent_pb.Job(id=f"AJ_{uuid.uuid4().hex[:8]}", room=models.Room(name="call-x"))
            return JobRequest(job=job, on_reject=rejected, on_accept=accepted)

        assert _gauge("voicebot_worker_draining") == 0
        assert _gauge("voicebot_worker_jobs_active") == 0
        await worker.on_job_request(request())
        await worker.drain(timeout=5)  # no active calls: returns at once
        assert worker.draining
        assert _gauge("voicebot_worker_draining") == 1  # what Prometheus scrapes from this worker
        await worker.on_job_request(request())
        assert answers == ["accepted", "rejected"]
    finally:
        await worker.server.aclose()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


def _speech(dg: FakeDeepgram, tts: FakeCartesia) -> ProviderConfig:
    return ProviderConfig(
        deepgram_api_key=dg.api_key,
        deepgram_base_url=dg.base_url,
        cartesia_api_key=tts.api_key,
        cartesia_base_url=tts.base_url,
        tts_timeout=3.0,
    )
