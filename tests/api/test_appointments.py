"""The appointment book over the API: resources, availability with the bot's calendar, booking, a taken
time's 409 with alternatives, cancel and reschedule by code, and the 4xx reasons."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.storage.helpers import mini_scenario

CALENDAR = """calendar:
  hours: {mon: ["09:00-12:00"], tue: ["09:00-12:00"]}
  closed: ["2030-01-08"]
"""


async def _clinic(api: Api) -> tuple[str, dict[str, str]]:
    """Company A's bot with a calendar (Mon and Tue mornings, London) and a resource 'Dr Lee'."""
    a = api.a
    source = mini_scenario().replace("  language: en\n", "  language: en\n  timezone: Europe/London\n")
    source = source.replace("start: ask\n", CALENDAR + "start: ask\n")
    put = await api.client.put(f"/v1/bots/{a.bot_id}/scenario", json={"scenario": source}, headers=a.headers)
    assert put.status_code == 200, put.text
    made = await api.client.post(
        f"/v1/bots/{a.bot_id}/resources", json={"name": "Dr Lee", "slot_minutes": 60}, headers=a.headers
    )
    assert made.status_code == 201, made.text
    return str(a.bot_id), a.headers


async def _post(api: Api, url: str, headers: dict[str, str], **body: Any) -> Any:
    return await api.client.post(url, json=body, headers=headers)


async def test_book_a_time_and_get_alternatives_for_a_taken_one(api: Api) -> None:
    bot, h = await _clinic(api)
    free = await _post(
        api, f"/v1/bots/{bot}/availability", h, starts_at="2030-01-07T10:00:00", resource="Dr Lee"
    )
    assert free.status_code == 200 and free.json()["available"] is True
    booked = await _post(
        api,
        f"/v1/bots/{bot}/appointments",
        h,
        starts_at="2030-01-07T10:00:00",
        resource="Dr Lee",
        contact_name="Ann",
    )
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert body["starts_at"] == "2030-01-07T10:00:00+00:00" and body["resource"] == "Dr Lee"
    code = body["confirmation_code"]
    again = await _post(
        api, f"/v1/bots/{bot}/appointments", h, starts_at="2030-01-07T10:00:00", resource="Dr Lee"
    )
    assert again.status_code == 409
    assert again.json()["reason"] == "taken"
    assert [s["time"] for s in again.json()["alternatives"]] == ["09:00", "11:00", "09:00"]
    assert again.json()["alternatives"][2]["date"] == "2030-01-14"  # Tue 8th is a holiday
    listed = await api.client.get(
        "/v1/appointments", params={"bot_id": bot, "status": "confirmed"}, headers=h
    )
    assert code in [b["confirmation_code"] for b in listed.json()]
    found = await api.client.get(f"/v1/appointments/{code.lower()}", headers=h)
    assert found.status_code == 200 and found.json()["status"] == "confirmed"


async def test_cancel_and_reschedule_by_code_with_reasons(api: Api) -> None:
    bot, h = await _clinic(api)
    first = await _post(
        api, f"/v1/bots/{bot}/appointments", h, starts_at="2030-01-07T09:00:00", resource="Dr Lee"
    )
    code = first.json()["confirmation_code"]
    closed = await _post(api, f"/v1/appointments/{code}/reschedule", h, starts_at="2030-01-08T09:00:00")
    assert closed.status_code == 422 and closed.json()["reason"] == "closed"
    assert closed.json()["alternatives"][0]["starts_at"].startswith("2030-01-14T09:00")  # the next open day
    moved = await _post(api, f"/v1/appointments/{code}/reschedule", h, starts_at="2030-01-07T11:00:00Z")
    assert moved.status_code == 200 and moved.json()["confirmation_code"] == code
    assert moved.json()["time"] == "11:00"
    cancelled = await api.client.post(f"/v1/appointments/{code}/cancel", headers=h)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    twice = await api.client.post(f"/v1/appointments/{code}/cancel", headers=h)
    assert twice.status_code == 409 and twice.json()["reason"] == "not_confirmed"
    missing = await api.client.get("/v1/appointments/ZZZZZZ", headers=h)
    assert missing.status_code == 404 and set(missing.json()) == {"detail"}
    past = await _post(api, f"/v1/bots/{bot}/appointments", h, starts_at="2020-01-06T09:00:00")
    assert past.status_code == 422 and past.json()["reason"] == "past"
    nobody = await _post(
        api, f"/v1/bots/{bot}/appointments", h, starts_at="2030-01-07T09:00:00", resource="Dr Who"
    )
    assert nobody.status_code == 404


async def test_resources_are_managed_and_validated(api: Api) -> None:
    bot, h = await _clinic(api)
    dup = await _post(api, f"/v1/bots/{bot}/resources", h, name="Dr Lee")
    assert dup.status_code == 409 and "Dr Lee" in dup.json()["detail"]
    bad = await _post(api, f"/v1/bots/{bot}/resources", h, name="Chair", capacity=0)
    assert bad.status_code == 422
    listed = (await api.client.get(f"/v1/bots/{bot}/resources", headers=h)).json()
    lee = next(r for r in listed if r["name"] == "Dr Lee")
    patched = await api.client.patch(f"/v1/resources/{lee['id']}", json={"capacity": 2}, headers=h)
    assert patched.status_code == 200 and patched.json()["capacity"] == 2
    gone = await api.client.delete(f"/v1/resources/{lee['id']}", headers=h)
    assert gone.status_code == 204
    refused = await _post(
        api, f"/v1/bots/{bot}/appointments", h, starts_at="2030-01-07T09:00:00", resource="Dr Lee"
    )
    assert refused.status_code == 404  # an inactive resource takes no new bookings
