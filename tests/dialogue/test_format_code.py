"""``{code:code}``: a confirmation code is spoken to the caller character by character (EN and RU)."""

from __future__ import annotations

from datetime import datetime

import pytest

from voicebot.dialogue.formats import format_value, spoken_code
from voicebot.errors import ScenarioError
from voicebot.scenario import load_text

NOW = datetime(2026, 12, 9, 9, 0)


@pytest.mark.parametrize(
    ("code", "lang", "spoken"),
    [
        ("K7M2P9", "en", "K 7 M, 2 P 9"),
        ("k7m-2p9", "en", "K 7 M, 2 P 9"),
        ("K7M2P9", "ru", "кей семь эм, два пи девять"),
        ("WX34", "ru", "дабл-ю экс три, четыре"),
    ],
)
def test_a_code_is_read_one_character_at_a_time(code: str, lang: str, spoken: str) -> None:
    assert spoken_code(code, lang) == spoken
    assert format_value(code, "code", lang=lang, region="GB", now=NOW) == spoken


BOT = """\
version: 1
bot: {id: t, name: T, language: en, greeting: "Hello."}
slots:
  booking_code: {type: text, prompt: "Your code?"}
start: done
states:
  done: {say: "Your code is {booking_code:code}.", end: true, outcome: done}
"""


def test_a_text_slot_takes_the_code_format_and_other_types_do_not() -> None:
    load_text(BOT, "t.yaml")
    with pytest.raises(ScenarioError) as info:
        load_text(BOT.replace("type: text", "type: number"), "t.yaml")
    assert "unknown format 'code'" in str(info.value.problems[0])
