"""``voicebot retention run|set``: per-company retention of calls, turns and raw text."""

from __future__ import annotations

import asyncio
import os
import uuid

import click

from voicebot.analysis.config import PipelineSettings
from voicebot.errors import ConfigError
from voicebot.runtime_analysis import build_analysis_services
from voicebot.settings import Settings
from voicebot.storage import Database
from voicebot.storage.retention import check_days

__all__ = ["retention"]


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ConfigError(f"company id {raw!r} is not a UUID") from None


@click.group("retention")
def retention() -> None:
    """Delete old calls, turns and raw text as each company's retention says."""


@retention.command("run")
@click.option(
    "--max-batches", type=click.IntRange(1), default=None, help="Stop after this many batches per kind."
)
def run(max_batches: int | None) -> None:
    """Apply every company's retention now, in batches (safe from cron: one run at a time)."""
    config = PipelineSettings.from_env(os.environ)

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            report = await build_analysis_services(db.pool, config).retention.run(max_batches=max_batches)
        if report.skipped:
            click.echo("another retention run is in progress; nothing done")
            return
        click.echo(
            f"calls deleted: {report.calls_deleted}; turns deleted: {report.turns_deleted} "
            f"(of {report.calls_turns_purged} calls); raw text dropped: {report.raw_dropped_turns} turns "
            f"(of {report.raw_dropped_calls} calls); {report.batches} batches in {report.seconds} s"
        )

    asyncio.run(main())


def _days(value: str | None, what: str) -> int | None:
    if value is None or value.lower() in ("", "forever", "none"):
        return None
    try:
        days = int(value)
    except ValueError:
        raise ConfigError(f"{what} retention {value!r} is not a number of days (or 'forever')") from None
    return check_days(days, what)


@retention.command("set")
@click.argument("company_id")
@click.option("--calls", "calls", default=None, help="Days to keep calls (or 'forever').")
@click.option("--turns", "turns", default=None, help="Days to keep turns (or 'forever').")
def set_cmd(company_id: str, calls: str | None, turns: str | None) -> None:
    """Set how long a company's calls and turns are kept (whole days, 1 or more)."""
    cid = _uuid(company_id)
    calls_days, turns_days = _days(calls, "call"), _days(turns, "turn")

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            await build_analysis_services(db.pool, PipelineSettings()).retention.set(
                cid, calls_days=calls_days, turns_days=turns_days
            )
        click.echo(
            f"retention: calls {calls_days or 'forever'} day(s), turns {turns_days or 'forever'} day(s)"
        )

    asyncio.run(main())
