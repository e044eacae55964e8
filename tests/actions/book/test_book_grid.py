"""The slot grid, pure: the calendar's windows cut into a resource's slots, and the order of alternatives."""

from __future__ import annotations

from datetime import date, datetime

from voicebot.actions.book.grid import alternatives_order, fits, slot_starts
from voicebot.scenario.calendar import Calendar

CAL = Calendar(hours={"mon": ["09:00-10:30", "13:00-14:00"]}, closed=[date(2027, 1, 11)])
MONDAY = date(2027, 1, 4)


def _hm(values: list[datetime]) -> list[str]:
    return [v.strftime("%d %H:%M") for v in values]


def test_slots_fit_inside_each_window() -> None:
    assert _hm(slot_starts(CAL, MONDAY, 30)) == ["04 09:00", "04 09:30", "04 10:00", "04 13:00", "04 13:30"]


def test_a_slot_longer_than_the_rest_of_the_window_does_not_fit() -> None:
    assert _hm(slot_starts(CAL, MONDAY, 60)) == ["04 09:00", "04 13:00"]
    assert fits(CAL, datetime(2027, 1, 4, 9, 0), 60)
    assert not fits(CAL, datetime(2027, 1, 4, 10, 0), 60)  # would end at 11:00, after 10:30
    assert not fits(CAL, datetime(2027, 1, 4, 9, 15), 30)  # off the grid
    assert not fits(CAL, datetime(2027, 1, 5, 9, 0), 30)  # Tuesday: closed
    assert not fits(CAL, datetime(2027, 1, 11, 9, 0), 30)  # a dated closure


def test_the_calendar_step_is_the_grid_when_set() -> None:
    stepped = Calendar(hours={"mon": ["09:00-10:00"]}, step="15m")
    assert _hm(slot_starts(stepped, MONDAY, 30)) == ["04 09:00", "04 09:15", "04 09:30"]


def test_no_calendar_is_open_all_day() -> None:
    starts = slot_starts(None, MONDAY, 60)
    assert len(starts) == 24 and fits(None, datetime(2027, 1, 4, 23, 0), 60)


def test_alternatives_same_day_nearest_first_then_following_open_days() -> None:
    asked = datetime(2027, 1, 4, 13, 0)
    order = alternatives_order(CAL, asked, 30, not_before=datetime(2027, 1, 4, 9, 10))
    got = [next(order) for _ in range(6)]
    # 09:00 is before now; Monday 11 January is closed, so the next open day is 18 January.
    assert _hm(got) == ["04 13:30", "04 10:00", "04 09:30", "18 09:00", "18 09:30", "18 10:00"]
