"""``voicebot bot deploy|list``: put a scenario on a phone number; every change is a new scenario version.

Everything is checked before the database is touched: the phone number (E.164), the company id and the
scenario (the checker's problems, file:line:col). A deploy is one transaction: nothing half-written.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from voicebot.settings import Settings
from voicebot.storage import Database, normalize_phone
from voicebot.storage.repositories.companies import parse_company_id

__all__ = ["bot"]


@click.group("bot")
def bot() -> None:
    """Bots: scenarios deployed on phone numbers."""


@bot.command("deploy")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--company", "company_id", required=True, help="Company id (from `voicebot company create`).")
@click.option("--phone", required=True, help="The number callers dial, in E.164 form: +14155550100.")
@click.option("--replay", "replay_since", help="First replay the bot's calls of this span (7d) on SCENARIO.")
@click.option("--warn-only", is_flag=True, help="With --replay: deploy even if calls now fail (warn).")
def deploy(scenario: Path, company_id: str, phone: str, replay_since: str | None, warn_only: bool) -> None:
    """Validate SCENARIO and create or update the company's bot on PHONE; print the bot id.

    With --replay 7d the bot's recorded calls of the last 7 days are replayed on SCENARIO first
    (`voicebot replay`): a deploy that would make calls fail is refused (exit 1) unless --warn-only;
    the replay's result is kept with the new version."""
    from voicebot.scenario.loader import load_file

    number = normalize_phone(phone)
    company = parse_company_id(company_id)
    loaded = load_file(scenario)
    if replay_since is not None:
        _gated_deploy(scenario, company, number, loaded, replay_since, warn_only)
        return

    async def run() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            result = await db.bots.deploy(company, number, loaded)
        what = "created" if result.created else "updated"
        version = f"version {result.version}" + ("" if result.changed else " (unchanged)")
        click.echo(f"bot {result.bot_id} {what}: {loaded.scenario.bot.id} on {number}, scenario {version}")

    asyncio.run(run())


def _gated_deploy(
    scenario: Path, company: Any, number: str, loaded: Any, replay_since: str, warn_only: bool
) -> None:
    from voicebot.runtime_replay import default_expectations, deploy_with_replay, parse_since

    settings = Settings.from_env()
    since = parse_since(replay_since)

    async def run() -> Any:
        async with await Database.open(settings, min_size=1, max_size=2) as db:
            return await deploy_with_replay(
                db.pool,
                company,
                number,
                loaded,
                since=since,
                warn_only=warn_only,
                settings=settings,
                scenario_path=scenario,
                expectations=default_expectations(scenario),
            )

    gated = asyncio.run(run())
    if gated.report is not None:
        click.echo(gated.report.text())
    else:
        click.echo("a new bot: no recorded calls to replay")
    if gated.refused:
        click.echo(
            f"deploy refused: {gated.report.regressions} replayed calls now fail (--warn-only deploys)",
            err=True,
        )
        raise SystemExit(1)
    if gated.report is not None and gated.report.regressions:
        click.echo(f"warning: deployed although {gated.report.regressions} replayed calls now fail", err=True)
    result = gated.deployed
    what = "created" if result.created else "updated"
    version = f"version {result.version}" + ("" if result.changed else " (unchanged)")
    click.echo(f"bot {result.bot_id} {what}: {loaded.scenario.bot.id} on {number}, scenario {version}")


@bot.command("list")
@click.option("--company", "company_id", default=None, help="Only this company's bots.")
def list_cmd(company_id: str | None) -> None:
    """List bots with their phone number and current scenario version."""
    company = parse_company_id(company_id) if company_id else None

    async def run() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            bots = await db.bots.list(company)
        for b in bots:
            state = "active" if b.is_active else "inactive"
            click.echo(
                f"{b.id}  {b.phone_number:16}  v{b.version or 0:<3} {state:8}  {b.slug}  ({b.company_id})"
            )
        if not bots:
            click.echo("no bots yet: voicebot bot deploy SCENARIO.yaml --company ID --phone +NUMBER")

    asyncio.run(run())
