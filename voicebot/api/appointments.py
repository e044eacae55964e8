"""The built-in appointment book over the API: a bot's resources, availability, bookings, and cancel /
reschedule / look up by confirmation code. Company-scoped like every route: another company's bot,
resource or code is a 404 worded like one that does not exist.

Opening hours are the bot's current scenario's ``calendar`` (and ``bot.timezone``). A time the book
refuses is a 409 (``taken``, ``not_confirmed``) or a 422 (``closed``, ``past``, ``bad_request``) with
``{"detail", "reason", "alternatives"}``: the nearest free times, as offered on the phone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from enum import Enum
from typing import Annotated, Literal

from fastapi import FastAPI, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from voicebot.actions.book import AppointmentBook, BookRefusal, Hours, booking_data, hours_of, slot_data
from voicebot.actions.book.ports import BookingLike
from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import error_responses
from voicebot.api.services import ApiServices
from voicebot.api.textguard import SafeText, printable
from voicebot.errors import ConfigError, NotFoundError
from voicebot.scenario import load_text
from voicebot.storage.repositories.book import BookResource

__all__ = ["register"]

TAGS: list[str | Enum] = ["appointments"]
COMMON = error_responses(401, 404)
REFUSALS = error_responses(409, 422)
_STATUS = {"taken": 409, "not_confirmed": 409, "closed": 422, "past": 422, "bad_request": 422}


class ResourceIn(BaseModel):
    name: SafeText = Field(min_length=1, max_length=100, examples=["Dr Lee"])
    capacity: int = Field(
        default=1, ge=1, le=500, description="Bookings per slot (chairs, tables of a size)."
    )
    slot_minutes: int = Field(
        default=30, ge=5, le=720, description="Slot length; the grid unless calendar.step."
    )
    services: list[SafeText] = Field(default_factory=list, max_length=50, description="[] books anything.")
    party_max: int | None = Field(default=None, ge=1, description="A table's size; null: no party limit.")


class ResourcePatch(BaseModel):
    name: SafeText | None = Field(default=None, min_length=1, max_length=100)
    capacity: int | None = Field(default=None, ge=1, le=500)
    slot_minutes: int | None = Field(default=None, ge=5, le=720)
    services: list[SafeText] | None = Field(default=None, max_length=50)
    party_max: int | None = Field(default=None, ge=1)
    is_active: bool | None = None


class ResourceOut(BaseModel):
    id: uuid.UUID
    bot_id: uuid.UUID
    name: str
    capacity: int
    slot_minutes: int
    services: list[str]
    party_max: int | None
    is_active: bool

    @classmethod
    def of(cls, r: BookResource) -> ResourceOut:
        return cls(
            id=r.id,
            bot_id=r.bot_id,
            name=r.name,
            capacity=r.capacity,
            slot_minutes=r.slot_minutes,
            services=list(r.services),
            party_max=r.party_max,
            is_active=r.is_active,
        )


class When(BaseModel):
    starts_at: dt.datetime = Field(description="ISO 8601; without an offset: the bot's local time.")
    resource: SafeText | None = Field(default=None, max_length=100)
    service: SafeText | None = Field(default=None, max_length=100)
    party_size: int = Field(default=1, ge=1, le=1000)


class BookingIn(When):
    contact_name: SafeText | None = Field(default=None, max_length=200)
    contact_phone: SafeText | None = Field(default=None, max_length=40)
    contact_email: SafeText | None = Field(default=None, max_length=200)


class RescheduleIn(BaseModel):
    starts_at: dt.datetime = Field(description="ISO 8601; without an offset: the bot's local time.")


class SlotOut(BaseModel):
    starts_at: str
    date: str
    time: str
    resource: str


class AvailabilityOut(BaseModel):
    available: bool
    reason: Literal["closed", "past", "taken"] | None
    slot: SlotOut | None
    alternatives: list[SlotOut]


class BookingOut(BaseModel):
    appointment_id: uuid.UUID
    confirmation_code: str
    status: str
    resource: str | None
    service: str | None
    party_size: int | None
    starts_at: str | None
    ends_at: str | None
    date: str | None
    time: str | None


async def _hours(services: ApiServices, company_id: uuid.UUID, bot_id: uuid.UUID) -> Hours:
    source = await services.company_bots.scenario_source(company_id, bot_id)
    loaded = await asyncio.to_thread(load_text, source, "scenario.yaml")
    return hours_of(loaded.scenario)


def _book(services: ApiServices, company_id: uuid.UUID) -> AppointmentBook:
    """The book for one request; each bot's scenario is read and parsed once per request."""
    seen: dict[uuid.UUID, Hours] = {}

    async def hours(bot_id: uuid.UUID) -> Hours:
        if bot_id not in seen:
            seen[bot_id] = await _hours(services, company_id, bot_id)
        return seen[bot_id]

    return AppointmentBook(store=services.book, hours=hours)


def _refused(refusal: BookRefusal) -> JSONResponse:
    if refusal.reason in ("not_found", "no_resource"):
        raise NotFoundError(str(refusal)) from None
    return JSONResponse(
        {
            "detail": printable(str(refusal)),
            "reason": refusal.reason,
            "alternatives": [slot_data(s) for s in refusal.alternatives],
        },
        status_code=_STATUS.get(refusal.reason, 422),
    )


async def _out(book: AppointmentBook, booking: BookingLike) -> BookingOut:
    zone = await book.zone_of(booking.bot_id) if booking.bot_id is not None else dt.UTC
    return BookingOut(**booking_data(booking, zone))  # type: ignore[arg-type]


def register(app: FastAPI) -> None:
    @app.get("/v1/bots/{bot_id}/resources", tags=TAGS, response_model=list[ResourceOut], responses=COMMON)
    async def list_resources(
        bot_id: uuid.UUID, company: CurrentCompany, services: Services
    ) -> list[ResourceOut]:
        await services.company_bots.get(company.id, bot_id)
        return [ResourceOut.of(r) for r in await services.book.resources(company.id, bot_id)]

    @app.post(
        "/v1/bots/{bot_id}/resources",
        tags=TAGS,
        status_code=201,
        response_model=ResourceOut,
        responses={**COMMON, **error_responses(409, 422)},
    )
    async def add_resource(
        bot_id: uuid.UUID, body: ResourceIn, company: CurrentCompany, services: Services
    ) -> ResourceOut:
        """A bookable resource of the bot; a second one of the same name is a 409."""
        return ResourceOut.of(await services.book.add_resource(company.id, bot_id, **body.model_dump()))

    @app.patch(
        "/v1/resources/{resource_id}",
        tags=TAGS,
        response_model=ResourceOut,
        responses={**COMMON, **error_responses(409, 422)},
    )
    async def update_resource(
        resource_id: uuid.UUID, body: ResourcePatch, company: CurrentCompany, services: Services
    ) -> ResourceOut:
        """Change a resource; ``is_active: false`` stops new bookings on it (existing ones stay)."""
        changes = body.model_dump(exclude_unset=True)
        nulls = sorted(k for k, v in changes.items() if v is None and k != "party_max")
        if nulls:
            raise ConfigError(f"{', '.join(nulls)}: cannot be null (only party_max can, for no limit)")
        return ResourceOut.of(await services.book.update_resource(company.id, resource_id, changes))

    @app.delete("/v1/resources/{resource_id}", tags=TAGS, status_code=204, responses=COMMON)
    async def remove_resource(
        resource_id: uuid.UUID, company: CurrentCompany, services: Services
    ) -> Response:
        """Deactivate a resource (its bookings keep it; no new ones)."""
        await services.book.update_resource(company.id, resource_id, {"is_active": False})
        return Response(status_code=204)

    @app.post(
        "/v1/bots/{bot_id}/availability",
        tags=TAGS,
        response_model=AvailabilityOut,
        responses={**COMMON, **error_responses(422)},
    )
    async def availability(
        bot_id: uuid.UUID, body: When, company: CurrentCompany, services: Services
    ) -> AvailabilityOut | JSONResponse:
        """Whether ``starts_at`` can be booked, else the nearest free times (same day first)."""
        book = _book(services, company.id)
        try:
            found = await book.availability(
                company.id,
                bot_id,
                body.starts_at,
                resource=body.resource,
                service=body.service,
                party_size=body.party_size,
            )
        except BookRefusal as refusal:
            return _refused(refusal)
        return AvailabilityOut(
            available=found.available,
            reason=found.reason if found.reason in ("closed", "past", "taken") else None,
            slot=SlotOut(**slot_data(found.slot)) if found.slot is not None else None,
            alternatives=[SlotOut(**slot_data(s)) for s in found.alternatives],
        )

    @app.post(
        "/v1/bots/{bot_id}/appointments",
        tags=TAGS,
        status_code=201,
        response_model=BookingOut,
        responses={**COMMON, **REFUSALS},
    )
    async def reserve(
        bot_id: uuid.UUID, body: BookingIn, company: CurrentCompany, services: Services
    ) -> BookingOut | JSONResponse:
        """Book ``starts_at``; a taken time is a 409 with ``alternatives``."""
        book = _book(services, company.id)
        try:
            booking = await book.reserve(
                company.id,
                bot_id,
                body.starts_at,
                resource=body.resource,
                service=body.service,
                party_size=body.party_size,
                contact={"name": body.contact_name, "phone": body.contact_phone, "email": body.contact_email},
            )
        except BookRefusal as refusal:
            return _refused(refusal)
        return await _out(book, booking)

    @app.get("/v1/appointments", tags=TAGS, response_model=list[BookingOut], responses=COMMON)
    async def list_appointments(
        company: CurrentCompany,
        services: Services,
        bot_id: uuid.UUID | None = None,
        start: Annotated[dt.datetime | None, Query(alias="from", description="starts at or after")] = None,
        end: Annotated[dt.datetime | None, Query(alias="to", description="starts before")] = None,
        status: Literal["confirmed", "cancelled", "completed", "no_show"] | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[BookingOut]:
        """The company's appointments (the book's and those written from a call's slots), by start."""
        if bot_id is not None:
            await services.company_bots.get(company.id, bot_id)
        book = _book(services, company.id)
        rows = await services.book.bookings(
            company.id, bot_id=bot_id, start=start, end=end, status=status, limit=limit
        )
        return [await _out(book, r) for r in rows]

    @app.get("/v1/appointments/{code}", tags=TAGS, response_model=BookingOut, responses=COMMON)
    async def lookup(code: str, company: CurrentCompany, services: Services) -> BookingOut | JSONResponse:
        book = _book(services, company.id)
        try:
            return await _out(book, await book.lookup(company.id, code))
        except BookRefusal as refusal:
            return _refused(refusal)

    @app.post(
        "/v1/appointments/{code}/cancel",
        tags=TAGS,
        response_model=BookingOut,
        responses={**COMMON, **REFUSALS},
    )
    async def cancel(code: str, company: CurrentCompany, services: Services) -> BookingOut | JSONResponse:
        """Cancel by confirmation code (frees the slot); an already cancelled booking is a 409."""
        book = _book(services, company.id)
        try:
            return await _out(book, await book.cancel(company.id, code))
        except BookRefusal as refusal:
            return _refused(refusal)

    @app.post(
        "/v1/appointments/{code}/reschedule",
        tags=TAGS,
        response_model=BookingOut,
        responses={**COMMON, **REFUSALS},
    )
    async def reschedule(
        code: str, body: RescheduleIn, company: CurrentCompany, services: Services
    ) -> BookingOut | JSONResponse:
        """Move a booking to ``starts_at`` on its resource; it keeps its confirmation code."""
        book = _book(services, company.id)
        try:
            return await _out(book, await book.reschedule(company.id, code, body.starts_at))
        except BookRefusal as refusal:
            return _refused(refusal)
