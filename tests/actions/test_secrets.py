"""``voicebot company secret``: the value from stdin, stored server-side, never printed (real Postgres)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from voicebot.storage.repositories.company_secrets import CompanySecrets


def _cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "-m", "voicebot", "company", "secret", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_cli_reads_the_value_from_stdin_and_never_prints_it(db_pool: Any, database_url: str) -> None:
    from tests.api.seed import tenant

    t = await tenant(db_pool, "Gamma", "+14155550142")
    done = _cli(database_url, "set", str(t.company_id), "crm_token", stdin="tok-secret-9\n")
    assert done.returncode == 0, done.stderr
    assert "tok-secret-9" not in done.stdout + done.stderr
    assert await CompanySecrets(db_pool).values(t.company_id, ["crm_token"]) == {"crm_token": "tok-secret-9"}
    listed = _cli(database_url, "list", str(t.company_id))
    assert "crm_token" in listed.stdout and "tok-secret-9" not in listed.stdout
    bad = _cli(database_url, "set", "not-a-uuid", "crm_token", stdin="x")
    assert bad.returncode == 1 and "is not a company id" in bad.stderr and "Traceback" not in bad.stderr
    missing = _cli(database_url, "delete", str(t.company_id), "nope")
    assert missing.returncode == 1 and "no secret named 'nope'" in missing.stderr
