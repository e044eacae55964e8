"""The composition root: the one place that opens clients and wires services together.

Offline tools (``voicebot chat``, ``voicebot test``, benchmarks) use :func:`load_offline_bot`: a scenario
compiled once per process, the pure engine, and an in-memory knowledge base built from the bot's
documents when there are any. The database- and LiveKit-backed services are built here too, as their
packages land.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voicebot.dialogue import LLM, Answerer, Engine, Passage, Retriever
from voicebot.dialogue.compiled import CompiledCache, CompiledScenario
from voicebot.scenario import LoadedScenario, Scenario, load_file
from voicebot.settings import Settings

if TYPE_CHECKING:
    from voicebot.dialogue.actions import CallFinished
    from voicebot.outcomes.finalize import FinalizedLike, Finalizer
    from voicebot.telephony.answer import CallOutcome, CallServices
    from voicebot.telephony.session import ProviderConfig

CloseFn = Callable[[], Awaitable[None]]

__all__ = [
    "OfflineBot",
    "compiled_for",
    "configured_llm",
    "extractive_answerer",
    "finalize_calls_with",
    "knowledge_dir_for",
    "load_offline_bot",
    "open_call_services",
    "provider_config",
]

_COMPILED = CompiledCache()


def compiled_for(loaded: LoadedScenario) -> CompiledScenario:
    """The compiled scenario for this exact source (cached per process by content hash)."""
    return _COMPILED.get(loaded.sha256, lambda: loaded.scenario)


@dataclass(frozen=True)
class OfflineBot:
    """A bot ready to talk without keys, network or database."""

    bot_id: str
    loaded: LoadedScenario
    engine: Engine
    retriever: Retriever | None
    answerer: Answerer | None


def knowledge_dir_for(scenario_path: Path, bot_id: str) -> Path | None:
    """``<scenario folder>/<bot id>/knowledge/`` when it exists: the bot's documents by convention."""
    candidate = scenario_path.parent / bot_id / "knowledge"
    return candidate if candidate.is_dir() else None


def load_offline_bot(scenario_path: Path, *, knowledge_dir: Path | None = None) -> OfflineBot:
    """Load, check and compile a scenario; raises ScenarioError with every problem if it is invalid."""
    loaded = load_file(scenario_path)
    bot_id = loaded.scenario.bot.id
    compiled = compiled_for(loaded)
    retriever: Retriever | None = None
    answerer: Answerer | None = None
    docs = knowledge_dir or knowledge_dir_for(scenario_path, bot_id)
    if docs is not None:
        from voicebot.knowledge.offline import offline_knowledge

        retriever, answerer = offline_knowledge(bot_id, docs)
    return OfflineBot(bot_id, loaded, Engine(compiled), retriever, answerer)


# --------------------------------------------------------------------------- telephony (LiveKit workers)


def provider_config(settings: Settings, env: Mapping[str, str] | None = None) -> ProviderConfig:
    """Keys and endpoints of the speech and language providers. ``DEEPGRAM_BASE_URL`` and
    ``CARTESIA_BASE_URL`` (read here, beside the keys in settings) point the plugins at a proxy or a fake."""
    from voicebot.telephony.session import ProviderConfig

    env = os.environ if env is None else env
    return ProviderConfig(
        deepgram_api_key=settings.deepgram_api_key,
        deepgram_base_url=env.get("DEEPGRAM_BASE_URL") or None,
        cartesia_api_key=settings.cartesia_api_key,
        cartesia_base_url=env.get("CARTESIA_BASE_URL") or None,
        openai_api_key=settings.openai_api_key,
        openai_base_url=settings.openai_base_url,
    )


def configured_llm(settings: Settings, scenario: Scenario) -> LLM | None:
    """The bot's LLM (its provider settings, OPENAI_API_KEY / OPENAI_BASE_URL), or None without a key.

    Used by the terminal tools so `voicebot chat` behaves like a phone call of the same bot: with a key,
    LLM states and LLM understanding work; without one, everything stays offline and deterministic."""
    from voicebot.telephony.llm import LivekitLLM
    from voicebot.telephony.session import openai_llm

    config = provider_config(settings)
    model = openai_llm(scenario.bot.providers, config)
    return LivekitLLM(model, timeout=config.llm_timeout) if model is not None else None


def extractive_answerer(question: str, passages: Sequence[Passage], max_sentences: int, lang: str) -> str:
    """The dialogue's Answerer with no LLM: the passages' best sentences (knowledge.spoken_answer)."""
    from voicebot.knowledge.answer import spoken_answer

    return spoken_answer(question, passages, max_sentences, lang)


def finalize_calls_with(
    finalizer: Finalizer,
) -> Callable[[CallFinished, CallOutcome], Awaitable[FinalizedLike]]:
    """The telephony hook that writes a finished call's outcome and webhooks (outcomes.Finalizer)."""
    from voicebot.outcomes.finalize import CallFacts
    from voicebot.outcomes.payloads import TranscriptEntry

    async def finalize(finished: CallFinished, call: CallOutcome) -> FinalizedLike:
        if call.info is None or call.scenario is None or call.started_at is None:
            raise ValueError("only an answered call (with its info, scenario and start) can be finalized")
        i = call.info
        facts = CallFacts.for_scenario(
            call.scenario.scenario,
            call_id=i.call_id,
            bot_id=i.bot_id,
            started_at=call.started_at,
            direction=i.direction,
            caller_number=i.caller_number,
            dialed_number=i.dialed_number,
            scenario_version_id=i.scenario_version_id,
        )
        transcript = [TranscriptEntry(role=r, text=t, at=at) for r, t, at in call.transcript]  # type: ignore[arg-type]
        return await finalizer.finalize(finished, facts, transcript)

    return finalize


def consult_voice_for(settings: Settings, config: ProviderConfig, vad_model: Any) -> Any:
    """The warm-transfer consult voice: the bot joins the consult room to speak the brief (None without
    LiveKit credentials)."""
    if not (settings.livekit_url and settings.livekit_api_key and settings.livekit_api_secret):
        return None
    from voicebot.telephony.consult import open_room_consult_voice
    from voicebot.telephony.session import audio_session

    return open_room_consult_voice(
        url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret,
        new_session=lambda providers, lang: audio_session(providers, lang, config, vad_model=vad_model),
    )


async def open_call_services(settings: Settings, *, vad: Any = None) -> tuple[CallServices, CloseFn]:
    """What one call (one LiveKit job process) needs: a small pool, the bot lookup, the recorder, the bot's
    knowledge (a Qdrant server, or a snapshot of the local directory taken while the greeting plays), the
    LLM when configured, and the outcome finalizer. Returns the services and their closer (flush, close).

    LiveKit runs one job per process, so this is opened per call, inside the job's event loop."""
    from voicebot.knowledge import embedder_from_settings, open_call_retriever
    from voicebot.observability import configure_logging
    from voicebot.observability.metrics import RecorderPrometheusMetrics, recorder_backlog
    from voicebot.outcomes.config import WebhookSettings
    from voicebot.runtime_actions import build_action_registry
    from voicebot.runtime_outcomes import build_outcome_services
    from voicebot.storage import Database, Journal, PostgresSink, Recorder
    from voicebot.telephony.answer import CallServices
    from voicebot.telephony.session import audio_session, load_vad, openai_llm

    config = provider_config(settings)
    config.require_speech()
    configure_logging(level=settings.log_level, fmt=settings.log_format)  # job processes start fresh
    # Lazy: a call that starts while Postgres is down is answered; its records go to the journal.
    db = await Database.open(settings, max_size=min(2, settings.db_pool_max), lazy=True)
    db.bots.snapshot_dir = settings.data_dir / "bots"  # the bot as last seen answers during an outage
    webhook_settings = WebhookSettings.from_env()
    recorder = Recorder(
        sink=PostgresSink(db.pool),
        journal=Journal(settings.data_dir / "journal"),
        buffer_max=settings.recorder_buffer_max,
        flush_interval=settings.recorder_flush_interval,
        heartbeat_interval=min(10.0, webhook_settings.heartbeat_timeout / 4),
        metrics=RecorderPrometheusMetrics(),
    )
    await recorder.start()
    outcomes = build_outcome_services(db.pool, webhook_settings)
    actions, close_actions = build_action_registry(db.pool)
    vad_model = vad if vad is not None else load_vad()
    embedder = embedder_from_settings(settings)

    async def flush() -> bool:
        recorder_backlog(recorder.buffered)
        ok = await recorder.flush(timeout=10.0)
        recorder_backlog(recorder.buffered)
        return ok

    async def close() -> None:
        try:
            await recorder.aclose(timeout=10.0)  # writes what is left, journals the rest
        finally:
            await close_actions()
            await outcomes.aclose()
            await db.close()

    services = CallServices(
        bots=db.bots,
        record=recorder.record,
        new_session=lambda providers, lang: audio_session(providers, lang, config, vad_model=vad_model),
        flush=flush,
        llm_model=lambda providers: openai_llm(providers, config),
        llm_timeout=config.llm_timeout,
        knowledge=lambda bot_id: open_call_retriever(settings, bot_id, embedder=embedder),
        answerer=extractive_answerer,
        finalize=finalize_calls_with(outcomes.finalizer),
        actions=actions,
        sip_outbound_trunk=settings.livekit_sip_outbound_trunk,
        consult_voice=consult_voice_for(settings, config, vad_model),
    )
    return services, close
