"""``voicebot worker start|dev``: the LiveKit worker that answers the phone."""

from __future__ import annotations

from typing import Literal

import click

from voicebot.errors import ConfigError
from voicebot.settings import Settings


@click.command()
@click.argument("mode", type=click.Choice(["start", "dev"]))
@click.option("--drain-timeout", default=600, show_default=True, help="Seconds SIGTERM waits for calls.")
def worker(mode: Literal["start", "dev"], drain_timeout: int) -> None:
    """Run the worker against LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET.

    MODE start: production (JSON logs unless VOICEBOT_LOG_FORMAT says otherwise); dev: console logs.
    SIGTERM drains: no new calls are accepted, active calls finish, their records are flushed.
    """
    settings = Settings.from_env()
    missing = [
        name
        for name, value in (
            ("LIVEKIT_URL", settings.livekit_url),
            ("LIVEKIT_API_KEY", settings.livekit_api_key),
            ("LIVEKIT_API_SECRET", settings.livekit_api_secret),
        )
        if not value
    ]
    if missing:
        raise ConfigError(f"{', '.join(missing)} must be set to run the worker")
    from voicebot.observability import configure_logging, metrics
    from voicebot.runtime import open_call_services, provider_config
    from voicebot.telephony.worker import VoicebotWorker, run_worker

    provider_config(settings).require_speech()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    # before the forkserver starts: every job process then writes its per-call series to this directory
    multiproc_dir = metrics.use_multiprocess_dir(settings.metrics_multiproc_dir)
    metrics.serve(settings.metrics_port, multiproc_dir=multiproc_dir)
    worker_ = VoicebotWorker(
        open_services=lambda vad: open_call_services(settings, vad=vad),
        url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret,
        drain_timeout=drain_timeout,
    )
    run_worker(worker_, mode)
