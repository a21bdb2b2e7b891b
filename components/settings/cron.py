"""CronJob schedules as the Kubernetes API server checks them, and whether they ever fire.

The API server validates `spec.schedule` with robfig/cron v3's standard parser (`cron.ParseStandard`,
v3.0.1, the only v3 release, which kubernetes' go.mod pins), then refuses any schedule containing
`TZ` (kubernetes `pkg/apis/batch/validation/validation.go`, `validateScheduleFormat`: on create,
"cannot use TZ or CRON_TZ in schedule, use timeZone field instead"). This module is a reading of
that grammar, written here (robfig's `parser.go` and `spec.go`):

- five fields split on white space (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or
  JAN-DEC, day of week 0-6 or SUN-SAT; names in any case); or a descriptor: `@yearly`,
  `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`, `@every <Go duration>`;
- a field is a comma list of `*`, `?`, `N`, `N-M`, each with an optional `/step`; `N/step` means
  `N-max/step`; a step must be positive, a range low to high, every number in the field's bounds;
- a day matches when day of month AND day of week match if either field is `*`/`?` (unstepped),
  else when either matches.

The controller refuses a schedule whose next two runs are not at least a second apart (a schedule
that never fires), and robfig's `Next` gives up after five years: `never_fires` finds such schedules.

The messages are robfig's own (tests/upstream/cron holds what the real parser said for each case).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

TZ_ERROR = "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTHS = {n: i + 1 for i, n in enumerate(MONTH_NAMES)}
WEEKDAYS = {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (min, max, names) per field, robfig's `bounds`.
BOUNDS = ((0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 6, WEEKDAYS))
STAR_BIT = 1 << 63
# Go's unicode.IsSpace (strings.Fields), which, unlike str.isspace, leaves out U+001C-U+001F.
GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000")
GO_SPACE |= frozenset(map(chr, range(0x2000, 0x200B)))
# Go's time.ParseDuration units, in nanoseconds.
DURATION_UNITS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6, "s": 10**9}
DURATION_UNITS.update({"m": 60 * 10**9, "h": 3600 * 10**9})
INT64_MAX = 2**63 - 1
# robfig's Next searches this many years ahead; a schedule with no run in them never fires.
HORIZON_YEARS = 5


class CronError(ValueError):
    """A schedule the parser refuses: robfig's message, and the field it is about (index) if any."""

    def __init__(self, message: str, field: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Spec:
    """A parsed five-field schedule as robfig keeps it: one bit per allowed value, plus STAR_BIT
    when the field was an unstepped `*` or `?`."""

    minute: int
    hour: int
    dom: int
    month: int
    dow: int


@dataclass(frozen=True)
class Every:
    """`@every <duration>`: a fixed delay (robfig rounds anything under a second up to one)."""

    nanoseconds: int


def _go_quote(text: str) -> str:
    """strconv.Quote, for the ASCII and printable text a stack file holds."""
    out = ['"']
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    for c in text:
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif c in escapes:
            out.append(escapes[c])
        elif c.isprintable() and c != "\x7f":
            out.append(c)
        elif ord(c) < 0x80:
            out.append(f"\\x{ord(c):02x}")
        elif ord(c) <= 0xFFFF:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    return "".join(out) + '"'


def _time_quote(text: str) -> str:
    """The time package's own quoting: bytes outside printable ASCII as \\xNN."""
    out = ['"']
    for c in text:
        if ord(c) >= 0x80 or c < " ":
            out.extend(f"\\x{b:02x}" for b in c.encode())
        else:
            out.append("\\" + c if c in ('"', "\\") else c)
    return "".join(out) + '"'


def _go_fields(text: str) -> list[str]:
    """strings.Fields."""
    fields, current = [], []
    for c in text:
        if c in GO_SPACE:
            if current:
                fields.append("".join(current))
                current = []
        else:
            current.append(c)
    if current:
        fields.append("".join(current))
    return fields


def _go_lower(text: str) -> str:
    """strings.ToLower with Go's simple case mapping (U+0130 becomes a plain `i`)."""
    return "".join("i" if c == "\u0130" else (c.lower() if len(c.lower()) == 1 else c) for c in text)


def _atoi(text: str) -> int:
    """strconv.Atoi: an optional sign and ASCII digits, within int64; robfig then refuses negatives."""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or any(c not in "0123456789" for c in digits):
        raise CronError(f"failed to parse int from {text}: strconv.Atoi: parsing {_go_quote(text)}: invalid syntax")
    value = int(digits) * (-1 if text[:1] == "-" else 1)
    if not -(2**63) <= value <= INT64_MAX:
        raise CronError(f"failed to parse int from {text}: strconv.Atoi: parsing {_go_quote(text)}: value out of range")
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


def _int_or_name(text: str, names: dict[str, int] | None) -> int:
    if names is not None and _go_lower(text) in names:
        return names[_go_lower(text)]
    return _atoi(text)


def _range(expr: str, lo: int, hi: int, names: dict[str, int] | None) -> int:
    """robfig's getRange: the bits of one `*`, `N` or `N-M`, with an optional `/step`."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end, extra = lo, hi, STAR_BIT
    else:
        start = _int_or_name(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _atoi(range_and_step[1])
        if single:
            end = hi
        if step > 1:
            extra = 0
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return sum(1 << v for v in range(start, end + 1, step)) | extra


def _field(text: str, index: int) -> int:
    lo, hi, names = BOUNDS[index]
    bits = 0
    for expr in (part for part in text.split(",") if part):
        try:
            bits |= _range(expr, lo, hi, names)
        except CronError as err:
            raise CronError(err.message, index) from None
    return bits


def _duration_ns(text: str) -> int:
    """time.ParseDuration (its value in nanoseconds), with Go's error messages."""
    invalid = CronError(f"time: invalid duration {_time_quote(text)}")
    rest, total, negative = text, 0, False
    if rest[:1] in ("-", "+"):
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    while rest:
        if not (rest[0] == "." or "0" <= rest[0] <= "9"):
            raise invalid
        i = 0
        while i < len(rest) and "0" <= rest[i] <= "9":
            i += 1
        whole, rest, pre = int(rest[:i] or 0), rest[i:], i > 0
        fraction, scale, post = 0, 1, False
        if rest[:1] == ".":
            rest = rest[1:]
            i = 0
            while i < len(rest) and "0" <= rest[i] <= "9":
                i += 1
            digits, rest, post = rest[:i], rest[i:], i > 0
            for d in digits:
                if fraction <= INT64_MAX // 10:  # Go stops taking digits once they would overflow
                    fraction, scale = fraction * 10 + int(d), scale * 10
        if not pre and not post:
            raise invalid
        if whole > 2**63:
            raise invalid
        i = 0
        while i < len(rest) and not (rest[i] == "." or "0" <= rest[i] <= "9"):
            i += 1
        if i == 0:
            raise CronError(f"time: missing unit in duration {_time_quote(text)}")
        unit_text, rest = rest[:i], rest[i:]
        unit = DURATION_UNITS.get(unit_text)
        if unit is None:
            raise CronError(f"time: unknown unit {_time_quote(unit_text)} in duration {_time_quote(text)}")
        if whole > 2**63 // unit:
            raise invalid
        value = whole * unit
        if fraction:
            value += int(fraction * (unit / scale))
            if value > 2**63:
                raise invalid
        total += value
        if total > 2**63:
            raise invalid
    if not negative and total > INT64_MAX:
        raise invalid
    return -total if negative else total


def parse(schedule: str) -> Spec | Every:
    """robfig's ParseStandard, for a schedule without a TZ prefix (the API server refuses those)."""
    if not schedule:
        raise CronError("empty spec string")
    if schedule.startswith("@"):
        if schedule in DESCRIPTORS:
            return _descriptor(schedule)
        if schedule.startswith("@every "):
            try:
                delay = _duration_ns(schedule[len("@every ") :])
            except CronError as err:
                raise CronError(f"failed to parse duration {schedule}: {err.message}") from None
            return Every(max(delay, 10**9))
        raise CronError(f"unrecognized descriptor: {schedule}")
    fields = _go_fields(schedule)
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    minute, hour, dom, month, dow = (_field(text, i) for i, text in enumerate(fields))
    return Spec(minute, hour, dom, month, dow)


def _all(index: int) -> int:
    lo, hi, _ = BOUNDS[index]
    return sum(1 << v for v in range(lo, hi + 1)) | STAR_BIT


def _descriptor(name: str) -> Spec:
    first = {i: 1 << BOUNDS[i][0] for i in range(5)}
    if name in ("@yearly", "@annually"):
        return Spec(first[0], first[1], first[2], first[3], _all(4))
    if name == "@monthly":
        return Spec(first[0], first[1], first[2], _all(3), _all(4))
    if name == "@weekly":
        return Spec(first[0], first[1], _all(2), _all(3), first[4])
    if name in ("@daily", "@midnight"):
        return Spec(first[0], first[1], _all(2), _all(3), _all(4))
    return Spec(first[0], _all(1), _all(2), _all(3), _all(4))  # @hourly


def kubernetes_errors(schedule: str) -> list[str]:
    """What the API server says about `schedule` in a new CronJob: [] when it accepts it."""
    if "TZ" in schedule:
        # The parser's own verdict on a TZ prefix needs Go's time zone database; the API server
        # refuses the schedule whatever it is.
        return [TZ_ERROR]
    try:
        parse(schedule)
    except CronError as err:
        return [err.message]
    return []


def _day_matches(spec: Spec, day: datetime.date) -> bool:
    dom = bool(spec.dom & (1 << day.day))
    dow = bool(spec.dow & (1 << (day.isoweekday() % 7)))
    if spec.dom & STAR_BIT or spec.dow & STAR_BIT:
        return dom and dow
    return dom or dow


def first_day(spec: Spec | Every, start: datetime.date) -> datetime.date | None:
    """The first day from `start` within robfig's horizon on which `spec` fires, or None."""
    if isinstance(spec, Every):
        return start
    if not spec.minute & ~STAR_BIT or not spec.hour & ~STAR_BIT:
        return None
    day, last = start, datetime.date(start.year + HORIZON_YEARS, 12, 31)
    while day <= last:
        if spec.month & (1 << day.month) and _day_matches(spec, day):
            return day
        day += datetime.timedelta(days=1)
    return None


def never_fires(schedule: str, start: datetime.date = datetime.date(2026, 1, 1)) -> bool:
    """Whether a schedule the API server accepts never runs (no run within robfig's horizon)."""
    return first_day(parse(schedule), start) is None


FIELD_HINTS = (
    "the minute is 0-59",
    "the hour is 0-23 (UTC)",
    "the day of month is 1-31",
    "the month is 1-12 or JAN-DEC",
    "the day of week is 0-6 or SUN-SAT (Sunday is 0, 7 is not accepted)",
)
FORM_HINT = (
    'use five fields "minute hour day-of-month month day-of-week", e.g. "0 2 * * *" (02:00 UTC daily), '
    "or @daily, @weekly, @hourly or @every 6h"
)


def schedule_problem(schedule: str) -> str | None:
    """Why a CronJob (in UTC) cannot take `schedule` (problem; fix), or None."""
    errors = kubernetes_errors(schedule)
    if errors == [TZ_ERROR]:
        return (
            f"the Kubernetes API server refuses it ({TZ_ERROR}); the CronJob runs in UTC (timeZone Etc/UTC): "
            "remove the TZ= or CRON_TZ= prefix and give the time in UTC"
        )
    if errors:
        try:
            parse(schedule)
        except CronError as err:
            if err.field is None:
                return f"the Kubernetes API server refuses it ({err.message}); {FORM_HINT}"
            return (
                f"the Kubernetes API server refuses it ({err.message}); {FIELD_HINTS[err.field]}, with ranges low "
                "to high (2-5) and steps of 1 or more (*/15)"
            )
    spec = parse(schedule)
    if first_day(spec, datetime.date(2026, 1, 1)) is None:
        assert isinstance(spec, Spec)
        fields = _go_fields(schedule)
        bits = (spec.minute, spec.hour, spec.dom, spec.month, spec.dow)
        empty = next((i for i in range(5) if not bits[i] & ~STAR_BIT and i != 4), None)
        if empty is not None:
            return f"never fires: its {FIELD_NAMES[empty]} field {fields[empty]!r} lists no value; list at least one"
        on = "" if spec.dow & STAR_BIT else f" on day of week {fields[4]!r}"
        return (
            f"never fires: no date has day of month {fields[2]!r} in month {fields[3]!r}{on}, so it would never run; "
            "pick days every month has (1-28), or months that have those days (February has 28 or 29, April, "
            "June, September and November 30)"
        )
    return None
