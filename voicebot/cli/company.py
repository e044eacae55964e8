"""``voicebot company create|list``: tenants. The API key is printed once; only its hash is stored."""

from __future__ import annotations

import asyncio

import click

from voicebot.outcomes.urlguard import HostPolicy
from voicebot.settings import Settings
from voicebot.storage import Database

__all__ = ["company"]


@click.group("company")
def company() -> None:
    """Companies (tenants): their API keys and webhook settings."""


@company.command("create")
@click.argument("name")
@click.option("--webhook-url", default=None, help="Where call outcomes are POSTed (http:// or https://).")
def create(name: str, webhook_url: str | None) -> None:
    """Create a company; print its id, its API key (shown once) and its webhook signing secret."""

    # The delivery guard's rules, at registration: an internal address is refused now, not at the
    # first delivery (VOICEBOT_WEBHOOK_ALLOW_HOSTS allows one for development).
    HostPolicy.from_env().check_registration(webhook_url)

    async def run() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            new = await db.companies.create(name, webhook_url=webhook_url)
        click.echo(f"company id:      {new.company.id}")
        click.echo(f"name:            {new.company.name}")
        click.echo(f"api key:         {new.api_key}")
        click.echo(f"webhook secret:  {new.webhook_secret}")
        click.echo("The API key is shown only now; store it safely (only its hash is kept).")

    asyncio.run(run())


@company.command("list")
def list_cmd() -> None:
    """List companies."""

    async def run() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            companies = await db.companies.list()
        for c in companies:
            state = "active" if c.is_active else "inactive"
            click.echo(f"{c.id}  {state:8}  {c.api_key_prefix}…  {c.name}  {c.webhook_url or '-'}")
        if not companies:
            click.echo("no companies yet: voicebot company create NAME --webhook-url URL")

    asyncio.run(run())


from voicebot.cli.company_secrets import secret  # noqa: E402 - the `company secret` subgroup

company.add_command(secret)
