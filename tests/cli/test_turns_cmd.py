"""``voicebot turns FILE``: the turn-taking table of a scenario, and a clear error for a bad file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from voicebot.cli.main import cli

SOURCE = """version: 1
bot: {id: t, name: T, language: en, greeting: "Hi."}
slots:
  ok: {type: yes_no, prompt: "OK?"}
  card: {type: text, input: [speech, dtmf], digits: 16, prompt: "Card?"}
start: ask
states:
  ask:
    collect: [ok, card]
    transitions: [{when: "filled('card')", to: terms}, {fallback: true, to: terms}]
  terms: {say: "Terms.", barge_in: false, end: true, outcome: done}
"""


def test_turns_prints_the_timing_per_state_and_slot(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(SOURCE)
    result = CliRunner().invoke(cli, ["turns", str(path)])
    assert result.exit_code == 0
    rows = [line.split() for line in result.output.splitlines()[1:]]
    assert rows[1][:6] == ["ask", "ok", "yes_no", "vad", "0.3", "1.5"]
    assert rows[2][:6] == ["ask", "card", "digits", "vad", "1.8", "6.0"]
    assert rows[3][0] == "terms" and rows[3][6] == "no"


def test_turns_on_a_bad_file_prints_problems_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SOURCE.replace("digits: 16", "digits: 0"))
    result = CliRunner().invoke(cli, ["turns", str(path)])
    assert (
        result.exit_code == 1 and result.output.startswith(f"{path}:5:") and "Traceback" not in result.output
    )
