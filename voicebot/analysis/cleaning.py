"""Cleaned caller text beside the raw STT text, with the list of corrections made.

What is cleaned (English and Russian), in this order:

* fillers: "um", "uh", "er", "erm", "hmm", "you know", "I mean" (EN); "эм", "ээ", "ну", "как бы",
  "это самое", "короче", "типа" (RU), when they stand alone as words;
* false starts: a word repeated right after itself ("I I want", "на на завтра") and cut-off words
  ("wan- want", "за- завтра");
* numbers: spoken numbers become digits the way the engine's NLU reads them ("twenty five" -> "25",
  "пять пять пять" -> "5 5 5"), so the cleaned text matches what the engine understood;
* slots: each slot the engine filled on the turn is listed as a ``slot`` correction holding the value as
  the NLU understood it (a date as ISO 8601), since a spoken date's words cannot always be mapped back.

Each correction is ``{kind, original, corrected, start, end}`` (offsets into the raw text; a ``slot``
correction has ``slot`` and ``value`` instead of offsets). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from voicebot.dialogue.nlu._numbers import NUMBER_WORDS, replace_number_words

__all__ = ["Cleaned", "clean_turn"]


@dataclass(frozen=True, slots=True)
class Cleaned:
    text: str
    corrections: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


_FILLERS: Final = {
    "en": re.compile(
        r"(?<![\w'-])(?:u+m+|u+h+|e+r+m*|h+m+|m+h*m+|ah+|you know|i mean)(?![\w'-])[,.]?\s*", re.IGNORECASE
    ),
    "ru": re.compile(
        r"(?<![\w-])(?:э+м*|а+м+|м+|ну|как бы|это самое|короче|типа)(?![\w-]),?\s*", re.IGNORECASE
    ),
}
_REPEAT: Final = re.compile(r"(?<![\w'-])([\w']+)(?:[,.]?\s+\1)+(?![\w'-])", re.IGNORECASE)
_CUT_OFF: Final = re.compile(r"(?<![\w'-])([\w']{1,12})-\s+(?=(\w+))", re.IGNORECASE)


def _edits(text: str, lang: str) -> list[tuple[int, int, str, str]]:
    """(start, end, replacement, kind) over the raw text, non-overlapping."""
    found: list[tuple[int, int, str, str]] = []
    for m in _FILLERS["ru" if lang == "ru" else "en"].finditer(text):
        found.append((m.start(), m.end(), "", "filler"))
    for m in _REPEAT.finditer(text):
        word = m.group(1)
        if word.isdigit() or word.lower() in NUMBER_WORDS["ru" if lang == "ru" else "en"]:
            continue  # "five five five" is a phone number, not a stutter
        found.append((m.start(), m.end(), word, "false_start"))
    for m in _CUT_OFF.finditer(text):
        if m.group(2).lower().startswith(m.group(1).lower()):
            found.append((m.start(), m.end(), "", "false_start"))
    low = text.lower()
    for start, end, digits in replace_number_words(low, "ru" if lang == "ru" else "en"):
        if low[start:end] in ("a", "and", "one") and not digits.isdigit():
            continue
        found.append((start, end, digits, "number"))
    found.sort(key=lambda e: (e[0], -(e[1] - e[0])))
    out: list[tuple[int, int, str, str]] = []
    for edit in found:
        if out and edit[0] < out[-1][1]:
            continue
        out.append(edit)
    return out


def clean_turn(text: str, lang: str = "en", *, slots: Sequence[tuple[str, Any]] = ()) -> Cleaned:
    """The cleaned text of one caller turn and its corrections; ``slots``: (name, value) filled on it."""
    language = "ru" if lang.startswith("ru") else "en"
    parts: list[str] = []
    corrections: list[Mapping[str, Any]] = []
    pos = 0
    for start, end, replacement, kind in _edits(text, language):
        parts.append(text[pos:start])
        parts.append(replacement + (" " if kind == "filler" and replacement else ""))
        corrections.append(
            {"kind": kind, "original": text[start:end], "corrected": replacement, "start": start, "end": end}
        )
        pos = end
    parts.append(text[pos:])
    cleaned = re.sub(r"\s+([,.?!])", r"\1", re.sub(r"\s{2,}", " ", "".join(parts))).strip(" ,")
    if cleaned[:1].islower() and text[:1].isupper():
        cleaned = cleaned[0].upper() + cleaned[1:]
    for name, value in slots:
        corrections.append({"kind": "slot", "slot": name, "value": value})
    return Cleaned(cleaned, tuple(corrections))
