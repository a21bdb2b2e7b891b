"""Maintenance windows: the `maintenanceWindow` config key's checks and the window arithmetic.

Pure functions, no Pulumi: the settings module validates the key with `problems`, the fleet runner
(`tools/fleet/`) decides with `current_or_next` whether a disruptive change may run now.

A window is `{day, start, durationHours, timezone}`: it opens every `day` (a weekday name) at the
local wall-clock time `start` ("HH:MM") in the IANA zone `timezone` and stays open for
`durationHours` elapsed hours, so [start, start + duration). Daylight saving time is the zone's:
"Tuesday 01:00 America/Los_Angeles" is 08:00 UTC in summer (PDT) and 09:00 UTC in winter (PST).
A local start that does not exist on a spring-forward day (02:30 on the night clocks jump from
02:00 to 03:00) opens when the clocks have jumped, at 03:00; a start that happens twice on a
fall-back night opens at the first of the two. Duration is real elapsed time, so a window across
a DST change is exactly `durationHours` long.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

KEY = "maintenanceWindow"
FIELDS = ("day", "start", "durationHours", "timezone")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
START_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)\Z", re.ASCII)
MAX_HOURS = 24
EXAMPLE = '{"day": "Tuesday", "start": "01:00", "durationHours": 4, "timezone": "America/Los_Angeles"}'


@dataclass(frozen=True)
class MaintenanceWindow:
    """A weekly window in which disruptive changes may run."""

    day: int
    """Weekday the window opens, 0 = Monday ... 6 = Sunday (`datetime.date.weekday()`)."""
    start: datetime.time
    """Local wall-clock time the window opens."""
    duration: datetime.timedelta
    """How long it stays open (elapsed time)."""
    timezone: str
    """IANA time zone name, e.g. `America/Los_Angeles`."""

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def describe(self) -> str:
        hours = self.duration / datetime.timedelta(hours=1)
        shown = f"{hours:g}"
        return f"{WEEKDAYS[self.day]}s {self.start:%H:%M} {self.timezone} for {shown} h"


Problem = tuple[str, Any, str]
"""(key path, value, `problem; fix`) as the settings module reports them."""


def _day(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    matches = [i for i, name in enumerate(WEEKDAYS) if name.lower() == value.strip().lower()]
    return matches[0] if matches else None


def _hours(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return hours if hours.is_finite() else None


def _timezone(value: Any) -> zoneinfo.ZoneInfo | None:
    # ZoneInfo accepts file-system paths too; an IANA name is Area/Location or a bare name like UTC.
    if not isinstance(value, str) or len(value) > 64:
        return None
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}", value, re.ASCII):
        return None
    try:
        return zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as America
        return None


def parse(value: Any) -> tuple[MaintenanceWindow | None, list[Problem]]:
    """The window, or None with one problem per bad field. `value` is the decoded config value
    (a map); None (the key not set) means no window and no problem."""
    if value is None or value == {}:
        return None, []
    if not isinstance(value, dict):
        return None, [(KEY, value, f"not a map; set day, start, durationHours and timezone, e.g. {EXAMPLE}")]
    problems: list[Problem] = []
    for name in value:
        if name not in FIELDS:
            problems.append((f"{KEY}.{name}", value[name], f"unknown field; use {', '.join(FIELDS)}"))
    for name in FIELDS:
        if name not in value:
            problems.append((f"{KEY}.{name}", None, f"required; set all of {', '.join(FIELDS)}, e.g. {EXAMPLE}"))

    day = _day(value.get("day"))
    if "day" in value and day is None:
        problems.append((f"{KEY}.day", value["day"], f"not a weekday; use one of {', '.join(WEEKDAYS)}"))
    start = value.get("start")
    match = START_RE.match(start) if isinstance(start, str) else None
    if "start" in value and match is None:
        problems.append((f"{KEY}.start", start, 'not a 24-hour local time "HH:MM"; use e.g. "01:00" or "22:30"'))
    hours = _hours(value.get("durationHours"))
    if "durationHours" in value and (hours is None or not 0 < hours <= MAX_HOURS or (hours * 60) % 1):
        problems.append(
            (
                f"{KEY}.durationHours",
                value["durationHours"],
                f"not a duration in hours above 0 and at most {MAX_HOURS} (whole minutes); use e.g. 4 or 1.5",
            )
        )
    zone = _timezone(value.get("timezone"))
    if "timezone" in value and zone is None:
        problems.append(
            (
                f"{KEY}.timezone",
                value["timezone"],
                "not an IANA time zone name; use e.g. America/Los_Angeles, Europe/Berlin or UTC "
                "(abbreviations such as PDT do not say when daylight saving time applies)",
            )
        )
    if problems:
        return None, problems
    assert day is not None and match is not None and hours is not None and zone is not None
    return (
        MaintenanceWindow(
            day=day,
            start=datetime.time(int(match.group(1)), int(match.group(2))),
            duration=datetime.timedelta(minutes=int(hours * 60)),
            timezone=str(value["timezone"]),
        ),
        [],
    )


def _opening(window: MaintenanceWindow, local_date: datetime.date) -> datetime.datetime:
    """The instant (UTC) the window opens on `local_date` (which must be the window's weekday)."""
    zone = window.zone
    wall = datetime.datetime.combine(local_date, window.start)
    instant = wall.replace(tzinfo=zone).astimezone(datetime.UTC)  # fold=0: the first of two
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # The wall time falls in a spring-forward gap: fold=1 maps it to an instant before the jump;
    # walk forward to the jump itself, the first instant whose local time is past the start.
    instant = wall.replace(tzinfo=zone, fold=1).astimezone(datetime.UTC)
    while instant.astimezone(zone).replace(tzinfo=None) < wall:
        instant += datetime.timedelta(minutes=1)
    return instant


def _aware(now: datetime.datetime) -> datetime.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"{now.isoformat()}: a time without a UTC offset is ambiguous; give one (Z, +02:00)")
    return now.astimezone(datetime.UTC)


def current_or_next(window: MaintenanceWindow, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """(opens, closes) in UTC: the window open at `now`, or the next one to open."""
    now = _aware(now)
    today = now.astimezone(window.zone).date()
    # A window opened up to a day before (24 h at most) may still be open; the next opens within 8 days.
    for offset in range(-2, 9):
        date = today + datetime.timedelta(days=offset)
        if date.weekday() != window.day:
            continue
        opens = _opening(window, date)
        closes = opens + window.duration
        if closes > now:
            return opens, closes
    raise AssertionError("a weekly window always opens within 8 days")


def is_open(window: MaintenanceWindow, now: datetime.datetime) -> bool:
    """Whether `now` is inside [opens, closes) of a window occurrence."""
    opens, _ = current_or_next(window, now)
    return opens <= _aware(now)


def next_opening(window: MaintenanceWindow, now: datetime.datetime) -> datetime.datetime:
    """The next instant (UTC) the window opens strictly after `now` (a window open now does not count)."""
    opens, _ = current_or_next(window, now)
    if opens > _aware(now):
        return opens
    return current_or_next(window, opens + window.duration)[0]


def local_iso(window: MaintenanceWindow, instant: datetime.datetime) -> str:
    """ISO 8601 in the window's own zone, with its UTC offset (e.g. 2026-07-07T01:00:00-07:00)."""
    return instant.astimezone(window.zone).isoformat()
