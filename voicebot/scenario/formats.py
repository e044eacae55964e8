"""Names of the per-placeholder value formats (``{res_date:weekday_day_month}``), by slot type.

The checker validates a written format against these; :mod:`voicebot.dialogue.formats` speaks them.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DATE_FORMATS", "FORMATS", "NUMBER_FORMATS", "PHONE_FORMATS", "TEXT_FORMATS", "TIME_FORMATS"]

DATE_FORMATS: Final = ("weekday_day_month", "day_month", "weekday", "iso")
TIME_FORMATS: Final = ("hh_mm", "12h", "words")
NUMBER_FORMATS: Final = ("words", "money")
PHONE_FORMATS: Final = ("digits",)
TEXT_FORMATS: Final = ("code",)
"""``code``: a confirmation code read character by character in groups of three ("K 7 M, 2 P 9")."""
FORMATS: Final[dict[str, tuple[str, ...]]] = {
    "date": DATE_FORMATS,
    "datetime": (*DATE_FORMATS, *TIME_FORMATS),
    "time": TIME_FORMATS,
    "number": NUMBER_FORMATS,
    "phone": PHONE_FORMATS,
    "text": TEXT_FORMATS,
}
"""Slot type -> the formats its placeholders accept."""
