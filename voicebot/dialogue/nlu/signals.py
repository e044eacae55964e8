"""Cheap whole-utterance signals: is this a correction? is this garbage worth a reprompt?"""

from __future__ import annotations

import re
from typing import Final

from voicebot.dialogue.nlu._lexicon import YES_NO
from voicebot.dialogue.nlu._numbers import NUMBER_WORDS
from voicebot.dialogue.nlu._text import WORD
from voicebot.scenario.model import Language

__all__ = ["MAX_UTTERANCE_CHARS", "is_correction", "is_garbage"]

MAX_UTTERANCE_CHARS: Final = 500
"""Longer than this is not a caller turn but a transcription accident (or an attack): garbage."""

_CORRECTION: Final[dict[str, re.Pattern[str]]] = {
    "en": re.compile(
        r"^\W*no\W+(?:i\s+said|it's|it\s+is|i\s+meant|i\s+mean|make\s+it|not|the|on|at|in)\b"
        r"|\bi\s+(?:said|meant)\b|\bi\s+mean\b"
        r"|\bnot\s+[\w\s:.]{1,30}?(?:,|\bbut)\s*\w"
        r"|\bactually\b|\bmake\s+it\b|\bchange\s+(?:it|that|this)\s+to\b|\binstead\b|\brather\b"
        r"|\bcorrection\b|\bthat's\s+(?:wrong|not\s+right|not\s+what\s+i\s+said)|\bthat\s+is\s+wrong\b"
        r"|\bwhat\s+i\s+(?:said|meant)\b|\bi\s+didn't\s+say\b",
        re.IGNORECASE,
    ),
    "ru": re.compile(
        r"^\W*нет\W+(?:я\s+|же\s+)*(?:сказал|говорил|имел|не\b|на\b|в\b|во\b)"
        r"|(?<!\w)я\s+(?:же\s+)?(?:сказал|говорил|имел\w*\s+в\s+виду)"
        r"|(?<!\w)имел[аи]?\s+в\s+виду|(?<!\w)не\s+[^,]{1,30},?\s+а\s+\w"
        r"|(?<!\w)(?:вернее|точнее|поправка|поправлюсь|ошибся|ошиблась|оговорился|оговорилась)(?!\w)"
        r"|(?<!\w)(?:измените|поменяйте|исправьте|перенесите|давайте\s+лучше|лучше)\s+(?:на|в|во)(?!\w)"
        r"|(?<!\w)на\s+самом\s+деле(?!\w)|(?<!\w)а\s+не\s+\w|(?<!\w)не\s+то\s+сказал",
        re.IGNORECASE,
    ),
}


def is_correction(text: str, lang: Language) -> bool:
    """True when ``text`` is phrased as a correction of something said before.

    "no, I said Tuesday", "not Monday, Tuesday", "actually make it 4 pm", "I meant ...",
    "нет, я сказал во вторник", "не в понедельник, а во вторник", "вернее", "точнее".
    """
    return _CORRECTION[lang].search(text.replace("ё", "е").replace("Ё", "Е")) is not None


_VOWELS = frozenset("aeiouyаеёиоуыэюя")
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
_ROW_WORDS: Final = frozenset(
    row[i:j] for row in _ROWS if row.isascii() for i in range(len(row)) for j in range(i + 3, len(row) + 1)
)
"""A Latin word that is itself a run of a keyboard row ("asd", "qwerty")."""
_MASHED = re.compile(
    r"[bcdfghjklmnpqrstvwxzбвгджзйклмнпрстфхцчшщ]{5}"  # five consonants in a row
    r"|(.)\1{3}"  # a character four times
    + "".join(f"|{re.escape(row[i : i + 4])}" for row in _ROWS for i in range(len(row) - 3))  # "asdf", "фыва"
)
"""One search for the signs of a mashed word, compiled once (a turn runs it on the caller's first word)."""
_KNOWN: Final = frozenset(
    [w for lang in ("en", "ru") for phrase in YES_NO[lang] for w in phrase.split()]
    + [w for table in NUMBER_WORDS.values() for w in table]
    + ["mhm", "mmhmm", "hmm", "mm", "uh", "um", "huh", "hm", "угу", "ага", "мм", "ммм", "хм", "эм"]
)


def _mashy(word: str) -> bool:
    if len(word) <= 1 or word in _KNOWN:
        return False
    return _VOWELS.isdisjoint(word) or word in _ROW_WORDS or _MASHED.search(word) is not None


def is_garbage(text: str) -> bool:
    """True for input the engine should reprompt without trying to understand.

    Empty or blank; no letter or digit at all; longer than :data:`MAX_UTTERANCE_CHARS`; or keyboard mash:
    every word looks mashed (no vowel, five consonants in a row, a character four times, a run of a
    keyboard row such as "asdf"/"фыва") and none is a known word. Any digit makes it not garbage.
    """
    if not text or text.isspace() or len(text) > MAX_UTTERANCE_CHARS:
        return True
    if not any(c.isalnum() for c in text):
        return True
    low = text.lower()
    mashed = False
    for m in WORD.finditer(low):  # usually decided by the first word
        if not _mashy(m.group()):
            return False
        mashed = True
    return mashed and not any(c.isdigit() for c in low)
