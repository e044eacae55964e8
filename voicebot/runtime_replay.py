"""Composition of replay, export and replay-gated deploys: storage reads in, the pure replay core, out.

``voicebot replay``, ``voicebot bot deploy --replay`` and the API's replay endpoints call these. A
replay reads the call tables through :class:`~voicebot.storage.repositories.recordings.Recordings` and
writes nothing but a kept result (``scenario_version_replays``) when a deploy asks for one. The LLM is
used only when ``live_llm`` is asked for; knowledge runs live only with ``live_knowledge`` (the bot's
documents by convention beside the scenario, as ``voicebot chat`` and ``voicebot test`` find them).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from voicebot.errors import ConfigError
from voicebot.replay import Expectations, Replayer, ReplayReport, recorded_call, replay_calls
from voicebot.replay.recorded import RecordedCall
from voicebot.runtime import compiled_for, configured_llm, load_offline_bot
from voicebot.scenario import LoadedScenario
from voicebot.settings import Settings

__all__ = [
    "GatedDeploy",
    "ReplayOptions",
    "default_expectations",
    "deploy_with_replay",
    "export_call",
    "load_expectations",
    "parse_since",
    "replay_bot",
    "replay_loaded",
]

_SPAN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` before now, or an ISO date/time (UTC if naive)."""
    now = now or dt.datetime.now(dt.UTC)
    match = _SPAN.match(text)
    if match:
        return now - dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--since {text!r}: give a span like 7d, 12h, 30m, 2w or an ISO date") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def load_expectations(path: Path) -> Expectations:
    """A declared-expectations file (docs/testing.md, "Replay"); a broken one is a ConfigError."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Expectations.model_validate(raw)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None


def default_expectations(scenario_path: Path) -> Expectations | None:
    """``<scenario>.replay.yaml`` beside the scenario, when there is one."""
    candidate = scenario_path.with_name(scenario_path.name.removesuffix(".yaml") + ".replay.yaml")
    return load_expectations(candidate) if candidate.is_file() else None


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    since: dt.datetime | None = None
    call_ids: Sequence[uuid.UUID] = ()
    live_knowledge: bool = False
    live_llm: bool = False
    expectations: Expectations | None = None


def _replayer(
    loaded: LoadedScenario, options: ReplayOptions, settings: Settings, scenario_path: Path | None
) -> Replayer:
    compiled = compiled_for(loaded)
    retriever = answerer = None
    if options.live_knowledge:
        if scenario_path is None:
            raise ConfigError("live knowledge needs the scenario's file (its documents are found beside it)")
        bot = load_offline_bot(scenario_path)
        retriever, answerer = bot.retriever, bot.answerer
    llm = None
    if options.live_llm:
        llm = configured_llm(settings, loaded.scenario)
        if llm is None:
            raise ConfigError("--live-llm needs OPENAI_API_KEY")
    return Replayer(compiled, bot_id=loaded.scenario.bot.id, retriever=retriever, answerer=answerer, llm=llm)


async def _recorded(recordings: Any, ids: Sequence[uuid.UUID]) -> AsyncIterator[RecordedCall]:
    async for rec in recordings.calls(ids):
        yield recorded_call(rec)


async def replay_loaded(
    pool: Any,
    bot_id: uuid.UUID,
    loaded: LoadedScenario,
    options: ReplayOptions,
    *,
    settings: Settings,
    scenario_path: Path | None = None,
    label: str | None = None,
) -> ReplayReport:
    """Replay the bot's recorded calls (``options.call_ids``, else those since ``options.since``)."""
    from voicebot.storage.repositories.recordings import Recordings

    recordings = Recordings(pool)
    ids = list(options.call_ids) or await recordings.call_ids(bot_id, since=options.since)
    replayer = _replayer(loaded, options, settings, scenario_path)
    return await replay_calls(
        replayer,
        _recorded(recordings, ids),
        scenario=label or str(scenario_path or loaded.scenario.bot.id),
        expectations=options.expectations,
    )


async def replay_bot(
    settings: Settings, bot_ref: str, loaded: LoadedScenario, options: ReplayOptions, scenario_path: Path
) -> ReplayReport:
    """``voicebot replay``: open the database, find the bot, replay; writes nothing."""
    from voicebot.storage import Database
    from voicebot.storage.repositories.recordings import Recordings

    async with await Database.open(settings, min_size=1, max_size=2) as db:
        bot = await Recordings(db.pool).bot(bot_ref)
        report = await replay_loaded(
            db.pool, bot.id, loaded, options, settings=settings, scenario_path=scenario_path
        )
        report.version = bot.version
        return report


async def export_call(settings: Settings, call_id: uuid.UUID, scenario_path: Path | None) -> str:
    """``voicebot replay --export-test``: one recorded call as a test file (the text). ``scenario_path``:
    the scenario the test runs against (default: the version the call was recorded under is loaded only
    to know its slots; the test file then names no scenario and is expected beside ``<bot>.yaml``)."""
    from voicebot.errors import NotFoundError
    from voicebot.replay.export import export_test
    from voicebot.scenario import load_file, load_text
    from voicebot.storage import Database
    from voicebot.storage.repositories.recordings import Recordings

    async with await Database.open(settings, min_size=1, max_size=2) as db:
        found = [rec async for rec in Recordings(db.pool).calls([call_id])]
        if not found:
            raise NotFoundError(f"no call with id {call_id}")
        if scenario_path is not None:
            loaded = load_file(scenario_path)
        else:
            source = await db.pool.fetchval(
                "SELECT v.source FROM calls c JOIN scenario_versions v ON v.id = c.scenario_version_id"
                " WHERE c.id = $1",
                call_id,
            )
            if source is None:
                raise ConfigError("the call's scenario version is not kept: give --scenario FILE")
            loaded = load_text(source, "recorded.yaml")
    return export_test(
        recorded_call(found[0]),
        compiled_for(loaded),
        scenario=scenario_path.name if scenario_path is not None else None,
    )


@dataclass(frozen=True, slots=True)
class GatedDeploy:
    report: ReplayReport | None
    """None: the bot is new (nothing recorded to replay)."""
    deployed: Any  # voicebot.storage.DeployResult, or None when refused
    refused: bool


async def deploy_with_replay(
    pool: Any,
    company_id: uuid.UUID,
    phone: str,
    loaded: LoadedScenario,
    *,
    since: dt.datetime,
    warn_only: bool,
    settings: Settings,
    scenario_path: Path | None = None,
    expectations: Expectations | None = None,
    activate: bool = True,
) -> GatedDeploy:
    """Replay the bot's calls since ``since`` against ``loaded``; deploy unless it shows regressions
    (``warn_only``: deploy anyway). The result is kept with the new version (``forced`` if it had
    regressions). A refused deploy writes nothing."""
    from voicebot.storage import Bots
    from voicebot.storage.repositories.recordings import ReplayResults

    slug = loaded.scenario.bot.id
    bot_id = await pool.fetchval("SELECT id FROM bots WHERE company_id = $1 AND slug = $2", company_id, slug)
    report = None
    if bot_id is not None:
        options = ReplayOptions(since=since, expectations=expectations)
        report = await replay_loaded(
            pool, bot_id, loaded, options, settings=settings, scenario_path=scenario_path
        )
        if report.regressions and not warn_only:
            return GatedDeploy(report, None, True)
    result = await Bots(pool).deploy(company_id, phone, loaded, activate=activate)
    if report is not None:
        report.version = result.version
        await ReplayResults(pool).save(
            bot_id=result.bot_id,
            version_id=result.version_id,
            since=since,
            counts=report.counts(),
            forced=bool(report.regressions),
            report=report.to_json(),
        )
    return GatedDeploy(report, result, False)
