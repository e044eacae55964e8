"""The business calendar: windows per weekday, closures, the booking grid, conditions over dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

from voicebot.scenario.calendar import Calendar, check_date, check_time, spoken_refusal
from voicebot.scenario.expressions import compile_condition

KITCHEN = Calendar.model_validate(
    {
        "hours": {"tue": ["12:00-15:00", "17:30-22:00"], "wed": ["12:00-22:00"], "sat": ["10:00-16:00"]},
        "closed": ["2026-12-26"],
        "step": "30m",
    }
)
MONDAY = date(2026, 12, 7)


def test_closed_weekday_offers_the_next_two_open_days_in_english_and_russian() -> None:
    refusal = check_date(KITCHEN, MONDAY, today=MONDAY)
    assert refusal is not None
    assert spoken_refusal(refusal, "en", today=MONDAY) == (
        "We're closed on Mondays; tomorrow, 8 December or Wednesday 9 December?"
    )
    assert spoken_refusal(refusal, "ru") == (
        "По понедельникам мы не работаем; может быть, вторник, 8 декабря или среда, 9 декабря?"
    )
    assert check_date(KITCHEN, date(2026, 12, 8)) is None


def test_a_dated_closure_is_closed_even_on_an_open_weekday() -> None:
    refusal = check_date(KITCHEN, date(2026, 12, 26))  # a Saturday
    assert refusal is not None and refusal.reason == "closed_date"
    assert spoken_refusal(refusal, "en").startswith("We're closed on 26 December; Tuesday 29 December")


def test_the_kitchen_break_and_the_grid_give_the_nearest_bookable_times() -> None:
    tuesday = date(2026, 12, 8)
    assert check_time(KITCHEN, time(17, 30), day=tuesday) is None
    assert check_time(KITCHEN, time(12, 0), day=tuesday) is None
    refusal = check_time(KITCHEN, time(16, 0), day=tuesday)
    assert refusal is not None
    assert (
        spoken_refusal(refusal, "en")
        == "We're not open at that time; the nearest times are 2:30 PM and 5:30 PM."
    )
    off_grid = check_time(KITCHEN, time(17, 40), day=tuesday)
    assert off_grid is not None
    assert spoken_refusal(off_grid, "ru") == "В это время мы не работаем; ближайшее время: 17:30 и 18:00."
    assert check_time(KITCHEN, time(15, 0), day=tuesday) is not None  # a window's end is not bookable


def test_weekday_and_date_arithmetic_in_conditions() -> None:
    env = {"visit_date": "2026-12-13", "when": "2026-12-13T18:00:00+00:00"}
    holds = lambda source: compile_condition(source).evaluate(  # noqa: E731
        env, filled=lambda _: True, visited=lambda _: False
    )
    assert holds("weekday(visit_date) == 'sun'")
    assert holds("weekday(when) in ['sat', 'sun']")
    assert holds("visit_date + days(1) == '2026-12-14'")
    assert holds("weekday(visit_date - days(6)) == 'mon'")
    assert not holds("weekday(missing) == 'sun'")  # an unfilled slot has no weekday


def test_checker_rejects_bad_windows_weekday_words_and_calendar_slots_without_a_calendar(
    problems: Callable[[str], list[str]],
) -> None:
    assert problems(
        """
        bot: {id: t, name: T, language: en, greeting: Hi}
        slots:
          day: {type: date, prompt: When, calendar: true}
        start: a
        states:
          a:
            collect: [day]
            transitions:
              - {when: "weekday(day) == 'sunday'", to: b}
              - {fallback: true, to: b}
          b: {end: true, outcome: x}
        """
    ) == [
        "s.yaml:3:45: slots.day.calendar: there is no business calendar; add a top-level 'calendar:' with "
        "'hours' (see docs/scenarios.md, Business calendar)",
        "s.yaml:9:33: states.a.transitions[0].when: weekday() is one of mon, tue, wed, thu, fri, sat, sun, "
        "never 'sunday' (such as weekday(visit_date) == 'sun')",
    ]
    found = problems(
        "bot: {id: t, name: T, language: en, greeting: Hi}\n"
        "calendar: {hours: {mon: ['18:00-09:00']}, step: 7x}\n"
        "start: a\nstates:\n  a: {end: true, outcome: x}\n"
    )
    assert len(found) == 2
    assert any("calendar.hours: mon: '18:00-09:00' ends before it starts" in f for f in found)
    assert any("'7x' is not a step such as '30m'" in f for f in found)
