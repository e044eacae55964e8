"""`voicebot pipeline|privacy|retention|analysis-config` through the real entry point: the commands do
what they say; bad input is a message and exit 1, never a traceback."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from tests.storage.test_cli_storage import create_company, run
from voicebot.storage import create_pool
from voicebot.storage.queue import JobQueue, JobSpec


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str | None]:
    return {"DATABASE_URL": database_url, "VOICEBOT_DATA_DIR": str(tmp_path / "data")}


def _enqueue(url: str, call_id: uuid.UUID) -> None:
    async def go() -> None:
        pool = await create_pool(url, min_size=1, max_size=1)
        try:
            await JobQueue(pool).enqueue(
                "post_call", JobSpec({"call_id": str(call_id)}, key=f"{call_id}:analyze")
            )
        finally:
            await pool.close()

    asyncio.run(go())


def test_pipeline_run_once_drains_the_queue_and_status_counts(
    env: dict[str, str | None], database_url: str
) -> None:
    _enqueue(database_url, uuid.uuid4())  # a call retention already deleted: completed as skipped
    code, out, err = run(["pipeline", "run", "--once", "--worker", "cli-test"], env)
    assert code == 0, err
    assert out.strip().splitlines()[-1] == "1 job(s)"
    code, out, _ = run(["pipeline", "status"], env)
    assert code == 0 and "done       1" in out


def test_privacy_and_retention_commands_and_their_errors(env: dict[str, str | None]) -> None:
    company = create_company(env)
    code, out, err = run(
        ["privacy", "set", company, "--mode", "redact_drop_raw", "--drop-raw-after", "30"], env
    )
    assert code == 0, err
    code, out, _ = run(["privacy", "show", company], env)
    assert "redact_drop_raw after 30 day(s)" in out

    code, out, err = run(["privacy", "set", company, "--mode", "redact", "--recognizers", "card,ssn"], env)
    assert code == 1 and "unknown recognizer 'ssn'" in err and "Traceback" not in err
    code, _, err = run(["privacy", "set", company, "--mode", "redact", "--bot", "nope"], env)
    assert code == 1 and "bot 'nope' not found" in err

    code, out, err = run(["retention", "set", company, "--calls", "-1"], env)
    assert code == 1 and "call retention of -1 days is invalid" in err and "Traceback" not in err
    code, out, err = run(["retention", "set", company, "--calls", "365", "--turns", "30"], env)
    assert code == 0 and "calls 365 day(s), turns 30 day(s)" in out
    code, out, err = run(["retention", "run"], env)
    assert code == 0 and out.startswith("calls deleted: 0;"), err

    code, out, err = run(["analysis-config", company, '{"use_llm": true}', "--direction", "outbound"], env)
    assert code == 0, err
    code, _, err = run(["analysis-config", company, '{"silence": 3}'], env)
    assert code == 1 and "unknown key 'silence'" in err
    code, _, err = run(["analysis-config", company, "{not json"], env)
    assert code == 1 and "CONFIG_JSON is not JSON" in err
