"""Hostile input through the real CLI: a clear message and exit 1, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.storage.helpers import mini_scenario
from tests.storage.test_cli_storage import create_company, run

DEEP = "version: 1\nbot: " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str | None]:
    return {"DATABASE_URL": database_url, "VOICEBOT_DATA_DIR": str(tmp_path / "data")}


def test_check_reports_an_emoji_bot_id_and_a_5000_deep_document(tmp_path: Path) -> None:
    emoji = tmp_path / "emoji.yaml"
    emoji.write_text(mini_scenario().replace("id: mini", 'id: "\\ud83d\\ude00"'))
    deep = tmp_path / "deep.yaml"
    deep.write_text(DEEP)
    code, out, err = run(["check", str(emoji), str(deep)], {})
    text = out + err
    assert code == 1 and "Traceback" not in text and "internal error" not in text, text
    assert f"{emoji}:3:7: bot.id: '😀' is not a valid id" in text
    assert f"{deep}:2:105: nested more than 100 levels deep" in text


def test_deploy_refuses_a_5000_deep_document_with_its_position(
    env: dict[str, str | None], tmp_path: Path
) -> None:
    company = create_company(env)
    deep = tmp_path / "deep.yaml"
    deep.write_text(DEEP)
    code, out, err = run(["bot", "deploy", str(deep), "--company", company, "--phone", "+14155550100"], env)
    assert code == 1 and "Traceback" not in err + out and "RecursionError" not in err + out
    assert f"{deep}:2:105: nested more than 100 levels deep" in err


def test_deploy_refuses_an_escaped_nul(env: dict[str, str | None], tmp_path: Path) -> None:
    company = create_company(env)
    bad = tmp_path / "nul.yaml"
    bad.write_text(mini_scenario().replace('say: "Goodbye."', 'say: "Good\\0bye."'))
    code, _, err = run(["bot", "deploy", str(bad), "--company", company, "--phone", "+14155550100"], env)
    assert code == 1 and re.search(rf"{re.escape(str(bad))}:17:10: .*NUL", err), err


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest", "non-public address"),
        ("http://0x7f.1/hook", "resolves to 127.0.0.1"),
        ("http://example.com@10.0.0.1/", "credentials"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_company_create_refuses_an_internal_webhook_url(
    env: dict[str, str | None], url: str, reason: str
) -> None:
    code, out, err = run(["company", "create", "Acme", "--webhook-url", url], env)
    assert code == 1 and reason in err and "Traceback" not in err + out, err
    code, out, _ = run(["company", "list"], env)
    assert "Acme" not in out


def test_company_create_allows_a_development_receiver(env: dict[str, str | None]) -> None:
    allowed = {**env, "VOICEBOT_WEBHOOK_ALLOW_HOSTS": "127.0.0.0/8"}
    code, out, err = run(["company", "create", "Acme", "--webhook-url", "http://127.0.0.1:8080/h"], allowed)
    assert code == 0 and "company id:" in out, err
