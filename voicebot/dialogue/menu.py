"""Keypad menus compiled once per scenario: each option's machine trigger and the phrases that choose it.

A caller chooses option ``1 -> bookings`` by pressing 1 or by saying it: the option's label or one of its
``words`` ("bookings", "I'd like to book"), its ordinal ("the first", "first one", "первый") or its key
("one", "press one", "один"). Labels are the most specific and win over ordinals, which win over key
words: "the second one" is option 2, not option 1. Two options matching at the same level is no choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from transitions import Machine

from voicebot.scenario.keypad import KeypadMenu
from voicebot.scenario.modelbase import Examples, Text

__all__ = ["CompiledMenu", "CompiledOption", "announcement", "choose", "compile_menu"]

KEY_WORDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        "0": ("zero", "0"),
        "1": ("one", "1"),
        "2": ("two", "2"),
        "3": ("three", "3"),
        "4": ("four", "4"),
        "5": ("five", "5"),
        "6": ("six", "6"),
        "7": ("seven", "7"),
        "8": ("eight", "8"),
        "9": ("nine", "9"),
        "*": ("star", "asterisk"),
        "#": ("pound", "hash", "hash key"),
    },
    "ru": {
        "0": ("ноль", "нуль", "0"),
        "1": ("один", "одна", "единица", "единицу", "1"),
        "2": ("два", "две", "двойка", "двойку", "2"),
        "3": ("три", "тройка", "тройку", "3"),
        "4": ("четыре", "четвёрка", "четверка", "четвёрку", "четверку", "4"),
        "5": ("пять", "пятёрка", "пятерка", "пятёрку", "пятерку", "5"),
        "6": ("шесть", "шестёрка", "шестерка", "6"),
        "7": ("семь", "семёрка", "семерка", "7"),
        "8": ("восемь", "восьмёрка", "восьмерка", "8"),
        "9": ("девять", "девятка", "девятку", "9"),
        "*": ("звёздочка", "звездочка", "звёздочку", "звездочку"),
        "#": ("решётка", "решетка", "решётку", "решетку"),
    },
}
"""How each key is said, per language (the digit itself too: STT often writes "1")."""

ORDINALS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "en": (
        ("first",),
        ("second",),
        ("third",),
        ("fourth",),
        ("fifth",),
        ("sixth",),
        ("seventh",),
        ("eighth",),
        ("ninth",),
        ("tenth",),
        ("eleventh",),
        ("twelfth",),
    ),
    "ru": tuple(
        tuple(stem + end for end in ("ый", "ой", "ий", "ая", "ое", "ую", "ого", "ое"))
        for stem in (
            "перв",
            "втор",
            "трет",
            "четвёрт",
            "пят",
            "шест",
            "седьм",
            "восьм",
            "девят",
            "десят",
            "одиннадцат",
            "двенадцат",
        )
    ),
}
"""Ordinals per position (option order as written): "the first" is the first option listed."""

ANNOUNCE: Final[dict[str, str]] = {"en": "For {label}, press {key}.", "ru": "{label} — нажмите {key}."}
KEY_NAMES: Final[dict[str, dict[str, str]]] = {
    "en": {"*": "star", "#": "pound"},
    "ru": {"*": "звёздочку", "#": "решётку"},
}

_WORD = re.compile(r"[\w*#]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class CompiledOption:
    key: str
    to: str
    trigger: str
    label: dict[str, str]
    say: object | None
    """The option's ``say`` (a CompiledText), said while taking it."""
    phrases: tuple[tuple[str, ...], ...]
    """Label and ``words`` phrases of the bot's language, as word tuples."""
    ordinals: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledMenu:
    options: tuple[CompiledOption, ...]
    announce: bool

    def by_key(self, key: str) -> CompiledOption | None:
        return next((o for o in self.options if o.key == key), None)


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower().replace("ё", "е")))


def _texts(text: Text | Examples, lang: str) -> list[str]:
    if isinstance(text, str):
        return [text]
    if isinstance(text, list):
        return list(text)
    value = text.get(lang)  # type: ignore[call-overload]
    if value is None:
        return [v for vs in text.values() for v in ([vs] if isinstance(vs, str) else vs)]
    return [value] if isinstance(value, str) else list(value)


def compile_menu(
    state: str,
    menu: KeypadMenu | None,
    machine: Machine,
    lang: str,
    text: Callable[[Text | None, str], object | None],
) -> CompiledMenu | None:
    """Add one machine transition per option (``state#menu<i>``) and gather what chooses it."""
    if menu is None:
        return None
    options = []
    keys = KEY_WORDS.get(lang, KEY_WORDS["en"])
    ordinals = ORDINALS.get(lang, ORDINALS["en"])
    for i, option in enumerate(menu.options):
        trigger = f"{state}#menu{i}"
        machine.add_transition(trigger, source=state, dest=option.to)
        phrases = [_tokens(p) for p in (*_texts(option.label, lang), *_texts(option.words, lang))]
        label = option.label if isinstance(option.label, dict) else {lang: option.label}
        options.append(
            CompiledOption(
                key=option.key,
                to=option.to,
                trigger=trigger,
                label={str(k): v for k, v in label.items()},
                say=text(option.say, lang),
                phrases=tuple(p for p in phrases if p),
                ordinals=tuple(w.replace("ё", "е") for w in ordinals[i]) if i < len(ordinals) else (),
                keywords=tuple(_tokens(" ".join(keys.get(option.key, ())))),
            )
        )
    return CompiledMenu(tuple(options), menu.announce)


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def choose(menu: CompiledMenu, text: str) -> CompiledOption | None:
    """The option ``text`` chooses (see the module docstring), or None."""
    words = _tokens(text)
    if not words:
        return None
    tiers: tuple[Callable[[CompiledOption], bool], ...] = (
        lambda o: any(_contains(words, p) for p in o.phrases),
        lambda o: any(w in o.ordinals for w in words),
        lambda o: any(w in o.keywords for w in words),
    )
    for matches in tiers:
        found = [o for o in menu.options if matches(o)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None
    return None


def announcement(menu: CompiledMenu, lang: str) -> str:
    """'For bookings, press 1. For billing, press 2.' in the bot's language."""
    template = ANNOUNCE.get(lang, ANNOUNCE["en"])
    names = KEY_NAMES.get(lang, KEY_NAMES["en"])
    parts = []
    for option in menu.options:
        label = option.label.get(lang) or next(iter(option.label.values()))
        parts.append(template.format(label=label, key=names.get(option.key, option.key)))
    return " ".join(parts)
