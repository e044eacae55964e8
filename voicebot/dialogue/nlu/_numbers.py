"""Number words → digits, in English and Russian ("twenty five" → 25, "двадцать пятого" → 25-го).

Sequences combine only where a speaker would mean one number ("twenty five" is 25, "five five five" is
three fives, as in a phone number). Ordinals come out as ``15th`` (English) or ``15-го`` (Russian) so
date patterns can tell "the fifteenth" from "fifteen".
"""

from __future__ import annotations

import re
from typing import Final

from voicebot.scenario.model import Language

__all__ = ["NUMBER_WORDS", "replace_number_words"]

# Classes: Z zero, U unit 1-9, T teen 10-19, D tens 20-90, H Russian hundreds 100-900, HW "hundred",
# K "thousand", A English "a" (a hundred), N English "and".
_Entry = tuple[str, int, bool]  # (class, value, ordinal)

_NEXT: Final[dict[str | None, frozenset[str]]] = {
    None: frozenset("ZUTDHWKA"),
    "U": frozenset("WK"),
    "T": frozenset("WK"),
    "D": frozenset("UK"),
    "H": frozenset("UTDK"),
    "W": frozenset("UTDKN"),
    "K": frozenset("UTDHN"),
    "A": frozenset("WK"),
    "N": frozenset("UTD"),
    "Z": frozenset(),
}


def _en() -> dict[str, _Entry]:
    table: dict[str, _Entry] = {"zero": ("Z", 0, False), "hundred": ("W", 100, False)}
    table["thousand"] = ("K", 1000, False)
    table["a"] = ("A", 1, False)
    table["and"] = ("N", 0, False)
    units = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    units_ord = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
    for i, (c, o) in enumerate(zip(units, units_ord, strict=True), start=1):
        table[c] = ("U", i, False)
        table[o] = ("U", i, True)
    teens = [
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ]
    for i, c in enumerate(teens, start=10):
        table[c] = ("T", i, False)
        table["twelfth" if c == "twelve" else c + "th"] = ("T", i, True)
    tens = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    for i, c in enumerate(tens, start=2):
        table[c] = ("D", i * 10, False)
        table[c[:-1] + "ieth"] = ("D", i * 10, True)
    table["hundredth"] = ("W", 100, True)
    return table


def _ru() -> dict[str, _Entry]:
    table: dict[str, _Entry] = {}

    def add(cls: str, value: int, forms: str, ordinal: bool = False) -> None:
        for form in forms.split():
            table.setdefault(form, (cls, value, ordinal))

    add("Z", 0, "ноль нуль нуля")
    cardinal_units = [
        "один одна одно одного одной одну одному одним",
        "два две двух двум двумя",
        "три трех трем тремя",
        "четыре четырех четырем четырьмя",
        "пять пяти пятью",
        "шесть шести шестью",
        "семь семи семью",
        "восемь восьми восьмью",
        "девять девяти девятью",
    ]
    for i, forms in enumerate(cardinal_units, start=1):
        add("U", i, forms)
    teens = (
        "десят одиннадцат двенадцат тринадцат четырнадцат пятнадцат шестнадцат семнадцат восемнадцат "
        "девятнадцат"
    )
    for i, s in enumerate(teens.split(), start=10):
        add("T", i, f"{s}ь {s}и {s}ью")
    add("D", 20, "двадцать двадцати")
    add("D", 30, "тридцать тридцати")
    add("D", 40, "сорок сорока")
    add("D", 50, "пятьдесят пятидесяти")
    add("D", 60, "шестьдесят шестидесяти")
    add("D", 70, "семьдесят семидесяти")
    add("D", 80, "восемьдесят восьмидесяти")
    add("D", 90, "девяносто девяноста")
    add("H", 100, "сто ста")
    add("H", 200, "двести двухсот")
    add("H", 300, "триста трехсот")
    add("H", 400, "четыреста четырехсот")
    for i, s in enumerate(["пят", "шест", "сем", "восем", "девят"], start=5):
        add("H", i * 100, f"{s}ьсот {s}исот")
    add("K", 1000, "тысяча тысячи тысяч тысячу тысячей")
    endings = ["ый", "ой", "ий", "ая", "ое", "ую", "ого", "ому", "ом", "ым", "ых", "ыми", "ей"]
    ordinal_stems = [
        (1, "перв"),
        (2, "втор"),
        (4, "четверт"),
        (5, "пят"),
        (6, "шест"),
        (7, "седьм"),
        (8, "восьм"),
        (9, "девят"),
    ]
    for value, s in ordinal_stems:
        add("U", value, " ".join(s + e for e in endings), True)
    add("U", 3, "третий третья третье третью третьего третьей третьему третьим третьих третьем", True)
    for i, s in enumerate(teens.split(), start=10):
        add("T", i, " ".join(s + e for e in endings), True)
    tens_ord = "двадцат тридцат сороков пятидесят шестидесят семидесят восьмидесят девяност"
    for i, s in enumerate(tens_ord.split(), start=2):
        add("D", i * 10, " ".join(s + e for e in endings), True)
    add("H", 100, " ".join("сот" + e for e in endings), True)
    return table


NUMBER_WORDS: Final[dict[str, dict[str, _Entry]]] = {"en": _en(), "ru": _ru()}
_TOKEN = re.compile(r"[^\W\d_]+")
_GAP = re.compile(r"[\s-]+")
_EN_MONTHS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)


def replace_number_words(text: str, lang: Language) -> list[tuple[int, int, str]]:
    """Spans of ``text`` (lowercased) that spell numbers, with their digit replacements, in order."""
    table = NUMBER_WORDS[lang]
    if table.keys().isdisjoint(_TOKEN.findall(text)):
        return []  # no number word at all (most utterances): nothing to parse
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    out: list[tuple[int, int, str]] = []
    i = 0
    n = len(tokens)
    while i < n:
        if tokens[i][2] not in table:
            i += 1
            continue
        value, ordinal, j = _parse_one(tokens, i, text, table, lang)
        if j == i:
            i += 1
            continue
        suffix = ("th" if lang == "en" else "-го") if ordinal else ""
        out.append((tokens[i][0], tokens[j - 1][1], f"{value}{suffix}"))
        i = j
    if lang == "en" and out:
        out = _spoken_digits(text, tokens, out, table)
    return _compounds(text, out, lang) if len(out) > 0 else out


_RUN_GAP = re.compile(r"[\s,.-]*")
_REPEAT = {"double": 2, "triple": 3}


def _spoken_digits(
    text: str, tokens: list[tuple[int, int, str]], out: list[tuple[int, int, str]], table: dict[str, _Entry]
) -> list[tuple[int, int, str]]:
    """Digits read out one by one, as for a phone number: "oh seven seven oh oh, nine double oh four".

    Only inside a run of at least four spoken digits is "oh" a zero and "double"/"triple" a repeat, so
    "oh, two please" stays a two.
    """
    spoken = {"oh", "o", *_REPEAT}
    runs: list[list[int]] = []
    for k, (start, _end, word) in enumerate(tokens):
        if word not in table and word not in spoken:
            continue
        if runs and runs[-1][-1] == k - 1 and _RUN_GAP.fullmatch(text, tokens[k - 1][1], start):
            runs[-1].append(k)
        else:
            runs.append([k])
    by_start = {s: (s, e, r) for s, e, r in out}
    for run in runs:
        if sum(tokens[k][2] not in _REPEAT for k in run) < 4 or not any(tokens[k][2] in spoken for k in run):
            continue
        for k in run:
            s, e, word = tokens[k]
            if word in ("oh", "o"):
                by_start[s] = (s, e, "0")
        for k in run:
            s, _e, word = tokens[k]
            times = _REPEAT.get(word)
            nxt = by_start.get(tokens[k + 1][0]) if times and k + 1 < len(tokens) and k + 1 in run else None
            if times is not None and nxt is not None and len(nxt[2]) == 1:
                del by_start[nxt[0]]
                by_start[s] = (s, nxt[1], nxt[2] * times)
    return sorted(by_start.values())


# "nineteen eighty-five", "nineteen oh five": a year. "twenty twenty-four" too, but only where the
# sentence speaks of a date (a month or "born"), since "twenty twenty" may also be a time.
_OH = re.compile(r"[\s-]+(?:oh|o)[\s-]+")
_DATE_CONTEXT = re.compile(rf"\b(?:{'|'.join(sorted(_EN_MONTHS))}|born|birthday|year)\b")
# "twelve point five" -> 12.5; "twelve and a half" -> 12.5; "двенадцать запятая пять", "два с половиной".
_POINT = {"en": re.compile(r"[\s-]+point[\s-]+"), "ru": re.compile(r"\s+(?:запятая|целых)\s+")}
_HALF = {"en": re.compile(r"\s+and\s+a\s+half\b"), "ru": re.compile(r"\s+с\s+половиной(?!\w)")}


def _compounds(text: str, out: list[tuple[int, int, str]], lang: Language) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    k = 0
    dated = lang == "en" and _DATE_CONTEXT.search(text) is not None
    while k < len(out):
        start, end, value = out[k]
        nxt = out[k + 1] if k + 1 < len(out) else None
        if nxt is not None and value.isdigit():
            between = text[end : nxt[0]]
            digits = nxt[2].removesuffix("th")
            first = text[start:end]
            if lang == "en" and digits.isdigit() and _is_year_pair(first, between, int(digits), dated):
                year = int(value) * 100 + int(digits)
                merged.append((start, nxt[1], f"{year}{'th' if nxt[2].endswith('th') else ''}"))
                k += 2
                continue
            if _POINT[lang].fullmatch(between) and nxt[2].isdigit():
                merged.append((start, nxt[1], f"{value}.{nxt[2]}"))
                k += 2
                continue
        half = _HALF[lang].match(text, end) if value.isdigit() else None
        if half is not None:
            merged.append((start, half.end(), f"{value}.5"))
        else:
            merged.append((start, end, value))
        k += 1
    return merged


def _is_year_pair(first: str, between: str, second: int, dated: bool) -> bool:
    oh = _OH.fullmatch(between) is not None
    if not oh and not _GAP.fullmatch(between):
        return False
    if oh:
        return first in {"nineteen", "twenty", "eighteen"} and 1 <= second <= 9
    if first in {"nineteen", "eighteen"}:
        return 10 <= second <= 99
    return first == "twenty" and dated and 10 <= second <= 39


def _parse_one(
    tokens: list[tuple[int, int, str]], i: int, text: str, table: dict[str, _Entry], lang: Language
) -> tuple[int, bool, int]:
    """Parse one number starting at token ``i``; returns (value, ordinal, index after the last token)."""
    total = 0
    current = 0
    last: str | None = None
    j = i
    end_ok = i  # index after the last token that may end a number ("a" and "and" may not)
    result = (0, False, i)
    n = len(tokens)
    while j < n:
        word = tokens[j][2]
        entry = table.get(word)
        if entry is None:
            break
        cls, value, ordinal = entry
        if cls not in _NEXT[last]:
            break
        if j > i and not _GAP.fullmatch(text, tokens[j - 1][1], tokens[j][0]):
            break
        if word == "second" and not _second_is_ordinal(tokens, j, lang):
            break
        if cls == "W":
            current = (current or 1) * 100
        elif cls == "K":
            total += (current or 1) * 1000
            current = 0
        elif cls in "ZUTDH":
            current += value
        last = cls
        j += 1
        if cls not in "AN":
            end_ok = j
            result = (total + current, ordinal, j)
        if ordinal:
            break
    if end_ok == i:
        return 0, False, i
    return result


def _second_is_ordinal(tokens: list[tuple[int, int, str]], j: int, lang: Language) -> bool:
    # "second" is a unit of time far more often than an ordinal: require "the second", "second of ...",
    # "march second" or "twenty second".
    if lang != "en":
        return True
    prev = tokens[j - 1][2] if j > 0 else ""
    nxt = tokens[j + 1][2] if j + 1 < len(tokens) else ""
    return prev in {"the", "twenty", "thirty"} or prev in _EN_MONTHS or nxt == "of" or nxt in _EN_MONTHS
