"""``voicebot dnc add|remove|list``: a company's do-not-call list (never dialed by campaigns or the API)."""

from __future__ import annotations

import asyncio
import uuid

import click

from voicebot.errors import ConfigError
from voicebot.settings import Settings

__all__ = ["dnc"]


def _company(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ConfigError(f"company {raw!r} is not a UUID") from None


def _numbers(raw: tuple[str, ...]) -> list[str]:
    from voicebot.campaigns.numbers import e164

    out = []
    for number in raw:
        try:
            out.append(e164(number))
        except ConfigError as exc:
            raise ConfigError(f"{number!r} {exc}") from None
    return out


@click.group("dnc")
def dnc() -> None:
    """A company's do-not-call list."""


@dnc.command("add")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--company", "company", required=True, help="The company's id.")
@click.option("--reason", default=None, help="Why (kept with the entry).")
def add(numbers: tuple[str, ...], company: str, reason: str | None) -> None:
    """Add E.164 NUMBERS."""
    from voicebot.storage import Database
    from voicebot.storage.repositories.do_not_call import DoNotCall

    company_id, normalized = _company(company), _numbers(numbers)

    async def run() -> int:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            return await DoNotCall(db.pool).add(company_id, normalized, reason=reason)

    click.echo(f"{asyncio.run(run())} number(s) added")


@dnc.command("remove")
@click.argument("number")
@click.option("--company", "company", required=True, help="The company's id.")
def remove(number: str, company: str) -> None:
    """Remove NUMBER."""
    from voicebot.storage import Database
    from voicebot.storage.repositories.do_not_call import DoNotCall

    company_id, (normalized,) = _company(company), _numbers((number,))

    async def run() -> bool:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            return await DoNotCall(db.pool).remove(company_id, normalized)

    if not asyncio.run(run()):
        raise ConfigError(f"{normalized} is not on the company's do-not-call list")
    click.echo(f"{normalized} removed")


@dnc.command("list")
@click.option("--company", "company", required=True, help="The company's id.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
def list_cmd(company: str, limit: int) -> None:
    """The list, in number order."""
    from voicebot.storage import Database
    from voicebot.storage.repositories.do_not_call import DoNotCall

    company_id = _company(company)

    async def run() -> list[str]:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            rows = await DoNotCall(db.pool).list(company_id, limit=limit)
        return [f"{r.phone_number}  {r.created_at:%Y-%m-%d}  {r.reason or ''}".rstrip() for r in rows]

    lines = asyncio.run(run())
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("the do-not-call list is empty")
