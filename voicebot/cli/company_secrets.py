"""``voicebot company secret set|list|delete``: the values a company's actions use as ``{secret.<name>}``.

The value is read from standard input (piped) or a hidden prompt, never from the command line (which
shell history and ``ps`` would keep); it is stored server-side and never printed.
"""

from __future__ import annotations

import asyncio
import sys
import uuid

import click

from voicebot.errors import ConfigError
from voicebot.settings import Settings
from voicebot.storage import Database
from voicebot.storage.repositories.company_secrets import check_secret

__all__ = ["secret"]


def _company_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a company id (see: voicebot company list)") from None


@click.group("secret")
def secret() -> None:
    """A company's action secrets (used by actions as {secret.<name>})."""


@secret.command("set")
@click.argument("company")
@click.argument("name")
def set_cmd(company: str, name: str) -> None:
    """Set (or replace) secret NAME of COMPANY; the value is read from stdin or a hidden prompt."""
    company_id = _company_id(company)
    check_secret(name)
    if sys.stdin.isatty():
        value = click.prompt(f"value of {name}", hide_input=True)
    else:
        value = sys.stdin.read().rstrip("\r\n")
    check_secret(name, value)

    async def run() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            await db.companies.get(company_id)
            info = await db.company_secrets.set(company_id, name, value)
        click.echo(f"secret {info.name} set (actions use it as {{secret.{info.name}}})")

    asyncio.run(run())


@secret.command("list")
@click.argument("company")
def list_cmd(company: str) -> None:
    """List COMPANY's secret names (never their values)."""
    company_id = _company_id(company)

    async def run() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            items = await db.company_secrets.list(company_id)
        for s in items:
            click.echo(f"{s.name}  updated {s.updated_at:%Y-%m-%d %H:%M}")
        if not items:
            click.echo("no secrets: voicebot company secret set COMPANY NAME")

    asyncio.run(run())


@secret.command("delete")
@click.argument("company")
@click.argument("name")
def delete_cmd(company: str, name: str) -> None:
    """Delete secret NAME of COMPANY."""
    company_id = _company_id(company)

    async def run() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            await db.company_secrets.delete(company_id, name)
        click.echo(f"secret {name} deleted")

    asyncio.run(run())
