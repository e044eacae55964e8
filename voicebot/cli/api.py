"""``voicebot api``: serve the company admin HTTP API (docs/api.md) with uvicorn."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click

from voicebot.settings import Settings

if TYPE_CHECKING:
    from voicebot.api.event_hub import EventHub

__all__ = ["api"]


@click.command("api")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
def api(host: str, port: int) -> None:
    """Serve the admin API (OpenAPI document at /openapi.json, interactive docs at /docs).

    SIGTERM / SIGINT stop accepting requests, end open event streams, finish requests in flight, stop
    background ingestion (documents left in error) and close the database pool."""
    import uvicorn

    from voicebot.api import create_app
    from voicebot.observability import configure_logging
    from voicebot.runtime_api import build_api_services

    class _Server(uvicorn.Server):
        """Ends the open event streams first when stopping: uvicorn waits for open responses."""

        def __init__(self, config: uvicorn.Config, events: EventHub | None) -> None:
            super().__init__(config)
            self._events = events

        async def shutdown(self, sockets: Any = None) -> None:
            if self._events is not None:
                self._events.end_streams()
            await super().shutdown(sockets)

    settings = Settings.from_env()
    configure_logging(level=settings.log_level, fmt=settings.log_format)

    async def main() -> None:
        from voicebot.telephony.gc_policy import settle_after_warmup

        services, close = await build_api_services(settings)
        try:
            config = uvicorn.Config(
                create_app(services),
                host=host,
                port=port,
                log_level=settings.log_level,
                access_log=False,
                server_header=False,
                timeout_graceful_shutdown=30,
            )
            # warmed up (services open, the app built): the console's text calls run in this process
            settle_after_warmup()
            await _Server(config, services.events).serve()
        finally:
            await close()

    asyncio.run(main())
