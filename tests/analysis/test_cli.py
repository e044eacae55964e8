"""`voicebot pipeline|privacy|retention|analysis-config` through the real entry point: the commands do
what they say; bad input is a message and exit 1, never a traceback."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai import FakeOpenAI
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


@pytest.mark.usefixtures("lk_http")
async def test_pipeline_run_uses_the_llm_when_a_key_is_set(
    env: dict[str, str | None], db_pool: Any, fake_openai: FakeOpenAI
) -> None:
    from tests.outcomes.conftest import fast_settings, make_tenant
    from voicebot.runtime_outcomes import build_outcome_services

    from .helpers import finalize, seed_call

    tenant = await make_tenant(db_pool, None)
    await db_pool.execute(
        "INSERT INTO analysis_configs (company_id, config) VALUES ($1, $2)",
        tenant.company_id,
        {"use_llm": True},
    )
    services = build_outcome_services(db_pool, fast_settings())
    call_id, start, end = await seed_call(db_pool, tenant, [("caller", "hello there", 1.0)])
    await finalize(services, tenant, call_id, start, end)
    fake_openai.replies.append('{"summary": "A greeting.", "sentiment": "positive", "score": 0.5}')
    llm_env = {
        **env,
        "OPENAI_API_KEY": fake_openai.api_key,
        "OPENAI_BASE_URL": fake_openai.base_url,
        "VOICEBOT_ANALYSIS_LLM_MODEL": "gpt-test",
    }
    import livekit.plugins.openai  # noqa: F401  (plugins register on the main thread; the CLI runs in another)

    code, _, err = await asyncio.to_thread(run, ["pipeline", "run", "--once"], llm_env)
    assert code == 0, err
    row = await db_pool.fetchrow(
        "SELECT analyzed_by, model, summary FROM call_analyses WHERE call_id=$1", call_id
    )
    assert dict(row) == {"analyzed_by": "llm", "model": "gpt-test", "summary": "A greeting."}
    assert fake_openai.requests[0].model == "gpt-test"
