"""The built-in appointment book: resources with slots and capacity, opening hours from the scenario's
calendar, no double booking (a Postgres exclusion constraint), nearest free alternatives, cancel and
reschedule by confirmation code.

* :class:`AppointmentBook` - the rules (``service.py``), over a :class:`BookStore` (storage's ``Book``).
* :class:`BookRunner` - the ``book.*`` action kinds for the phone (``runner.py``).
* :mod:`~voicebot.actions.book.grid` - the slot grid (pure).
"""

from voicebot.actions.base import ActionCall, ActionResult, ActionRunner
from voicebot.actions.book.ports import BookStore, Hours, HoursSource, hours_of
from voicebot.actions.book.runner import (
    KINDS,
    BookRunner,
    booking_data,
    parse_when,
    runner_for_scenario,
    slot_data,
)
from voicebot.actions.book.service import AppointmentBook, Availability, BookRefusal, Slot

__all__ = [
    "KINDS",
    "ActionCall",
    "ActionResult",
    "ActionRunner",
    "AppointmentBook",
    "Availability",
    "BookRefusal",
    "BookRunner",
    "BookStore",
    "Hours",
    "HoursSource",
    "Slot",
    "booking_data",
    "hours_of",
    "parse_when",
    "runner_for_scenario",
    "slot_data",
]
