"""Per-placeholder value formats: ``{res_date:weekday_day_month}``, ``{res_time:hh_mm}``.

A placeholder without a format is spoken the default way (:func:`voicebot.dialogue.nlu.speak`). The formats
below are listed in docs/scenarios.md ("Value formats") and checked at load time against the slot's type.
English dates follow the bot's region: day before month ("Saturday 12 December") everywhere but the US
("Saturday, December 12"). Numbers, money, phone numbers and clock times in words come from
:mod:`voicebot.dialogue.spoken_numbers`. Relative days keep their date and never take a preposition:
"tomorrow, 10 December" / "завтра, 10 декабря".
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Final

from voicebot.dialogue.spoken_numbers import clock_words, money, number_words, phone_digits
from voicebot.scenario.formats import DATE_FORMATS, FORMATS, TIME_FORMATS
from voicebot.scenario.words import EN_DAYS as _EN_DAYS
from voicebot.scenario.words import EN_MONTHS as _EN_MONTHS
from voicebot.scenario.words import RU_DAYS as _RU_DAYS
from voicebot.scenario.words import RU_MONTHS as _RU_MONTHS

__all__ = ["FORMATS", "format_value", "spoken_code"]


_RU_DAYS_ACC: Final = ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье")


def _day_month(day: date, lang: str, region: str) -> str:
    if lang == "ru":
        return f"{day.day} {_RU_MONTHS[day.month - 1]}"
    if region == "US":
        return f"{_EN_MONTHS[day.month - 1]} {day.day}"
    return f"{day.day} {_EN_MONTHS[day.month - 1]}"


def _relative(day: date, today: date, lang: str) -> str | None:
    delta = (day - today).days
    if delta not in (-1, 0, 1):
        return None
    if lang == "ru":
        return ("вчера", "сегодня", "завтра")[delta + 1]
    return ("yesterday", "today", "tomorrow")[delta + 1]


def _date(day: date, fmt: str, lang: str, region: str, today: date) -> str:
    if fmt == "iso":
        return day.isoformat()
    if fmt == "weekday":
        return _RU_DAYS[day.weekday()] if lang == "ru" else _EN_DAYS[day.weekday()]
    text = _day_month(day, lang, region)
    if day.year != today.year:
        text += f" {day.year}" if lang != "ru" else f" {day.year} года"
    if fmt == "day_month":
        return text
    relative = _relative(day, today, lang)
    if relative is not None:
        return f"{relative}, {text}"
    if lang == "ru":
        return f"{text}, в {_RU_DAYS_ACC[day.weekday()]}"
    separator = ", " if region == "US" else " "
    return f"{_EN_DAYS[day.weekday()]}{separator}{text}"


def _time(at: time, fmt: str, lang: str) -> str:
    if fmt == "words":
        return clock_words(at, lang)
    if fmt == "hh_mm" or lang == "ru":
        return f"{at.hour:02d}:{at.minute:02d}" if fmt == "hh_mm" else f"{at.hour}:{at.minute:02d}"
    hour = at.hour % 12 or 12
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{hour}{minutes} {'AM' if at.hour < 12 else 'PM'}"


_RU_NAMES: Final = (
    "ноль один два три четыре пять шесть семь восемь девять",
    "эй би си ди и эф джи эйч ай джей кей эл эм",
    "эн о пи кью ар эс ти ю ви дабл-ю экс уай зед",
)
_RU_CHARS: Final = dict(
    zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", " ".join(_RU_NAMES).split(" "), strict=True)
)
"""How a Russian speaker names digits and Latin letters one by one (a code is Latin letters and digits)."""


def spoken_code(code: str, lang: str) -> str:
    """A confirmation code read character by character, in groups of three: "K 7 M, 2 P 9";
    Russian names the characters: "кей семь эм, два пи девять". Spaces and dashes in ``code`` are ignored."""
    chars = [ch for ch in code.upper() if ch.isalnum()]
    if lang == "ru":
        chars = [_RU_CHARS.get(ch, ch) for ch in chars]
    groups = [chars[i : i + 3] for i in range(0, len(chars), 3)]
    return ", ".join(" ".join(group) for group in groups)


def format_value(value: object, fmt: str, *, lang: str, region: str, now: datetime) -> str | None:
    """``value`` spoken in format ``fmt``; None when the format does not apply to it."""
    today = now.date()
    if isinstance(value, datetime):
        local = value.astimezone(now.tzinfo) if value.tzinfo is not None and now.tzinfo is not None else value
        if fmt in TIME_FORMATS:
            return _time(local.time(), fmt, lang)
        return _date(local.date(), fmt, lang, region, today)
    if isinstance(value, date) and fmt in DATE_FORMATS:
        return _date(value, fmt, lang, region, today)
    if isinstance(value, time) and fmt in TIME_FORMATS:
        return _time(value, fmt, lang)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        if fmt == "money":
            return money(value, lang, region)
        if fmt == "words" and float(value).is_integer():
            return number_words(int(value), lang)
        return None
    if isinstance(value, str) and fmt == "code":
        return spoken_code(value, lang)
    if isinstance(value, str) and fmt == "digits":
        return phone_digits(value, lang, region)
    return None
