"""Numbers, money, phone numbers and clock times in words, for ``{x:words}``, ``{x:money}``, ``{x:digits}``.

English and Russian. Russian nouns agree with the number ("1 рубль", "2 рубля", "5 рублей", "21 рубль",
"11 рублей"); money amounts stay in digits (speech engines read digits well) with the unit in words.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import phonenumbers

__all__ = ["clock_words", "money", "number_words", "phone_digits", "ru_plural"]

_EN_ONES: Final = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
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
_EN_TENS: Final = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_RU_ONES: Final = [
    "ноль",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
]
_RU_TENS: Final = [
    "_",
    "_",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
]
_RU_HUNDREDS: Final = [
    "_",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
]
_RU_FEMININE: Final = {"один": "одна", "два": "две"}


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian noun form for ``n``: 1, 21 -> one; 2-4, 22 -> few; 0, 5-20, 11-14 -> many."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _en_below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = [f"{_EN_ONES[hundreds]} hundred"] if hundreds else []
    if rest:
        if hundreds:
            words.append("and")
        tens, ones = divmod(rest, 10)
        words.append(_EN_ONES[rest] if rest < 20 else _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else ""))
    return " ".join(words)


def _ru_below_thousand(n: int, feminine: bool) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [_RU_HUNDREDS[hundreds]] if hundreds else []
    if rest:
        tens, ones = divmod(rest, 10)
        if rest < 20:
            words.append(_RU_ONES[rest])
        else:
            words.append(_RU_TENS[tens])
            if ones:
                words.append(_RU_ONES[ones])
    if feminine and words:
        words[-1] = _RU_FEMININE.get(words[-1], words[-1])
    return words


def number_words(n: int, lang: str, *, feminine: bool = False) -> str:
    """``n`` in words: 21 -> "twenty-one" / "двадцать один" (``feminine``: "двадцать одна")."""
    if n < 0:
        return ("минус " if lang == "ru" else "minus ") + number_words(-n, lang, feminine=feminine)
    if n == 0:
        return _RU_ONES[0] if lang == "ru" else _EN_ONES[0]
    if lang == "ru":
        words: list[str] = []
        for scale, forms, fem in (
            (1_000_000_000, ("миллиард", "миллиарда", "миллиардов"), False),
            (1_000_000, ("миллион", "миллиона", "миллионов"), False),
            (1_000, ("тысяча", "тысячи", "тысяч"), True),
        ):
            count, n = divmod(n, scale)
            if count:
                words += [*_ru_below_thousand(count, fem), ru_plural(count, *forms)]
        words += _ru_below_thousand(n, feminine)
        return " ".join(words)
    parts: list[str] = []
    for scale, name in ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand")):
        count, n = divmod(n, scale)
        if count:
            parts.append(f"{_en_below_thousand(count)} {name}")
    if n:
        parts.append(("and " if parts and n < 100 else "") + _en_below_thousand(n))
    return " ".join(parts)


_CURRENCIES: Final[dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]]] = {
    # region -> ((major one, few, many), (minor one, few, many)); English uses one/many only.
    "RU": (("рубль", "рубля", "рублей"), ("копейка", "копейки", "копеек")),
    "GB": (("pound", "pounds", "pounds"), ("penny", "pence", "pence")),
    "US": (("dollar", "dollars", "dollars"), ("cent", "cents", "cents")),
    "EU": (("euro", "euros", "euros"), ("cent", "cents", "cents")),
}


def money(amount: float | int | Decimal, lang: str, region: str) -> str:
    """An amount in the region's currency: "12 pounds 50 pence", "12 рублей 50 копеек", "1 dollar"."""
    cents = int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    sign, cents = ("-" if cents < 0 else ""), abs(cents)
    major, minor = divmod(cents, 100)
    key = "RU" if lang == "ru" else region if region in _CURRENCIES else "EU" if region != "US" else "US"
    if lang != "ru" and key == "RU":
        key = "EU"
    (m1, m2, m5), (c1, c2, c5) = _CURRENCIES[key]
    if lang == "ru":
        text = f"{sign}{major} {ru_plural(major, m1, m2, m5)}"
        return text + (f" {minor} {ru_plural(minor, c1, c2, c5)}" if minor else "")
    text = f"{sign}{major} {m1 if major == 1 else m5}"
    if minor:
        text += (" and " if key == "US" else " ") + f"{minor} {c1 if minor == 1 else c5}"
    return text


def phone_digits(number: str, lang: str, region: str) -> str:
    """A phone number read digit by digit in its natural groups: "0 7 7 0 0, 9 0 0, 4 5 6"."""
    try:
        parsed = phonenumbers.parse(number, region)
        same = parsed.country_code == phonenumbers.country_code_for_region(region)
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL if same else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        written = phonenumbers.format_number(parsed, style)
    except phonenumbers.NumberParseException:
        written = number
    groups: list[str] = []
    for group in re.findall(r"\d+", written):
        while len(group) > 5:  # a long block reads as threes: "900456" -> "900", "456"
            groups.append(group[:3])
            group = group[3:]
        groups.append(group)
    spoken = ", ".join(" ".join(group) for group in groups)
    if written.lstrip().startswith("+"):
        spoken = ("плюс " if lang == "ru" else "plus ") + spoken
    return spoken


def clock_words(at: time, lang: str) -> str:
    """A clock time as people say it: "half past seven", "quarter to five", "noon"; Russian "19:30"."""
    if lang == "ru":
        return f"{at.hour}:{at.minute:02d}"
    hour, minute = at.hour, at.minute
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "noon"

    def name(h: int) -> str:
        return _EN_ONES[h % 12 or 12]

    if minute == 0:
        return f"{name(hour)} o'clock"
    if minute == 15:
        return f"quarter past {name(hour)}"
    if minute == 30:
        return f"half past {name(hour)}"
    if minute == 45:
        return f"quarter to {name(hour + 1)}"
    if minute % 5 == 0:
        if minute < 30:
            return f"{number_words(minute, 'en')} past {name(hour)}"
        return f"{number_words(60 - minute, 'en')} to {name(hour + 1)}"
    return f"{name(hour)} {'oh ' if minute < 10 else ''}{number_words(minute, 'en')}"
