"""JSON Schema, Mermaid graph and the check/schema/graph commands."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from voicebot.cli.main import cli
from voicebot.scenario import json_schema, load_file, load_text, mermaid

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[2]
BROKEN = """bot: {id: t, name: T, language: en, greeting: Hi}
start: a
states:
  a: {sya: Hello, end: true, outcome: done}
"""


def test_schema_has_header_and_describes_the_format() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:voicebot:scenario:1"
    assert schema["title"] == "voicebot scenario"
    assert {"bot", "states", "start", "global"} <= set(schema["properties"])
    assert schema["$defs"]["State"]["properties"]["return"]["type"] == "boolean"
    assert schema["$defs"]["State"]["description"]


def test_committed_schema_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "scenario.schema.json").read_text(encoding="utf-8")
    expected = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    assert committed == expected, "regenerate: voicebot schema -o docs/scenario.schema.json"


def test_graph_has_start_transition_next_and_terminal_edges() -> None:
    diagram = mermaid(load_file(DATA / "salon.yaml").scenario)
    lines = diagram.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> menu" in lines
    assert "    menu" in lines  # every state is declared (a note may name one no edge reaches)
    assert "    menu --> booking : intent book" in lines
    assert "    menu --> operator : dtmf 0" in lines
    assert "    menu --> operator : fallback" in lines
    assert "    booking --> operator : event retries_exhausted" in lines
    assert "    confirm --> booked : when confirmed == true" in lines
    assert "    booked --> [*] : end, outcome booked" in lines
    assert "    operator --> [*] : transfer +442071234567" in lines
    assert "        human → operator" in lines


def test_graph_escapes_labels_and_aliases_reserved_names() -> None:
    scenario = load_text(
        """bot: {id: t, name: T, language: en, greeting: Hi}
slots:
  n: {type: number, prompt: How many}
start: note
states:
  note:
    collect: [n]
    next: end
    transitions:
      - {when: "n >= 2 and n < 10 and n != 3 and n != 4 and n != 5 and n != 6", to: end}
  end: {say: "Bye: see you; #1", end: true, outcome: "done"}
"""
    ).scenario
    lines = mermaid(scenario).splitlines()
    assert '    state "note" as note_state' in lines
    assert "    note_state --> end_state : when n #62;= 2 and n #60; 10 and n != 3 and n != 4…" in lines
    assert "    note_state --> end_state : next" in lines
    assert "    end_state --> [*] : end, outcome done" in lines


def test_check_ok(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(DATA / "salon.yaml"), str(DATA)])
    assert (result.exit_code, result.output) == (0, "ok: 1 scenario\n")


def test_check_prints_problems_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(bad), str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{bad}:4:7: unknown key 'sya' in state 'a' (did you mean 'say'?); "
        "valid keys: say, collect, knowledge, llm, transitions, next, return, outcome, transfer, end, "
        "reprompt, no_input, max_retries, clear, set, copy, edit, action, voicemail, "
        "menu, send_dtmf, turn_taking, barge_in",
        f"{tmp_path / 'missing.yaml'}:1:1: no such file or directory",
    ]


def test_check_needs_a_path() -> None:
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    assert "Missing argument 'PATHS...'" in result.output


def test_schema_command_prints_json_or_writes_a_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json_schema()
    out = tmp_path / "s.json"
    assert CliRunner().invoke(cli, ["schema", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == json_schema()


def test_graph_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["graph", str(DATA / "salon.yaml"), "--markdown"])
    assert result.exit_code == 0
    assert result.output.startswith("```mermaid\nstateDiagram-v2\n")
    assert result.output.endswith("```\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(cli, ["graph", str(bad)])
    assert (result.exit_code, result.output) == (
        1,
        f"{bad}:4:7: unknown key 'sya' in state 'a' (did you mean 'say'?); "
        "valid keys: say, collect, knowledge, llm, transitions, next, return, outcome, transfer, end, "
        "reprompt, no_input, max_retries, clear, set, copy, edit, action, voicemail, "
        "menu, send_dtmf, turn_taking, barge_in\n",
    )


def test_commands_have_help() -> None:
    for name in ("check", "schema", "graph"):
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Usage: " in result.output
