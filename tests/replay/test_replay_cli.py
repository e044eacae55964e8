"""`voicebot replay` on calls recorded through the real bridge and recorder into real Postgres."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.fakes.openai import FakeOpenAI
from tests.replay.calls import BOOKING, PRICES, SALON, SILENT, deploy, record_calls
from voicebot.cli.main import main
from voicebot.storage import create_pool

CALL_TABLES = (
    "calls",
    "turns",
    "state_transitions",
    "extracted_slots",
    "call_checkpoints",
    "outcomes",
    "appointments",
    "webhook_outbox",
    "error_logs",
)


def run(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation(env=env) as streams:
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = streams[0].getvalue().decode(), streams[1].getvalue().decode()
    return code, out, err


async def _counts(url: str) -> dict[str, int]:
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        return {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in CALL_TABLES}
    finally:
        await pool.close()


async def _record(url: str, journal: Path) -> list[Any]:
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        bot = await deploy(pool)
        return await record_calls(pool, bot, [BOOKING, PRICES, SILENT], journal)
    finally:
        await pool.close()


@pytest.fixture
def recorded(database_url: str, tmp_path: Path) -> tuple[dict[str, str | None], list[Any]]:
    ids = asyncio.run(_record(database_url, tmp_path / "journal"))
    env: dict[str, str | None] = {
        "DATABASE_URL": database_url,
        "VOICEBOT_DATA_DIR": str(tmp_path / "data"),
        "OPENAI_API_KEY": None,
    }
    return env, ids


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SALON.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "salon.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_the_same_version_replays_unchanged_and_writes_nothing(
    recorded: tuple[dict[str, str | None], list[Any]], database_url: str
) -> None:
    env, _ = recorded
    before = asyncio.run(_counts(database_url))
    assert before["calls"] == 3 and before["turns"] > 10

    async def with_fake_llm() -> tuple[int, str, str, int]:
        async with FakeOpenAI() as fake:
            live = dict(env, OPENAI_API_KEY=fake.api_key, OPENAI_BASE_URL=fake.base_url)
            code, out, err = await asyncio.to_thread(
                run, ["replay", "--bot", "salon", "--scenario", str(SALON), "--since", "1d"], live
            )
            return code, out, err, len(fake.requests)

    code, out, err, llm_requests = asyncio.run(with_fake_llm())
    assert code == 0, out + err
    assert "replayed 3 calls" in out and "3 unchanged" in out and "0 now failing" in out
    assert llm_requests == 0  # an LLM key is set, but a replay uses the recorded replies
    assert asyncio.run(_counts(database_url)) == before


def test_a_narrower_time_window_is_a_dead_end_with_the_turn_it_diverges_at(
    recorded: tuple[dict[str, str | None], list[Any]], tmp_path: Path
) -> None:
    env, ids = recorded
    narrower = _variant(tmp_path, 'latest: "20:00"', 'latest: "13:00"')
    code, out, err = run(
        ["replay", "--bot", "salon", "--scenario", str(narrower), "--calls", str(ids[0])], env
    )
    assert code == 1, out + err
    assert "REGRESSED" in out and "dead end: the recorded call ended (completed)" in out
    assert "diverges at turn 2: caller 'в четверг в 14:00'" in out
    assert re.search(r"- old: contact: 'Отлично! Как вас зовут\?'", out)
    assert "+ new: (no move): 'Мы работаем с 10 до 20 часов, 14:00 не подходит." in out
    assert "slot time: '14:00' -> None" in out

    code, out, _ = run(
        ["replay", "--bot", "salon", "--scenario", str(narrower), "--since", "1d", "--format", "json"], env
    )
    report = json.loads(out)
    assert code == 1 and report["summary"]["regressed"] == 1 and report["summary"]["unchanged"] == 2
    (bad,) = [c for c in report["calls"] if c["verdict"] == "regressed"]
    assert bad["divergence"]["turn"] == 2 and bad["old_outcome"] == "booking"


def test_a_declared_expectation_turns_a_change_into_an_improvement(
    recorded: tuple[dict[str, str | None], list[Any]], tmp_path: Path
) -> None:
    env, ids = recorded
    changed = _variant(
        tmp_path,
        "    return: true\n\n  address:",
        "    outcome: prices_asked\n    return: true\n\n  address:",
    )
    code, out, _ = run(["replay", "--bot", "salon", "--scenario", str(changed), "--calls", str(ids[1])], env)
    assert code == 0 and "CHANGED" in out and "outcome information -> prices_asked" in out
    (tmp_path / "salon.replay.yaml").write_text("better:\n  - to_outcome: prices_asked\n", encoding="utf-8")
    code, out, _ = run(["replay", "--bot", "salon", "--scenario", str(changed), "--calls", str(ids[1])], env)
    assert code == 0 and "IMPROVED" in out and "matches a declared expectation" in out


def test_slots_of_an_older_version_that_no_longer_exist_are_reported(
    recorded: tuple[dict[str, str | None], list[Any]], tmp_path: Path
) -> None:
    env, ids = recorded
    renamed = _variant(tmp_path, "client_name", "full_name")
    code, out, err = run(
        ["replay", "--bot", "salon", "--scenario", str(renamed), "--calls", str(ids[0])], env
    )
    assert code in (0, 1), err
    assert "no longer exist: client_name" in out
    assert "Traceback" not in out + err


def test_usage_errors_exit_2(recorded: tuple[dict[str, str | None], list[Any]]) -> None:
    env, _ = recorded
    code, _, err = run(["replay", "--bot", "nobody", "--scenario", str(SALON)], env)
    assert code == 2 and "no bot 'nobody'" in err
    code, _, err = run(["replay", "--scenario", str(SALON)], env)
    assert code == 2
    code, _, err = run(["replay", "--bot", "salon", "--scenario", str(SALON), "--since", "soon"], env)
    assert code == 2 and "--since 'soon'" in err


def test_an_exported_call_is_a_green_scenario_test_without_the_callers_details(
    recorded: tuple[dict[str, str | None], list[Any]], tmp_path: Path
) -> None:
    env, ids = recorded
    out_file = SALON.parent / f"_exported_{ids[0].hex[:8]}.test.yaml"
    try:
        code, _, err = run(
            ["replay", "--export-test", str(ids[0]), "--scenario", str(SALON), "--out", str(out_file)], env
        )
        assert code == 0, err
        text = out_file.read_text(encoding="utf-8")
        assert "+79161234567" not in text and "Анна" in text  # the caller's number is gone
        assert "scenario: salon.yaml" in text and "outcome: booking" in text
        code, out, err = run(["test", str(out_file)], env)
        assert code == 0, out + err
        assert "1 passed, 0 failed" in out
    finally:
        out_file.unlink(missing_ok=True)


async def _kept(url: str) -> list[Any]:
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        return list(
            await pool.fetch(
                """SELECT v.version, r.calls, r.regressed, r.forced FROM scenario_version_replays r
                   JOIN scenario_versions v ON v.id = r.version_id ORDER BY r.created_at"""
            )
        )
    finally:
        await pool.close()


def test_deploy_with_replay_refuses_regressions_or_warns_and_keeps_the_result(
    recorded: tuple[dict[str, str | None], list[Any]], tmp_path: Path, database_url: str
) -> None:
    env, _ = recorded

    async def company() -> str:
        pool = await create_pool(database_url, min_size=1, max_size=1)
        try:
            return str(await pool.fetchval("SELECT company_id FROM bots WHERE slug = 'salon'"))
        finally:
            await pool.close()

    company_id = asyncio.run(company())
    narrower = _variant(tmp_path, 'latest: "20:00"', 'latest: "13:00"')
    deploy_args = ["bot", "deploy", str(narrower), "--company", company_id, "--phone", "+74950000001"]
    code, out, err = run([*deploy_args, "--replay", "7d"], env)
    assert code == 1 and "deploy refused: 1 replayed calls now fail" in err
    assert asyncio.run(_kept(database_url)) == []  # refused: no new version, nothing kept
    code, out, err = run([*deploy_args, "--replay", "7d", "--warn-only"], env)
    assert code == 0, err
    assert "warning: deployed although 1 replayed calls now fail" in err and "scenario version 2" in out
    assert [tuple(r) for r in asyncio.run(_kept(database_url))] == [(2, 3, 1, True)]
