"""The loader: YAML syntax, schema errors mapped to file:line:col, duplicate keys, files and directories."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from voicebot.errors import ScenarioError
from voicebot.scenario import check_paths, load_file, load_text

DATA = Path(__file__).parent / "data"

BOT = "bot: {id: t, name: T, language: en, greeting: Hi}\n"


def test_valid_scenario_loads_with_source_hash_and_positions() -> None:
    loaded = load_file(DATA / "salon.yaml")
    source = (DATA / "salon.yaml").read_text(encoding="utf-8")
    assert loaded.scenario.start == "menu"
    assert loaded.sha256 == hashlib.sha256(source.encode()).hexdigest()
    assert loaded.source == source
    assert loaded.path == str(DATA / "salon.yaml")
    assert loaded.positions.key(("states", "booking")) == (72, 3)
    assert loaded.positions.value(("states", "booking", "transitions", 0, "to")) == (76, 13)


def test_yaml_one_point_two_scalars_keep_yes_no_and_times_as_strings() -> None:
    loaded = load_text(
        BOT
        + """start: a
slots:
  t: {type: time, earliest: 09:00, latest: 18:30, prompt: When}
states:
  a:
    collect: [t]
    transitions:
      - intent: yes
        to: b
      - intent: no
        to: b
      - fallback: true
        to: b
  b: {end: true, outcome: done}
"""
    )
    transitions = loaded.scenario.states["a"].transitions
    assert [t.intent for t in transitions[:2]] == ["yes", "no"]
    slot = loaded.scenario.slots["t"]
    assert (getattr(slot, "earliest", None), getattr(slot, "latest", None)) == ("09:00", "18:30")


def test_yaml_syntax_error_points_at_the_error(problems: Callable[[str], list[str]]) -> None:
    assert problems(BOT + "start: a\nstates:\n  a: [1\n  b: 2\n") == [
        "s.yaml:5:4: YAML syntax error: expected ',' or ']', but got ':' (while parsing a flow sequence)"
    ]


def test_tab_indentation_is_explained(problems: Callable[[str], list[str]]) -> None:
    assert problems(BOT + "start: a\nstates:\n\ta: {}\n") == [
        "s.yaml:4:1: YAML syntax error: found character '\\t' that cannot start any token "
        "(while scanning for the next token); indent with spaces, not tabs"
    ]


def test_empty_file_is_a_problem(problems: Callable[[str], list[str]]) -> None:
    assert problems("# nothing\n") == ["s.yaml:1:1: the file is empty"]


def test_top_level_must_be_a_mapping(problems: Callable[[str], list[str]]) -> None:
    assert problems("- a\n- b\n") == ["s.yaml:1:1: expected a mapping, got a list"]


def test_unknown_key_with_suggestion(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a:
            sya: Hello
            end: true
            outcome: done
        """
    ) == [
        "s.yaml:5:5: unknown key 'sya' in state 'a' (did you mean 'say'?); "
        "valid keys: say, collect, knowledge, llm, transitions, next, return, outcome, transfer, end, "
        "reprompt, no_input, max_retries, clear, set, copy, edit, action, voicemail, "
        "menu, send_dtmf, turn_taking, barge_in"
    ]


def test_unknown_top_level_key_with_suggestion(problems: Callable[[str], list[str]]) -> None:
    assert problems(BOT + "start: a\nstate:\n  a: {end: true, outcome: x}\n") == [
        "s.yaml:1:1: missing required key 'states' at the top level",
        "s.yaml:3:1: unknown key 'state' at the top level (did you mean 'states'?); "
        "valid keys: version, bot, settings, slots, intents, global, start, states, outcomes, actions, "
        "calendar, voicemail, book",
    ]


def test_wrong_type_names_the_key_and_value(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        slots:
          people: {type: number, min: abc, prompt: How many}
        start: a
        states:
          a: {end: true, outcome: done}
        """
    ) == ["s.yaml:3:31: slots.people.min: expected a number, got 'abc'"]


def test_unknown_slot_type_lists_the_types(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        slots:
          date:
            type: dat
        start: a
        states:
          a: {end: true, outcome: done}
        """
    ) == [
        "s.yaml:4:11: slots.date.type: 'dat' is not one of text, enum, number, date, time, datetime, "
        "phone, email, yes_no"
    ]


def test_text_or_language_map_union_gives_one_message(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: [Hi]}
        start: a
        states:
          a: {say: {fr: Bonjour}, end: true, outcome: done}
        """
    ) == [
        "s.yaml:1:47: bot.greeting: expected text or a per-language mapping ({en: ..., ru: ...}), got a list",
        "s.yaml:4:13: states.a.say: expected 'en' or 'ru', got 'fr'",
    ]


def test_missing_key_points_at_the_parent(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a:
            transitions:
              - intent: yes
        """
    ) == ["s.yaml:6:9: missing required key 'to' in states.a.transitions[0]"]


def test_model_rule_points_at_the_item(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a:
            transitions:
              - to: a
        """
    ) == [
        "s.yaml:6:9: states.a.transitions[0]: "
        "a transition needs exactly one of intent, when, event, dtmf, fallback"
    ]


def test_bad_state_name_points_at_the_key(problems: Callable[[str], list[str]]) -> None:
    assert problems(BOT + "start: a\nstates:\n  Greet: {end: true}\n") == [
        "s.yaml:2:8: start: unknown state 'a'",
        "s.yaml:4:3: states: 'Greet' is not a valid name "
        "(use lowercase letters, digits and '_', starting with a letter)",
    ]


def test_duplicate_state_is_reported_with_the_first_line(problems: Callable[[str], list[str]]) -> None:
    found = problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        start: a
        states:
          a: {end: true, outcome: done}
          a: {end: true, outcome: other}
        """
    )
    assert found == ["s.yaml:5:3: duplicate state 'a' (first defined at line 4)"]


def test_duplicate_plain_key(problems: Callable[[str], list[str]]) -> None:
    assert problems(BOT + "start: a\nstart: b\nstates:\n  a: {end: true, outcome: x}\n") == [
        "s.yaml:3:1: duplicate key 'start' (first defined at line 2)"
    ]


def test_unsupported_tag_is_a_problem(problems: Callable[[str], list[str]]) -> None:
    assert problems(BOT + "start: !!python/name:os.system a\nstates:\n  a: {end: true, outcome: x}\n") == [
        "s.yaml:2:8: unsupported YAML tag 'tag:yaml.org,2002:python/name:os.system'"
    ]


def test_alias_bomb_fails_fast(problems: Callable[[str], list[str]]) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    found = problems("\n".join(lines) + "\n")
    assert found == ["s.yaml:1:1: document too large (alias expansion?)"]


def test_merge_keys_share_settings() -> None:
    loaded = load_text(
        BOT
        + """start: a
global:
  - {intent: cancel, to: c}
states:
  a: {say: Hi, next: b}
  b: &ending {say: Bye, end: true, outcome: done}
  c:
    <<: *ending
    say: Bye again
"""
    ).scenario
    assert loaded.states["c"].outcome == "done"
    assert loaded.states["c"].say == "Bye again"


def test_load_raises_with_every_problem_sorted() -> None:
    with pytest.raises(ScenarioError) as info:
        load_text(BOT + "start: nowhere\nstates:\n  a: {sya: x}\n", "x.yaml")
    # schema errors no longer hide the static checks: start (line 2), the unknown key and the dead end (4)
    assert [p.line for p in info.value.problems] == [2, 4, 4]
    assert "start: unknown state 'nowhere'" in info.value.problems[0].message


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_file(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}:1:1: no such file"


def test_non_utf8_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"bot:\n  name: caf\xe9\n")
    assert check_paths([path]) == [load_error(path, 2, 12, "the file is not UTF-8 text")]


def load_error(path: Path, line: int, col: int, message: str) -> object:
    from voicebot.errors import Problem

    return Problem(str(path), line, col, message)


def test_check_paths_searches_directories_and_skips_test_files(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text((DATA / "salon.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "good.test.yaml").write_text("not: [a scenario", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.yaml").write_text(BOT + "start: a\nstates: {}\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    found = [str(p) for p in check_paths([tmp_path, tmp_path / "empty", tmp_path / "missing.yaml"])]
    assert found == [
        f"{tmp_path / 'empty'}:1:1: no scenario files (*.yaml) in this directory",
        f"{tmp_path / 'missing.yaml'}:1:1: no such file or directory",
        f"{tmp_path / 'sub' / 'bad.yaml'}:2:8: start: unknown state 'a'",
    ]


def test_a_directory_search_skips_tests_personas_and_replay_expectations(tmp_path: Path) -> None:
    from voicebot.scenario.loader import find_scenario_files

    for name in ("bot.yaml", "bot.test.yaml", "ann.persona.yaml", "bot.replay.yaml"):
        (tmp_path / name).write_text("version: 1\n", encoding="utf-8")
    files, problems = find_scenario_files([tmp_path])
    assert [f.name for f in files] == ["bot.yaml"] and problems == []
