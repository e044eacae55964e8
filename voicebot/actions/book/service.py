"""The appointment book's rules: which resource, which slot, what to offer instead; shared by the
phone (:class:`~voicebot.actions.book.runner.BookRunner`) and the admin API.

A time is bookable when the bot's calendar is open for the whole slot, it is on the grid
(:mod:`voicebot.actions.book.grid`), it is not in the past, and a matching resource has a free seat.
The seat itself is taken by the database (an exclusion constraint), so two callers racing for the last
seat cannot both win; the loser gets :class:`BookRefusal` ``taken`` with the nearest free alternatives.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from voicebot.actions.book.grid import alternatives_order, fits
from voicebot.actions.book.ports import BookingLike, BookStore, Hours, HoursSource, ResourceLike
from voicebot.errors import VoicebotError
from voicebot.outcomes.booking import new_confirmation_code

__all__ = ["AppointmentBook", "Availability", "BookRefusal", "Reason", "Slot"]

Reason = Literal["closed", "past", "taken", "no_resource", "bad_request", "not_found", "not_confirmed"]


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable time on one resource (aware instants in the bot's zone)."""

    resource: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class BookRefusal(VoicebotError):
    """The book said no: ``reason`` (closed, past, taken, no_resource, bad_request, not_found,
    not_confirmed) and, for a time that cannot be had, the nearest free ``alternatives``."""

    def __init__(self, reason: Reason, message: str, alternatives: Sequence[Slot] = ()) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.alternatives = tuple(alternatives)


@dataclass(frozen=True, slots=True)
class Availability:
    available: bool
    slot: Slot | None
    reason: Reason | None
    alternatives: tuple[Slot, ...]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AppointmentBook:
    """Availability, reserve, cancel, reschedule and lookup over a :class:`BookStore`."""

    def __init__(
        self,
        *,
        store: BookStore,
        hours: HoursSource,
        new_code: Callable[[], str] = new_confirmation_code,
        clock: Callable[[], dt.datetime] = _utcnow,
        alternatives: int = 3,
        horizon_days: int = 14,
        max_days_ahead: int = 366 * 5,
    ) -> None:
        self._store = store
        self._hours = hours
        self._new_code = new_code
        self._clock = clock
        self._count = alternatives
        self._horizon = horizon_days
        self._max_ahead = max_days_ahead

    async def availability(
        self,
        company_id: uuid.UUID,
        bot_id: uuid.UUID,
        at: dt.datetime,
        *,
        resource: str | None = None,
        service: str | None = None,
        party_size: int = 1,
    ) -> Availability:
        """Whether ``at`` can be booked (naive: the bot's local time) and, if not, what can."""
        hours = await self._hours(bot_id)
        zone = ZoneInfo(hours.timezone)
        local = self._within_reach(_local(at, zone), zone)
        resources = await self._matching(company_id, bot_id, resource, service, party_size)
        busy = await self._busy(resources, local, zone)
        now = self._clock().astimezone(zone).replace(tzinfo=None)
        reason: Reason | None = None
        free: ResourceLike | None = None
        if local < now:
            reason = "past"
        else:
            open_on = [r for r in resources if fits(hours.calendar, local, r.slot_minutes)]
            free = next((r for r in open_on if _free(r, local, zone, busy)), None)
            reason = None if free is not None else ("taken" if open_on else "closed")
        if free is not None:
            return Availability(True, _slot(free, local, zone), None, ())
        alts = self._alternatives(resources, hours, local, zone, busy, now)
        return Availability(False, None, reason, alts)

    async def reserve(
        self,
        company_id: uuid.UUID,
        bot_id: uuid.UUID,
        at: dt.datetime,
        *,
        resource: str | None = None,
        service: str | None = None,
        party_size: int = 1,
        contact: Mapping[str, str | None] | None = None,
        call_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
    ) -> BookingLike:
        """Book ``at``; raises :class:`BookRefusal` (with alternatives when the time cannot be had)."""
        hours = await self._hours(bot_id)
        zone = ZoneInfo(hours.timezone)
        local = self._within_reach(_local(at, zone), zone)
        resources = await self._matching(company_id, bot_id, resource, service, party_size)
        await self._check_time(resources, hours, local, zone)
        for candidate in resources:
            if not fits(hours.calendar, local, candidate.slot_minutes):
                continue
            slot = _slot(candidate, local, zone)
            booking = await self._store.reserve(
                resource_id=candidate.id,
                bot_id=candidate.bot_id,
                capacity=candidate.capacity,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                local=local,
                party_size=party_size,
                call_id=call_id,
                service=service,
                contact=contact,
                idempotency_key=idempotency_key,
                new_code=self._new_code,
                metadata={"source": "book"},
            )
            if booking is not None:
                return booking
        raise await self._taken(resources, hours, local, zone)

    async def reschedule(self, company_id: uuid.UUID, code: str, at: dt.datetime) -> BookingLike:
        """Move a confirmed booking to ``at`` on its resource, keeping its confirmation code."""
        booking = await self.lookup(company_id, code)
        if booking.status != "confirmed" or booking.bot_id is None or booking.resource_id is None:
            raise BookRefusal("not_confirmed", f"booking {booking.confirmation_code} is {booking.status}")
        hours = await self._hours(booking.bot_id)
        zone = ZoneInfo(hours.timezone)
        local = self._within_reach(_local(at, zone), zone)
        resources = [
            r for r in await self._store.resources(company_id, booking.bot_id) if r.id == booking.resource_id
        ]
        await self._check_time(resources, hours, local, zone)
        target = resources[0]
        slot = _slot(target, local, zone)
        moved = await self._store.move(
            booking.id,
            resource_id=target.id,
            capacity=target.capacity,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            local=local,
        )
        if moved is None:
            raise await self._taken(resources, hours, local, zone)
        return moved

    async def cancel(self, company_id: uuid.UUID, code: str) -> BookingLike:
        booking = await self.lookup(company_id, code)
        if booking.status != "confirmed":
            raise BookRefusal(
                "not_confirmed", f"booking {booking.confirmation_code} is already {booking.status}"
            )
        return await self._store.cancel(company_id, booking.confirmation_code)

    async def lookup(self, company_id: uuid.UUID, code: str) -> BookingLike:
        booking = await self._store.by_code(company_id, code)
        if booking is None:
            raise BookRefusal("not_found", "no booking with that confirmation code")
        return booking

    def _within_reach(self, local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
        now = self._clock().astimezone(zone).replace(tzinfo=None)
        if local - now > dt.timedelta(days=self._max_ahead):
            raise BookRefusal("bad_request", f"the book takes bookings up to {self._max_ahead} days ahead")
        return local

    async def company_of(self, bot_id: uuid.UUID) -> uuid.UUID:
        return await self._store.company_of(bot_id)

    async def zone_of(self, bot_id: uuid.UUID) -> ZoneInfo:
        return ZoneInfo((await self._hours(bot_id)).timezone)

    # ------------------------------------------------------------------ helpers

    async def _matching(
        self,
        company_id: uuid.UUID,
        bot_id: uuid.UUID,
        resource: str | None,
        service: str | None,
        party_size: int,
    ) -> list[ResourceLike]:
        if party_size < 1:
            raise BookRefusal("bad_request", f"party size {party_size} must be at least 1")
        found = []
        for r in await self._store.resources(company_id, bot_id, active_only=True):
            if resource is not None and r.name.casefold() != resource.casefold():
                continue
            if (
                service is not None
                and r.services
                and service.casefold() not in {s.casefold() for s in r.services}
            ):
                continue
            if r.party_max is not None and party_size > r.party_max:
                continue
            found.append(r)
        if not found:
            what = f"resource {resource!r}" if resource else f"service {service!r}" if service else "resource"
            raise BookRefusal("no_resource", f"no bookable {what} for a party of {party_size}")
        return sorted(found, key=lambda r: (r.party_max or 0, r.name))

    async def _busy(
        self, resources: Sequence[ResourceLike], local: dt.datetime, zone: ZoneInfo
    ) -> dict[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]]:
        start = dt.datetime.combine(local.date(), dt.time(), zone)
        end = start + dt.timedelta(days=self._horizon + 2)
        out: dict[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]] = {r.id: [] for r in resources}
        for b in await self._store.busy([r.id for r in resources], start, end):
            out.setdefault(b.resource_id, []).append((b.starts_at, b.ends_at))
        return out

    async def _check_time(
        self, resources: Sequence[ResourceLike], hours: Hours, local: dt.datetime, zone: ZoneInfo
    ) -> None:
        now = self._clock().astimezone(zone).replace(tzinfo=None)
        if local < now:
            raise await self._refusal("past", "that time has passed", resources, hours, local, zone)
        if not any(fits(hours.calendar, local, r.slot_minutes) for r in resources):
            raise await self._refusal("closed", "we are closed at that time", resources, hours, local, zone)

    async def _taken(
        self, resources: Sequence[ResourceLike], hours: Hours, local: dt.datetime, zone: ZoneInfo
    ) -> BookRefusal:
        return await self._refusal("taken", "that time is already booked", resources, hours, local, zone)

    async def _refusal(
        self,
        reason: Reason,
        message: str,
        resources: Sequence[ResourceLike],
        hours: Hours,
        local: dt.datetime,
        zone: ZoneInfo,
    ) -> BookRefusal:
        busy = await self._busy(resources, local, zone)
        now = self._clock().astimezone(zone).replace(tzinfo=None)
        return BookRefusal(reason, message, self._alternatives(resources, hours, local, zone, busy, now))

    def _alternatives(
        self,
        resources: Sequence[ResourceLike],
        hours: Hours,
        local: dt.datetime,
        zone: ZoneInfo,
        busy: Mapping[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]],
        now: dt.datetime,
    ) -> tuple[Slot, ...]:
        found: dict[dt.datetime, Slot] = {}
        for r in resources:
            taken = 0
            for start in alternatives_order(
                hours.calendar, local, r.slot_minutes, not_before=now, days=self._horizon
            ):
                if start not in found and _free(r, start, zone, busy):
                    found[start] = _slot(r, start, zone)
                    taken += 1
                    if taken >= self._count:
                        break

        def order(start: dt.datetime) -> tuple[int, float, dt.datetime]:
            same_day = start.date() == local.date()
            return (0 if same_day else 1, abs((start - local).total_seconds()) if same_day else 0.0, start)

        return tuple(found[s] for s in sorted(found, key=order)[: self._count])


def _local(at: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The bot's local wall-clock time of ``at`` (naive values already are)."""
    return at.astimezone(zone).replace(tzinfo=None) if at.tzinfo is not None else at


def _slot(resource: ResourceLike, local: dt.datetime, zone: ZoneInfo) -> Slot:
    start = local.replace(tzinfo=zone)
    return Slot(resource.name, start, start + dt.timedelta(minutes=resource.slot_minutes))


def _free(
    resource: ResourceLike,
    local: dt.datetime,
    zone: ZoneInfo,
    busy: Mapping[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]],
) -> bool:
    slot = _slot(resource, local, zone)
    used = sum(1 for s, e in busy.get(resource.id, ()) if s < slot.ends_at and e > slot.starts_at)
    return used < resource.capacity
