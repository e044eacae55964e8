"""``voicebot webhooks``: operators' commands; mistakes are one clear line and exit status 1."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

from voicebot.runtime_outcomes import build_outcome_services

from .conftest import facts, fast_settings, finished, make_tenant


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=database_url, VOICEBOT_WEBHOOK_ALLOW_HOSTS="127.0.0.0/8")
    return subprocess.run(
        [sys.executable, "-m", "voicebot", "webhooks", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_list_show_redeliver_and_bad_ids(db_pool: Any, database_url: str) -> None:
    tenant = await make_tenant(db_pool, "http://127.0.0.1:9/hook")  # nothing listens on port 9
    services = build_outcome_services(db_pool, fast_settings())
    try:
        [event_id] = (await services.finalizer.finalize(finished(), facts(tenant))).event_ids
    finally:
        await services.aclose()

    once = _cli(database_url, "run", "--once")
    assert once.returncode == 0, once.stderr
    listed = _cli(database_url, "list", "--company", str(tenant.company_id), "--status", "pending")
    assert str(event_id) in listed.stdout and "attempts=1" in listed.stdout
    shown = _cli(database_url, "show", str(event_id))
    assert "#1" in shown.stdout and "Connect" in shown.stdout
    again = _cli(database_url, "redeliver", str(event_id))
    assert again.returncode == 0 and "pending again" in again.stdout

    for args, message in (
        (("redeliver", "not-a-uuid"), "event id 'not-a-uuid' is not a UUID"),
        (("redeliver", str(uuid.uuid4())), "no webhook event with id"),
        (("list", "--company", "nope"), "company id 'nope' is not a UUID"),
        (("enable", str(uuid.uuid4())), "no company with id"),
    ):
        result = _cli(database_url, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
