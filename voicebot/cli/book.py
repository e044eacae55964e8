"""``voicebot book resource add|list|remove`` and ``voicebot book list|show|cancel``: the built-in
appointment book from the command line (the admin API has the same, plus availability and reschedule).

A bad id, a duplicate name or an unknown code is a message and exit code 1, never a traceback.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import click

from voicebot.errors import ConfigError
from voicebot.settings import Settings
from voicebot.storage import Database
from voicebot.storage.repositories.book import Book, Booking

__all__ = ["book"]


def _uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ConfigError(f"{what} {raw!r} is not a UUID (see `voicebot bot list`)") from None


def _with_book(work: Callable[[Book], Awaitable[None]]) -> None:
    async def run() -> None:
        async with await Database.open(Settings.from_env(), min_size=1, max_size=1) as db:
            await work(Book(db.pool))

    asyncio.run(run())


def _line(b: Booking) -> str:
    when = b.starts_at.isoformat() if b.starts_at else "-"
    return f"{b.confirmation_code}  {b.status:10} {when:26} {b.resource or '-':20} {b.contact_name or ''}"


@click.group("book")
def book() -> None:
    """The built-in appointment book: resources and bookings."""


@book.group("resource")
def resource() -> None:
    """Bookable resources of a bot (a doctor, a chair, a table size)."""


@resource.command("add")
@click.option("--bot", "bot_id", required=True, help="The bot's id (from `voicebot bot list`).")
@click.option("--name", required=True, help='What callers book: "Dr Lee", "chair 1", "table for 4".')
@click.option(
    "--capacity", default=1, show_default=True, type=click.IntRange(1, 500), help="Bookings per slot."
)
@click.option(
    "--slot-minutes", default=30, show_default=True, type=click.IntRange(5, 720), help="Slot length."
)
@click.option("--service", "services", multiple=True, help="A service booked on it (repeat); none: anything.")
@click.option("--party-max", default=None, type=click.IntRange(1, None), help="A table's size.")
def add(
    bot_id: str, name: str, capacity: int, slot_minutes: int, services: tuple[str, ...], party_max: int | None
) -> None:
    """Add a resource to a bot's book; print its id."""
    bot = _uuid(bot_id, "bot id")
    if not name.strip() or len(name) > 100:
        raise ConfigError("--name must be 1 to 100 characters")

    async def work(b: Book) -> None:
        company = await b.company_of(bot)
        r = await b.add_resource(
            company,
            bot,
            name=name.strip(),
            capacity=capacity,
            slot_minutes=slot_minutes,
            services=services,
            party_max=party_max,
        )
        click.echo(f"resource {r.id} added: {r.name}, {r.capacity} per {r.slot_minutes}-minute slot")

    _with_book(work)


@resource.command("list")
@click.option("--bot", "bot_id", required=True, help="The bot's id.")
def list_resources(bot_id: str) -> None:
    """List a bot's resources."""
    bot = _uuid(bot_id, "bot id")

    async def work(b: Book) -> None:
        found = await b.resources(await b.company_of(bot), bot)
        for r in found:
            extra = f" services={','.join(r.services)}" if r.services else ""
            extra += f" party_max={r.party_max}" if r.party_max else ""
            state = "active" if r.is_active else "inactive"
            click.echo(f"{r.id}  {r.name:20} x{r.capacity} {r.slot_minutes}m {state}{extra}")
        if not found:
            click.echo("no resources yet: voicebot book resource add --bot ID --name NAME")

    _with_book(work)


@resource.command("remove")
@click.argument("resource_id")
@click.option("--bot", "bot_id", required=True, help="The bot's id.")
def remove(resource_id: str, bot_id: str) -> None:
    """Deactivate a resource: no new bookings; existing ones keep it."""
    rid, bot = _uuid(resource_id, "resource id"), _uuid(bot_id, "bot id")

    async def work(b: Book) -> None:
        r = await b.update_resource(await b.company_of(bot), rid, {"is_active": False})
        click.echo(f"resource {r.id} ({r.name}) deactivated")

    _with_book(work)


@book.command("list")
@click.option("--bot", "bot_id", required=True, help="The bot's id.")
@click.option("--status", type=click.Choice(["confirmed", "cancelled", "completed", "no_show"]), default=None)
def list_bookings(bot_id: str, status: str | None) -> None:
    """List a bot's appointments by start time."""
    bot = _uuid(bot_id, "bot id")

    async def work(b: Book) -> None:
        found = await b.bookings(await b.company_of(bot), bot_id=bot, status=status, limit=500)
        for row in found:
            click.echo(_line(row))
        if not found:
            click.echo("no appointments")

    _with_book(work)


def _by_code(action: str) -> Callable[..., Any]:
    @click.argument("code")
    @click.option("--bot", "bot_id", required=True, help="A bot of the booking's company.")
    def command(code: str, bot_id: str) -> None:
        bot = _uuid(bot_id, "bot id")

        async def work(b: Book) -> None:
            company = await b.company_of(bot)
            found = await b.cancel(company, code) if action == "cancel" else await b.by_code(company, code)
            if found is None:
                raise ConfigError(f"no booking with confirmation code {code!r}")
            click.echo(_line(found))

        _with_book(work)

    return command


book.command("show", help="Show a booking by its confirmation code.")(_by_code("show"))
book.command("cancel", help="Cancel a booking by its confirmation code (frees its slot).")(_by_code("cancel"))
