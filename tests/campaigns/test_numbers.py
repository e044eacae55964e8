"""Number lists from JSON and CSV: every bad row reported with its row, column and reason (pure)."""

from __future__ import annotations

import datetime as dt

from voicebot.campaigns import CallingWindow, rows_from_csv, validate_numbers

NOW = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
WINDOW = CallingWindow()


def test_good_rows_get_e164_a_time_zone_and_their_variables() -> None:
    checked = validate_numbers(
        [
            {"phone": "+1 415 555 0100", "name": "Ann"},
            {"phone": "+442071234567", "timezone": "Europe/London", "variables": {"order": 17}},
        ],
        window=WINDOW,
        now=NOW,
    )
    assert checked.ok
    assert [(r.phone, r.timezone, r.variables) for r in checked.rows] == [
        ("+14155550100", "America/Los_Angeles", {"name": "Ann"}),
        ("+442071234567", "Europe/London", {"order": "17"}),
    ]


def test_every_bad_row_is_reported_and_no_row_is_returned() -> None:
    csv_text = (
        "phone,timezone,first_name\n"
        "+14155550100,,Ann\n"  # row 1: fine
        "4155550101,,Bob\n"  # row 2: not international
        "+14155550100,,Ann again\n"  # row 3: duplicate of row 1
        "+12125550100,Mars/Olympus,Cy\n"  # row 4: bad zone
        "+79161234567,,Dan\n"  # row 5: +7 916 spans many zones
        "+33142685300,Europe/Paris\n"  # row 6: a field short
        "+12125550199,,Eve\n"  # row 7: on the do-not-call list
    )
    rows, lines, file_errors = rows_from_csv(csv_text.encode())
    assert file_errors == []
    checked = validate_numbers(
        rows, window=WINDOW, now=NOW, lines=lines, do_not_call=frozenset({"+12125550199"})
    )
    assert not checked.ok and checked.rows == []
    got = {(e.row, e.column) for e in checked.errors}
    assert got == {
        (2, "phone"),
        (3, "phone"),
        (4, "timezone"),
        (5, "timezone"),
        (6, "*"),
        (7, "phone"),
    }
    by_row = {e.row: e for e in checked.errors}
    assert "international form" in by_row[2].reason
    assert "duplicate of row 1" in by_row[3].reason
    assert "several time zones" in by_row[5].reason
    assert "do-not-call" in by_row[7].reason
    assert by_row[6].line == 7 and "3" in by_row[6].reason  # CSV line (header = line 1)
    assert (
        str(by_row[2])
        == "row 2 (line 3), phone: '4155550101' must be in international form with + and the country code, "
        "e.g. +14155550100"
    )


def test_a_campaign_default_time_zone_resolves_ambiguous_prefixes() -> None:
    checked = validate_numbers(
        [{"phone": "+79161234567"}], window=WINDOW, now=NOW, default_timezone="Europe/Moscow"
    )
    assert checked.ok and checked.rows[0].timezone == "Europe/Moscow"


def test_a_window_that_never_opens_again_is_a_row_error() -> None:
    window = CallingWindow(start=dt.time(9), end=dt.time(10), ends_at=NOW + dt.timedelta(hours=1))
    # 12:00 UTC: 13:00 in Paris (closed until tomorrow, after ends_at); 07:00 in New York (opens at 09:00
    # local = 13:00 UTC, also after ends_at); nothing is callable
    checked = validate_numbers([{"phone": "+33142685300"}], window=window, now=NOW)
    assert not checked.ok and "never opens again in Europe/Paris" in checked.errors[0].reason


def test_file_level_problems() -> None:
    header = rows_from_csv(b"phone,first name\n+14155550100,Ann\n")[2]
    assert [(e.row, e.column, e.line) for e in header] == [(0, "first name", 1)]
    assert rows_from_csv(b"\xff\xfe\x00")[2][0].reason.startswith("the file is not UTF-8")
    assert "empty" in rows_from_csv(b"")[2][0].reason
    checked = validate_numbers([], window=WINDOW, now=NOW)
    assert not checked.ok and checked.errors[0].reason == "the campaign has no numbers"
    checked = validate_numbers([{"name": "x"}], window=WINDOW, now=NOW)
    assert checked.errors[0].column == "phone" and "missing" in checked.errors[0].reason
