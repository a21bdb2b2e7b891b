"""CronJob schedules, judged by what robfig/cron v3.0.1 and the Kubernetes API server said about each
case (tests/upstream/cron: recorded by running the real parser), and the one-line errors a user sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.settings import ConfigError, cron, parse
from tests.conftest import raw_config

RECORDED = json.loads((Path(__file__).parent / "upstream/cron/robfig-cron-v3.0.1-cases.json").read_text())
KEY = "clickhouse-byoc:services[0].backup.schedule"


@pytest.mark.parametrize("case", RECORDED, ids=[repr(c["schedule"]) for c in RECORDED])
def test_the_api_server_and_this_parser_agree(case):
    """Every recorded schedule: the same verdict and message as the API server, and, for one it
    accepts, whether robfig's Next finds a run within its five-year horizon."""
    schedule, theirs = case["schedule"], case["kubernetesErrors"]
    ours = cron.kubernetes_errors(schedule)
    if "TZ" in schedule:
        # The API server refuses these whatever the parser makes of the zone; its last word is this.
        assert ours == [cron.TZ_ERROR] and theirs[-1] == cron.TZ_ERROR
    else:
        assert ours == theirs
    if not theirs:
        assert cron.never_fires(schedule) is not case["fires"]


def test_the_recording_covers_the_grammar():
    accepted = {c["schedule"] for c in RECORDED if not c["kubernetesErrors"]}
    refused = {c["schedule"] for c in RECORDED if c["kubernetesErrors"]}
    assert {"@daily", "0 2 * * MON-FRI", "@every 1h30m", "0 2 ? * *", "0 2 * jan *"} <= accepted
    assert {"0 2 * * 7", "*/0 2 * * *", "0 5-2 * * *", "TZ=UTC 0 2 * * *", "@DAILY"} <= refused
    assert {c["schedule"] for c in RECORDED if c["fires"] is False} >= {"0 2 30 2 *", "0 0 31 4 *"}


def schedule_line(schedule: str) -> list[str]:
    services = json.dumps([{"name": "analytics", "backup": {"schedule": schedule}}])
    try:
        parse(raw_config({"services": services}), "dev")
    except ConfigError as err:
        return err.problems
    return []


RANGES = "with ranges low to high (2-5) and steps of 1 or more (*/15)"
NEVER = (
    "so it would never run; pick days every month has (1-28), or months that have those days (February has 28 "
    "or 29, April, June, September and November 30)"
)


@pytest.mark.parametrize(
    ("schedule", "line"),
    [
        (
            "0 2 * * 7",
            f"{KEY}: 0 2 * * 7: the Kubernetes API server refuses it (end of range (7) above maximum (6): 7); the day "
            f"of week is 0-6 or SUN-SAT (Sunday is 0, 7 is not accepted), {RANGES}",
        ),
        (
            "*/0 2 * * *",
            f"{KEY}: */0 2 * * *: the Kubernetes API server refuses it (step of range should be a positive number: "
            f"*/0); the minute is 0-59, {RANGES}",
        ),
        (
            "0 5-2 * * *",
            f"{KEY}: 0 5-2 * * *: the Kubernetes API server refuses it (beginning of range (5) beyond end of range "
            f"(2): 5-2); the hour is 0-23 (UTC), {RANGES}",
        ),
        ("0 2 30 2 *", f"{KEY}: 0 2 30 2 *: never fires: no date has day of month '30' in month '2', {NEVER}"),
        ("0 0 31 4 *", f"{KEY}: 0 0 31 4 *: never fires: no date has day of month '31' in month '4', {NEVER}"),
        (
            "0 2 31 FEB ?",
            f"{KEY}: 0 2 31 FEB ?: never fires: no date has day of month '31' in month 'FEB', {NEVER}",
        ),
        (", 2 * * *", f"{KEY}: , 2 * * *: never fires: its minute field ',' lists no value; list at least one"),
        (
            "TZ=Europe/Berlin 0 2 * * *",
            f"{KEY}: TZ=Europe/Berlin 0 2 * * *: the Kubernetes API server refuses it (cannot use TZ or CRON_TZ in "
            "schedule, use timeZone field instead); the CronJob runs in UTC (timeZone Etc/UTC): remove the TZ= or "
            "CRON_TZ= prefix and give the time in UTC",
        ),
        (
            "daily",
            f"{KEY}: daily: the Kubernetes API server refuses it (expected exactly 5 fields, found 1: [daily]); use "
            'five fields "minute hour day-of-month month day-of-week", e.g. "0 2 * * *" (02:00 UTC daily), or '
            "@daily, @weekly, @hourly or @every 6h",
        ),
        (
            "@every 1d",
            f"{KEY}: @every 1d: the Kubernetes API server refuses it (failed to parse duration @every 1d: time: "
            'unknown unit "d" in duration "1d"); use five fields "minute hour day-of-month month day-of-week", e.g. '
            '"0 2 * * *" (02:00 UTC daily), or @daily, @weekly, @hourly or @every 6h',
        ),
        (
            "0 2 * * SUNDAY",
            f"{KEY}: 0 2 * * SUNDAY: the Kubernetes API server refuses it (failed to parse int from SUNDAY: "
            'strconv.Atoi: parsing "SUNDAY": invalid syntax); the day of week is 0-6 or SUN-SAT (Sunday is 0, 7 is '
            f"not accepted), {RANGES}",
        ),
        (
            "0 \uff12 * * *",
            f"{KEY}: 0 \uff12 * * *: the Kubernetes API server refuses it (failed to parse int from \uff12: "
            f'strconv.Atoi: parsing "\uff12": invalid syntax); the hour is 0-23 (UTC), {RANGES}',
        ),
    ],
)
def test_a_refused_schedule_is_one_line_naming_the_key_the_value_and_the_fix(schedule, line):
    assert schedule_line(schedule) == [line]


@pytest.mark.parametrize(
    "schedule",
    ["@daily", "@weekly", "@every 6h", "0 2 * * MON-FRI", "30 1 * * sun", "0 */6 * * *", "0 2 29 2 *", "0 2 30 2 1"],
)
def test_what_kubernetes_accepts_and_fires_is_accepted(schedule):
    assert schedule_line(schedule) == []
