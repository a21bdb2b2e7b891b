"""Maintenance window arithmetic: weekly local windows across time zones and daylight saving time.

Expected instants are written out by hand from the zones' published rules (US: DST from the second
Sunday of March to the first Sunday of November; EU: last Sunday of March to last Sunday of
October at 01:00 UTC; Sydney: first Sunday of October to first Sunday of April; India: no DST).
"""

from __future__ import annotations

import datetime as dt

import pytest

from components import maintenance_window as mw


def window(day="Tuesday", start="01:00", hours=4, tz="America/Los_Angeles") -> mw.MaintenanceWindow:
    parsed, problems = mw.parse({"day": day, "start": start, "durationHours": hours, "timezone": tz})
    assert problems == [] and parsed is not None
    return parsed


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("now", "opens", "closes"),
    [
        # Summer: Tuesday 01:00 PDT (UTC-7) is 08:00 UTC.
        ("2026-07-07T08:00:00Z", "2026-07-07T08:00:00Z", "2026-07-07T12:00:00Z"),
        ("2026-07-07T11:59:59Z", "2026-07-07T08:00:00Z", "2026-07-07T12:00:00Z"),
        # Winter: Tuesday 01:00 PST (UTC-8) is 09:00 UTC; 08:30 UTC is before it.
        ("2026-12-08T08:30:00Z", "2026-12-08T09:00:00Z", "2026-12-08T13:00:00Z"),
        # Closed at the end instant ([start, end)): the next is a week later.
        ("2026-07-07T12:00:00Z", "2026-07-14T08:00:00Z", "2026-07-14T12:00:00Z"),
        # The Tuesday after the November change (Sunday 1 November 2026) is in PST already.
        ("2026-11-02T00:00:00Z", "2026-11-03T09:00:00Z", "2026-11-03T13:00:00Z"),
        # The Tuesday after the March change (Sunday 8 March 2026) is in PDT.
        ("2026-03-09T00:00:00Z", "2026-03-10T08:00:00Z", "2026-03-10T12:00:00Z"),
    ],
)
def test_reference_window_tuesday_0100_los_angeles_follows_dst(now, opens, closes):
    assert mw.current_or_next(window(), utc(now)) == (utc(opens), utc(closes))


def test_is_open_is_half_open_and_next_opening_skips_the_open_window():
    w = window()
    assert not mw.is_open(w, utc("2026-07-07T07:59:59Z"))
    assert mw.is_open(w, utc("2026-07-07T08:00:00Z"))
    assert not mw.is_open(w, utc("2026-07-07T12:00:00Z"))
    assert mw.next_opening(w, utc("2026-07-07T09:00:00Z")) == utc("2026-07-14T08:00:00Z")
    assert mw.next_opening(w, utc("2026-07-06T09:00:00Z")) == utc("2026-07-07T08:00:00Z")
    assert mw.local_iso(w, utc("2026-07-07T08:00:00Z")) == "2026-07-07T01:00:00-07:00"
    assert mw.local_iso(w, utc("2026-12-08T09:00:00Z")) == "2026-12-08T01:00:00-08:00"


def test_local_time_is_read_in_the_windows_zone_not_utc():
    # Monday 23:00 in New York (EDT, UTC-4) is already Tuesday 03:00 UTC.
    w = window(day="Monday", start="23:00", hours=2, tz="America/New_York")
    assert mw.current_or_next(w, utc("2026-06-02T00:00:00Z")) == (
        utc("2026-06-02T03:00:00Z"),
        utc("2026-06-02T05:00:00Z"),
    )
    # Tuesday 00:30 in Kolkata (UTC+5:30, no DST) is Monday 19:00 UTC, all year.
    k = window(day="Tuesday", start="00:30", hours=1, tz="Asia/Kolkata")
    assert mw.current_or_next(k, utc("2026-01-01T00:00:00Z"))[0] == utc("2026-01-05T19:00:00Z")
    assert mw.current_or_next(k, utc("2026-07-01T00:00:00Z"))[0] == utc("2026-07-06T19:00:00Z")


def test_southern_hemisphere_dst_is_the_other_way_round():
    w = window(day="Sunday", start="04:00", hours=2, tz="Australia/Sydney")
    # January: AEDT (UTC+11); July: AEST (UTC+10).
    assert mw.current_or_next(w, utc("2026-01-01T00:00:00Z"))[0] == utc("2026-01-03T17:00:00Z")
    assert mw.current_or_next(w, utc("2026-07-01T00:00:00Z"))[0] == utc("2026-07-04T18:00:00Z")


def test_window_across_the_spring_forward_night_lasts_its_elapsed_hours():
    # 8 March 2026, Los Angeles: 02:00 PST jumps to 03:00 PDT (10:00 UTC).
    w = window(day="Sunday", start="01:00", hours=3)
    opens, closes = mw.current_or_next(w, utc("2026-03-07T00:00:00Z"))
    assert opens == utc("2026-03-08T09:00:00Z")  # 01:00 PST
    assert closes - opens == dt.timedelta(hours=3)
    assert closes.astimezone(w.zone).strftime("%H:%M %Z") == "05:00 PDT"  # three real hours, wall clock 01:00 -> 05:00


def test_start_inside_the_spring_forward_gap_opens_when_the_clocks_jump():
    w = window(day="Sunday", start="02:30", hours=2)
    opens, closes = mw.current_or_next(w, utc("2026-03-07T00:00:00Z"))
    assert opens == utc("2026-03-08T10:00:00Z")
    assert opens.astimezone(w.zone).strftime("%H:%M %Z") == "03:00 PDT"
    assert closes == utc("2026-03-08T12:00:00Z")
    # Europe: 29 March 2026, 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
    b = window(day="Sunday", start="02:15", hours=1, tz="Europe/Berlin")
    assert mw.current_or_next(b, utc("2026-03-28T00:00:00Z"))[0] == utc("2026-03-29T01:00:00Z")


def test_start_that_happens_twice_on_the_fall_back_night_opens_at_the_first():
    # 1 November 2026, Los Angeles: 01:00-02:00 PDT, then 01:00-02:00 PST again.
    w = window(day="Sunday", start="01:30", hours=1)
    assert mw.current_or_next(w, utc("2026-10-31T00:00:00Z")) == (
        utc("2026-11-01T08:30:00Z"),
        utc("2026-11-01T09:30:00Z"),
    )
    # Europe: 25 October 2026, 03:00 CEST falls back to 02:00 CET at 01:00 UTC.
    b = window(day="Sunday", start="02:30", hours=1, tz="Europe/Berlin")
    assert mw.current_or_next(b, utc("2026-10-24T00:00:00Z"))[0] == utc("2026-10-25T00:30:00Z")


def test_a_24_hour_window_opened_yesterday_is_still_open():
    w = window(day="Saturday", start="12:00", hours=24, tz="UTC")
    assert mw.is_open(w, utc("2026-06-07T11:59:00Z"))  # Sunday, within Saturday's window
    assert not mw.is_open(w, utc("2026-06-07T12:00:00Z"))


def test_now_without_offset_is_refused():
    with pytest.raises(ValueError, match="without a UTC offset"):
        mw.current_or_next(window(), dt.datetime(2026, 7, 7, 8))


def test_unset_key_means_no_window():
    assert mw.parse(None) == (None, [])
    assert mw.parse({}) == (None, [])


def test_fields_accept_case_insensitive_days_and_fractional_hours():
    w = window(day="tuesday", hours="1.5")
    assert w.day == 1 and w.duration == dt.timedelta(minutes=90)
    assert w.describe() == "Tuesdays 01:00 America/Los_Angeles for 1.5 h"


@pytest.mark.parametrize(
    ("value", "key", "problem"),
    [
        ("Tuesdays 01:00", "maintenanceWindow", "not a map"),
        (
            {"day": "Tue", "start": "01:00", "durationHours": 4, "timezone": "UTC"},
            "maintenanceWindow.day",
            "not a weekday",
        ),
        (
            {"day": "Tuesday", "start": "1:00", "durationHours": 4, "timezone": "UTC"},
            "maintenanceWindow.start",
            '"HH:MM"',
        ),
        (
            {"day": "Tuesday", "start": "24:00", "durationHours": 4, "timezone": "UTC"},
            "maintenanceWindow.start",
            '"HH:MM"',
        ),
        (
            {"day": "Tuesday", "start": "01:00", "durationHours": 0, "timezone": "UTC"},
            "maintenanceWindow.durationHours",
            "above 0",
        ),
        (
            {"day": "Tuesday", "start": "01:00", "durationHours": 25, "timezone": "UTC"},
            "maintenanceWindow.durationHours",
            "at most 24",
        ),
        (
            {"day": "Tuesday", "start": "01:00", "durationHours": "0.01", "timezone": "UTC"},
            "maintenanceWindow.durationHours",
            "whole minutes",
        ),
        (
            {"day": "Tuesday", "start": "01:00", "durationHours": True, "timezone": "UTC"},
            "maintenanceWindow.durationHours",
            "in hours",
        ),
        (
            {"day": "Tuesday", "start": "01:00", "durationHours": 4, "timezone": "PDT"},
            "maintenanceWindow.timezone",
            "IANA",
        ),
        (
            {"day": "Tuesday", "start": "01:00", "durationHours": 4, "timezone": "Mars/Olympus"},
            "maintenanceWindow.timezone",
            "IANA",
        ),
        (
            {"day": "Tuesday", "start": "01:00", "durationHours": 4, "timezone": "/etc/localtime"},
            "maintenanceWindow.timezone",
            "IANA",
        ),
        ({"day": "Tuesday", "start": "01:00", "timezone": "UTC"}, "maintenanceWindow.durationHours", "required"),
        (
            {"day": "Tuesday", "start": "01:00", "durationHours": 4, "timezone": "UTC", "end": "05:00"},
            "maintenanceWindow.end",
            "unknown field",
        ),
    ],
)
def test_each_bad_field_is_one_problem_naming_its_key(value, key, problem):
    parsed, problems = mw.parse(value)
    assert parsed is None
    assert len(problems) == 1, problems
    assert problems[0][0] == key and problem in problems[0][2]
