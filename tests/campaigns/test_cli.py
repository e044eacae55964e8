"""``voicebot campaigns create`` and ``voicebot dnc`` as an operator runs them (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.campaigns.conftest import World


def vb(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "voicebot", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_a_bad_csv_lists_its_rows_and_creates_nothing_then_a_good_one_starts(
    world: World, database_url: str, tmp_path: Path
) -> None:
    w: Any = world
    await w.service.do_not_call.add(w.company_id, ["+4930901899"])
    bad = tmp_path / "bad.csv"
    bad.write_text("phone,first_name\n+4930901801,Ann\n4930901802,Bob\n+4930901899,Cy\n")
    common = ["--company", str(w.company_id), "--bot", str(w.bot_id), "--name", "cli"]
    result = vb(
        "campaigns",
        "create",
        *common,
        "--csv",
        str(bad),
        "--timezone",
        "Europe/Berlin",
        database_url=database_url,
    )
    assert result.returncode == 1
    assert f"{bad}: row 2 (line 3), phone: '4930901802' must be in international form" in result.stderr
    assert f"{bad}: row 3 (line 4), phone: +4930901899 is on the company's do-not-call list" in result.stderr
    assert "error: 2 bad row(s): no campaign was created" in result.stderr
    assert "Traceback" not in result.stderr
    assert await w.pool.fetchval("SELECT count(*) FROM campaigns") == 0

    good = tmp_path / "good.csv"
    good.write_text("phone,first_name\n+4930901801,Ann\n+4930901802,Bob\n")
    result = vb(
        "campaigns",
        "create",
        *common,
        "--csv",
        str(good),
        "--timezone",
        "Europe/Berlin",
        "--days",
        "mon-fri",
        "--start",
        database_url=database_url,
    )
    assert result.returncode == 0, result.stderr
    assert "running  2 numbers" in result.stdout
    shown = vb("campaigns", "list", "--company", str(w.company_id), database_url=database_url)
    assert "running" in shown.stdout and "cli" in shown.stdout

    past = vb(
        "campaigns",
        "create",
        *common,
        "--csv",
        str(good),
        "--ends-at",
        "2020-01-01T00:00:00Z",
        database_url=database_url,
    )
    assert past.returncode == 1 and "in the past" in past.stderr


async def test_the_do_not_call_commands(world: World, database_url: str) -> None:
    w: Any = world
    company = ["--company", str(w.company_id)]
    added = vb(
        "dnc",
        "add",
        "+1 415 555 0100",
        "+442071234567",
        *company,
        "--reason",
        "asked",
        database_url=database_url,
    )
    assert added.returncode == 0 and "2 number(s) added" in added.stdout
    listed = vb("dnc", "list", *company, database_url=database_url)
    assert "+14155550100" in listed.stdout and "+442071234567" in listed.stdout
    bad = vb("dnc", "add", "12345", *company, database_url=database_url)
    assert bad.returncode == 1 and "international form" in bad.stderr
    removed = vb("dnc", "remove", "+14155550100", *company, database_url=database_url)
    assert removed.returncode == 0
    again = vb("dnc", "remove", "+14155550100", *company, database_url=database_url)
    assert again.returncode == 1 and "not on the company's do-not-call list" in again.stderr
