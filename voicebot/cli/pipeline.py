"""``voicebot pipeline run|status`` and ``voicebot privacy set|show``, ``voicebot analysis-config set``:
the post-call pipeline's workers and what companies configure for it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import uuid

import click

from voicebot.analysis.config import PipelineSettings, check_layer
from voicebot.analysis.pipeline import POST_CALL_QUEUE
from voicebot.analysis.recognizers import RECOGNIZERS
from voicebot.analysis.redaction import MODES, PrivacyPolicy
from voicebot.errors import ConfigError
from voicebot.runtime_analysis import build_analysis_services
from voicebot.settings import Settings
from voicebot.storage import Database

__all__ = ["analysis_config", "pipeline", "privacy"]


def _uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ConfigError(f"{what} {raw!r} is not a UUID") from None


@click.group("pipeline")
def pipeline() -> None:
    """The post-call pipeline: redaction, cleaned transcripts, analysis, the call.analyzed webhook."""


@pipeline.command("run")
@click.option("--once", is_flag=True, help="Handle the jobs due now, then exit.")
@click.option(
    "--worker", "worker_id", default=None, help="Worker id kept on claimed jobs (default host:pid)."
)
def run(once: bool, worker_id: str | None) -> None:
    """Drain the post_call queue until SIGTERM / SIGINT (jobs in flight are finished first).

    Any number of these may run against one database: each job is leased to one worker at a time, and
    a dead worker's job is claimed again when its lease ends.
    """
    settings = Settings.from_env()
    config = PipelineSettings.from_env(os.environ)
    if not once:
        from voicebot.observability import metrics

        metrics.serve(settings.metrics_port)  # voicebot_jobs_*: handled, duration, backlog

    async def main() -> None:
        async with contextlib.AsyncExitStack() as stack:
            llm = None
            if settings.openai_api_key:  # the LLM analysis, for companies whose config says use_llm
                from voicebot.telephony.llm import standalone_openai

                llm = await stack.enter_async_context(
                    standalone_openai(
                        api_key=settings.openai_api_key,
                        base_url=settings.openai_base_url,
                        model=config.llm_model,
                    )
                )
            db = await stack.enter_async_context(
                await Database.open(settings, min_size=1, max_size=config.concurrency + 1)
            )
            services = build_analysis_services(
                db.pool, config, llm=llm, llm_model=config.llm_model if llm is not None else None
            )
            worker = services.worker(name=worker_id)
            if once:
                handled = await worker.run_until_idle()
                click.echo(f"{handled} job(s)")
                return
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.stop()))
            try:
                await worker.run()
            finally:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    with contextlib.suppress(Exception):
                        loop.remove_signal_handler(sig)

    asyncio.run(main())


@pipeline.command("status")
def status() -> None:
    """Jobs of the post_call queue per status (pending, done, dead...)."""

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            services = build_analysis_services(db.pool, PipelineSettings())
            counts = await services.queue.counts(POST_CALL_QUEUE)
        for name in ("pending", "done", "dead", "paused", "cancelled"):
            click.echo(f"{name:10} {counts.get(name, 0)}")

    asyncio.run(main())


@click.group("privacy")
def privacy() -> None:
    """PII redaction policies of a company and its bots."""


@privacy.command("set")
@click.argument("company_id")
@click.option("--bot", default=None, help="This bot only (slug or id); default: the company's policy.")
@click.option("--mode", type=click.Choice(MODES), required=True)
@click.option(
    "--drop-raw-after", "days", type=int, default=None, help="Days (redact_drop_raw only; 0: at once)."
)
@click.option(
    "--recognizers",
    default=None,
    help=f"Comma-separated subset of: {', '.join(RECOGNIZERS)} (default: all).",
)
def set_policy(
    company_id: str, bot: str | None, mode: str, days: int | None, recognizers: str | None
) -> None:
    """Set how transcripts are kept: off, redact, or redact_drop_raw after N days."""
    names = (
        tuple(r.strip() for r in recognizers.split(",") if r.strip()) if recognizers else tuple(RECOGNIZERS)
    )
    policy = PrivacyPolicy(mode=mode, drop_raw_after_days=days, recognizers=names)  # type: ignore[arg-type]
    cid = _uuid(company_id, "company id")

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            services = build_analysis_services(db.pool, PipelineSettings())
            await services.store.set_policy(
                cid,
                bot=bot,
                mode=policy.mode,
                drop_raw_after_days=policy.drop_raw_after_days,
                recognizers=policy.recognizers,
            )
        click.echo(f"privacy policy of {'bot ' + bot if bot else 'company'}: {json.dumps(policy.as_json())}")

    asyncio.run(main())


@privacy.command("show")
@click.argument("company_id")
def show_policy(company_id: str) -> None:
    """The company's policy and its bots' policies."""
    cid = _uuid(company_id, "company id")

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            services = build_analysis_services(db.pool, PipelineSettings())
            rows = await services.store.policies(cid)
        for r in rows:
            days = "" if r["drop_raw_after_days"] is None else f" after {r['drop_raw_after_days']} day(s)"
            click.echo(f"{r['bot'] or '(company)':20} {r['mode']}{days}  [{', '.join(r['recognizers'])}]")
        if not rows:
            click.echo("no policy: transcripts are kept as heard (mode off)")

    asyncio.run(main())


@click.command("analysis-config")
@click.argument("company_id")
@click.argument("config_json")
@click.option("--bot", default=None, help="This bot's layer (slug or id); default: the company's layer.")
@click.option("--direction", type=click.Choice(["inbound", "outbound"]), default=None)
def analysis_config(company_id: str, config_json: str, bot: str | None, direction: str | None) -> None:
    """Set one layer of the analysis configuration, e.g. '{"use_llm": true, "long_silence_seconds": 6}'.

    Layers (a later one wins): defaults < bot < bot x direction < company < company x direction.
    """
    cid = _uuid(company_id, "company id")
    try:
        layer = json.loads(config_json)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"CONFIG_JSON is not JSON: {exc.msg} at column {exc.colno}") from None
    layer = check_layer(layer)

    async def main() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            services = build_analysis_services(db.pool, PipelineSettings())
            await services.store.set_config(cid, bot=bot, direction=direction, config=layer)
        click.echo(f"analysis config layer set: {json.dumps(layer)}")

    asyncio.run(main())
