"""Bookings: speakable confirmation codes, and the appointment a booking call's slots describe."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from voicebot.dialogue.nlu import to_json

__all__ = ["CODE_ALPHABET", "appointment_fields", "new_confirmation_code", "speakable"]

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""No 0/O and 1/I: a code read over the phone or typed from a text message cannot be misheard as another."""


def new_confirmation_code(length: int = 6) -> str:
    """A random code (32^6, about a billion values); uniqueness is enforced by the database."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def speakable(code: str) -> str:
    """How a bot reads a code: characters spaced, in groups of three ("K 7 M, 2 P 9")."""
    groups = [code[i : i + 3] for i in range(0, len(code), 3)]
    return ", ".join(" ".join(group) for group in groups)


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _as_time(value: Any) -> dt.time | None:
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def _first(slots: Mapping[str, Any], slot_types: Mapping[str, str], kind: str, hint: str = "") -> Any:
    for name, slot_type in slot_types.items():
        if slot_type == kind and slots.get(name) is not None and hint in name:
            return slots[name]
    return None


def appointment_fields(slots: Mapping[str, Any], slot_types: Mapping[str, str]) -> dict[str, Any] | None:
    """The appointments columns a booking's slots fill, by slot type; None without a date and a time.

    When: the first filled ``datetime`` slot (its local date and time), else a ``date`` and a ``time``
    slot. What: the first filled ``enum`` slot. Who: a ``text`` slot whose name contains "name", the
    first ``phone`` and ``email`` slots. Every slot is kept in ``metadata`` (JSON form).
    """
    when = _as_datetime(_first(slots, slot_types, "datetime"))
    day = when.date() if when else _as_date(_first(slots, slot_types, "date"))
    at = when.time().replace(tzinfo=None) if when else _as_time(_first(slots, slot_types, "time"))
    if day is None or at is None:
        return None
    kind = _first(slots, slot_types, "enum")
    name = _first(slots, slot_types, "text", "name")
    phone = _first(slots, slot_types, "phone")
    email = _first(slots, slot_types, "email")
    return {
        "appointment_date": day,
        "appointment_time": at,
        "appointment_type": None if kind is None else str(kind),
        "contact_name": None if name is None else str(name),
        "contact_phone": None if phone is None else str(phone),
        "contact_email": None if email is None else str(email),
        "metadata": {"slots": {k: to_json(v) for k, v in slots.items()}},
    }
