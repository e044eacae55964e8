"""`voicebot book ...` through the real entry point on a real Postgres: add and list resources, list,
show and cancel bookings; bad input is a message and exit 1, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.actions.book.bookhelp import clinic
from voicebot.actions.book import ActionCall
from voicebot.cli.main import main

pytestmark = pytest.mark.integration


def run(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation(env=env) as streams:
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return code, streams[0].getvalue().decode(), streams[1].getvalue().decode()


async def test_resources_and_bookings_from_the_command_line(
    database_url: str, db_pool: Any, tmp_path: Path
) -> None:
    env: dict[str, str | None] = {"DATABASE_URL": database_url, "VOICEBOT_DATA_DIR": str(tmp_path)}
    c = await clinic(db_pool)
    bot = str(c.bot_id)
    code, out, err = await _in_thread(["book", "resource", "add", "--bot", bot, "--name", "Dr Lee"], env)
    assert code == 0, err
    assert re.search(r"resource \S+ added: Dr Lee, 1 per 30-minute slot", out)
    code, out, err = await _in_thread(["book", "resource", "add", "--bot", bot, "--name", "Dr Lee"], env)
    assert code == 1 and "already has a resource named 'Dr Lee'" in err and "Traceback" not in err
    code, out, _ = await _in_thread(["book", "resource", "list", "--bot", bot], env)
    assert "Dr Lee" in out and "x1 30m active" in out
    booked = await c.runner.run(
        ActionCall(
            "r", "book.reserve", {"datetime": "2027-01-04T10:00"}, None, c.company_id, c.bot_id, "k", 5.0
        )
    )
    confirmation = booked.data["confirmation_code"]
    code, out, _ = await _in_thread(["book", "list", "--bot", bot], env)
    assert confirmation in out and "confirmed" in out
    code, out, _ = await _in_thread(["book", "cancel", confirmation, "--bot", bot], env)
    assert code == 0 and "cancelled" in out
    code, _, err = await _in_thread(["book", "cancel", confirmation, "--bot", bot], env)
    assert code == 1 and "already cancelled" in err
    code, _, err = await _in_thread(["book", "show", "NOPE42", "--bot", bot], env)
    assert code == 1 and "no booking with confirmation code" in err
    code, _, err = await _in_thread(["book", "resource", "list", "--bot", "not-a-uuid"], env)
    assert code == 1 and "is not a UUID" in err and "Traceback" not in err


async def _in_thread(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    import asyncio

    return await asyncio.to_thread(run, args, env)
