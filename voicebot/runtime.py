"""The composition root: the one place that opens clients and wires services together.

Offline tools (``voicebot chat``, ``voicebot test``, benchmarks) use :func:`load_offline_bot`: a scenario
compiled once per process, the pure engine, and an in-memory knowledge base built from the bot's
documents when there are any. The database- and LiveKit-backed services are built here too, as their
packages land.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voicebot.dialogue import Answerer, Engine, Retriever, compile_scenario
from voicebot.dialogue.compiled import CompiledScenario
from voicebot.scenario import LoadedScenario, load_file

__all__ = ["OfflineBot", "compiled_for", "knowledge_dir_for", "load_offline_bot"]

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
