"""Date arithmetic for the date parser: a date that may not exist, a month and day without (or with a
two-digit) year, months added to a date."""

from __future__ import annotations

import calendar
from datetime import date

__all__ = ["add_months", "month_day", "safe_date"]


def safe_date(year: int, month: int, day: int) -> date | None:
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return date(year, month, day)


def month_day(
    today: date, month: int, day: int, year: str | None
) -> tuple[date | None, tuple[int, int] | None]:
    if year is not None:
        y = int(year.strip("'").removesuffix("го").rstrip("-"))
        if y < 100:  # a two-digit year: the nearest reading at most ten years ahead
            y += 2000 if 2000 + y <= today.year + 10 else 1900
        return safe_date(y, month, day), None
    value = safe_date(today.year, month, day)
    if value is None and month == 2 and day == 29:
        value = safe_date(today.year + 1, month, day)  # leap day said in a non-leap year
    if value is not None and value < today:
        value = safe_date(today.year + 1, month, day) or value
    return value, (month, day)


def add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))
