"""The built-in appointment book: a bot's resources and their bookings (rows of ``appointments``).

No double booking is the database's job: ``appointments_no_double_booking`` (sql/0008) excludes two
confirmed bookings of one resource and seat whose time ranges overlap. :meth:`Book.reserve` tries the
seats that looked free, one autocommitted insert each; an exclusion violation (a concurrent booking
won the seat) moves on to the next seat, and with no seat left the answer is None ("taken"). Nothing
is decided by a check-then-insert: the read only orders the attempts, the constraint decides.

Every query the API makes is scoped by ``company_id``; another company's resource or booking is a
:class:`NotFoundError` worded like one that does not exist.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from voicebot.errors import ConflictError, NotFoundError
from voicebot.storage.errors import translated

__all__ = ["Book", "BookResource", "Booking", "Busy", "sync_declared"]


@dataclass(frozen=True, slots=True)
class BookResource:
    """A bookable thing: a doctor, a chair, a table size. ``capacity`` bookings fit in one slot."""

    id: uuid.UUID
    bot_id: uuid.UUID
    name: str
    capacity: int
    slot_minutes: int
    services: tuple[str, ...]
    party_max: int | None
    is_active: bool


@dataclass(frozen=True, slots=True)
class Booking:
    """A booking in the book (an ``appointments`` row with a resource)."""

    id: uuid.UUID
    bot_id: uuid.UUID | None
    call_id: uuid.UUID | None
    resource_id: uuid.UUID | None
    resource: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    party_size: int | None
    seat: int | None
    status: str
    confirmation_code: str
    service: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Busy:
    """One confirmed booking's time on a resource (what availability subtracts from capacity)."""

    resource_id: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime


_RESOURCE = "r.id, r.bot_id, r.name, r.capacity, r.slot_minutes, r.services, r.party_max, r.is_active"

_BOOKING = """a.id, a.bot_id, coalesce(a.call_id, a.booked_by_call) AS call_id, a.resource_id,
       r.name AS resource, a.starts_at, a.ends_at,
       a.party_size, a.seat, a.status, a.confirmation_code, a.appointment_type AS service,
       a.contact_name, a.contact_phone, a.contact_email, a.created_at"""

_BOOKING_FROM = """FROM appointments a JOIN bots b ON b.id = a.bot_id
LEFT JOIN book_resources r ON r.id = a.resource_id"""

# Inserts of one slot take turns. Concurrent inserts that collide on the exclusion constraint wait for
# each other, and Postgres breaks such a cycle only after deadlock_timeout (1 s), by failing one of them:
# 50 callers racing for a slot were told "the booking system failed" and waited seconds. So the insert
# first takes a lock on its (resource, start) pair, held until it commits: a rival insert of the slot
# waits for the lock, not inside the constraint, and then finds the winner's row committed (an exclusion
# violation at once: the next seat). A resource's bookings are on its slot grid (``fits``), so two that
# overlap start together; other slots are not held up (a hash collision only makes two slots take turns).


def _lock_slot(resource: str, start: str) -> str:
    """The SQL call that takes the slot's lock, given the parameters holding its resource and start."""
    key = f"hashtextextended({resource}::uuid::text, extract(epoch FROM {start}::timestamptz)::bigint)"
    return f"pg_advisory_xact_lock({key})"


_INSERT = f"""
WITH slot AS (
    SELECT {_lock_slot("$3", "$4")}),
a AS (
    INSERT INTO appointments (booked_by_call, bot_id, resource_id, starts_at, ends_at, seat, party_size,
                              appointment_date, appointment_time, appointment_type, contact_name,
                              contact_phone, contact_email, confirmation_code, idempotency_key, metadata)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 FROM slot
    RETURNING *)
SELECT {_BOOKING} FROM a JOIN bots b ON b.id = a.bot_id LEFT JOIN book_resources r ON r.id = a.resource_id"""

_LOCK_SLOT = f"SELECT {_lock_slot('$1', '$2')}"

# One round trip before the insert: a booking already made with this idempotency key, and the seats taken.
_BEFORE = """
SELECT (SELECT id FROM appointments WHERE bot_id = $4 AND idempotency_key = $5) AS existing,
       ARRAY(SELECT seat FROM appointments
             WHERE resource_id = $1 AND status = 'confirmed'
               AND tstzrange(starts_at, ends_at) && tstzrange($2, $3)) AS seats"""

_SEATS_IN_USE = """
SELECT seat FROM appointments
WHERE resource_id = $1 AND status = 'confirmed' AND tstzrange(starts_at, ends_at) && tstzrange($2, $3)
  AND id IS DISTINCT FROM $4"""


_UPSERT = """
INSERT INTO book_resources (bot_id, name, capacity, slot_minutes, services, party_max)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (bot_id, name) DO UPDATE SET capacity = EXCLUDED.capacity, slot_minutes = EXCLUDED.slot_minutes,
    services = EXCLUDED.services, party_max = EXCLUDED.party_max, is_active = true, updated_at = now()
WHERE (book_resources.capacity, book_resources.slot_minutes, book_resources.services,
       book_resources.party_max, book_resources.is_active)
      IS DISTINCT FROM
      (EXCLUDED.capacity, EXCLUDED.slot_minutes, EXCLUDED.services, EXCLUDED.party_max, true)"""


async def sync_declared(conn: Any, bot_id: uuid.UUID, declared: Sequence[Any]) -> None:
    """Create or update (by name) the resources a scenario's ``book:`` declares, inside the deploy's
    transaction; resources it does not name are left as they are."""
    for r in declared:
        await conn.execute(_UPSERT, bot_id, r.name, r.capacity, r.slot_minutes, list(r.services), r.party_max)


def _resource(row: Any) -> BookResource:
    values = dict(row)
    values["services"] = tuple(values["services"] or ())
    return BookResource(**values)


def _booking(row: Any) -> Booking:
    return Booking(**dict(row))


def _is(exc: BaseException, constraint: str) -> bool:
    return getattr(exc, "constraint_name", None) == constraint


class Book:
    """Resources and bookings over an asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    # ------------------------------------------------------------------ resources

    async def add_resource(
        self,
        company_id: uuid.UUID,
        bot_id: uuid.UUID,
        *,
        name: str,
        capacity: int = 1,
        slot_minutes: int = 30,
        services: Sequence[str] = (),
        party_max: int | None = None,
    ) -> BookResource:
        """A new resource of one of the company's bots; ConflictError when the bot has one of that name."""
        with translated():
            try:
                row = await self._pool.fetchrow(
                    f"""INSERT INTO book_resources AS r
                            (bot_id, name, capacity, slot_minutes, services, party_max)
                        SELECT b.id, $3, $4, $5, $6, $7 FROM bots b WHERE b.id = $2 AND b.company_id = $1
                        RETURNING {_RESOURCE}""",
                    company_id,
                    bot_id,
                    name,
                    capacity,
                    slot_minutes,
                    list(services),
                    party_max,
                )
            except asyncpg.exceptions.UniqueViolationError as exc:
                raise ConflictError(f"the bot already has a resource named {name!r}") from exc
        if row is None:
            raise NotFoundError(f"no bot with id {bot_id}")
        return _resource(row)

    async def update_resource(
        self, company_id: uuid.UUID, resource_id: uuid.UUID, changes: Mapping[str, Any]
    ) -> BookResource:
        """Change ``name``, ``capacity``, ``slot_minutes``, ``services``, ``party_max`` or ``is_active``."""
        allowed = ("name", "capacity", "slot_minutes", "services", "party_max", "is_active")
        fields = {k: (list(v) if k == "services" else v) for k, v in changes.items() if k in allowed}
        if not fields:
            return await self.resource(company_id, resource_id)
        sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(fields, start=3))
        with translated():
            try:
                row = await self._pool.fetchrow(
                    f"""UPDATE book_resources r SET {sets}, updated_at = now() FROM bots b
                        WHERE r.id = $2 AND b.id = r.bot_id AND b.company_id = $1 RETURNING {_RESOURCE}""",
                    company_id,
                    resource_id,
                    *fields.values(),
                )
            except asyncpg.exceptions.UniqueViolationError as exc:
                raise ConflictError(f"the bot already has a resource named {fields.get('name')!r}") from exc
        if row is None:
            raise NotFoundError(f"no resource with id {resource_id}")
        return _resource(row)

    async def resource(self, company_id: uuid.UUID, resource_id: uuid.UUID) -> BookResource:
        with translated():
            row = await self._pool.fetchrow(
                f"""SELECT {_RESOURCE} FROM book_resources r JOIN bots b ON b.id = r.bot_id
                    WHERE r.id = $2 AND b.company_id = $1""",
                company_id,
                resource_id,
            )
        if row is None:
            raise NotFoundError(f"no resource with id {resource_id}")
        return _resource(row)

    async def resources(
        self, company_id: uuid.UUID, bot_id: uuid.UUID | None = None, *, active_only: bool = False
    ) -> builtins.list[BookResource]:
        """The company's resources (of one bot), by bot and name."""
        with translated():
            rows = await self._pool.fetch(
                f"""SELECT {_RESOURCE} FROM book_resources r JOIN bots b ON b.id = r.bot_id
                    WHERE b.company_id = $1 AND ($2::uuid IS NULL OR r.bot_id = $2)
                      AND (NOT $3 OR r.is_active) ORDER BY r.bot_id, r.name""",
                company_id,
                bot_id,
                active_only,
            )
        return [_resource(r) for r in rows]

    async def company_of(self, bot_id: uuid.UUID) -> uuid.UUID:
        with translated():
            company: uuid.UUID | None = await self._pool.fetchval(
                "SELECT company_id FROM bots WHERE id = $1", bot_id
            )
        if company is None:
            raise NotFoundError(f"no bot with id {bot_id}")
        return company

    # ------------------------------------------------------------------ bookings

    async def busy(
        self, resource_ids: Sequence[uuid.UUID], start: dt.datetime, end: dt.datetime
    ) -> builtins.list[Busy]:
        """Confirmed bookings of these resources overlapping [start, end)."""
        with translated():
            rows = await self._pool.fetch(
                """SELECT resource_id, starts_at, ends_at FROM appointments
                   WHERE resource_id = ANY($1::uuid[]) AND status = 'confirmed'
                     AND tstzrange(starts_at, ends_at) && tstzrange($2, $3)""",
                list(resource_ids),
                start,
                end,
            )
        return [Busy(**dict(r)) for r in rows]

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
    ) -> Booking | None:
        """Book one of the ``capacity`` seats of a resource for [starts_at, ends_at); None when all are taken.

        ``local`` is the start in the bot's time zone (the appointment's date and time columns). With an
        ``idempotency_key`` already used on this bot, the booking it made is returned again.
        """
        contact = contact or {}
        with translated():
            async with self._pool.acquire() as conn:  # autocommit: each insert stands alone
                before = await conn.fetchrow(
                    _BEFORE, resource_id, starts_at, ends_at, bot_id, idempotency_key
                )
                if before["existing"] is not None:
                    return await self._get(conn, before["existing"])
                in_use = set(before["seats"])
                for seat in (s for s in range(1, capacity + 1) if s not in in_use):
                    for _ in range(code_tries):
                        try:
                            row = await conn.fetchrow(
                                _INSERT,
                                call_id,
                                bot_id,
                                resource_id,
                                starts_at,
                                ends_at,
                                seat,
                                party_size,
                                local.date(),
                                local.time().replace(tzinfo=None),
                                service,
                                contact.get("name"),
                                contact.get("phone"),
                                contact.get("email"),
                                new_code(),
                                idempotency_key,
                                dict(metadata or {}),
                            )
                            return _booking(row)
                        except asyncpg.exceptions.ExclusionViolationError:
                            break  # someone took this seat meanwhile: try the next one
                        except asyncpg.exceptions.DeadlockDetectedError:
                            continue  # an overlap off the slot grid (its length changed): try again
                        except asyncpg.exceptions.UniqueViolationError as exc:
                            if _is(exc, "appointments_idempotency") and idempotency_key is not None:
                                again = await self._by_key(conn, bot_id, idempotency_key)
                                if again is not None:  # a concurrent retry of the same call won
                                    return again
                                raise
                            if not _is(exc, "appointments_confirmation_code_key"):
                                raise
                    else:
                        raise ConflictError(f"no free confirmation code after {code_tries} tries")
        return None

    async def move(
        self,
        booking_id: uuid.UUID,
        *,
        resource_id: uuid.UUID,
        capacity: int,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        local: dt.datetime,
    ) -> Booking | None:
        """Reschedule a confirmed booking (same code, same resource); None when the new time is taken."""
        with translated():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_LOCK_SLOT, resource_id, starts_at)  # in turn with inserts
                in_use = {
                    r["seat"]
                    for r in await conn.fetch(_SEATS_IN_USE, resource_id, starts_at, ends_at, booking_id)
                }
                for seat in (s for s in range(1, capacity + 1) if s not in in_use):
                    try:
                        async with conn.transaction():
                            updated = await conn.fetchval(
                                """UPDATE appointments SET starts_at = $2, ends_at = $3, seat = $4,
                                       appointment_date = $5, appointment_time = $6, updated_at = now()
                                   WHERE id = $1 AND status = 'confirmed' RETURNING id""",
                                booking_id,
                                starts_at,
                                ends_at,
                                seat,
                                local.date(),
                                local.time().replace(tzinfo=None),
                            )
                    except asyncpg.exceptions.ExclusionViolationError:
                        continue
                    if updated is None:
                        raise ConflictError("the booking is no longer confirmed")
                    return await self._get(conn, booking_id)
        return None

    async def cancel(self, company_id: uuid.UUID, code: str) -> Booking:
        """Cancel a confirmed booking by its code (frees its seat); ConflictError when not confirmed."""
        booking = await self.by_code(company_id, code)
        if booking is None:
            raise NotFoundError(f"no booking with confirmation code {code}")
        with translated():
            updated = await self._pool.fetchval(
                """UPDATE appointments SET status = 'cancelled', updated_at = now()
                   WHERE id = $1 AND status = 'confirmed' RETURNING id""",
                booking.id,
            )
        if updated is None:
            raise ConflictError(f"booking {booking.confirmation_code} is already {booking.status}")
        found = await self.by_code(company_id, code)
        assert found is not None
        return found

    async def by_code(self, company_id: uuid.UUID, code: str) -> Booking | None:
        """A booking of the company by its confirmation code (case and spaces ignored), or None."""
        normalized = "".join(ch for ch in code if ch.isalnum()).upper()  # "S Q K, P 6 2" as it was read
        with translated():
            row = await self._pool.fetchrow(
                f"SELECT {_BOOKING} {_BOOKING_FROM} WHERE b.company_id = $1 AND a.confirmation_code = $2",
                company_id,
                normalized,
            )
        return None if row is None else _booking(row)

    async def bookings(
        self,
        company_id: uuid.UUID,
        *,
        bot_id: uuid.UUID | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> builtins.list[Booking]:
        """The company's appointments (book bookings and finalize-written ones), by start time."""
        with translated():
            rows = await self._pool.fetch(
                f"""SELECT {_BOOKING} {_BOOKING_FROM}
                    WHERE b.company_id = $1 AND ($2::uuid IS NULL OR a.bot_id = $2)
                      AND ($3::timestamptz IS NULL OR coalesce(a.starts_at, a.created_at) >= $3)
                      AND ($4::timestamptz IS NULL OR coalesce(a.starts_at, a.created_at) < $4)
                      AND ($5::text IS NULL OR a.status = $5)
                    ORDER BY coalesce(a.starts_at, a.created_at), a.id LIMIT $6""",
                company_id,
                bot_id,
                start,
                end,
                status,
                limit,
            )
        return [_booking(r) for r in rows]

    async def _get(self, conn: Any, booking_id: uuid.UUID) -> Booking:
        row = await conn.fetchrow(f"SELECT {_BOOKING} {_BOOKING_FROM} WHERE a.id = $1", booking_id)
        return _booking(row)

    async def _by_key(self, conn: Any, bot_id: uuid.UUID, key: str) -> Booking | None:
        row = await conn.fetchrow(
            f"SELECT {_BOOKING} {_BOOKING_FROM} WHERE a.bot_id = $1 AND a.idempotency_key = $2", bot_id, key
        )
        return None if row is None else _booking(row)
