"""The built-in book as an action runner: ``book.availability``, ``book.reserve``, ``book.cancel``,
``book.reschedule`` and ``book.lookup`` (ActionCall in, ActionResult out; it never raises).

Arguments (from slots and call data, see docs/scenarios.md "The appointment book"):

* when: ``datetime`` (ISO, or a datetime slot), or ``date`` + ``time``; naive means the bot's local time;
* which: ``resource`` (a resource's name) and/or ``service``; ``party_size`` (default 1);
* who (reserve): ``name``, ``phone``, ``email``;
* ``code``: the confirmation code (cancel, reschedule, lookup).

A refusal is ``status: error`` with ``error`` = the reason and ``data`` = ``{reason, message,
alternatives}``; a database failure is ``error: unavailable``; running past ``timeout_s`` is
``status: timeout``. A booking's ``data`` is :func:`booking_data`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from voicebot.actions.base import ActionCall, ActionResult
from voicebot.actions.book.ports import BookingLike, BookStore, Hours, hours_of
from voicebot.actions.book.service import AppointmentBook, BookRefusal, Slot
from voicebot.errors import VoicebotError
from voicebot.scenario.model import Scenario

__all__ = ["KINDS", "BookRunner", "booking_data", "parse_when", "runner_for_scenario", "slot_data"]

log = structlog.get_logger("voicebot.actions.book")

KINDS = ("book.availability", "book.reserve", "book.cancel", "book.reschedule", "book.lookup")


def slot_data(slot: Slot) -> dict[str, Any]:
    """A time the caller can be offered: ``{starts_at, date, time, resource}`` (local ISO forms)."""
    return {
        "starts_at": slot.starts_at.isoformat(),
        "date": slot.starts_at.date().isoformat(),
        "time": slot.starts_at.strftime("%H:%M"),
        "resource": slot.resource,
    }


def booking_data(booking: BookingLike, zone: ZoneInfo) -> dict[str, Any]:
    """A booking as action data and API output (times in the bot's zone)."""
    starts = booking.starts_at.astimezone(zone) if booking.starts_at is not None else None
    ends = booking.ends_at.astimezone(zone) if booking.ends_at is not None else None
    return {
        "appointment_id": str(booking.id),
        "confirmation_code": booking.confirmation_code,
        "status": booking.status,
        "resource": booking.resource,
        "service": booking.service,
        "party_size": booking.party_size,
        "starts_at": starts.isoformat() if starts else None,
        "ends_at": ends.isoformat() if ends else None,
        "date": starts.date().isoformat() if starts else None,
        "time": starts.strftime("%H:%M") if starts else None,
    }


def parse_when(args: Mapping[str, Any]) -> dt.datetime:
    """The asked time from ``datetime`` / ``starts_at``, or ``date`` + ``time``; BookRefusal otherwise."""
    value = args.get("datetime", args.get("starts_at"))
    try:
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, str) and value.strip():
            return dt.datetime.fromisoformat(value.strip())
        day, at = args.get("date"), args.get("time")
        if isinstance(day, dt.datetime):
            day = day.date()
        if isinstance(day, str):
            day = dt.date.fromisoformat(day.strip()[:10])
        if isinstance(at, str):
            at = dt.time.fromisoformat(at.strip())
        if isinstance(day, dt.date) and isinstance(at, dt.time):
            return dt.datetime.combine(day, at.replace(tzinfo=None))
    except ValueError:
        pass
    raise BookRefusal("bad_request", "a date and time are needed (datetime, or date and time)")


_MAX_TEXT = 200


def _text(args: Mapping[str, Any], key: str) -> str | None:
    """A text argument, stripped; None when empty. NUL, lone surrogates and over-long text are refused."""
    value = args.get(key)
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if len(text) > _MAX_TEXT or "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
        raise BookRefusal("bad_request", f"{key} must be printable text of at most {_MAX_TEXT} characters")
    return text


def _party(args: Mapping[str, Any]) -> int:
    value = args.get("party_size", 1)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BookRefusal("bad_request", f"party_size {value!r} is not a number") from None


def _refused(refusal: BookRefusal) -> dict[str, Any]:
    return {
        "reason": refusal.reason,
        "message": str(refusal),
        "alternatives": [slot_data(s) for s in refusal.alternatives],
    }


_UNAVAILABLE: Mapping[str, Any] = {"reason": "unavailable", "message": "the booking system failed"}


class BookRunner:
    """The ActionRunner of the built-in kinds, for one bot's calls (``company_id`` and ``bot_id`` come
    from each ActionCall; the book's hours source gives the bot's calendar)."""

    def __init__(self, *, book: AppointmentBook) -> None:
        self._book = book

    async def run(self, call: ActionCall) -> ActionResult:
        started = time.perf_counter()

        def result(status: Any, data: Mapping[str, Any], error: str | None = None) -> ActionResult:
            return ActionResult(status, data, (time.perf_counter() - started) * 1000, None, error)

        try:
            data = await asyncio.wait_for(self._dispatch(call), timeout=call.timeout_s)
        except TimeoutError:
            log.warning("book_action_timeout", kind=call.kind, action=call.name, timeout_s=call.timeout_s)
            return result("timeout", {"reason": "timeout"}, "timeout")
        except BookRefusal as refusal:
            log.info("book_action_refused", kind=call.kind, action=call.name, reason=refusal.reason)
            return result("error", _refused(refusal), refusal.reason)
        except VoicebotError as exc:
            log.warning("book_action_failed", kind=call.kind, action=call.name, error=type(exc).__name__)
            return result("error", _UNAVAILABLE, "unavailable")
        except Exception:  # a bug must not drop the call: the scenario takes its failure branch
            log.exception("book_action_crashed", kind=call.kind, action=call.name)
            return result("error", _UNAVAILABLE, "unavailable")
        log.info("book_action_done", kind=call.kind, action=call.name)
        return result("ok", data)

    async def _dispatch(self, call: ActionCall) -> dict[str, Any]:
        if call.kind not in KINDS:
            raise BookRefusal("bad_request", f"unknown action kind {call.kind!r}")
        if call.bot_id is None:
            raise BookRefusal("bad_request", "the built-in book needs the call's bot")
        bot_id = call.bot_id
        company_id = call.company_id or await self._company(bot_id)
        args = call.args
        zone = await self._book.zone_of(bot_id)
        if call.kind == "book.availability":
            found = await self._book.availability(
                company_id,
                bot_id,
                parse_when(args),
                resource=_text(args, "resource"),
                service=_text(args, "service"),
                party_size=_party(args),
            )
            return {
                "available": found.available,
                "reason": found.reason,
                **({**slot_data(found.slot)} if found.slot is not None else {}),
                "alternatives": [slot_data(s) for s in found.alternatives],
            }
        if call.kind == "book.reserve":
            booking = await self._book.reserve(
                company_id,
                bot_id,
                parse_when(args),
                resource=_text(args, "resource"),
                service=_text(args, "service"),
                party_size=_party(args),
                contact={k: _text(args, k) for k in ("name", "phone", "email")},
                call_id=call.call_id,
                idempotency_key=call.idempotency_key or None,
            )
            return booking_data(booking, zone)
        code = _text(args, "code") or _text(args, "confirmation_code")
        if code is None:
            raise BookRefusal("bad_request", "a confirmation code is needed")
        if call.kind == "book.cancel":
            return booking_data(await self._book.cancel(company_id, code), zone)
        if call.kind == "book.reschedule":
            return booking_data(await self._book.reschedule(company_id, code, parse_when(args)), zone)
        return {"found": True, **booking_data(await self._book.lookup(company_id, code), zone)}

    async def _company(self, bot_id: uuid.UUID) -> uuid.UUID:
        return await self._book.company_of(bot_id)


def runner_for_scenario(store: BookStore, scenario: Scenario) -> BookRunner:
    """The runner of one scenario's calls: the book's hours are that scenario's calendar and time zone.

    ``store`` is storage's ``Book`` on the process's pool (the composition root builds it).
    """
    hours = hours_of(scenario)

    async def hours_for(_bot_id: uuid.UUID) -> Hours:
        return hours

    return BookRunner(book=AppointmentBook(store=store, hours=hours_for))
