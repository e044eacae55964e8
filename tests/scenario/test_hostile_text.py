"""Scenario text Postgres or a terminal cannot take, and documents nested to exhaust the recursion limit:
refused by the loader with file:line:col, fast."""

from __future__ import annotations

import time

import pytest

from tests.storage.helpers import mini_scenario
from voicebot.errors import ScenarioError
from voicebot.scenario import load_text
from voicebot.scenario.yamlsource import MAX_DEPTH, parse_yaml


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "bot.yaml")
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("escape", "message"),
    [("\\0", "NUL character"), ("\\ud800", "lone UTF-16 surrogate"), ("\\udfff", "lone UTF-16 surrogate")],
)
def test_escaped_nul_and_lone_surrogates_are_refused_where_written(escape: str, message: str) -> None:
    text = mini_scenario().replace('say: "Goodbye."', f'say: "Good{escape}bye."')
    assert any(p.startswith("bot.yaml:17:10: ") and message in p for p in _problems(text))


def test_a_nul_in_a_key_is_refused_too() -> None:
    text = mini_scenario().replace("  done:\n", '  "do\\0ne":\n')
    assert any(p.startswith("bot.yaml:16:3: ") and "NUL" in p for p in _problems(text))


def test_a_raw_lone_surrogate_in_the_text_is_refused_at_its_position() -> None:
    text = mini_scenario().replace("Goodbye.", "Good\ud800bye.")
    assert _problems(text) == [
        "bot.yaml:17:15: character U+D800 (a lone UTF-16 surrogate) is not allowed in YAML"
    ]


def test_an_escaped_surrogate_pair_is_the_character_it_encodes() -> None:
    text = mini_scenario().replace('say: "Goodbye."', 'say: "Bye \\ud83d\\ude00"')
    loaded = load_text(text, "bot.yaml")
    assert loaded.scenario.states["done"].say == "Bye 😀"
    # As a bot id it is a clear problem, printable as UTF-8 (no UnicodeEncodeError).
    problems = _problems(mini_scenario().replace("id: mini", 'id: "\\ud83d\\ude00"'))
    assert problems == [
        "bot.yaml:3:7: bot.id: '😀' is not a valid id (lowercase letters, digits, '_', '-'; "
        "starting with a letter)"
    ]
    for p in problems:
        p.encode("utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nbot: " + "[" * 5000 + "]" * 5000 + "\n",
        "version: 1\nbot: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
        "version: 1\nbot:\n" + "".join("  " * i + "-\n" for i in range(1, 5001)),
    ],
    ids=["flow-lists", "flow-maps", "block-lists"],
)
def test_a_document_nested_5000_deep_is_refused_fast_with_a_position(text: str) -> None:
    started = time.perf_counter()
    problems = _problems(text)
    elapsed = time.perf_counter() - started
    assert len(problems) == 1 and problems[0].endswith(f"nested more than {MAX_DEPTH} levels deep")
    assert problems[0].startswith("bot.yaml:")
    assert elapsed < 0.5, elapsed


def test_aliases_cannot_nest_deeper_than_the_limit() -> None:
    deep = "[" * 60 + "{}" + "]" * 60
    doc = f"a0: &a0 {deep}\n" + "".join(
        f"a{i}: &a{i} " + "[" * 60 + f"*a{i - 1}" + "]" * 60 + "\n" for i in range(1, 30)
    )
    parsed = parse_yaml(doc, "bot.yaml")
    assert parsed.data is None
    # Reported at the (anchored) node where the expanded nesting crosses the limit.
    assert [str(p) for p in parsed.problems] == [f"bot.yaml:1:49: nested more than {MAX_DEPTH} levels deep"]


def test_ordinary_nesting_is_untouched() -> None:
    text = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"  # the mapping is level 1
    assert parse_yaml(text, "x.yaml").problems == []
