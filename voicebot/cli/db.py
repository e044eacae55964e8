"""``voicebot db migrate|start|stop|status``: the database in use, and the embedded cluster's lifecycle.

Without DATABASE_URL the database is a private PostgreSQL cluster of the data directory
(VOICEBOT_DATA_DIR, default ~/.voicebot), started on demand by any command that needs it and left
running until ``voicebot db stop``.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import click

from voicebot.settings import Settings
from voicebot.storage import EmbeddedPostgres, migrate_url, resolve_url, schema_status

__all__ = ["db"]


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@click.group("db")
def db() -> None:
    """The database: migrations and the embedded PostgreSQL cluster."""


@db.command("migrate")
def migrate_cmd() -> None:
    """Apply pending migrations (sql/NNNN_*.sql) under an advisory lock; a no-op when up to date."""
    settings = Settings.from_env()
    url, _ = resolve_url(settings)
    applied = asyncio.run(migrate_url(url))
    for migration in applied:
        click.echo(f"applied {migration.name}")
    click.echo("database schema is up to date" if not applied else f"{len(applied)} migration(s) applied")


@db.command("start")
def start() -> None:
    """Start the embedded cluster (creating it on first use) and print its URL."""
    settings = Settings.from_env()
    if settings.database_url:
        click.echo(f"DATABASE_URL is set; the embedded cluster is not used: {_redact(settings.database_url)}")
        return
    click.echo(EmbeddedPostgres(settings.data_dir).start())


@db.command("stop")
def stop() -> None:
    """Stop the embedded cluster."""
    settings = Settings.from_env()
    stopped = EmbeddedPostgres(settings.data_dir).stop()
    click.echo("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")


@db.command("status")
@click.option("--show-password", is_flag=True, help="Print the URL with its password.")
def status(show_password: bool) -> None:
    """Print the database URL in use and whether it is reachable and migrated."""
    settings = Settings.from_env()
    if settings.database_url:
        url = settings.database_url
        click.echo(f"database: {url if show_password else _redact(url)} (from DATABASE_URL)")
    else:
        state = EmbeddedPostgres(settings.data_dir).status()
        where = f"embedded cluster in {state.cluster_dir}"
        if not state.running:
            click.echo(f"database: {where}: {'stopped' if state.initialized else 'not created yet'}")
            click.echo("start it with `voicebot db start` (any command that needs it also starts it)")
            return
        url = state.url or ""
        click.echo(f"database: {url if show_password else _redact(url)} ({where}, pid {state.pid})")
    applied, todo = asyncio.run(schema_status(url))
    click.echo(
        f"schema: {applied} migration(s) applied, {todo} pending"
        + (" (run `voicebot db migrate`)" if todo else "")
    )
