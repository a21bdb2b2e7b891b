"""Writes the stack files whose CLI reading `main.go` records (tests/upstream/yaml-v3/cases.json).

    python tests/upstream/yaml-v3/recorder/inputs.py > /tmp/inputs.json
    GO111MODULE=off GOPATH=/usr/share/gocode go run ./tests/upstream/yaml-v3/recorder < /tmp/inputs.json > /tmp/out.json
    python tests/upstream/yaml-v3/recorder/inputs.py --merge /tmp/inputs.json /tmp/out.json > tests/upstream/yaml-v3/cases.json

Three groups: every scalar of SCALARS at the top of `config`, inside a map and inside a list;
the whole files of FILES; and a seeded random sample of scalars and small files. Left out on
purpose (the recorder runs Go 1.19; the CLI is built with Go 1.25, whose time.Parse reads more than
nine fraction digits and refuses zone offsets over 24:00, and whose JSON writes \\b and \\f short).
"""

from __future__ import annotations

import json
import random
import sys

SCALARS = [
    # YAML 1.1 booleans that yaml.v3 leaves as text, and the ones it reads as booleans
    *("y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"),
    *("true", "True", "TRUE", "tRUE", "false", "False", "FALSE"),
    # null
    *("~", "null", "Null", "NULL", "nULL", ""),
    # integers: bases, signs, underscores, leading zeros, ranges
    *("0", "00", "012", "017", "08", "09.5", "012345678901", "123456789012", "-012", "+12", "-0"),
    *("0x1F", "0X1f", "-0x1F", "0x", "0x_1F", "0o17", "0O17", "-0o17", "0o8", "0b101", "0B101", "-0b101", "0b2"),
    *("1_000", "1__0", "_1", "1_", "9223372036854775807", "9223372036854775808", "-9223372036854775808"),
    *("-9223372036854775809", "18446744073709551615", "18446744073709551616", "99999999999999999999"),
    # floats
    *("1.0", "1.5", "-0.0", "100.0", "1234567.0", "0.1", "1e6", "1e21", "1e20", "1.5e-7", "1e-7", "1E3"),
    *(".5", "+.5", "-.5", ".5e3", ".5_0", "._5", "1.", "1.e5", "1e999", "-1e999", "1e-999", ".1e999"),
    *(".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN", ".iNf", "inf", "nan", "Infinity"),
    # sexagesimal and clock times (yaml.v3 has no base 60)
    *("22:30", "1:30", "190:20:30", "12:30:45", "-1:30", "1:30.5"),
    # timestamps
    *("2026-12-11T18:00:00Z", "2026-12-11t18:00:00Z", "2026-12-11T18:00:00.5Z", "2026-12-11T18:00:00,25Z"),
    *("2026-12-11T18:00:00+02:00", "2026-12-11T18:00:00-05:30", "2026-12-11T18:00:00+00:00"),
    *("2026-12-11T18:00:00", "2026-12-11 18:00:00", "2026-12-11  18:00:00.123456789", "2026-12-11"),
    *(
        "2026-1-5",
        "2026-1-5T1:2:3Z",
        "2026-02-29",
        "2026-02-30",
        "2024-02-29",
        "2026-13-01",
        "2026-12-32",
        "20261-01-01",
    ),
    *("2026-12-11T24:00:00Z", "2026-12-11T18:60:00Z", "2026-12-11T18:00:60Z", "2026-12-11T18:00:00z"),
    *("2026-12-11T18:00:00+0200", "2026-12-11 18:00:00 +02:00", "0000-01-01", "2001-12-14 21:59:43.10 -5"),
    # text that looks like something else
    *("<<", "=", "-", "+", ".", "..", "x:y", "a b", "10.0.0.0/22", "v1:abc", "1.35", "r6i.4xlarge", "50Gi"),
    *("0 2 * * 7", "@daily", "us-west-2", "123e4567", "1_2_3", "0x1p-2", "\u0661\u0662", "\uff11\uff12", "\u00b2"),
]
QUOTED = ["no", "22:30", "0x1F", "012345678901", "2026-12-11T18:00:00Z", "~", "", ".inf", "true", "1.0", "<<"]

FILES = [
    # duplicates, namespaces, keys
    "config:\n  a: 1\n  a: 2\n",
    "config:\n  a: 1\n  'a': 2\n",
    'config:\n  "1": x\n  1: y\n',
    "config:\n  a: {b: 1, b: 2}\n",
    "config:\n  a: [{b: 1, b: 2}]\n",
    "config:\n  a: 1\nconfig:\n  b: 2\n",
    "config:\n  accountId: '1'\n  clickhouse-byoc:accountId: '2'\n",
    "config:\n  a:b:c: 1\n",
    "config:\n  p:config:q: 1\n",
    "config:\n  :x: 1\n",
    "config:\n  1: x\n",
    "config:\n  true: x\n  a: 1\n",
    "config:\n  ~: x\n",
    "1: x\nconfig: {}\n",
    "config:\n  a: {1: x, true: y, ~: z, 1.5: w, 2026-12-11: v, 0x10: u}\n",
    "config:\n  a: {1: x, true: y}\n",
    "config:\n  a: {? [1, 2] : x}\n",
    "config:\n  a: {? {b: 1} : x}\n",
    # shapes of the document and of config
    "",
    "# only a comment\n",
    "config:\n",
    "config: ~\n",
    "config: []\n",
    "config: [a]\n",
    "config: x\n",
    "config: ''\n",
    "- a\n- b\n",
    "just text\n",
    "secretsprovider: [x]\nconfig: {}\n",
    "encryptionsalt: 12\nconfig:\n  a: 1\n",
    "config:\n  a: 1\nenvironment:\n  - env\n",
    # null values
    "config:\n  a:\n  b: null\n  c: ~\n  d: {e: null, f: ~, g: }\n  h: [null, ~]\n",
    # secrets
    "config:\n  a:\n    secure: v1:abc\n",
    "config:\n  a: {secure: 1}\n",
    "config:\n  a: {secure: v1:abc, other: 1}\n",
    "config:\n  a: {b: {secure: v1:abc}, c: [{secure: v1:def}]}\n",
    "config:\n  a: {secure: [v1:abc]}\n",
    "config:\n  a: {secure: ~}\n",
    "config:\n  a: {secure: {secure: v1:abc}}\n",
    # anchors, aliases, merges
    "config:\n  a: &x [1, 2]\n  b: *x\n",
    "config:\n  a: &x {p: 1, q: 2}\n  b: {<<: *x, q: 3}\n",
    "config:\n  a: {<<: [{p: 1}, {p: 2, q: 2}], r: 3}\n",
    "config:\n  a: {'<<': {p: 1}}\n",
    "config:\n  a: {'<<': 1}\n",
    "config:\n  a: {<<: 1}\n",
    "config:\n  a: {<<: []}\n",
    "config:\n  a: {<<: {p: 1}, <<: {q: 2}}\n",
    "config:\n  a: &x [1, *x]\n",
    "config:\n  a: *nothing\n",
    "base: &b\n  x: 1\nconfig:\n  a: *b\n",
    "config:\n  a: &x 5\n  b: *x\n  c: &x 6\n  d: *x\n",
    # explicit tags
    'config:\n  a: !!int "12"\n',
    "config:\n  a: !!int abc\n",
    "config:\n  a: !!str 12\n",
    "config:\n  a: !!float 1\n",
    "config:\n  a: !!bool yes\n",
    "config:\n  a: !!timestamp 2026-12-11\n",
    "config:\n  a: !!null ''\n",
    "config:\n  a: !foo 12\n",
    "config:\n  a: ! 12\n",
    'config:\n  a: ! "12"\n',
    "config:\n  a: !!binary aGVsbG8=\n",
    "config:\n  a: !!binary 'not base64!'\n",
    "config:\n  a: !!binary /w==\n",
    "config:\n  a: !!set {x: ~}\n",
    # strings with line breaks (the CLI writes them back as literal blocks)
    "config:\n  a: |\n    line one\n    line two\n",
    "config:\n  a: |\n\n    x\n",
    "config:\n  a: >-\n    a\n    b\n",
    'config:\n  a: "\\nx"\n  b: {c: "\\n\\nx"}\n',
    'config:\n  a: "\\nx"\n',
    'config:\n  a: "\\tx\\ny"\n',
    'config:\n  a: "x \\ny"\n',
    'config:\n  a: "\\n"\n',
    # quoting and escapes
    "config:\n  a: 'it''s'\n",
    'config:\n  a: "\\u00e9\\t\\x41"\n',
    'config:\n  a: "x\\\'y"\n',
    'config:\n  a: "x\\/y"\n',
    "config:\n  a: {k: https://example.com/x?y=1}\n",
    "config:\n  a: https://example.com/x?y=1\n",
    "config:\n  a: [a:b, 'c:d']\n",
    # tabs and indentation
    "config:\n  a:\tb\n",
    "config:\n\ta: b\n",
    "config:\n  a:\tb\n  b:\n\tc: 1\n",
    "config:\n  a: b\t# c\n",
    "config:\n  a: {b:\tc}\n",
    "config:\n  a: |\n  \tx\n",
    "config:\n  a: 1\n b: 2\n",
    "config:\n  a: [1, 2\n",
    "config:\n  a: 'x\n",
    "config:\n  a: b: c\n",
    # more than one document
    "config:\n  a: 1\n---\nconfig:\n  a: 2\n",
    "config:\n  a: 1\n---\nfoo: [\n",
    "config:\n  a: 1\n---  b: c\n",
    "config:\n  a: 1\n...\n",
    "---\nconfig:\n  a: 1\n",
    "%YAML 1.1\n---\nconfig:\n  a: yes\n",
    # bytes
    "\ufeffconfig:\n  a: 1\n",
    "config:\n  a: x\x00y\n",
    "config:\n  a: x\x07\n",
    "config:\n  a: \x85x\n",
]


def _random_scalar(r: random.Random) -> str:
    kind = r.random()
    if kind < 0.35:
        sign = r.choice(["", "", "+", "-"])
        prefix = r.choice(["", "", "", "0", "0x", "0o", "0b"])
        digits = "".join(r.choice("0123456789_abcdef") for _ in range(r.randint(1, 6)))
        frac = r.choice(["", "", "." + "".join(r.choice("0123456789") for _ in range(r.randint(0, 3)))])
        exp = r.choice(["", "", "e" + r.choice(["", "+", "-"]) + str(r.randint(0, 30))])
        return sign + prefix + digits + frac + exp
    if kind < 0.7:
        date = f"{r.choice(['2026', '2024', '0001'])}-{r.randint(0, 13)}-{r.randint(0, 32)}"
        if r.random() < 0.7:
            date += f"{r.choice(['T', 't', ' '])}{r.randint(0, 25)}:{r.randint(0, 61)}:{r.randint(0, 61)}"
            if r.random() < 0.5:
                date += r.choice([".", ","]) + str(r.randint(0, 999999999))
            date += r.choice(["", "Z", "+01:00", "-11:30", "+00:00", "z", "+1"])
        return date
    return r.choice(["yes", "no", "on", "~", "<<", "a", "x:y", ".inf", "1:2", "1:2:3"])


def _random_files(count: int) -> list[str]:
    r = random.Random(18)
    files = []
    for _ in range(count):
        lines = ["config:"]
        for i in range(r.randint(1, 3)):
            scalar = _random_scalar(r)
            place = r.random()
            if place < 0.4:
                lines.append(f"  k{i}: {scalar}")
            elif place < 0.7:
                lines.append(f"  k{i}: {{v: {scalar}}}")
            else:
                lines.append(f"  k{i}: [{scalar}]")
        files.append("\n".join(lines) + "\n")
    return files


def inputs() -> list[str]:
    docs = []
    for s in SCALARS:
        docs += [f"config:\n  a: {s}\n", f"config:\n  a:\n    b: {s}\n", f"config:\n  a: [{s}]\n"]
    for s in QUOTED:
        docs += [f"config:\n  a: '{s}'\n", f'config:\n  a: {{b: "{s}"}}\n']
    return docs + FILES + _random_files(300)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--merge"]:
        with open(sys.argv[2]) as f:
            texts = json.load(f)
        with open(sys.argv[3]) as f:
            outputs = json.load(f)
        cases = [
            {"file": t, **{k: v for k, v in o.items() if k != "v2"}, "yaml.v2": o.get("v2")}
            for t, o in zip(texts, outputs, strict=True)
        ]
        json.dump(cases, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        json.dump(inputs(), sys.stdout)
