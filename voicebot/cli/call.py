"""``voicebot call +NUMBER --bot ID``: place an outbound call that runs the bot's scenario."""

from __future__ import annotations

import asyncio

import click

from voicebot.errors import ConfigError, NotFoundError
from voicebot.settings import Settings


async def _place(number: str, bot: str, trunk: str, settings: Settings) -> str:
    from voicebot.storage import Database, normalize_phone
    from voicebot.telephony.control import livekit_api, place_call

    to = normalize_phone(number)
    if not (settings.livekit_url and settings.livekit_api_key and settings.livekit_api_secret):
        raise ConfigError("LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET must be set to place a call")
    db = await Database.open(settings, min_size=1, max_size=1)
    try:
        bots = await db.bots.list()
    finally:
        await db.close()
    matches = [b for b in bots if bot in (b.slug, str(b.id))]
    if not matches:
        raise NotFoundError(f"no bot {bot!r}: `voicebot bot list` shows the deployed bots")
    if len(matches) > 1:
        ids = ", ".join(str(b.id) for b in matches)
        raise ConfigError(f"bot {bot!r} is ambiguous (companies share the id): use one of {ids}")
    chosen = matches[0]
    if not chosen.is_active:
        raise ConfigError(f"bot {bot!r} is not active")
    async with livekit_api(
        settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret
    ) as client:
        placed = await place_call(client, number=to, bot_number=chosen.phone_number, trunk_id=trunk)
    return placed.room


@click.command()
@click.argument("number")
@click.option("--bot", "bot", required=True, help="The bot's id (scenario bot.id) or UUID.")
@click.option(
    "--trunk",
    envvar="LIVEKIT_SIP_OUTBOUND_TRUNK",
    default=None,
    help="The LiveKit outbound SIP trunk id (env LIVEKIT_SIP_OUTBOUND_TRUNK).",
)
def call(number: str, bot: str, trunk: str | None) -> None:
    """Call NUMBER (E.164, e.g. +14155550100) from the bot's number; the worker runs its scenario."""
    if not trunk:
        raise ConfigError("an outbound SIP trunk is needed: --trunk ID or LIVEKIT_SIP_OUTBOUND_TRUNK")
    room = asyncio.run(_place(number, bot, trunk, Settings.from_env()))
    click.echo(f"calling {number} in room {room}")
