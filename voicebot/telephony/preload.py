"""What LiveKit's forkserver imports once, before it forks any job process (``VoicebotWorker`` names it).

A job process is a fork of the forkserver, so what is loaded here is shared copy-on-write by every call
instead of being paid by each: voicebot's modules and the plugins a call uses, Silero VAD, the
offline embedder (when the settings select it) and the active bots' compiled scenarios (when
``DATABASE_URL`` is set; a bot deployed later is compiled by its first call's process). livekit's own
``_preload_freeze`` runs after this module
and ``gc.freeze()``-s everything loaded, so the job's collector does not touch (and copy) those pages.

Nothing here may fail the forkserver: a step that fails is logged and skipped, and the job then loads
what it needs itself (the first real use reports a proper error).
"""

from __future__ import annotations

import importlib
import time
from typing import Any

import structlog

__all__ = ["MODULES", "preloaded_vad", "warm_job_process"]

log = structlog.get_logger("voicebot.telephony")

MODULES = (
    "voicebot.runtime",
    "voicebot.runtime_outcomes",
    "voicebot.telephony.answer",
    "voicebot.telephony.bridge",
    "voicebot.telephony.session",
    "voicebot.telephony.worker",
    "voicebot.knowledge",
    "voicebot.knowledge.snapshot",
    "voicebot.knowledge.store",
    "qdrant_client.local.qdrant_local",  # a call's snapshot opens local mode: 0.85 s to import
    "portalocker",
    "voicebot.storage",
    "voicebot.outcomes.config",
    "voicebot.observability",
    "voicebot.scenario",
    "voicebot.dialogue",
    "livekit.plugins.silero",
    "livekit.plugins.deepgram",
    "livekit.plugins.cartesia",
    "livekit.plugins.openai",
    "numpy",
)
"""Imported in the forkserver: about 0.35 s a job process no longer spends importing."""

_vad: Any = None


def preloaded_vad() -> Any:
    """Silero VAD loaded in the forkserver (None when this module ran nowhere, or the load failed)."""
    return _vad


def warm_job_process() -> None:
    """In a job process before its job (the worker's prewarm, off the call's path): this process's first
    embedding and first matrix product. A forked process's first inference costs 50-60 ms even with the
    model loaded in the forkserver (per-process runtime state); after this the call's first knowledge
    query costs what its tenth does (docs/performance.md, "First knowledge query")."""
    _step("job_embedder", _embedder)
    _step("job_numpy", _numpy)


def _numpy() -> None:
    import numpy as np

    matrix = np.ones((8, 384), dtype=np.float32)
    (matrix @ np.ones(384, dtype=np.float32)).argmax()


def _step(name: str, fn: Any) -> None:
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # never fail the forkserver: the job loads it itself
        log.warning("preload_failed", step=name, error_class=type(exc).__name__)
        return
    log.debug("preloaded", step=name, elapsed_ms=round((time.perf_counter() - started) * 1000, 1))


def _modules() -> None:
    for name in MODULES:
        importlib.import_module(name)


def _load_vad() -> None:
    global _vad
    from voicebot.telephony.session import load_vad

    _vad = load_vad()


def _embedder() -> None:
    """The offline embedder's model, loaded and run once (the first query of a call is then warm)."""
    from voicebot.knowledge import embedder_from_settings
    from voicebot.knowledge.embedders import MiniLMEmbedder
    from voicebot.settings import Settings

    embedder = embedder_from_settings(Settings.from_env())
    if isinstance(embedder, MiniLMEmbedder):
        embedder.embed(["warm up the offline embedder"])


def _scenarios() -> None:
    """The active bots' scenarios, compiled into the process cache (only with DATABASE_URL set)."""
    from voicebot.settings import Settings

    url = Settings.from_env().database_url
    if url:
        count = precompile(url)
        log.info("scenarios_precompiled", count=count)


def precompile(database_url: str) -> int:
    """Compile every active bot's current scenario into ``PROCESS_COMPILED``; returns how many.

    One short connection, closed (and its event loop with it) before this process forks any job."""
    import asyncio

    from voicebot.storage.repositories.bots import fetch_active_scenarios
    from voicebot.telephony.answer import PROCESS_COMPILED, compile_bot

    rows = asyncio.run(fetch_active_scenarios(database_url))
    for bot_id, sha256, source in rows:
        try:
            compile_bot(PROCESS_COMPILED, sha256, source, f"<bot {bot_id}>")
        except Exception as exc:  # a bad stored source: that bot's call reports it, the rest preload
            log.warning("preload_failed", step="scenario", error_class=type(exc).__name__)
    return len(rows)


def run() -> None:
    _step("modules", _modules)
    _step("vad", _load_vad)
    _step("embedder", _embedder)
    _step("scenarios", _scenarios)


run()
