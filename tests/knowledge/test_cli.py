"""`voicebot knowledge` end to end: real Postgres (knowledge_docs), real Qdrant local mode, real embedder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.knowledge.conftest import SUPPORT_DOCS
from voicebot.cli.main import main

pytestmark = pytest.mark.integration

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "support.yaml"


def run(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation(env=env) as streams:
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return code, streams[0].getvalue().decode(), streams[1].getvalue().decode()


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        "DATABASE_URL": database_url,
        "VOICEBOT_DATA_DIR": str(tmp_path / "data"),
        "OPENAI_API_KEY": None,
        "QDRANT_URL": None,
    }
    code, out, err = run(["company", "create", "Nimbus", "--webhook-url", "https://hooks.example.com/x"], env)
    assert code == 0, err
    company = re.search(r"company id:\s+(\S+)", out)
    assert company
    code, out, err = run(
        ["bot", "deploy", str(SCENARIO), "--company", company.group(1), "--phone", "+14155550123"], env
    )
    assert code == 0, err
    return env


def test_add_list_search_remove(env: dict[str, str | None], tmp_path: Path) -> None:
    docs = [str(SUPPORT_DOCS / n) for n in ("faq.md", "price_list.csv", "policies.docx")]
    code, out, err = run(["knowledge", "add", "--bot", "support", *docs], env)
    assert code == 0, err
    assert re.search(r"^faq\.md: ready, \d+ passages", out, re.M)
    assert re.search(r"^price_list\.csv: ready, 13 passages", out, re.M)

    code, out, _ = run(
        ["knowledge", "search", "--bot", "support", "--top", "2", "How much is Fiber 500?"], env
    )
    assert code == 0
    first = out.splitlines()[0]
    assert re.match(r"1\. 0\.\d{3}  price_list\.csv  \[row 3\]", first)
    assert "Fiber 500 costs 34.90 dollars a month" in out

    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    code, out, err = run(["knowledge", "add", "--bot", "support", str(bad)], env)
    assert code == 1 and "error: scan.pdf: not a readable pdf file" in err and "Traceback" not in err

    code, out, _ = run(["knowledge", "list", "--bot", "support"], env)
    lines = out.splitlines()
    assert any(re.search(r"ready\s+13 passages .* price_list\.csv$", line) for line in lines)
    assert any(re.search(r"error\s+0 passages .* scan\.pdf$", line) for line in lines)
    assert "    scan.pdf: not a readable pdf file" in out

    code, out, _ = run(["knowledge", "remove", "--bot", "support", "price_list.csv"], env)
    assert code == 0 and out.startswith("removed price_list.csv (13 passages)")
    code, out, _ = run(["knowledge", "search", "--bot", "support", "--top", "10", "Fiber 500 price"], env)
    assert "price_list.csv" not in out


def test_unknown_bot_and_document_are_clear_errors(env: dict[str, str | None]) -> None:
    code, _, err = run(["knowledge", "list", "--bot", "nobody"], env)
    assert code == 1 and "error: no bot 'nobody' (see `voicebot bot list`)" in err
    code, _, err = run(["knowledge", "remove", "--bot", "support", "missing.md"], env)
    assert code == 1 and "has no document 'missing.md'" in err
