"""Text normalization shared by every extractor: lowercasing, ё→е, number words → digits, stemming.

Parsers work on a *normalized* string and report spans in it; :class:`Normalized` maps those spans back
to the caller's original text so an :class:`~voicebot.dialogue.nlu.Extraction` can quote what was said.
"""

from __future__ import annotations

import re
from functools import lru_cache

from voicebot.dialogue.nlu._numbers import replace_number_words
from voicebot.scenario.model import Language

__all__ = ["WORD", "Normalized", "normalize", "stem", "stems", "words"]

WORD = re.compile(r"[^\W_]+(?:'[^\W\d_]+)?")
"""A word: letters and digits, with an optional English contraction tail (``that's``)."""

_SAME_LENGTH = str.maketrans({"ё": "е", "’": "'", "`": "'", "‘": "'", "–": "-", "—": "-"})


class Normalized:
    """An utterance in normalized form plus the map from normalized offsets back to the original."""

    __slots__ = ("_ends", "_starts", "norm", "original")

    def __init__(self, original: str, norm: str, starts: list[int] | None, ends: list[int] | None) -> None:
        self.original = original
        self.norm = norm
        self._starts = starts
        self._ends = ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original-text span of the normalized span ``[start, end)``."""
        if self._starts is None or self._ends is None or end <= start:
            return start, end
        return self._starts[start], self._ends[end - 1]

    def quote(self, start: int, end: int) -> str:
        """The original text behind the normalized span ``[start, end)``."""
        s, e = self.span(start, end)
        return self.original[s:e]


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # A handful of characters (e.g. 'İ') lengthen when lowercased; keep offsets aligned instead.
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


@lru_cache(maxsize=2)
def normalize(text: str, lang: Language) -> Normalized:
    """Lowercase, fold ё→е and typographic punctuation, and replace number words with digits.

    The last two are kept: one turn normalizes the same text for the intent matcher and the slot
    extractor (a :class:`Normalized` is never changed once made). Two, not more, so a benchmark cycling
    through a few lines does not measure the cache."""
    base = _lower_same_length(text).translate(_SAME_LENGTH)
    replacements = replace_number_words(base, lang)
    if not replacements:
        return Normalized(text, base, None, None)
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for start, end, repl in replacements:
        if start > pos:
            pieces.append(base[pos:start])
            starts.extend(range(pos, start))
            ends.extend(range(pos + 1, start + 1))
        pieces.append(repl)
        starts.extend([start] * len(repl))
        ends.extend([end] * len(repl))
        pos = end
    if pos < len(base):
        pieces.append(base[pos:])
        starts.extend(range(pos, len(base)))
        ends.extend(range(pos + 1, len(base) + 1))
    return Normalized(text, "".join(pieces), starts, ends)


def words(text: str) -> list[str]:
    """The words of an already-lowercased text."""
    return WORD.findall(text)


_RU_ENDINGS = tuple(
    sorted(
        [
            "иями",
            "ями",
            "ами",
            "ией",
            "ием",
            "иях",
            "ого",
            "его",
            "ому",
            "ему",
            "ыми",
            "ими",
            "ться",
            "ешь",
            "ете",
            "ает",
            "яет",
            "ала",
            "ила",
            "ола",
            "ыла",
            "яла",
            "али",
            "или",
            "ая",
            "яя",
            "ое",
            "ее",
            "ые",
            "ие",
            "ый",
            "ий",
            "ой",
            "ей",
            "ую",
            "юю",
            "ом",
            "ем",
            "ах",
            "ях",
            "ию",
            "ия",
            "ью",
            "ов",
            "ев",
            "ам",
            "ям",
            "ть",
            "ся",
            "сь",
            "ет",
            "ит",
            "ут",
            "ют",
            "ат",
            "ят",
            "ал",
            "ил",
            "ы",
            "и",
            "а",
            "я",
            "о",
            "е",
            "у",
            "ю",
            "ь",
            "й",
        ],
        key=len,
        reverse=True,
    )
)
_CYRILLIC = re.compile(r"[а-я]")


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """A light stem: strips one inflectional ending (Russian) or a plural/verb suffix (English).

    Deliberately conservative (stems keep at least 3 letters): enough to make "маникюра", "маникюру" and
    "маникюр" meet, or "appointments" and "appointment", without a dictionary.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    if _CYRILLIC.search(word):
        for ending in _RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                return word[: -len(ending)]
        return word
    if word.endswith("'s"):
        word = word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith("ed") and len(word) > 4:
        return word[:-2]
    if word.endswith("es") and len(word) > 4 and word[-3] in "sxz":
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def stems(text: str) -> list[str]:
    """Stems of the words of an already-normalized text."""
    return [stem(w) for w in WORD.findall(text)]
