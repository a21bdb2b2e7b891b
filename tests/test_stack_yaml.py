"""Stack files read as the Pulumi CLI reads them (tools/stackyaml/).

The judge is what the CLI really hands a program: tests/upstream/yaml-v3/cases.json, 881 stack files
read by the real gopkg.in/yaml.v3 v3.0.1 with Pulumi v3.259.0's steps around it (SOURCES.md there).
The tables below state each rule with its source, and every row is also checked against that
recording. A property test builds random YAML scalars with their expected reading from the
vendored resolve table (resolve.json), not from the reader.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ROOT
from tools import stackyaml

UPSTREAM = ROOT / "tests" / "upstream" / "yaml-v3"
CASES = json.loads((UPSTREAM / "cases.json").read_text())
RECORDED = {case["file"]: case for case in CASES}
RESOLVE = json.loads((UPSTREAM / "resolve.json").read_text())
NS = "clickhouse-byoc"

V3_RESOLVE = "gopkg.in/yaml.v3 v3.0.1 resolve.go resolve()"
V3_DECODE = "gopkg.in/yaml.v3 v3.0.1 decode.go"
V3_ENCODE = "gopkg.in/yaml.v3 v3.0.1 encode.go stringv + emitterc.go"
PULUMI_OBJECT = "pulumi/pulumi v3.259.0 sdk/go/common/resource/config/object.go"
PULUMI_LOADERS = "pulumi/pulumi v3.259.0 sdk/go/common/workspace/loaders.go LoadProjectStackBytes"

# Where the reader refuses a file the CLI reads (SOURCES.md, "Known differences"): each is one line.
DEVIATIONS = {
    "config:\n  accountId: '1'\n  clickhouse-byoc:accountId: '2'\n": "the CLI keeps one of two spellings at random",
    "config:\n  ~: x\n": "the CLI drops an entry with a null key silently",
    "config:\n  a: !!binary /w==\n": "binary data that is not UTF-8 text",
    'config:\n  a: "x\\\'y"\n': "libyaml 0.2.5 refuses the \\' escape yaml.v3 accepts",
}


def read(tmp_path: Path, text: str | bytes) -> dict[str, stackyaml.ConfigValue]:
    path = tmp_path / "Pulumi.t.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return stackyaml.read_stack(path, NS)


def reading(tmp_path: Path, text: str) -> dict[str, Any]:
    """The reader's result in the recording's shape."""
    try:
        values = read(tmp_path, text)
    except stackyaml.StackFileError as exc:
        return {"error": exc.problems}
    return {"config": {k: {"text": v.text, "object": v.object, "secure": v.secure} for k, v in values.items()}}


# --- The recorded CLI readings ---------------------------------------------------------------------


def test_the_reader_agrees_with_every_recorded_cli_reading(tmp_path):
    disagreements = []
    for case in CASES:
        if case["file"] in DEVIATIONS:
            continue
        mine = reading(tmp_path, case["file"])
        if ("error" in case) != ("error" in mine) or mine.get("config") != (
            case.get("config", {}) if "error" not in case else None
        ):
            disagreements.append((case["file"], case.get("error") or case.get("config"), mine))
    assert not disagreements, disagreements[:5]
    assert len(CASES) > 800 and sum("error" in c for c in CASES) > 40


@pytest.mark.parametrize("text", sorted(DEVIATIONS))
def test_where_the_reader_departs_from_the_cli_it_refuses_the_file_with_one_line(tmp_path, text):
    assert text in RECORDED and "error" not in RECORDED[text]
    with pytest.raises(stackyaml.StackFileError) as exc:
        read(tmp_path, text)
    assert len(exc.value.problems) == 1 and "Pulumi.t.yaml" in exc.value.problems[0]


# --- One table per rule, each row also checked against the recording -------------------------------


def recorded_text(text: str) -> str | None:
    case = RECORDED[text]
    return None if "error" in case else case["config"][f"{NS}:a"]["text"]


TOP_LEVEL = [
    # (written unquoted at the top of config, what the program receives, why)
    ("no", "no", f"{V3_RESOLVE}: YAML 1.1 booleans are not in resolveMap"),
    ("yes", "yes", f"{V3_RESOLVE}: YAML 1.1 booleans are not in resolveMap"),
    ("on", "on", f"{V3_RESOLVE}: YAML 1.1 booleans are not in resolveMap"),
    ("Y", "Y", f"{V3_RESOLVE}: YAML 1.1 booleans are not in resolveMap"),
    ("True", "true", f"{V3_RESOLVE} resolveMap; {PULUMI_OBJECT} MarshalString (JSON of a bool)"),
    ("22:30", "22:30", f"{V3_RESOLVE}: no base 60 (the comment in resolve.go)"),
    ("190:20:30", "190:20:30", f"{V3_RESOLVE}: no base 60"),
    ("0x1F", "31", f"{V3_RESOLVE}: strconv.ParseInt(plain, 0, 64)"),
    ("0o17", "15", f"{V3_RESOLVE}: strconv.ParseInt base 0 reads 0o"),
    ("017", "15", f"{V3_RESOLVE}: strconv.ParseInt base 0 reads a leading 0 as octal"),
    ("08", "8", f"{V3_RESOLVE}: not octal, so yamlStyleFloat: the float 8"),
    ("012345678901", "12345678901", f"{V3_RESOLVE}: a float, written back without the leading 0"),
    ("1_000", "1000", f"{V3_RESOLVE}: every '_' removed before ParseInt"),
    ("0b101", "5", f"{V3_RESOLVE}: strconv.ParseInt base 0 reads 0b"),
    ("99999999999999999999", "100000000000000000000", f"{V3_RESOLVE}: past uint64, a float; JSON 'f' format"),
    ("1e21", "1e+21", f"{V3_RESOLVE} yamlStyleFloat; encoding/json writes 'e' from 1e21"),
    ("1.5e-7", "1.5e-7", "encoding/json writes 'e' below 1e-6, e-07 as e-7"),
    ("1.0", "1", f"{V3_ENCODE}: FormatFloat 'g' writes 1, read back as an int"),
    ("-0.0", "0", f"{V3_ENCODE}: FormatFloat 'g' writes -0, read back as the int 0"),
    ("1e999", "1e999", f"{V3_RESOLVE}: ParseFloat out of range, so text"),
    ("~", "", f"{PULUMI_LOADERS} checkForEmptyConfig: null is ''"),
    ("", "", f"{PULUMI_LOADERS} checkForEmptyConfig: null is ''"),
    (
        "2026-12-11T18:00:00Z",
        "2026-12-11 18:00:00 +0000 UTC",
        f"{V3_RESOLVE} parseTimestamp; {PULUMI_OBJECT} time.Time",
    ),
    ("2026-12-11", "2026-12-11 00:00:00 +0000 UTC", f"{V3_RESOLVE} allowedTimestampFormats '2006-1-2'"),
    ("2026-12-11T18:00:00+02:00", "2026-12-11 18:00:00 +0200 +0200", "time.Parse: a fixed zone without a name"),
    ("2026-12-11T18:00:00", "2026-12-11T18:00:00", f"{V3_RESOLVE}: no layout without a zone after T"),
    ("2026-02-30", "2026-02-30", "time.Parse refuses the day, so text"),
    ("<<", "<<", f"{V3_RESOLVE}: '<' has no hint"),
]


@pytest.mark.parametrize("written, received, why", TOP_LEVEL, ids=[r[0] or "(empty)" for r in TOP_LEVEL])
def test_a_top_level_value_reaches_the_program_as_the_cli_passes_it(tmp_path, written, received, why):
    text = f"config:\n  a: {written}\n"
    assert recorded_text(text) == received, f"the table disagrees with the recording ({why})"
    assert read(tmp_path, text)[f"{NS}:a"].text == received


NESTED = [
    # (written unquoted inside a map, the JSON value the program decodes, why)
    ("no", "no", f"{V3_RESOLVE}: text, as at the top"),
    ("True", True, f"{V3_RESOLVE}: a bool, kept as a JSON bool"),
    ("0x1F", 31, f"{V3_RESOLVE}: an int, kept as a JSON number"),
    ("1.5", 1.5, f"{V3_RESOLVE}: a float"),
    ("~", None, f"{PULUMI_OBJECT} unmarshalObject: null stays null inside an object"),
    ("2026-12-11T18:00:00Z", "2026-12-11 18:00:00 +0000 UTC", f"{PULUMI_OBJECT} unmarshalObject: time.Time.String()"),
    ("22:30", "22:30", f"{V3_RESOLVE}: no base 60"),
    ("012345678901", 12345678901, f"{V3_RESOLVE}: a float"),
]


@pytest.mark.parametrize("written, value, why", NESTED, ids=[r[0] for r in NESTED])
def test_a_nested_value_keeps_the_type_yaml_v3_gives_it(tmp_path, written, value, why):
    text = f"config:\n  a:\n    b: {written}\n"
    assert json.loads(recorded_text(text))["b"] == value, why
    got = json.loads(read(tmp_path, text)[f"{NS}:a"].text)["b"]
    assert got == value and type(got) is type(value)


REFUSED = [
    # (file, a word of the one line, why)
    ("config:\n  a: 1\n  a: 2\n", "already defined at line 2", f"{V3_DECODE} mapping: uniqueKeys"),
    ("config:\n  a: {b: 1, b: 2}\n", "already defined", f"{V3_DECODE} mapping: uniqueKeys, nested too"),
    ("config:\n  a: 1\n  'a': 2\n", "already defined", f"{V3_DECODE}: keys compared by their text"),
    ("config:\n  a: .inf\n", "unsupported value", f"{PULUMI_OBJECT} MarshalString: JSON has no infinity"),
    ("config:\n  a: [.nan]\n", "unsupported value", f"{PULUMI_OBJECT} MarshalString: JSON has no NaN"),
    ("config:\n  a:b:c: 1\n", "namespace:name", "pulumi/pulumi v3.259.0 config/key.go ParseKey"),
    ("config:\n  1: x\n", "not text", "config/key.go ParseKey: the key 1 has no namespace"),
    ("config: [a]\n", "must be a map", "config.Map.UnmarshalYAML"),
    ("- a\n- b\n", "must be a map", "project.go SimplifyMarshalledProject"),
    ("config:\n  a: {'<<': 1}\n", "map merge requires", f"{V3_ENCODE}: '<<' is written plain, then merged"),
    ("config:\n  a: !!int abc\n", "cannot decode !!str `abc` as a !!int", f"{V3_RESOLVE}"),
    ("config:\n  a: &x [1, *x]\n", "contains itself", f"{V3_DECODE} alias"),
    ("config:\n  a: *nothing\n", "unknown anchor", f"{V3_DECODE} parser.alias"),
    ("config:\n  a:\tb\n  b:\n\tc: 1\n", "tab", "libyaml scanner: a tab cannot indent"),
    ('config:\n  a: "\\tx\\ny"\n', "tab character", f"{V3_ENCODE}: a literal block starting with a tab"),
    ("config:\n  a: {k: https://example.com/x?y=1}\n", "quote the text", "yaml.v3 scannerc.go: `?` ends text in {}"),
    ('config:\n  a: "x\\/y"\n', "unknown escape", "yaml.v3 scannerc.go: no \\/ escape"),
    ("config:\n  a: 1\n---  b: c\n", "mapping values are not allowed", "yaml.v3 scanner: two tokens of lookahead"),
    ("config:\n  a: x\x00y\n", "a stack file is UTF-8 text", "libyaml reader: control characters"),
]


@pytest.mark.parametrize("text, word, why", REFUSED, ids=[r[2].split(":")[-1].strip()[:40] for r in REFUSED])
def test_what_the_cli_refuses_is_one_line_naming_the_file(tmp_path, text, word, why):
    if text in RECORDED:
        assert "error" in RECORDED[text], f"the recording says the CLI reads it ({why})"
    with pytest.raises(stackyaml.StackFileError) as exc:
        read(tmp_path, text)
    (line,) = exc.value.problems
    assert line.startswith(str(tmp_path / "Pulumi.t.yaml")) and word in line, line
    assert "\n" not in line


SECOND_PASS = [
    # (file, key, what the program receives, why): the CLI writes the file again and reads it back
    ('config:\n  a: "\\nx"\n', "a", "x", f"{V3_ENCODE}: a literal block drops a leading line break"),
    ("config:\n  a: |\n\n    x\n", "a", "x\n", f"{V3_ENCODE}: the same for a block scalar"),
    ("config:\n  a: {'<<': {p: 1}}\n", "a", '{"p":1}', f"{V3_ENCODE}: a quoted '<<' key merges the second time"),
    ("config:\n  a: {1: x, true: y}\n", "a", '{"1":"x","true":"y"}', f"{PULUMI_OBJECT}: keys as fmt %v"),
    ("config:\n  a: &x {p: 1, q: 2}\n  b: {<<: *x, q: 3}\n", "b", '{"p":1,"q":3}', f"{V3_DECODE} merge"),
    ("config:\n  a: {secure: 1}\n", "a", '{"secure":1}', f"{PULUMI_OBJECT} isSecureValue: a string only"),
    ("config:\n  p:config:q: 1\n", None, "1", "config/key.go ParseKey: ns:config:name is ns:name"),
]


@pytest.mark.parametrize("text, key, received, why", SECOND_PASS, ids=[r[3].split(":")[-1][:40] for r in SECOND_PASS])
def test_what_the_cli_round_trip_changes(tmp_path, text, key, received, why):
    full = f"{NS}:{key}" if key else "p:q"
    assert RECORDED[text]["config"][full]["text"] == received, why
    assert read(tmp_path, text)[full].text == received


def test_a_secure_value_is_secret_at_the_top_and_inside(tmp_path):
    values = read(tmp_path, "config:\n  a: {secure: v1:abc}\n  b: {c: [{secure: v1:def}]}\n  d: x\n")
    assert (values[f"{NS}:a"].text, values[f"{NS}:a"].secure, values[f"{NS}:a"].object) == ("v1:abc", True, False)
    assert values[f"{NS}:b"].secure and values[f"{NS}:b"].content == {"c": [{"secure": "v1:def"}]}
    assert not values[f"{NS}:d"].secure


def test_an_empty_file_and_an_empty_config_are_no_values(tmp_path):
    for text in ("", "# nothing\n", "config:\n", "config: ~\n", "secretsprovider: passphrase\n"):
        assert read(tmp_path, text) == {}


def test_excessive_aliasing_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    with pytest.raises(stackyaml.StackFileError, match="excessive aliasing"):
        read(tmp_path, "\n".join(lines) + "\nconfig:\n  a: *a6\n")


def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path):
    with pytest.raises(stackyaml.StackFileError, match="nested more than 200 levels"):
        read(tmp_path, "config:\n  a: " + "[" * 5000 + "]" * 5000 + "\n")


def test_go_float_and_time_formatting_follow_go_1_25(tmp_path):
    # time/format.go (Go 1.25): any number of fraction digits, the first nine kept; an offset over
    # 24:00 refused when the CLI reads its own +25:00 back. encoding/json (Go 1.22+): \b short.
    assert read(tmp_path, "config:\n  a: 2026-12-11T18:00:00.1234567891Z\n")[f"{NS}:a"].text == (
        "2026-12-11 18:00:00.123456789 +0000 UTC"
    )
    assert read(tmp_path, "config:\n  a: 2026-12-11T18:00:00+24:60\n")[f"{NS}:a"].text == "2026-12-11T18:00:00+25:00"
    assert read(tmp_path, 'config:\n  a: ["\\b"]\n')[f"{NS}:a"].text == '["\\b"]'


# --- Property: random scalars against the vendored resolve table -----------------------------------

MAP_TEXTS = {text: (entry["tag"], entry["value"]) for entry in RESOLVE["resolveMap"] for text in entry["texts"]}
HINTED = "".join(RESOLVE["hints"].values())


def go_float_json(f: float) -> str:
    """encoding/json's float text, stated with Decimal rather than the reader's formatter."""
    if f == 0:
        return "0"  # -0.0 too: the CLI writes it back as -0 and reads the int 0
    if 1e-6 <= abs(f) < 1e21:
        return format(decimal.Decimal(repr(f)).normalize(), "f")
    return re.sub(r"e-0(\d)$", r"e-\1", repr(f))


def expectation(value: Any) -> tuple[str, Any]:
    """(top-level text, nested JSON value) for a Go value."""
    if value is None:
        return "", None
    if isinstance(value, bool):
        return ("true" if value else "false"), value
    if isinstance(value, int):
        return str(value), value
    if isinstance(value, float):
        return go_float_json(value), json.loads(go_float_json(value))
    return value, value


@st.composite
def words(draw):
    """Letters only: text unless resolveMap has it (resolve.go: hint 'M' only looks the map up)."""
    text = draw(
        st.sampled_from(sorted(t for t in MAP_TEXTS if t)) | st.text("yesnoYESNOtrufalTRUFALxq", min_size=1, max_size=6)
    )
    if text in MAP_TEXTS:
        tag, value = MAP_TEXTS[text]
        if tag == "!!float":
            return text, "refused"
        if tag == "!!merge":
            return text, text
        return text, value
    return text, text


@st.composite
def integers(draw):
    """An int written as Go's strconv.ParseInt(s, 0, 64) reads it, underscores anywhere after the first digit."""
    n = draw(st.integers(min_value=-(2**63), max_value=2**63 - 1))
    base, prefix = draw(st.sampled_from([(10, ""), (16, "0x"), (16, "0X"), (8, "0o"), (8, "0"), (2, "0b")]))
    digits = {10: str, 16: lambda v: format(v, "x"), 8: lambda v: format(v, "o"), 2: lambda v: format(v, "b")}[base](
        abs(n)
    )
    if base == 10 and prefix == "" and draw(st.booleans()) and len(digits) > 1:
        digits = digits[0] + "_" + digits[1:]
    sign = "-" if n < 0 else draw(st.sampled_from(["", "+"]))
    if prefix == "0" and digits == "0":
        prefix = ""
    return sign + prefix + digits, n


@st.composite
def floats(draw):
    """A decimal float matching yamlStyleFloat (resolve.json), with a dot so it is no int."""
    whole = draw(st.integers(min_value=1, max_value=10**12))
    frac = draw(st.integers(min_value=0, max_value=10**6))
    exp = draw(st.sampled_from(["", "e5", "e-9", "E+22", "e-3"]))
    sign = draw(st.sampled_from(["", "-", "+"]))
    text = f"{sign}{whole}.{frac}{exp}"
    assert re.match(RESOLVE["yamlStyleFloat"], text)
    return text, float(text)


@st.composite
def timestamps(draw):
    """A timestamp one of allowedTimestampFormats takes, and Go's time.Time.String() of it."""
    day = draw(st.dates(min_value=datetime.date(1000, 1, 1), max_value=datetime.date(9999, 12, 31)))
    short = draw(st.booleans())
    date = f"{day.year:04d}-{day.month if short else f'{day.month:02d}'}-{day.day if short else f'{day.day:02d}'}"
    if draw(st.booleans()):
        return date, f"{day.isoformat()} 00:00:00 +0000 UTC"
    h, m, s = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    frac = draw(st.text("0123456789", max_size=9))
    sep, zone = draw(
        st.sampled_from([("T", "Z"), ("t", "Z"), ("T", "+02:00"), ("T", "-05:30"), ("T", "+00:00"), (" ", "")])
    )
    written = f"{date}{sep}{h}:{m:02d}:{s:02d}{'.' + frac if frac else ''}{zone}"
    nanos = frac.ljust(9, "0").rstrip("0")
    clock = f"{h:02d}:{m:02d}:{s:02d}{'.' + nanos if nanos else ''}"
    if zone in ("", "Z", "+00:00"):
        return written, f"{day.isoformat()} {clock} +0000 UTC"
    offset = zone.replace(":", "")
    return written, f"{day.isoformat()} {clock} {offset} {offset}"


@st.composite
def plain_text(draw):
    """Text whose first character has no hint: always a string."""
    first = draw(st.sampled_from([c for c in "abcdeghijklmpqrsuvwxzABCDEGHIJKLMPQRSUVWXZ_/" if c not in HINTED]))
    rest = draw(st.text("abcxyz0123456789-_./:", max_size=12))
    return (first + rest).rstrip(":"), (first + rest).rstrip(":")


SCALARS = words() | integers() | floats() | timestamps() | plain_text()
PLACES = ["top", "map", "flow list", "block list"]


def stack_file(written: str, place: str) -> str:
    return {
        "top": f"config:\n  a: {written}\n",
        "map": f"config:\n  a:\n    b: {written}\n",
        "flow list": f"config:\n  a: [{written}]\n",
        "block list": f"config:\n  a:\n    - {written}\n",
    }[place]


def received(values: dict[str, stackyaml.ConfigValue], place: str) -> Any:
    text = values[f"{NS}:a"].text
    if place == "top":
        return text
    decoded = json.loads(text)
    return decoded["b"] if place == "map" else decoded[0]


@given(scalar=SCALARS, place=st.sampled_from(PLACES), quote=st.sampled_from(["", "'", '"']))
def test_random_scalars_read_as_the_resolve_table_says(tmp_path_factory, scalar, place, quote):
    written, expected = scalar
    tmp = tmp_path_factory.mktemp("scalar")
    if quote:
        # Quoted: always the text as written (decode.go: an indicated string is not resolved).
        text = "'" + written.replace("'", "''") + "'" if quote == "'" else json.dumps(written)
        values = read(tmp, stack_file(text, place))
        assert received(values, place) == written
        return
    if expected == "refused":
        with pytest.raises(stackyaml.StackFileError):
            read(tmp, stack_file(written, place))
        return
    got = received(read(tmp, stack_file(written, place)), place)
    top, nested = expectation(expected)
    if place == "top":
        assert got == top, (written, got, top)
    else:
        assert got == nested and (type(got) is type(nested) or isinstance(nested, float)), (written, got, nested)
        if isinstance(nested, float):
            assert math.isclose(got, nested)
