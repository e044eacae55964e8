"""Stemmed content words of a text, Russian and English: what lexical search and answers compare.

Each word is stemmed by its script (Cyrillic: Russian Snowball, else English Snowball); stop words of
both languages are dropped; "ё" is read as "е". Pure Python (snowballstemmer), no numpy.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

__all__ = ["lexical_terms"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яё]")
_RU = snowballstemmer.stemmer("russian")
_EN = snowballstemmer.stemmer("english")

_STOP_WORDS = (
    "a an the and or but if of to in on at by for with from about into over is are was were be been "
    "being am do does did have has had i you he she it we they me my your our their this that these "
    "those what which who whom whose when where why how can could would should will shall may might "
    "must not there here as so than then too very just also any some all please tell know want "
    "like get need s t "
    "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне "
    "было вот от меня еще нет о из ему когда даже ну ли если уже или ни быть был него до вас нибудь "
    "уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам "
    "чтобы без чего раз тоже себе под будет ж тогда кто этот того потому этого какой здесь этом мой "
    "тем нее сейчас были куда зачем всех можно при об хоть после над тот через эти нас про всего них "
    "какая эту моя этой перед им ли скажите подскажите пожалуйста хочу хотел хотела у вас ваш ваши"
)
_STOP = frozenset(_STOP_WORDS.split())


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    if word.isdigit():
        return word
    if _CYRILLIC.search(word):
        return str(_RU.stemWord(word))
    return str(_EN.stemWord(word))


def lexical_terms(text: str) -> list[str]:
    """The stemmed content words of ``text`` (stop words of both languages dropped)."""
    words = (m.group(0).lower().replace("ё", "е") for m in _WORD.finditer(text))
    return [_stem(w) for w in words if w not in _STOP]
