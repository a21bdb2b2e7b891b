"""yaml.v3 v3.0.1 resolve.go: the tag and Go value yaml.v3 gives a scalar (booleans, nulls, Go's
strconv integer and float syntax, timestamps as Go's time.Time), and the type error it raises."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

NULL, BOOL, STR, INT, FLOAT, TIMESTAMP, SEQ, MAP, BINARY, MERGE = (
    "!!null",
    "!!bool",
    "!!str",
    "!!int",
    "!!float",
    "!!timestamp",
    "!!seq",
    "!!map",
    "!!binary",
    "!!merge",
)
_LONG_PREFIX = "tag:yaml.org,2002:"
_RESOLVABLE = ("", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP)
# resolve.go init(): resolveTable (the first character's hint) and resolveMap.
_HINTS = {"+": "S", "-": "S", ".": "."} | dict.fromkeys("0123456789", "D") | dict.fromkeys("yYnNtTfFoO~", "M")
_RESOLVE_MAP: dict[str, tuple[str, Any]] = (
    dict.fromkeys(("true", "True", "TRUE"), (BOOL, True))
    | dict.fromkeys(("false", "False", "FALSE"), (BOOL, False))
    | dict.fromkeys(("", "~", "null", "Null", "NULL"), (NULL, None))
    | dict.fromkeys((".nan", ".NaN", ".NAN"), (FLOAT, math.nan))
    | dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), (FLOAT, math.inf))
    | dict.fromkeys(("-.inf", "-.Inf", "-.INF"), (FLOAT, -math.inf))
    | {"<<": (MERGE, "<<")}
)
_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z", re.ASCII)
# strconv.ParseFloat on a string that starts with '.' (resolve's '.' hint), underscores between digits.
_DOT_FLOAT = re.compile(r"^\.[0-9]+(_[0-9]+)*([eE][-+]?[0-9]+(_[0-9]+)*)?\Z", re.ASCII)
_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_INT64 = 1 << 63
_UINT64 = 1 << 64


def short_tag(tag: str) -> str:
    if tag.startswith(_LONG_PREFIX):
        return "!!" + tag[len(_LONG_PREFIX) :]
    return tag


class YamlTypeError(Exception):
    """yaml.v3's failf / terror: a value the decoder refuses (one message per problem)."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def _go_parse_uint(text: str, base: int = 0) -> int | None:
    """strconv.ParseUint(text, 0, 64) (underscores already removed): None on a syntax or range error."""
    if not text:
        return None
    if base == 0:
        base = 10
        if text[0] == "0":
            prefix = text[1:2].lower()
            if len(text) >= 3 and prefix in ("b", "o", "x"):
                base, text = {"b": 2, "o": 8, "x": 16}[prefix], text[2:]
            else:
                base, text = 8, text[1:]
    value = 0
    for c in text:
        if c in _DIGITS36:
            digit = _DIGITS36.index(c.lower())
        else:
            return None
        if digit >= base:
            return None
        value = value * base + digit
    return value if value < _UINT64 else None


def _go_parse_int(text: str, base: int = 0) -> int | None:
    """strconv.ParseInt(text, base, 64): None on a syntax or range error."""
    if not text:
        return None
    negative = text[0] == "-"
    unsigned = _go_parse_uint(text[1:] if text[0] in "+-" else text, base)
    if unsigned is None:
        return None
    if (not negative and unsigned >= _INT64) or (negative and unsigned > _INT64):
        return None
    return -unsigned if negative else unsigned


def _go_parse_float(text: str) -> float | None:
    """strconv.ParseFloat for the decimal forms resolve hands it; None on a range error (±Inf)."""
    value = float(text.replace("_", ""))
    return None if math.isinf(value) else value


@dataclasses.dataclass(frozen=True)
class GoTime:
    """A Go time.Time as yaml.v3 parses a timestamp: the wall clock as written and its zone."""

    year: int
    month: int
    day: int
    hour: int = 0
    minute: int = 0
    second: int = 0
    nanosecond: int = 0
    offset: int = 0
    """Seconds east of UTC."""
    zone: str = "UTC"
    """The zone's name: UTC, or "" for a fixed offset (Go prints the offset instead)."""

    def _fraction(self) -> str:
        return f".{self.nanosecond:09d}".rstrip("0").rstrip(".") if self.nanosecond else ""

    def _clock(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}:{self.second:02d}{self._fraction()}"

    def _numeric_zone(self, colon: bool) -> str:
        minutes = self.offset // 60 if self.offset >= 0 else -(-self.offset // 60)
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}{':' if colon else ''}{abs(minutes) % 60:02d}"

    def rfc3339nano(self) -> str:
        """t.Format(time.RFC3339Nano): how yaml.v3 encodes it again (encode.go timev)."""
        zone = "Z" if self.offset == 0 else self._numeric_zone(colon=True)
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}T{self._clock()}{zone}"

    def string(self) -> str:
        """t.String(): "2006-01-02 15:04:05.999999999 -0700 MST", what Pulumi hands the program."""
        name = self.zone or self._numeric_zone(colon=False)
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d} {self._clock()} {self._numeric_zone(False)} {name}"


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# resolve.go allowedTimestampFormats, as Go's time.Parse reads each layout (time/format.go, Go 1.25):
# "2006" four digits; "1", "2", "15", "4", "5" one or two digits; ".999999999" a '.' or ','
# and any number of digits (nanoseconds from the first nine); "Z07:00" 'Z' or ±hh:mm; a layout
# space matches a run of spaces.
_CLOCK = r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]+))?"
_TIMESTAMP_LAYOUTS = (
    re.compile(rf"^([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}})T{_CLOCK}(Z|[+-][0-9]{{2}}:[0-9]{{2}})\Z", re.ASCII),
    re.compile(rf"^([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}})t{_CLOCK}(Z|[+-][0-9]{{2}}:[0-9]{{2}})\Z", re.ASCII),
    re.compile(rf"^([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}}) +{_CLOCK}()\Z", re.ASCII),
    re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})()()()()()\Z", re.ASCII),
)


def _days_in(month: int, year: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _DAYS[month - 1]


def parse_timestamp(text: str) -> GoTime | None:
    """resolve.go parseTimestamp: the first layout time.Parse accepts, or None."""
    if not re.match(r"[0-9]{4}-", text, re.ASCII):
        return None
    for layout in _TIMESTAMP_LAYOUTS:
        m = layout.match(text)
        if not m:
            continue
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        hour, minute, second = (int(m[i]) if m[i] else 0 for i in (4, 5, 6))
        if not 1 <= month <= 12 or not 1 <= day <= _days_in(month, year) or hour > 23 or minute > 59 or second > 59:
            continue
        nanosecond = int(m[7][:9].ljust(9, "0")) if m[7] else 0
        zone = m[8]
        if not zone or zone == "Z":
            return GoTime(year, month, day, hour, minute, second, nanosecond)
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 24 or zone_minutes > 60:
            continue
        offset = (zone_hours * 60 + zone_minutes) * 60 * (-1 if zone[0] == "-" else 1)
        # time.Parse: a zero offset, or one that matches the machine's zone, takes that zone's name;
        # otherwise a fixed zone without a name. Modeled for a machine on UTC (CI runners).
        return GoTime(year, month, day, hour, minute, second, nanosecond, offset, "UTC" if offset == 0 else "")
    return None


def resolve(tag: str, text: str) -> tuple[str, Any]:
    """resolve.go resolve(tag, in): the tag and Go value yaml.v3 gives a scalar. `tag` is "" for
    a plain scalar without one. Raises YamlTypeError where an explicit tag does not fit."""
    tag = short_tag(tag)
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, out = _resolve(tag, text)
    if tag in ("", rtag, STR, BINARY):
        return rtag, out
    if tag == FLOAT and rtag == INT:
        return FLOAT, float(out)
    raise YamlTypeError(f"cannot decode {rtag} `{text}` as a {tag}")


def _resolve(tag: str, text: str) -> tuple[str, Any]:
    hint = _HINTS.get(text[:1], "") if text else "N"
    if not hint or tag in (STR, BINARY):
        return STR, text
    if text in _RESOLVE_MAP:
        return _RESOLVE_MAP[text]
    if hint == "." and _DOT_FLOAT.match(text):
        value = _go_parse_float(text)
        if value is not None:
            return FLOAT, value
    if hint in ("D", "S"):
        if tag in ("", TIMESTAMP):
            stamp = parse_timestamp(text)
            if stamp is not None:
                return TIMESTAMP, stamp
        plain = text.replace("_", "")
        for parsed in (_go_parse_int(plain), _go_parse_uint(plain)):
            if parsed is not None:
                return INT, parsed
        if _YAML_STYLE_FLOAT.match(plain):
            value = _go_parse_float(plain)
            if value is not None:
                return FLOAT, value
        # The 0b/-0b/0o/-0o branches after this in resolve.go are already covered by ParseInt's
        # base prefixes above (base 0 reads 0b, 0o and 0x after an optional sign).
    return STR, text
