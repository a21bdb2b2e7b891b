"""Stack files (and Pulumi.yaml) read the way the Pulumi CLI reads them, without the CLI.

The CLI (pulumi/pulumi v3.259.0; every 3.x since v3.50.0) parses both files with Go's
gopkg.in/yaml.v3 v3.0.1, not yaml.v2 (`sdk/go/common/encoding/marshal.go` imports yaml.v3), and
reads a stack file in two passes (`sdk/go/common/workspace/loaders.go` LoadProjectStackBytes):
the text is decoded into plain Go values, keys without a namespace get the project's, the result
is encoded again (`util/yamlutil` YamlEncode) and decoded a second time into `config.Value`s
(`sdk/go/common/resource/config/object.go` unmarshalObject, MarshalString). What the program
then receives for each key is one string (`plaintext.go` marshalText):

- a top-level scalar as its text after yaml.v3 resolved it: `no`, `yes`, `on`, `22:30` stay as
  written (YAML 1.2 booleans are only true/false); `True` becomes `true`; numbers are rewritten
  (`0x1F` is `31`, `017` is `15`, `1_000` is `1000`, `012345678901` is `12345678901`, `1.0` is
  `1`); a timestamp becomes Go's `time.Time.String()` (`2026-12-11T18:00:00Z` is
  `2026-12-11 18:00:00 +0000 UTC`); null is `""`;
- a map or list as JSON, its scalars keeping the types yaml.v3 gave them (the same rules), keys
  sorted, timestamps as `time.Time.String()` text, nulls as null.

The CLI refuses a file with a duplicate key, `.inf` or `.nan` anywhere in `config` (JSON cannot
carry them), a key of the form `a:b:c`, and YAML it cannot parse. Where the CLI would keep one of
two spellings of a key at random (`accountId` and `clickhouse-byoc:accountId`), this reader
refuses the file.

YAML text is parsed by libyaml (PyYAML's C parser), from which yaml.v3 is ported; resolving,
decoding and Pulumi's steps follow the sources named on each function. Vendored reference data
and recorded CLI behaviour: tests/upstream/yaml-v3/ (SOURCES.md).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import decimal
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml import _yaml as libyaml

from tools.projectconfig import ProjectConfigError

__all__ = [
    "ConfigValue",
    "GoTime",
    "StackFileError",
    "decode",
    "read_project",
    "read_stack",
    "resolve",
]


class StackFileError(ProjectConfigError):
    """A stack or project file the Pulumi CLI would refuse (or read differently): one line per
    problem, each naming the file."""


# --- yaml.v3 v3.0.1 resolve.go -------------------------------------------------------------------

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


# --- Go's number and JSON formatting --------------------------------------------------------------


def _shortest_digits(value: float) -> tuple[str, int]:
    """(digits, decimal point position) of the shortest decimal that reads back as `value`
    (what both Python's repr and Go's strconv with precision -1 produce)."""
    _, digits, exponent = decimal.Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return text, len(digits) + int(exponent)


def _format_e(value: float) -> str:
    digits, point = _shortest_digits(value)
    exponent = point - 1 if digits != "0" else 0
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if value < 0 or (value == 0 and math.copysign(1, value) < 0) else ""
    return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _format_f(value: float) -> str:
    digits, point = _shortest_digits(value)
    sign = "-" if value < 0 or (value == 0 and math.copysign(1, value) < 0) else ""
    if digits == "0":
        return sign + "0"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def go_format_g(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 64): what fmt's %v and yaml.v3's encoder write."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    digits, point = _shortest_digits(value)
    exponent = point - 1
    if digits != "0" and (exponent < -4 or exponent >= 6):
        return _format_e(value)
    return _format_f(value)


def go_json_float(value: float) -> str:
    """encoding/json's float64 encoder: 'f' format, 'e' below 1e-6 or from 1e21 (e-07 as e-7)."""
    if math.isnan(value) or math.isinf(value):
        raise YamlTypeError(f"json: unsupported value: {go_format_g(value)}")
    if value != 0 and (abs(value) < 1e-6 or abs(value) >= 1e21):
        text = _format_e(value)
        return re.sub(r"e-0([0-9])\Z", r"e-\1", text)
    return _format_f(value)


# Go 1.22 and later also write \b and \f short (the CLI is built with Go 1.25).
_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _json_string(text: str) -> str:
    """encoding/json's string encoder with HTML escaping (json.Marshal's default)."""
    out = ['"']
    for c in text:
        if c in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[c])
        elif c < " " or c in "<>&\u2028\u2029":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def go_json(value: Any) -> str:
    """json.Marshal of the Go values Pulumi builds (maps sorted by key, no spaces)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_string(k)}:{go_json(value[k])}" for k in sorted(value)) + "}"
    raise YamlTypeError(f"json: unsupported type {type(value).__name__}")


# --- libyaml's events into yaml.v3's nodes (decode.go parser) -------------------------------------

SCALAR, MAPPING, SEQUENCE, ALIAS = "scalar", "mapping", "sequence", "alias"
# yaml.v3 stops at 10000 levels; the decoder here is recursive and stops much earlier.
MAX_DEPTH = 200


@dataclasses.dataclass(eq=False)
class Node:
    """decode.go Node: kind, tag as the parser assigns it, scalar text and style, children."""

    kind: str
    tag: str
    value: str = ""
    quoted: bool = False
    """Single- or double-quoted, literal or folded: an "indicated string" unless tagged."""
    line: int = 0
    content: list[Node] = dataclasses.field(default_factory=list)
    alias: Node | None = None

    def indicated_string(self) -> bool:
        """yaml.go Node.indicatedString."""
        return self.kind == SCALAR and (self.tag == STR or (self.tag in ("", "!") and self.quoted))

    def short_tag(self) -> str:
        """yaml.go Node.ShortTag."""
        if self.indicated_string():
            return STR
        if self.tag in ("", "!"):
            if self.kind == MAPPING:
                return MAP
            if self.kind == SEQUENCE:
                return SEQ
            if self.kind == ALIAS and self.alias is not None:
                return self.alias.short_tag()
            if self.kind == SCALAR:
                return _resolve_tag(self.value)
            return ""
        return self.tag


def _resolve_tag(text: str) -> str:
    try:
        return resolve("", text)[0]
    except YamlTypeError:
        return STR


def _new_node(kind: str, default_tag: str, tag: str | None, value: str = "", quoted: bool = False) -> Node:
    """decode.go parser.node: an explicit tag, else the default, else (scalars) the resolved tag."""
    if tag and tag != "!":
        return Node(kind, short_tag(tag), value, quoted)
    if default_tag:
        return Node(kind, default_tag, value, quoted)
    if kind == SCALAR:
        return Node(kind, _resolve_tag(value), value, quoted)
    return Node(kind, tag or "", value, quoted)


def _events(data: bytes) -> Iterator[Any]:
    """The first document's events (yaml.v3's Unmarshal reads only the first document)."""
    parser = libyaml.CParser(data)
    try:
        while True:
            event = parser.get_event()
            yield event
            if isinstance(event, yaml.StreamEndEvent):
                return
            if isinstance(event, yaml.DocumentEndEvent):
                rest = _source_text(data)[event.start_mark.index :]
                if any(line.strip() and not line.lstrip().startswith("#") for line in rest.splitlines()):
                    _lookahead(data, event.start_mark.index)
                return
    finally:
        parser.dispose()


def _lookahead(data: bytes, end: int) -> None:
    """yaml.v3's scanner keeps two tokens beyond the one the parser looks at (scannerc.go
    yaml_parser_fetch_more_tokens, for comments): when the first document ends, the token that
    ends it (`---`, `...` or the end) and two more are scanned, so a scanner error there fails
    the whole file."""
    scanner = libyaml.CParser(data)
    try:
        after = -1
        while after < 2:
            token = scanner.get_token()
            if token is None or (after >= 0 and isinstance(token, yaml.StreamEndToken)):
                return
            # Block ends at that point were taken by the parser before the document's end.
            if after >= 0 or (token.start_mark.index >= end and not isinstance(token, yaml.BlockEndToken)):
                after += 1
    except yaml.scanner.ScannerError:
        raise
    except yaml.YAMLError:
        return
    finally:
        scanner.dispose()


def _source_text(data: bytes) -> str:
    """The stream as libyaml indexes it (marks count characters)."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace")
    return data.decode("utf-8", "replace")


def _check_scanner_differences(event: Any, in_flow: bool, source: str) -> None:
    """Where libyaml 0.2.5 (this parser) accepts what yaml.v3's scanner (a port of an older
    libyaml) refuses, refuse it too:
    - inside [...] or {...}, yaml.v3 ends unquoted text at `?` (scannerc.go
      yaml_parser_scan_plain_scalar), and then fails on the `?`;
    - yaml.v3 knows no `\\/` escape in double quotes ("found unknown escape character")."""
    line = event.start_mark.line + 1
    if in_flow and not event.style and "?" in event.value:
        raise YamlTypeError(
            f"line {line}: unquoted text {event.value!r} with a `?` inside [...] or {{...}}: yaml.v3 ends the "
            "text at the `?` and then finds no ',' or ']'; quote the text"
        )
    if event.style == '"':
        raw = source[event.start_mark.index : event.end_mark.index]
        i = raw.find("\\")
        while i != -1:
            if raw[i + 1 : i + 2] == "/":
                raise YamlTypeError(f"line {line}: found unknown escape character `\\/` (yaml.v3 has none); write /")
            i = raw.find("\\", i + 2)


def compose(data: bytes) -> Node | None:
    """The first document's node tree (yaml.v3's Unmarshal reads only the first document); None
    for an empty stream. Raises yaml.YAMLError (with a problem mark) or YamlTypeError."""
    root: Node | None = None
    stack: list[Node] = []
    flow: list[bool] = []
    anchors: dict[str, Node] = {}
    source = _source_text(data)
    for event in _events(data):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            target = anchors.get(event.anchor)
            if target is None:
                raise YamlTypeError(f"line {line}: unknown anchor '{event.anchor}' referenced")
            node = Node(ALIAS, "", event.anchor, alias=target)
        elif isinstance(event, yaml.ScalarEvent):
            _check_scanner_differences(event, any(flow), source)
            quoted = bool(event.style)
            default = STR if quoted else (MERGE if event.value == "<<" else "")
            node = _new_node(SCALAR, default, event.tag, event.value, quoted)
        elif isinstance(event, yaml.SequenceStartEvent):
            node = _new_node(SEQUENCE, SEQ, event.tag)
        elif isinstance(event, yaml.MappingStartEvent):
            node = _new_node(MAPPING, MAP, event.tag)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            stack.pop()
            flow.pop()
            continue
        else:
            continue
        node.line = line
        if getattr(event, "anchor", None) and node.kind != ALIAS:
            anchors[event.anchor] = node
        if stack:
            stack[-1].content.append(node)
        else:
            root = node
        if node.kind in (MAPPING, SEQUENCE):
            stack.append(node)
            flow.append(bool(event.flow_style))
            if len(stack) > MAX_DEPTH:
                raise YamlTypeError(f"line {line}: nested more than {MAX_DEPTH} levels deep")
    return root


# --- yaml.v3 decode.go: nodes into Go values (decoding into interface{}) ---------------------------


class GeneralMap(tuple):
    """A map with a key that is not a string (yaml.v3's map[interface{}]interface{}): (key, value) pairs."""


_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000
# yaml.v3 lets alias expansion run to millions of values before it calls it excessive; the offline
# tools stop at this many decoded values once aliases are involved (no stack file comes close).
MAX_ALIASED_VALUES = 100_000


def _allowed_alias_ratio(count: int) -> float:
    """decode.go allowedAliasRatio."""
    if count <= _ALIAS_RATIO_LOW:
        return 0.99
    if count >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * ((count - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW))


def _go_key(value: Any) -> Any:
    """A hashable identity for a Go map key (Python would merge 1, 1.0 and True)."""
    return (type(value).__name__, value if not isinstance(value, float) or not math.isnan(value) else "NaN")


class Decoder:
    """decode.go decoder, decoding into interface{}: the Go value of each node."""

    def __init__(self) -> None:
        self.decode_count = 0
        self.alias_count = 0
        self.alias_depth = 0
        self.active_aliases: set[int] = set()
        self.errors: list[str] = []
        """Type errors yaml.v3 collects and reports together (duplicate keys)."""

    def unmarshal(self, node: Node) -> Any:
        self.decode_count += 1
        if self.alias_depth > 0:
            self.alias_count += 1
        ratio = self.alias_count / self.decode_count
        if self.alias_count > 100 and (
            self.decode_count > MAX_ALIASED_VALUES
            or (self.decode_count > 1000 and ratio > _allowed_alias_ratio(self.decode_count))
        ):
            raise YamlTypeError("document contains excessive aliasing")
        if node.kind == ALIAS:
            return self.alias(node)
        if node.kind == SCALAR:
            return self.scalar(node)
        if node.kind == SEQUENCE:
            return [self.unmarshal(child) for child in node.content]
        return self.mapping(node)

    def alias(self, node: Node) -> Any:
        if id(node) in self.active_aliases or node.alias is None:
            raise YamlTypeError(f"anchor '{node.value}' value contains itself")
        self.active_aliases.add(id(node))
        self.alias_depth += 1
        try:
            return self.unmarshal(node.alias)
        finally:
            self.alias_depth -= 1
            self.active_aliases.discard(id(node))

    def scalar(self, node: Node) -> Any:
        if node.indicated_string():
            return node.value
        try:
            tag, value = resolve(node.tag, node.value)
        except YamlTypeError as exc:
            raise YamlTypeError(f"line {node.line}: {exc}") from None
        if tag == BINARY:
            try:
                raw = base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
            except (binascii.Error, ValueError):
                raise YamlTypeError("!!binary value contains invalid base64 data") from None
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise YamlTypeError(f"line {node.line}: !!binary data that is not UTF-8 text") from None
        return value

    def duplicates(self, node: Node) -> bool:
        """decode.go mapping's uniqueKeys check: two keys of the same kind and text."""
        keys = node.content[0::2]
        found = False
        for i, first in enumerate(keys):
            for later in keys[i + 1 :]:
                if first.kind == later.kind and first.value == later.value:
                    message = f"line {later.line}: mapping key {first.value!r} already defined at line {first.line}"
                    if message not in self.errors:
                        self.errors.append(message)
                    found = True
        return found

    def mapping(self, node: Node) -> dict[str, Any] | GeneralMap:
        keys = node.content[0::2]
        if self.duplicates(node):
            return {}
        string_map = all(k.short_tag() in (STR, MERGE) for k in keys)
        pairs: dict[Any, tuple[Any, Any]] = {}
        self._fill(node, pairs, None, string_map)
        if string_map:
            return {k: v for k, v in pairs.values()}
        return GeneralMap(pairs.values())

    def _key_text(self, node: Node) -> str:
        """A key decoded into a map[string]interface{}'s string key: the scalar's text as written
        (decode.go scalar, reflect.String), or a !!binary key's decoded text."""
        self.decode_count += 1
        target = node.alias if node.kind == ALIAS else node
        if target is None or target.kind != SCALAR:
            what = "list" if target and target.kind == SEQUENCE else "map"
            raise YamlTypeError(f"line {node.line}: invalid map key: a {what}")
        if not target.indicated_string() and resolve(target.tag, target.value)[0] == BINARY:
            return self.scalar(target)
        return target.value

    def _fill(self, node: Node, pairs: dict[Any, tuple[Any, Any]], merged: set[Any] | None, string_keys: bool) -> None:
        """decode.go mapping + merge: a node's own keys, then `<<` merges that never override.
        Into a map of string keys (all of the map's own keys text), every key is its text."""
        merge_node = None
        for key_node, value_node in zip(node.content[0::2], node.content[1::2], strict=True):
            if _is_merge(key_node):
                merge_node = value_node
                continue
            key = self._key_text(key_node) if string_keys else self.unmarshal(key_node)
            if isinstance(key, dict | list | GeneralMap):
                what = "list" if isinstance(key, list) else "map"
                raise YamlTypeError(f"line {key_node.line}: invalid map key: a {what}")
            identity = _go_key(key)
            if merged is not None:
                if identity in merged:
                    continue
                merged.add(identity)
            pairs[identity] = (key, self.unmarshal(value_node))
        if merge_node is not None:
            self._merge(merge_node, pairs, merged, string_keys)

    def _merge(
        self, merge: Node, pairs: dict[Any, tuple[Any, Any]], merged: set[Any] | None, string_keys: bool
    ) -> None:
        if merged is None:
            merged = set(pairs)
        target = merge.alias if merge.kind == ALIAS else merge
        if merge.kind == SCALAR or (merge.kind == ALIAS and (target is None or target.kind != MAPPING)):
            raise YamlTypeError(f"line {merge.line}: map merge requires map or sequence of maps as the value")
        sources = list(merge.content) if merge.kind == SEQUENCE else [merge]
        for source in sources:
            mapping = source.alias if source.kind == ALIAS else source
            if mapping is None or mapping.kind != MAPPING:
                raise YamlTypeError(f"line {source.line}: map merge requires map or sequence of maps as the value")
            self.decode_count += 1
            if self.duplicates(mapping):
                continue
            if source.kind == ALIAS:
                self.alias_depth += 1
            try:
                self._fill(mapping, pairs, merged, string_keys)
            finally:
                if source.kind == ALIAS:
                    self.alias_depth -= 1


def _is_merge(node: Node) -> bool:
    """decode.go isMerge."""
    return node.kind == SCALAR and node.value == "<<" and node.tag in ("", "!", MERGE)


def decode(data: bytes) -> Any:
    """yaml.v3 Unmarshal of the first document into interface{}: the Go values, as Python values
    (str, bool, int, float, None, GoTime, list, dict with string keys, GeneralMap)."""
    root = compose(data)
    if root is None:
        return None
    decoder = Decoder()
    value = decoder.unmarshal(root)
    if decoder.errors:
        raise YamlTypeError(*decoder.errors)
    return value


# --- Pulumi: the second pass and config values ----------------------------------------------------


def _second_pass(value: Any) -> Any:
    """What the encode-and-decode-again round trip (loaders.go) changes: floats written by
    FormatFloat 'g' read back (an integral one under 1e6 as an int), timestamps written as
    RFC 3339 read back, a `<<` key (written plain) read as a merge."""
    if isinstance(value, str):
        return _literal_round_trip(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return value
        return resolve("", go_format_g(value))[1]
    if isinstance(value, GoTime):
        return resolve("", value.rfc3339nano())[1]
    if isinstance(value, list):
        return [_second_pass(v) for v in value]
    pairs = list(value) if isinstance(value, GeneralMap) else list(value.items())
    out = {_go_key(k): (k, _second_pass(v)) for k, v in ((_second_pass(k), v) for k, v in pairs) if k != "<<"}
    merges = [v for k, v in pairs if k == "<<"]
    if merges:
        merge = _second_pass(merges[0])
        sources = [merge] if isinstance(merge, dict | GeneralMap) else merge if isinstance(merge, list) else None
        if sources is None or not all(isinstance(s, dict | GeneralMap) for s in sources):
            raise YamlTypeError("map merge requires map or sequence of maps as the value")
        for source in sources:
            for k, v in source.items() if isinstance(source, dict) else source:
                out.setdefault(_go_key(k), (k, v))
    if all(isinstance(k, str) for k, _ in out.values()):
        return {k: v for k, v in out.values()}
    return GeneralMap(out.values())


def _printable(c: str) -> bool:
    """yamlprivateh.go is_printable (a tab is let through separately)."""
    return c in "\n\t" or " " <= c <= "~" or "\xa0" <= c <= "\ud7ff" or ("\ue000" <= c <= "\ufffd" and c != "\ufeff")


def _literal_round_trip(text: str) -> str:
    """yaml.v3's encoder writes a string with a line feed as a literal block (encode.go stringv)
    when the emitter allows one (emitterc.go yaml_emitter_analyze_scalar: no trailing space, no
    space before a break, only printable characters or tabs). Its literal writer drops a leading
    line break (`"\\nx"` reads back as `"x"`), and a leading tab makes the block unreadable
    ("found a tab character where an indentation space is expected")."""
    if "\n" not in text or text.endswith(" ") or not all(_printable(c) for c in text):
        return text
    if re.search("[ ][\n\u2028\u2029]", text):
        return text
    if text[0] in "\n\u2028\u2029":
        return text[1:]
    if text[0] == "\t":
        raise YamlTypeError(
            "found a tab character where an indentation space is expected (the Pulumi CLI writes text "
            "that starts with a tab and has a line break as a YAML block it cannot read back)"
        )
    return text


def _go_key_text(key: Any) -> str:
    """fmt.Sprintf("%v", key) for a map key (object.go unmarshalObject of map[interface{}]interface{})."""
    if key is None:
        return "<nil>"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return go_format_g(key)
    if isinstance(key, GoTime):
        return key.string()
    return str(key)


def _object(value: Any) -> Any:
    """object.go unmarshalObject: the value Pulumi keeps (timestamps as their String() text,
    every map key as text); a {secure: <text>} map stays as it is (a secret)."""
    if isinstance(value, GoTime):
        return value.string()
    if isinstance(value, list):
        return [_object(v) for v in value]
    if isinstance(value, GeneralMap):
        out: dict[str, Any] = {}
        for k, v in value:
            text = _go_key_text(k)
            if text in out:
                raise YamlTypeError(f"two keys read as {text!r}")
            out[text] = v
        value = out
    if isinstance(value, dict):
        if _is_secure(value):
            return dict(value)
        return {k: _object(v) for k, v in value.items()}
    return value


def _is_secure(value: Any) -> bool:
    """object.go isSecureValue: a map whose only key is `secure`, with a string."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


@dataclasses.dataclass(frozen=True)
class ConfigValue:
    """One config value as the CLI holds it (config.Value) and hands it to the program."""

    text: str
    """What the program receives (secrets: the ciphertext, decrypted only by the CLI)."""
    object: bool
    """A map or list, `text` being its JSON."""
    secure: bool
    """Encrypted (`secure:`), at the top or somewhere inside."""
    content: Any
    """What the CLI checks against a declared type: `text` for a scalar, the decoded object
    (`{"secure": ...}` where encrypted) for a map or list, `{"secure": ...}` for a top-level secret."""


def _contains_secure(value: Any) -> bool:
    if _is_secure(value):
        return True
    if isinstance(value, dict):
        return any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def config_value(value: Any) -> ConfigValue:
    """config.Value.UnmarshalYAML + MarshalString for one top-level value (after the second pass)."""
    obj = _object(value)
    if _is_secure(obj):
        return ConfigValue(obj["secure"], object=False, secure=True, content=dict(obj))
    if obj is None:
        # decode.go prepare: a null node never reaches the unmarshaler; the zero Value is "".
        return ConfigValue("", object=False, secure=False, content="")
    if isinstance(obj, str):
        return ConfigValue(obj, object=False, secure=False, content=obj)
    if isinstance(obj, dict | list):
        return ConfigValue(go_json(obj), object=True, secure=_contains_secure(obj), content=obj)
    text = go_json(obj)
    return ConfigValue(text, object=False, secure=False, content=text)


def default_value(value: Any) -> ConfigValue:
    """pkg/workspace/config.go createConfigValue: a project default (string, int and bool as
    fmt's %v, anything else as JSON)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
        return ConfigValue(text, object=False, secure=False, content=text)
    if isinstance(value, str | int):
        return ConfigValue(str(value), object=False, secure=False, content=str(value))
    if isinstance(value, GoTime):
        text = _json_string(value.rfc3339nano())
        return ConfigValue(text, object=True, secure=False, content=value.rfc3339nano())
    obj = _object(value)
    return ConfigValue(go_json(obj), object=True, secure=_contains_secure(obj), content=obj)


# --- Reading files ---------------------------------------------------------------------------------


def _problem(where: str, exc: BaseException, what: str = "stack configuration", source: str = "") -> str:
    """One line for a problem with the file's YAML, naming the file and line."""
    head = f"{where}: cannot read the {what}"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "").split())
        if mark and source[mark.index : mark.index + 1] == "\t" and "tab" not in problem:
            problem = f"{problem} (a tab)"
        if "tab" in problem:
            fix = "indent with spaces, not tabs"
        elif problem == "found unexpected ':'":
            fix = "quote the text with the `:` (YAML parsers disagree on `a:` before , ] or } inside [...] or {...})"
        else:
            fix = "fix the YAML"
        return f"{head}: {at}{problem}; {fix} (the Pulumi CLI refuses the file)"
    if isinstance(exc, yaml.reader.ReaderError):
        return (
            f"{head}: not YAML text ({' '.join(str(exc.reason).split())} at byte {exc.position}); "
            "a stack file is UTF-8 text (the Pulumi CLI refuses the file)"
        )
    text = " ".join(str(exc).split())
    if "already defined" in text:
        return f"{head}: {text}: a key written twice; keep one (the Pulumi CLI refuses the file)"
    return f"{head}: {text} (the Pulumi CLI refuses the file)"


def read_document(data: bytes, where: str, what: str = "stack configuration") -> Any:
    """The first pass: yaml.v3's decoding of the file (UTF-8 BOM stripped as the CLI does)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return decode(data)
    except YamlTypeError as exc:
        raise StackFileError([_problem(where, YamlTypeError(m), what) for m in exc.messages]) from None
    except yaml.YAMLError as exc:
        raise StackFileError([_problem(where, exc, what, _source_text(data))]) from None


def _where(path: Path | str) -> str:
    return str(path)


def read_project(path: Path) -> dict[str, Any]:
    """Pulumi.yaml as the CLI decodes it (loaders.go LoadProjectBytes: first pass, then
    SimplifyMarshalledProject and the round trip)."""
    doc = read_document(Path(path).read_bytes(), _where(path), "project file")
    if not isinstance(doc, dict):
        raise StackFileError([f"{_where(path)}: the project file must be a map, not {_kind(doc)}"])
    try:
        return _second_pass(doc)
    except YamlTypeError as exc:
        raise StackFileError([_problem(_where(path), exc, "project file")]) from None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict | GeneralMap):
        return "a map with a key that is not text"
    if value is None:
        return "empty"
    return f"the scalar {value if isinstance(value, str) else go_json(_object(value))!r}"


def parse_key(key: str) -> str | None:
    """config/key.go ParseKey: `namespace:name`, or `namespace:config:name` read as `namespace:name`."""
    parts = key.split(":")
    if len(parts) == 2:
        return key
    if len(parts) == 3 and parts[1] == "config":
        return f"{parts[0]}:{parts[2]}"
    return None


def read_stack(path: Path, project: str) -> dict[str, ConfigValue]:
    """A stack file's `config:` as the CLI hands it to the program: full key to value. Raises
    StackFileError, one line per problem, where the CLI would refuse the file or pick a value
    at random."""
    where = _where(path)
    doc = read_document(Path(path).read_bytes(), where)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise StackFileError([f"{where}: the stack file must be a map with a `config:` map, not {_kind(doc)}"])
    config = doc.get("config")
    for field in ("secretsprovider", "encryptedkey", "encryptionsalt"):
        if isinstance(doc.get(field), dict | list | GeneralMap):
            raise StackFileError([f"{where}: `{field}:` must be text, not {_kind(doc[field])}"])
    if config is None:
        return {}
    if isinstance(config, GeneralMap):
        bad = next(k for k, _ in config if not isinstance(k, str))
        if bad is None:
            problem = "an empty (null) config key: the Pulumi CLI drops the entry silently; name the key or remove it"
        else:
            problem = (
                f"config key {go_json(_object(bad))} is not text: the Pulumi CLI then refuses the file; "
                "write keys as `name` or `namespace:name` (quote it)"
            )
        raise StackFileError([f"{where}: {problem}"])
    if not isinstance(config, dict):
        raise StackFileError([f"{where}: `config:` must be a map of keys to values, not {_kind(config)}"])
    problems: list[str] = []
    values: dict[str, ConfigValue] = {}
    written: dict[str, str] = {}
    for key, raw in config.items():
        named = key if ":" in key else f"{project}:{key}"
        full = parse_key(named)
        if full is None:
            problems.append(
                f"{where}: config key {key!r}: not a configuration key; write `name` or `namespace:name` "
                "(the Pulumi CLI refuses the file)"
            )
            continue
        if full in written:
            problems.append(
                f"{where}: config keys {written[full]!r} and {key!r} are the same key {full}; keep one "
                "(the Pulumi CLI would use either, at random)"
            )
            continue
        written[full] = key
        try:
            values[full] = config_value(_second_pass(raw))
        except YamlTypeError as exc:
            problems.append(f"{where}: {full}: {exc} (the Pulumi CLI refuses the file; quote the value if it is text)")
    if problems:
        raise StackFileError(problems)
    return values
