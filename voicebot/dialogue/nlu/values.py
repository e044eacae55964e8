"""Slot values after extraction: validation, the spoken form, and JSON round-tripping."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from typing import Any

import phonenumbers

from voicebot.dialogue.nlu.extractor import SlotValue
from voicebot.scenario.model import (
    DateSlot,
    DateTimeSlot,
    EmailSlot,
    EnumSlot,
    Language,
    NumberSlot,
    PhoneSlot,
    Slot,
    TextSlot,
    TimeSlot,
    YesNoSlot,
)
from voicebot.scenario.words import EN_DAYS as _EN_DAYS
from voicebot.scenario.words import EN_MONTHS as _EN_MONTHS
from voicebot.scenario.words import RU_DAYS as _RU_DAYS
from voicebot.scenario.words import RU_MONTHS as _RU_MONTHS

__all__ = ["REASONS", "from_json", "speak", "to_json", "validate"]

REASONS = (
    "in_past",
    "in_future",
    "too_far",
    "too_early",
    "too_late",
    "below_min",
    "above_max",
    "not_integer",
    "pattern",
    "too_short",
    "too_long",
    "not_allowed",
)
"""Every reason code :func:`validate` may return."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


def _hhmm(value: str) -> time:
    return time(int(value[:2]), int(value[3:5]))


def _window(value: time, earliest: str | None, latest: str | None) -> str | None:
    if earliest is not None and value < _hhmm(earliest):
        return "too_early"
    if latest is not None and value > _hhmm(latest):
        return "too_late"
    return None


def validate(slot: Slot, value: object, *, now: datetime) -> str | None:
    """None when ``value`` is acceptable for ``slot``, else a reason code from :data:`REASONS`.

    Dates are compared with ``now``'s date (the bot's zone); ``max_days_ahead`` counts calendar days
    from today. A value of the wrong Python type is "not_allowed".
    """
    today = now.date()
    if isinstance(slot, TextSlot):
        if not isinstance(value, str):
            return "not_allowed"
        if len(value) < slot.min_length:
            return "too_short"
        if len(value) > slot.max_length:
            return "too_long"
        if slot.pattern is not None and re.fullmatch(slot.pattern, value) is None:
            return "pattern"
        return None
    if isinstance(slot, EnumSlot):
        return None if isinstance(value, str) and value in slot.synonyms() else "not_allowed"
    if isinstance(slot, NumberSlot):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "not_allowed"
        if slot.integer and not float(value).is_integer():
            return "not_integer"
        if slot.min is not None and value < slot.min:
            return "below_min"
        if slot.max is not None and value > slot.max:
            return "above_max"
        return None
    if isinstance(slot, DateSlot):
        if not isinstance(value, date) or isinstance(value, datetime):
            return "not_allowed"
        if slot.not_in_past and value < today:
            return "in_past"
        if slot.not_in_future and value > today:
            return "in_future"
        if slot.max_days_ahead is not None and (value - today).days > slot.max_days_ahead:
            return "too_far"
        return None
    if isinstance(slot, TimeSlot):
        if not isinstance(value, time):
            return "not_allowed"
        return _window(value, slot.earliest, slot.latest)
    if isinstance(slot, DateTimeSlot):
        if not isinstance(value, datetime):
            return "not_allowed"
        local = value.astimezone(now.tzinfo) if value.tzinfo is not None and now.tzinfo is not None else value
        if slot.not_in_past and value < now:
            return "in_past"
        if slot.max_days_ahead is not None and (local.date() - today).days > slot.max_days_ahead:
            return "too_far"
        return _window(local.time().replace(tzinfo=None), slot.earliest, slot.latest)
    if isinstance(slot, PhoneSlot):
        if not isinstance(value, str):
            return "not_allowed"
        try:
            number = phonenumbers.parse(value, slot.region)
        except phonenumbers.NumberParseException:
            return "pattern"
        return None if phonenumbers.is_possible_number(number) else "pattern"
    if isinstance(slot, EmailSlot):
        return None if isinstance(value, str) and _EMAIL.match(value) else "pattern"
    if isinstance(slot, YesNoSlot):
        return None if isinstance(value, bool) else "not_allowed"
    return "not_allowed"  # pragma: no cover - Slot is a closed union


# --------------------------------------------------------------------------- speaking

_RELATIVE = {
    "en": {-1: "yesterday", 0: "today", 1: "tomorrow", 2: "the day after tomorrow"},
    "ru": {-1: "вчера", 0: "сегодня", 1: "завтра", 2: "послезавтра"},
}


def _speak_date(value: date, lang: Language, today: date) -> str:
    if lang == "en":
        plain = f"{_EN_MONTHS[value.month - 1]} {value.day}"
        if value.year != today.year:
            plain += f", {value.year}"
    else:
        plain = f"{value.day} {_RU_MONTHS[value.month - 1]}"
        if value.year != today.year:
            plain += f" {value.year} года"
    delta = (value - today).days
    relative = _RELATIVE[lang].get(delta)
    if relative is None and 3 <= delta <= 6:
        relative = _EN_DAYS[value.weekday()] if lang == "en" else _RU_DAYS[value.weekday()]
    return f"{relative}, {plain}" if relative else plain


def speak_day(value: date, *, lang: Language, now: datetime) -> str:
    """How a day alone is said ("Friday, November 27"), as in a read-back of a date."""
    return _speak_date(value, lang, now.date())


def _speak_time(value: time, lang: Language) -> str:
    if lang == "ru":
        return f"{value.hour}:{value.minute:02d}"
    if value.minute == 0 and value.hour == 12:
        return "noon"
    if value.minute == 0 and value.hour == 0:
        return "midnight"
    hour = value.hour % 12 or 12
    suffix = "AM" if value.hour < 12 else "PM"
    return f"{hour} {suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d} {suffix}"


def _speak_number(value: float, lang: Language) -> str:
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "ru" else text


def speak(slot: Slot, value: object, *, lang: Language, now: datetime) -> str:
    """How ``value`` is said in a template or a read-back.

    Dates: "tomorrow, November 24" / "завтра, 24 ноября"; within 3..6 days the weekday ("Friday,
    November 27"); the year only when it is not this year. Times: "3 PM", "3:30 PM", "noon" / "15:00".
    Datetimes: "<date> at <time>" / "<date> в <time>". Phones: international digit groups
    ("+1 201 555 0123"). E-mails spelled out ("anna at example dot com"). Yes/no: "yes"/"no", "да"/"нет".
    Enums and text as they are (the scenario writer picks canonical values as they should be spoken).
    """
    today = now.date()
    if isinstance(value, bool):
        if lang == "ru":
            return "да" if value else "нет"
        return "yes" if value else "no"
    if isinstance(value, datetime):
        local = value.astimezone(now.tzinfo) if value.tzinfo is not None and now.tzinfo is not None else value
        joiner = " at " if lang == "en" else " в "
        return _speak_date(local.date(), lang, today) + joiner + _speak_time(local.time(), lang)
    if isinstance(value, date):
        return _speak_date(value, lang, today)
    if isinstance(value, time):
        return _speak_time(value, lang)
    if isinstance(value, int | float):
        return _speak_number(value, lang)
    if isinstance(value, str):
        if isinstance(slot, PhoneSlot):
            try:
                parsed = phonenumbers.parse(value, slot.region)
            except phonenumbers.NumberParseException:
                return value
            formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            return re.sub(r"[^\d+]+", " ", formatted).strip()
        if isinstance(slot, EmailSlot):
            at, dot = (" at ", " dot ") if lang == "en" else (" собака ", " точка ")
            return value.replace("@", at).replace(".", dot)
        return value
    return str(value)


# --------------------------------------------------------------------------- JSON


def to_json(value: object) -> Any:
    """A JSON-compatible form: ISO 8601 strings for date ("2026-11-24"), time ("15:00", seconds only
    when non-zero) and datetime (with its UTC offset); everything else as is."""
    if isinstance(value, datetime):
        return value.isoformat(
            timespec="minutes" if value.second == 0 and not value.microsecond else "seconds"
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(
            timespec="minutes" if value.second == 0 and not value.microsecond else "seconds"
        )
    return value


def from_json(slot: Slot, raw: object, *, tz: tzinfo | None = None) -> SlotValue:
    """The inverse of :func:`to_json` for ``slot``'s type. A datetime without an offset gets ``tz``.

    Raises ValueError (naming the slot type and the value) when ``raw`` cannot be read as that type.
    """
    try:
        if isinstance(slot, DateTimeSlot):
            parsed = datetime.fromisoformat(str(raw))
            return parsed.replace(tzinfo=tz) if parsed.tzinfo is None and tz is not None else parsed
        if isinstance(slot, DateSlot):
            return date.fromisoformat(str(raw))
        if isinstance(slot, TimeSlot):
            return time.fromisoformat(str(raw))
        if isinstance(slot, NumberSlot):
            if isinstance(raw, bool):
                raise ValueError("a boolean is not a number")
            if isinstance(raw, int | float):
                return int(raw) if slot.integer and float(raw).is_integer() else raw
            number = float(str(raw).replace(",", "."))
            return int(number) if number.is_integer() else number
        if isinstance(slot, YesNoSlot):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("true", "yes", "да"):
                return True
            if text in ("false", "no", "нет"):
                return False
            raise ValueError("expected a boolean")
        if isinstance(slot, PhoneSlot):
            phone = phonenumbers.parse(str(raw), slot.region)
            return phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.E164)
    except (ValueError, TypeError, phonenumbers.NumberParseException) as exc:
        raise ValueError(f"cannot read {raw!r} as a {slot.type} slot value: {exc}") from None
    return str(raw)
