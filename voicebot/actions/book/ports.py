"""What the appointment book needs from storage (storage's ``Book`` repository fits it), as Protocols.

The composition root hands the real repository in; the book never imports storage.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from voicebot.scenario.calendar import Calendar
from voicebot.scenario.model import Scenario

__all__ = ["BookStore", "BookingLike", "BusyLike", "Hours", "HoursSource", "ResourceLike", "hours_of"]


class ResourceLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def bot_id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def capacity(self) -> int: ...
    @property
    def slot_minutes(self) -> int: ...
    @property
    def services(self) -> Sequence[str]: ...
    @property
    def party_max(self) -> int | None: ...
    @property
    def is_active(self) -> bool: ...


class BookingLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def bot_id(self) -> uuid.UUID | None: ...
    @property
    def resource_id(self) -> uuid.UUID | None: ...
    @property
    def resource(self) -> str | None: ...
    @property
    def starts_at(self) -> dt.datetime | None: ...
    @property
    def ends_at(self) -> dt.datetime | None: ...
    @property
    def party_size(self) -> int | None: ...
    @property
    def status(self) -> str: ...
    @property
    def confirmation_code(self) -> str: ...
    @property
    def service(self) -> str | None: ...


class BusyLike(Protocol):
    @property
    def resource_id(self) -> uuid.UUID: ...
    @property
    def starts_at(self) -> dt.datetime: ...
    @property
    def ends_at(self) -> dt.datetime: ...


class BookStore(Protocol):
    """storage's ``Book``: resources, confirmed bookings' times, reserve / move / cancel / look up."""

    async def resources(
        self, company_id: uuid.UUID, bot_id: uuid.UUID | None = None, *, active_only: bool = False
    ) -> Sequence[ResourceLike]: ...

    async def company_of(self, bot_id: uuid.UUID) -> uuid.UUID: ...

    async def busy(
        self, resource_ids: Sequence[uuid.UUID], start: dt.datetime, end: dt.datetime
    ) -> Sequence[BusyLike]: ...

    async def reserve(
        self,
        *,
        resource_id: uuid.UUID,
        bot_id: uuid.UUID,
        capacity: int,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        local: dt.datetime,
        party_size: int = 1,
        call_id: uuid.UUID | None = None,
        service: str | None = None,
        contact: Mapping[str, str | None] | None = None,
        idempotency_key: str | None = None,
        new_code: Callable[[], str],
        metadata: Mapping[str, Any] | None = None,
        code_tries: int = 8,
    ) -> BookingLike | None: ...

    async def move(
        self,
        booking_id: uuid.UUID,
        *,
        resource_id: uuid.UUID,
        capacity: int,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        local: dt.datetime,
    ) -> BookingLike | None: ...

    async def cancel(self, company_id: uuid.UUID, code: str) -> BookingLike: ...

    async def by_code(self, company_id: uuid.UUID, code: str) -> BookingLike | None: ...


@dataclass(frozen=True, slots=True)
class Hours:
    """A bot's opening hours (its scenario's ``calendar``; None: always open) and its time zone."""

    calendar: Calendar | None
    timezone: str = "UTC"


HoursSource = Callable[[uuid.UUID], Awaitable[Hours]]
"""bot id -> its Hours (the API reads the bot's current scenario; a call has its own)."""


def hours_of(scenario: Scenario) -> Hours:
    """A scenario's book hours: its ``calendar`` and ``bot.timezone``."""
    return Hours(scenario.calendar, scenario.bot.timezone)
