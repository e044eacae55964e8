"""``voicebot webhooks run|list|show|redeliver|enable``: the dispatcher and the operators' tools."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid

import click
import structlog

from voicebot.errors import ConfigError, VoicebotError
from voicebot.outcomes.config import WebhookSettings
from voicebot.runtime_outcomes import build_outcome_services
from voicebot.settings import Settings
from voicebot.storage import Database, Recorder
from voicebot.storage.repositories.outbox import Outbox

__all__ = ["webhooks"]

STATUSES = ("pending", "delivered", "dead", "disabled")
BACKLOG_SAMPLE_INTERVAL = 15.0
"""Seconds between samples of the outbox for the queue-depth, dead-letter and outbox-age gauges."""

log = structlog.get_logger("voicebot.outcomes")


async def sample_backlog(
    outbox: Outbox, stop: asyncio.Event, interval: float = BACKLOG_SAMPLE_INTERVAL
) -> None:
    """Sample the outbox into the webhook gauges now, then every ``interval`` seconds until ``stop``."""
    from voicebot.observability import metrics

    while True:
        try:
            counts, age = await outbox.backlog()
            metrics.webhook_outbox(counts, age)
        except VoicebotError as exc:
            log.warning("webhook_backlog_sample_failed", error=str(exc))
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


def _uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ConfigError(f"{what} {raw!r} is not a UUID") from None


@click.group("webhooks")
def webhooks() -> None:
    """Webhook delivery: run the dispatcher, inspect and redeliver events."""


@webhooks.command("run")
@click.option("--once", is_flag=True, help="Attempt the events due now, then exit.")
@click.option("--no-reaper", is_flag=True, help="Do not finalize dead calls in this process.")
def run(once: bool, no_reaper: bool) -> None:
    """Deliver due webhooks until SIGTERM / SIGINT (attempts in flight are finished first).

    Several dispatchers may run at once against one database; each attempt is sent by one of them.
    Unless --no-reaper, calls without a heartbeat for VOICEBOT_CALL_HEARTBEAT_TIMEOUT are finalized
    as dropped, ended calls without an outcome are finalized from their journaled decision, and the
    recorder journals left on this host by call processes are replayed.
    """
    hooks = WebhookSettings.from_env()
    settings = Settings.from_env()
    from voicebot.observability import metrics

    metrics.serve(settings.metrics_port)

    async def main() -> None:
        async with await Database.open(settings, min_size=1, max_size=4) as db:
            services = build_outcome_services(db.pool, hooks)
            try:
                if once:
                    if not no_reaper:
                        await services.reaper().sweep()
                        await services.reaper().run_once()
                    attempts = await services.dispatcher().run_once()
                    click.echo(f"{attempts} attempt(s)")
                    return
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(sig, stop.set)
                tasks = [
                    asyncio.create_task(services.dispatcher().run(stop)),
                    asyncio.create_task(sample_backlog(services.outbox, stop)),
                ]
                replayer: Recorder | None = None
                if not no_reaper:
                    tasks.append(asyncio.create_task(services.reaper().run(stop)))
                    # Replays what call processes on this host journaled and left behind (an outage
                    # at hang-up), so the sweeper can finalize those calls without waiting for a call.
                    replayer = Recorder.from_settings(settings, db.pool)
                    await replayer.start()
                    tasks.append(asyncio.create_task(_adopt_journals(replayer, stop, hooks.reaper_interval)))
                try:
                    await asyncio.gather(*tasks)
                finally:
                    if replayer is not None:
                        await replayer.aclose()
                    for sig in (signal.SIGTERM, signal.SIGINT):
                        with contextlib.suppress(Exception):
                            loop.remove_signal_handler(sig)
            finally:
                await services.aclose()

    asyncio.run(main())


async def _adopt_journals(recorder: Recorder, stop: asyncio.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            await recorder.adopt()
        except OSError as exc:
            log.warning("journal_adopt_failed", error=str(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


@webhooks.command("list")
@click.option("--company", "company", default=None, help="Only this company's events (its id).")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only events in this status.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def list_cmd(company: str | None, status: str | None, limit: int) -> None:
    """List webhook events, newest first."""
    company_id = _uuid(company, "company id") if company else None

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            services = build_outcome_services(db.pool, WebhookSettings())
            events = await services.outbox.list(company_id=company_id, status=status, limit=limit)
        for e in events:
            error = f"  {e.last_error}" if e.last_error and e.status != "delivered" else ""
            click.echo(
                f"{e.event_id}  {e.event_type}.v{e.version}  {e.status:9}  attempts={e.attempts}  "
                f"created={e.created_at:%Y-%m-%d %H:%M:%S}  company={e.company_id}{error}"
            )
        if not events:
            click.echo("no webhook events")

    asyncio.run(main())


@webhooks.command("show")
@click.argument("event_id")
def show(event_id: str) -> None:
    """Show one event and its delivery log."""
    eid = _uuid(event_id, "event id")

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            outbox = build_outcome_services(db.pool, WebhookSettings()).outbox
            e = await outbox.get(eid)
            attempts = await outbox.attempts(eid)
        click.echo(f"event:    {e.event_id}  {e.event_type}.v{e.version}")
        click.echo(f"company:  {e.company_id}")
        click.echo(
            f"status:   {e.status} after {e.attempts} attempt(s); next {e.next_attempt_at:%Y-%m-%d %H:%M:%S}"
        )
        if e.last_error:
            click.echo(f"error:    {e.last_error}")
        for a in attempts:
            code = a.status_code if a.status_code is not None else "-"
            took = f"{a.duration_ms:.0f} ms" if a.duration_ms is not None else "-"
            click.echo(f"  #{a.attempt}  {a.attempted_at:%Y-%m-%d %H:%M:%S}  {code}  {took}  {a.error or ''}")

    asyncio.run(main())


@webhooks.command("redeliver")
@click.argument("event_id")
def redeliver(event_id: str) -> None:
    """Send an event again now, with a fresh retry schedule (same event id: receivers deduplicate)."""
    eid = _uuid(event_id, "event id")

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            event = await build_outcome_services(db.pool, WebhookSettings()).outbox.redeliver(eid)
        click.echo(f"{event.event_id} is pending again; a running dispatcher sends it now")

    asyncio.run(main())


@webhooks.command("enable")
@click.argument("company_id")
def enable(company_id: str) -> None:
    """Re-enable a company's endpoint that a 410 response disabled (redeliver its events separately)."""
    cid = _uuid(company_id, "company id")

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            was = await build_outcome_services(db.pool, WebhookSettings()).outbox.enable_endpoint(cid)
        click.echo("endpoint re-enabled" if was else "endpoint was not disabled")

    asyncio.run(main())


@webhooks.command("schemas")
def schemas() -> None:
    """Print the JSON Schemas of every event version (the generated part of docs/webhooks.md)."""
    from voicebot.outcomes.payloads import render_schemas_markdown

    click.echo(render_schemas_markdown())
