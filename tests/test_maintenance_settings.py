"""The `maintenanceWindow` key through the program's settings: accepted, validated, one line per problem."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from components.settings import ConfigError, parse
from tests.conftest import raw_config, run_offline

REFERENCE = {"day": "Tuesday", "start": "01:00", "durationHours": 4, "timezone": "America/Los_Angeles"}


def test_the_reference_window_is_accepted_and_parsed():
    window = parse(raw_config({"maintenanceWindow": json.dumps(REFERENCE)}), "test").maintenance_window
    assert window is not None
    assert (window.day, window.start, window.duration, window.timezone) == (
        1, dt.time(1, 0), dt.timedelta(hours=4), "America/Los_Angeles")  # fmt: skip


def test_no_window_by_default_and_with_an_empty_map():
    assert parse(raw_config(), "test").maintenance_window is None
    assert parse(raw_config({"maintenanceWindow": "{}"}), "test").maintenance_window is None


def test_the_program_runs_with_a_window_set():
    # The key is the fleet's: the program accepts it (unknown keys are configuration errors).
    result = run_offline({"maintenanceWindow": json.dumps(REFERENCE)})
    assert len(result.by_type("eks:index:Cluster")) == 1


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (
            {**REFERENCE, "timezone": "PDT"},
            "clickhouse-byoc:maintenanceWindow.timezone: PDT: not an IANA time zone name",
        ),
        ({**REFERENCE, "day": "Tue"}, "clickhouse-byoc:maintenanceWindow.day: Tue: not a weekday; use one of Monday"),
        (
            {**REFERENCE, "start": "25:00"},
            'clickhouse-byoc:maintenanceWindow.start: 25:00: not a 24-hour local time "HH:MM"',
        ),
        (
            {**REFERENCE, "durationHours": 48},
            "clickhouse-byoc:maintenanceWindow.durationHours: 48: not a duration in hours",
        ),
        ({**REFERENCE, "duration": 4}, "clickhouse-byoc:maintenanceWindow.duration: 4: unknown field"),
        ("Tuesday 01:00", "clickhouse-byoc:maintenanceWindow: Tuesday 01:00: not a map"),
    ],
)
def test_each_bad_window_is_one_config_error_line(value, line):
    text = value if isinstance(value, str) else json.dumps(value)
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"maintenanceWindow": text}), "test")
    assert [p for p in err.value.problems if p.startswith(line)], err.value.problems
    assert all("\n" not in p for p in err.value.problems)
