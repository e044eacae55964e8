"""The composition root: the one place that opens clients and wires services together.

Offline tools (``voicebot chat``, ``voicebot test``, benchmarks) use :func:`load_offline_bot`: a scenario
compiled once per process, the pure engine, and an in-memory knowledge base built from the bot's
documents when there are any. The database- and LiveKit-backed services are built here too, as their
packages land.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voicebot.dialogue import Answerer, Engine, Retriever, compile_scenario
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.scenario import LoadedScenario, load_file
from voicebot.settings import Settings

if TYPE_CHECKING:
    from voicebot.telephony.session import ProviderConfig
    from voicebot.telephony.worker import ProcessResources

__all__ = [
    "OfflineBot",
    "compiled_for",
    "knowledge_dir_for",
    "load_offline_bot",
    "open_worker_resources",
    "provider_config",
]

_COMPILED: dict[str, CompiledScenario] = {}


def compiled_for(loaded: LoadedScenario) -> CompiledScenario:
    """The compiled scenario for this exact source (cached per process by content hash)."""
    compiled = _COMPILED.get(loaded.sha256)
    if compiled is None:
        compiled = compile_scenario(loaded.scenario)
        _COMPILED[loaded.sha256] = compiled
    return compiled


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


async def open_worker_resources(settings: Settings) -> ProcessResources:
    """What one worker process shares between its calls: a small pool, the bot lookup, the recorder.

    Opened on the process's first job; closed when the process exits (the recorder journals anything it
    could not write, so nothing recorded is lost)."""
    from voicebot.observability import configure_logging
    from voicebot.observability.metrics import RecorderPrometheusMetrics, recorder_backlog
    from voicebot.storage import Database, Journal, PostgresSink, Recorder
    from voicebot.telephony.worker import ProcessResources

    provider_config(settings).require_speech()
    configure_logging(level=settings.log_level, fmt=settings.log_format)  # job processes start fresh
    db = await Database.open(settings, min_size=1, max_size=min(2, settings.db_pool_max))
    recorder = Recorder(
        sink=PostgresSink(db.pool),
        journal=Journal(settings.data_dir / "journal"),
        buffer_max=settings.recorder_buffer_max,
        flush_interval=settings.recorder_flush_interval,
        metrics=RecorderPrometheusMetrics(),
    )
    await recorder.start()

    async def flush() -> bool:
        recorder_backlog(recorder.buffered)
        ok = await recorder.flush(timeout=10.0)
        recorder_backlog(recorder.buffered)
        return ok

    return ProcessResources(
        bots=db.bots, record=recorder.record, providers=provider_config(settings), vad=None, flush=flush
    )
