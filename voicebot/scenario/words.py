"""Day and month names of the bot's languages, one table for everything that speaks a date.

Used by the calendar's refusals (``scenario.calendar``), the value formats (``dialogue.formats``) and
the NLU's read-backs (``dialogue.nlu.values``). Russian months are in the genitive ("12 декабря")."""

from __future__ import annotations

from typing import Final

__all__ = ["EN_DAYS", "EN_MONTHS", "RU_DAYS", "RU_MONTHS"]

EN_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RU_DAYS: Final = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
EN_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
RU_MONTHS: Final = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
