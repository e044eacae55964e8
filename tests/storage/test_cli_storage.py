"""`voicebot db|company|bot` through the real entry point: clear messages, exit 1, no traceback."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from voicebot.cli.main import main
from voicebot.storage import create_pool


def run(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    """Run ``voicebot ARGS`` via main() (which turns our errors into messages), in CliRunner's isolation."""
    runner = CliRunner()
    with runner.isolation(env=env) as streams:
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = streams[0].getvalue().decode(), streams[1].getvalue().decode()
    return code, out, err


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str | None]:
    return {"DATABASE_URL": database_url, "VOICEBOT_DATA_DIR": str(tmp_path / "data")}


def create_company(env: dict[str, str | None]) -> str:
    code, out, err = run(["company", "create", "Acme", "--webhook-url", "https://hooks.example.com/x"], env)
    assert code == 0, err
    match = re.search(r"company id:\s+(\S+)", out)
    assert match and re.search(r"api key:\s+vbk_\S+", out)
    return match.group(1)


def test_company_create_then_bot_deploy_and_list(env: dict[str, str | None], scenario_file: Path) -> None:
    company = create_company(env)
    code, out, err = run(
        ["bot", "deploy", str(scenario_file), "--company", company, "--phone", "+14155550100"], env
    )
    assert code == 0, err
    assert re.match(r"bot [0-9a-f-]{36} created: mini on \+14155550100, scenario version 1\n", out)
    scenario_file.write_text(scenario_file.read_text().replace("Goodbye.", "Bye."))
    code, out, _ = run(
        ["bot", "deploy", str(scenario_file), "--company", company, "--phone", "+14155550100"], env
    )
    assert code == 0 and "updated" in out and "version 2" in out
    code, out, _ = run(["bot", "list"], env)
    assert code == 0 and "+14155550100" in out and "v2" in out and "mini" in out


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("4155550100", "international form"),
        ("+1abc", "not a phone number"),
        ("+1234", "not a possible number"),
    ],
)
def test_bad_phone_number_is_a_clear_error(
    env: dict[str, str | None], scenario_file: Path, phone: str, message: str
) -> None:
    company = create_company(env)
    code, out, err = run(["bot", "deploy", str(scenario_file), "--company", company, "--phone", phone], env)
    assert code == 1 and message in err and "Traceback" not in err + out


def test_unknown_company_is_a_clear_error(env: dict[str, str | None], scenario_file: Path) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    code, _, err = run(
        ["bot", "deploy", str(scenario_file), "--company", unknown, "--phone", "+14155550100"], env
    )
    assert (code, err.strip()) == (1, f"error: no company with id {unknown}")
    code, _, err = run(
        ["bot", "deploy", str(scenario_file), "--company", "acme", "--phone", "+14155550100"], env
    )
    assert code == 1 and "is not a UUID" in err and "Traceback" not in err


def test_invalid_scenario_prints_the_checkers_problems_and_writes_nothing(
    env: dict[str, str | None], tmp_path: Path
) -> None:
    company = create_company(env)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nbot: {id: bad, name: Bad, language: en, greeting: Hi}\n"
        "start: nowhere\nstates:\n  a: {end: true}\n"
    )
    code, out, err = run(["bot", "deploy", str(bad), "--company", company, "--phone", "+14155550100"], env)
    assert code == 1 and "Traceback" not in err + out
    assert re.search(rf"{re.escape(str(bad))}:\d+:\d+: .*nowhere", err)
    code, _, err = run(
        ["bot", "deploy", str(tmp_path / "missing.yaml"), "--company", company, "--phone", "+14155550100"],
        env,
    )
    assert code == 1 and "missing.yaml" in err


def test_nothing_is_written_for_an_invalid_scenario(env: dict[str, str | None]) -> None:
    company = create_company(env)
    bad = Path(str(env["VOICEBOT_DATA_DIR"])).parent / "bad.yaml"
    bad.write_text("version: 1\nbot: {id: bad}\n")
    code, _, _ = run(["bot", "deploy", str(bad), "--company", company, "--phone", "+14155550100"], env)
    assert code == 1

    async def count() -> tuple[int, int]:
        pool = await create_pool(str(env["DATABASE_URL"]))
        try:
            bots = await pool.fetchval("SELECT count(*) FROM bots")
            return bots, await pool.fetchval("SELECT count(*) FROM scenario_versions")
        finally:
            await pool.close()

    assert asyncio.run(count()) == (0, 0)


def test_db_migrate_is_a_noop_when_up_to_date_and_status_redacts_the_password(
    env: dict[str, str | None],
) -> None:
    code, out, _ = run(["db", "migrate"], env)
    assert (code, out.strip()) == (0, "database schema is up to date")
    code, out, _ = run(["db", "status"], env)
    assert code == 0 and "(from DATABASE_URL)" in out and "0 pending" in out


def test_embedded_cluster_start_status_stop(tmp_path: Path) -> None:
    env: dict[str, str | None] = {"DATABASE_URL": None, "VOICEBOT_DATA_DIR": str(tmp_path / "data")}
    try:
        code, out, err = run(["db", "start"], env)
        assert code == 0, err
        assert re.match(r"postgresql://voicebot:\S+@127\.0\.0\.1:\d+/voicebot$", out.strip())
        code, out, _ = run(["company", "create", "Embedded Co"], env)  # migrates the embedded cluster itself
        assert code == 0 and "api key" in out
        code, out, _ = run(["db", "status"], env)
        assert code == 0 and "embedded cluster" in out and "0 pending" in out
        code, out, _ = run(["db", "stop"], env)
        assert (code, out.strip()) == (0, "embedded PostgreSQL stopped")
        code, out, _ = run(["db", "status"], env)
        assert code == 0 and "stopped" in out
    finally:
        from voicebot.storage import EmbeddedPostgres

        EmbeddedPostgres(tmp_path / "data").destroy()


def test_missing_server_binaries_name_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import glob

    from voicebot.errors import EmbeddedPostgresError
    from voicebot.storage import find_bin_dir

    monkeypatch.setattr(glob, "glob", lambda pattern: [])
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(EmbeddedPostgresError, match=r"apt-get install -y postgresql"):
        find_bin_dir()
