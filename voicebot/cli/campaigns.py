"""``voicebot campaigns run|create|start|pause|resume|stop|list|show``: outbound campaigns.

``run`` is the campaign dispatcher: any number of instances drain the ``campaign_call`` queue together
(max concurrent calls per campaign is counted in Postgres). The other commands manage a company's
campaigns like the API does (``--company ID``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from voicebot.errors import ConfigError
from voicebot.settings import Settings

__all__ = ["campaigns"]

T = TypeVar("T")


def _uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ConfigError(f"{what} {raw!r} is not a UUID") from None


def _instant(raw: str | None, what: str) -> dt.datetime | None:
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{what} {raw!r} is not an ISO 8601 time, e.g. 2026-03-02T09:00:00+01:00") from None
    if value.tzinfo is None:
        raise ConfigError(f"{what} {raw!r} needs a time zone, e.g. 2026-03-02T09:00:00Z")
    return value


def _with_service(fn: Callable[[Any], Awaitable[T]]) -> T:
    async def main() -> T:
        from voicebot.runtime_campaigns import CampaignService
        from voicebot.storage import Database

        async with await Database.open(Settings.from_env(), min_size=1, max_size=2) as db:
            return await fn(CampaignService(db.pool))

    return asyncio.run(main())


@click.group("campaigns")
def campaigns() -> None:
    """Outbound campaigns: run the dispatcher; create, start, pause, resume, stop, inspect."""


@campaigns.command("run")
@click.option("--once", is_flag=True, help="Handle the attempts due now, then exit.")
def run(once: bool) -> None:
    """Place campaign calls until SIGTERM / SIGINT (dials in flight are settled first).

    Needs LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET and an outbound trunk
    (LIVEKIT_SIP_OUTBOUND_TRUNK or the campaign's). Run as many instances as you like.
    """
    from voicebot.campaigns.config import CampaignSettings
    from voicebot.observability import configure_logging, metrics
    from voicebot.runtime_campaigns import campaign_dispatcher, livekit_dialer
    from voicebot.storage import Database

    settings = Settings.from_env()
    cfg = CampaignSettings.from_env()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    metrics.serve(settings.metrics_port)

    async def main() -> None:
        async with (
            await Database.open(settings, min_size=1, max_size=4) as db,
            livekit_dialer(settings, cfg) as dialer,
        ):
            dispatcher = campaign_dispatcher(db.pool, dialer, cfg)
            if once:
                click.echo(f"{await dispatcher.run_until_idle()} attempt job(s)")
                return
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(dispatcher.stop()))
            try:
                await dispatcher.run()
            finally:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    with contextlib.suppress(Exception):
                        loop.remove_signal_handler(sig)

    asyncio.run(main())


@campaigns.command("create")
@click.option("--company", "company", required=True, help="The company's id.")
@click.option("--bot", "bot", required=True, help="The bot's UUID (voicebot bot list).")
@click.option("--name", required=True)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Numbers: a header row with phone, optional timezone, and variable columns.",
)
@click.option("--hours", default="09:00-20:00", show_default=True, help="Daily window, callee's local time.")
@click.option("--days", default="all", show_default=True, help="e.g. mon-fri or mon,wed,fri.")
@click.option("--timezone", "default_timezone", default=None, help="Default time zone of the numbers.")
@click.option("--starts-at", default=None, help="Not before (ISO 8601 with zone).")
@click.option("--ends-at", default=None, help="Not after (ISO 8601 with zone).")
@click.option("--max-concurrent", type=click.IntRange(1, 1000), default=5, show_default=True)
@click.option("--max-attempts", type=click.IntRange(1, 20), default=3, show_default=True)
@click.option("--retry-on", default="busy,no_answer,failed", show_default=True)
@click.option(
    "--retry-delays", default="300,1800,7200", show_default=True, help="Seconds after attempt 1, 2..."
)
@click.option("--trunk", default=None, help="Outbound SIP trunk (default LIVEKIT_SIP_OUTBOUND_TRUNK).")
@click.option("--start", "start_now", is_flag=True, help="Start it at once.")
def create(
    company: str,
    bot: str,
    name: str,
    csv_path: Path,
    hours: str,
    days: str,
    default_timezone: str | None,
    starts_at: str | None,
    ends_at: str | None,
    max_concurrent: int,
    max_attempts: int,
    retry_on: str,
    retry_delays: str,
    trunk: str | None,
    start_now: bool,
) -> None:
    """Create a campaign from a CSV; every bad row is listed (row, column, reason) and nothing is made."""
    from voicebot.campaigns import CallingWindow, RetryPolicy
    from voicebot.campaigns.spec import CampaignInputError, CampaignSpec
    from voicebot.campaigns.windows import parse_days, parse_hours

    start, end = parse_hours(hours)
    try:
        delays = tuple(int(d) for d in retry_delays.split(",") if d.strip())
    except ValueError:
        raise ConfigError(f"--retry-delays {retry_delays!r} must be seconds separated by commas") from None
    spec = CampaignSpec(
        bot_id=_uuid(bot, "bot"),
        name=name,
        window=CallingWindow(
            start=start,
            end=end,
            days=parse_days(days),
            starts_at=_instant(starts_at, "--starts-at"),
            ends_at=_instant(ends_at, "--ends-at"),
        ),
        default_timezone=default_timezone,
        max_concurrent=max_concurrent,
        policy=RetryPolicy(
            max_attempts=max_attempts,
            retry_on=tuple(s.strip() for s in retry_on.split(",") if s.strip()),
            delays=delays,
        ),
        trunk_id=trunk,
    )
    company_id = _uuid(company, "company")
    data = csv_path.read_bytes()

    async def go(service: Any) -> Any:
        info = await service.create(company_id, spec, csv_data=data)
        if start_now:
            info = await service.start(company_id, info.id)
        return info

    try:
        info = _with_service(go)
    except CampaignInputError as exc:
        for e in exc.errors:
            click.echo(f"{csv_path}: {e}", err=True)
        if exc.error_count > len(exc.errors):
            click.echo(f"... and {exc.error_count - len(exc.errors)} more", err=True)
        raise ConfigError(f"{exc.error_count} bad row(s): no campaign was created") from None
    click.echo(f"campaign {info.id}  {info.status}  {info.number_count} numbers")


def _transition(verb: str) -> click.Command:
    @click.command(verb)
    @click.argument("campaign")
    @click.option("--company", "company", required=True, help="The company's id.")
    def command(campaign: str, company: str) -> None:
        campaign_id, company_id = _uuid(campaign, "campaign"), _uuid(company, "company")

        async def go(service: Any) -> Any:
            return await getattr(service, verb)(company_id, campaign_id)

        info = _with_service(go)
        click.echo(f"campaign {info.id}  {info.status}")

    command.help = {
        "start": "Start a draft campaign: every number's first attempt is queued at its window.",
        "pause": "Pause: no new dial starts (calls in progress go on).",
        "resume": "Resume a paused campaign.",
        "stop": "Stop for good: pending numbers are cancelled.",
    }[verb]
    return command


for _verb in ("start", "pause", "resume", "stop"):
    campaigns.add_command(_transition(_verb))


@campaigns.command("list")
@click.option("--company", "company", required=True, help="The company's id.")
def list_cmd(company: str) -> None:
    """The company's campaigns, newest first."""
    company_id = _uuid(company, "company")

    async def go(service: Any) -> Any:
        return await service.campaigns.list(company_id)

    rows = _with_service(go)
    for c in rows:
        click.echo(f"{c.id}  {c.status:9}  {c.number_count:7} numbers  {c.name}")
    if not rows:
        click.echo("no campaigns yet: voicebot campaigns create --company ID --bot ID --name N --csv FILE")


@campaigns.command("show")
@click.argument("campaign")
@click.option("--company", "company", required=True, help="The company's id.")
def show(campaign: str, company: str) -> None:
    """Progress: numbers by status, attempts by SIP status, live calls, outcome mix."""
    campaign_id, company_id = _uuid(campaign, "campaign"), _uuid(company, "company")

    async def go(service: Any) -> Any:
        return await service.campaigns.get(company_id, campaign_id), await service.progress(
            company_id, campaign_id
        )

    info, progress = _with_service(go)
    click.echo(f"campaign {info.id}  {info.status}  {info.name}")
    for title, counts in (
        ("numbers", progress.numbers),
        ("attempts", progress.attempts),
        ("outcomes", progress.outcomes),
    ):
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-"
        click.echo(f"{title:9} {shown}")
    click.echo(f"live      {progress.live} (max {info.max_concurrent})")
