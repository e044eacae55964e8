"""Calling windows in the callee's time zone and the retry schedule by SIP status (pure, no I/O)."""

from __future__ import annotations

import datetime as dt

import pytest

from voicebot.campaigns import CallingWindow, RetryPolicy, status_of_sip, zone
from voicebot.errors import ConfigError

UTC = dt.UTC
NY = zone("America/New_York")
BERLIN = zone("Europe/Berlin")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_a_call_inside_the_callees_hours_is_due_now_and_outside_them_at_the_next_opening() -> None:
    window = CallingWindow(start=dt.time(9), end=dt.time(20))
    # 2026-03-02 is a Monday. 15:00 UTC = 10:00 in New York, 16:00 in Berlin.
    assert window.next_open(at(2026, 3, 2, 15), NY) == at(2026, 3, 2, 15)
    # 03:00 UTC = 22:00 the day before in New York: next 09:00 New York = 14:00 UTC
    assert window.next_open(at(2026, 3, 3, 3), NY) == at(2026, 3, 3, 14)
    # 19:30 UTC = 20:30 in Berlin (closed): next morning 09:00 Berlin = 08:00 UTC
    assert window.next_open(at(2026, 3, 2, 19, 30), BERLIN) == at(2026, 3, 3, 8)


def test_weekdays_only_skips_the_weekend_in_the_callees_zone() -> None:
    window = CallingWindow(start=dt.time(9), end=dt.time(17), days=(1, 2, 3, 4, 5))
    friday_evening = at(2026, 3, 6, 23)  # Friday 18:00 in New York
    assert window.next_open(friday_evening, NY) == at(2026, 3, 9, 13)  # Monday 09:00 EDT (DST began 8 March)


def test_a_window_that_ended_never_opens_and_a_past_one_is_refused() -> None:
    window = CallingWindow(ends_at=at(2026, 3, 2, 12))
    assert window.next_open(at(2026, 3, 2, 13), BERLIN) is None
    with pytest.raises(ConfigError, match="in the past"):
        window.check_not_past(at(2026, 3, 2, 13))


def test_an_empty_window_is_refused_with_its_hours() -> None:
    with pytest.raises(ConfigError, match="18:00-09:00 is empty"):
        CallingWindow(start=dt.time(18), end=dt.time(9))
    with pytest.raises(ConfigError, match="days"):
        CallingWindow(days=())
    with pytest.raises(ConfigError, match="after its starts_at"):
        CallingWindow(starts_at=at(2026, 3, 2), ends_at=at(2026, 3, 1))


def test_the_campaign_start_delays_the_first_opening() -> None:
    window = CallingWindow(starts_at=at(2026, 3, 10, 12))
    assert window.next_open(at(2026, 3, 2, 12), BERLIN) == at(2026, 3, 10, 12)


def test_sip_codes_map_to_attempt_statuses() -> None:
    assert status_of_sip(200) == "answered"
    assert status_of_sip(486) == "busy"
    assert status_of_sip(603) == "busy"
    assert status_of_sip(480) == "no_answer"
    assert status_of_sip(408) == "no_answer"
    assert status_of_sip(503) == "failed"
    assert status_of_sip(None) == "failed"


def test_retries_follow_the_schedule_only_for_listed_statuses_and_up_to_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3, retry_on=("busy", "no_answer"), delays=(60, 600))
    assert policy.next_delay("busy", 1) == dt.timedelta(seconds=60)
    assert policy.next_delay("no_answer", 2) == dt.timedelta(seconds=600)
    assert policy.next_delay("busy", 3) is None  # max attempts reached
    assert policy.next_delay("failed", 1) is None  # not listed
    assert policy.next_delay("answered", 1) is None
    assert RetryPolicy(max_attempts=5, delays=(10,)).next_delay("interrupted", 4) == dt.timedelta(seconds=10)


def test_bad_retry_settings_name_the_field() -> None:
    with pytest.raises(ConfigError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ConfigError, match="retry_on"):
        RetryPolicy(retry_on=("answered",))
