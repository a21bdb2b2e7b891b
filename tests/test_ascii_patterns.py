"""Identifiers match ASCII only, and a bad identifier is one line under the key the user wrote.

Python's `\\d`, `\\w` and `\\s` (and str.isdigit, str.isalnum) accept full-width digits, Cyrillic
letters and other look-alikes; AWS, Kubernetes and the Pulumi CLI refuse them (IAM names:
`[\\w+=,.@-]` in AWS's own, ASCII, regex; account ids: 12 digits 0-9). Every pattern the code
compiles is fed look-alikes of a valid example; every config key checked by one is fed a look-alike
through the program's own validation.
"""

from __future__ import annotations

import ast
import functools
import importlib
import io
import json
import re
from pathlib import Path

import pytest

from components.settings import ConfigError, parse
from tests.conftest import ROOT
from tools import new_stack, stackconfig

SOURCES = [p for base in ("components", "policies", "tools") for p in sorted((ROOT / base).rglob("*.py"))]
# The one pattern that is not ASCII-only, on purpose: AWS tags take letters and digits of any script
# ("letters, numbers, and spaces representable in UTF-8": AWS General Reference, tag naming rules).
UNICODE_BY_DESIGN = {"components.settings.TAG_CHARS_RE"}  # deployment.TAG_CHARS_RE, exported
# Regexes that read text the program or its tools produce, not identifiers a user writes.
NOT_IDENTIFIERS = {
    ("components/naming.py", r"[^a-z0-9-]+"): "rewrites a stack name into [a-z0-9-], whatever it holds",
    ("components/naming.py", r"-{2,}"): "collapses hyphens",
    ("components/backup.py", r'ch "([^"]+)"'): "reads the program's own backup script",
    ("components/settings/reader.py", r"[.\[]"): "splits a key path the program builds",
    ("tools/vendor_instance_types.py", r"^### `([a-z0-9.-]+)`$"): "reads vendored AWS documentation",
    ("tools/vendor_instance_types.py", r"^\s*\|([^|]+)\|([^|]*)\|$"): "reads vendored AWS documentation",
    ("tools/stackyaml/scalars.py", r"[0-9]{4}-"): "yaml.v3's own quick check, on YAML text",
    ("tools/stackyaml/goformat.py", r"e-0([0-9])\Z"): "formats a float",
    ("tools/stackyaml/values.py", "[ ][\n\u2028\u2029]"): "yaml.v3's emitter rule, on YAML text",
    ("tools/plan/compat.py", "'|'.join((re.escape(k) for k in keys))"): "finds the program's own ids in a record",
}
RE_CALLS = {"compile", "match", "fullmatch", "search", "findall", "finditer", "sub", "split"}
UNICODE_STR_METHODS = {"isdigit", "isalnum", "isalpha", "isdecimal", "isnumeric", "isidentifier"}


@functools.cache
def _nodes(path: Path) -> list[ast.AST]:
    return list(ast.walk(ast.parse(path.read_text())))


def _regex_calls():
    """(file, pattern text, flags source) of every re.<call>(literal pattern, ...) in the code."""
    for path in SOURCES:
        for node in _nodes(path):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in RE_CALLS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
            ):
                first = node.args[0] if node.args else None
                text = ast.unparse(first) if first is not None else ""
                if isinstance(first, ast.Constant):
                    text = first.value
                flags = " ".join(ast.unparse(a) for a in node.args[1:]) + " ".join(
                    ast.unparse(k) for k in node.keywords
                )
                yield str(path.relative_to(ROOT)), text, flags


def test_every_regex_in_the_code_is_ascii_only_or_says_why_not():
    offenders = []
    for path, text, flags in _regex_calls():
        if (path, text) in NOT_IDENTIFIERS or "TAG_CHARS_RE" in text:
            continue
        if "re.ASCII" in flags or "ascii_pattern" in text:
            continue
        if path.endswith("deployment.py") and r"[\w .:/=+\-@]*" in text:
            continue  # TAG_CHARS_RE, Unicode by design
        offenders.append((path, text))
    assert not offenders, offenders


def test_no_unicode_aware_str_method_checks_an_identifier():
    calls = []
    for path in SOURCES:
        for node in _nodes(path):
            if isinstance(node, ast.Attribute) and node.attr in UNICODE_STR_METHODS:
                calls.append((str(path.relative_to(ROOT)), node.lineno, node.attr))
    assert not calls, calls


def _compiled_patterns() -> dict[str, re.Pattern[str]]:
    found: dict[tuple[str, int], str] = {}
    patterns: dict[str, re.Pattern[str]] = {}
    for path in SOURCES:
        if path.parts[-2:] == ("policies", "__main__.py"):
            continue  # starts the policy pack's server
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for name, value in vars(importlib.import_module(module)).items():
            if isinstance(value, re.Pattern) and (value.pattern, value.flags) not in found:
                found[(value.pattern, value.flags)] = f"{module}.{name}"
                patterns[f"{module}.{name}"] = value
    return patterns


PATTERNS = _compiled_patterns()
# A valid example per pattern: what the look-alikes are made from.
VALID = {
    "components.maintenance_window.START_RE": "22:30",
    "components.naming.DEPLOYMENT_ID_RE": "acme-prod2",
    "components.quantity.QUANTITY_RE": "500m",
    "components.settings.ACCOUNT_RE": "123456789012",
    "components.settings.BACKUP_NAME_RE": "20260101T020000Z-full",
    "components.settings.CLICKHOUSE_VERSION_RE": "25.3.2",
    "components.settings.DNS_NAME_RE": "byoc.example.com",
    "components.settings.EXTERNAL_ID_RE": "byoc-ext-id_01",
    "components.settings.IAM_ROLE_NAME_RE": "ClickHouse-cloud-dev-management",
    "components.settings.INSTANCE_TYPE_RE": "r6i.4xlarge",
    "components.settings.PEERING_NAME_RE": "warehouse2",
    "components.settings.PRINCIPAL_PATTERN_RE": "arn:aws:iam::426924874929:role/*-CrossplaneWorkloadRole",
    "components.settings.REGION_RE": "us-west-2",
    "components.settings.S3_BUCKET_ARN_RE": "arn:aws:s3:::acme-billing-2",
    "components.settings.S3_PREFIX_RE": "billing/acme-2",
    "components.settings.SERVICE_NAME_RE": "analytics2",
    "components.settings.SQS_ARN_RE": "arn:aws:sqs:us-west-2:123456789012:state-queue",
    "components.settings.VPC_ID_RE": "vpc-0123456789abcdef0",
    "components.settings.ZONE_ID_RE": "Z0123456789ABCDEFGHIJ",
    "components.settings.network.ROLE_ARN_RE": "arn:aws:iam::123456789012:role/peer-accepter",
    "components.settings.network.ROUTE_TABLE_ID_RE": "rtb-0123456789abcdef0",
    "components.settings.observability.WEBHOOK_RE": "https://alerts.vendor.example/byoc/t2",
    "components.settings.private_link.PRINCIPAL_RE": "arn:aws:iam::123456789012:role/consumer",
    "components.settings.aws.ARN_PARTITION_RE": "arn:aws:",
    "components.settings.audit.TRAIL_NAME_RE": "org-trail",
    "components.settings.audit.TRAIL_ARN_RE": "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail",
    "components.settings.audit.EMAIL_RE": "security@example.com",
    "components.settings.reader.GO_TIME_RE": "2026-12-11 18:00:00 +0000 UTC",
    "policies.rules.iam._ACCOUNT_IN_ARN": "arn:aws:iam::123456789012:",
    "policies.rules.iam._SERVICE_WILDCARD": "sqs:*",
    "tools.new_stack.STACK_NAME_RE": "acme-prod.2",
    "tools.projectconfig._INTEGER": "+42",
    "tools.stackyaml.scalars._DOT_FLOAT": ".5e3",
    "tools.stackyaml.scalars._YAML_STYLE_FLOAT": "-1.5e3",
}

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}
SUPERSCRIPT = dict(zip("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079", strict=True))
CYRILLIC = dict(zip("aceopxyAMEKHOPTXB", "\u0430\u0441\u0435\u043e\u0440\u0445\u0443\u0410\u041c\u0415\u041a\u041d\u041e\u0420\u0422\u0425\u0412", strict=True))  # fmt: skip
FULL_WIDTH_LETTERS = {chr(c): chr(c - 0x41 + 0xFF21) for c in range(0x41, 0x5B)} | {
    chr(c): chr(c - 0x61 + 0xFF41) for c in range(0x61, 0x7B)
}
CASE_FOLDS = {"k": "\u212a", "K": "\u212a", "s": "\u017f"}  # Kelvin sign, long s: IGNORECASE folds them to ASCII


def _swap_one(text: str, table: dict[str, str]) -> str | None:
    for i, c in enumerate(text):
        if c in table:
            return text[:i] + table[c] + text[i + 1 :]
    return None


def look_alikes(valid: str) -> dict[str, str]:
    out = {
        "full-width digit": _swap_one(valid, FULL_WIDTH),
        "Arabic-Indic digit": _swap_one(valid, ARABIC_INDIC),
        "superscript digit": _swap_one(valid, SUPERSCRIPT),
        "Cyrillic letter": _swap_one(valid, CYRILLIC),
        "full-width letter": _swap_one(valid, FULL_WIDTH_LETTERS),
        "case-folding letter": _swap_one(valid, CASE_FOLDS),
        "zero-width joiner": valid[: len(valid) // 2] + "\u200d" + valid[len(valid) // 2 :],
        "trailing line break": valid + "\n",
    }
    return {k: v for k, v in out.items() if v is not None}


def test_every_compiled_pattern_has_a_valid_example():
    assert set(PATTERNS) - UNICODE_BY_DESIGN == set(VALID)


@pytest.mark.parametrize("name", sorted(VALID))
def test_each_pattern_takes_its_example_and_refuses_every_look_alike(name):
    pattern = PATTERNS[name]
    prefix_only = not pattern.pattern.endswith(("\\Z", ")\\Z"))
    assert pattern.match(VALID[name])
    accepted = {}
    for kind, text in look_alikes(VALID[name]).items():
        m = pattern.match(text)
        if m and (not prefix_only or m.group(0) != VALID[name]):
            accepted[kind] = text
    assert not accepted, accepted
    assert len(look_alikes(VALID[name])) >= 3


def test_the_tag_pattern_takes_any_script_as_aws_does_but_no_line_break():
    from components.settings.deployment import TAG_CHARS_RE

    assert TAG_CHARS_RE.match("équipe données 2") and TAG_CHARS_RE.match("команда")
    assert not TAG_CHARS_RE.match("team\n") and not TAG_CHARS_RE.match("team\u200d")


# --- Through the program: one line under the key the user wrote ----------------------------------

DEV = stackconfig.load_stack("dev")


def _with(changes: dict[str, object]) -> dict[str, str]:
    raw = dict(DEV.raw)
    for key, value in changes.items():
        full = key if ":" in key else f"clickhouse-byoc:{key}"
        raw[full] = value if isinstance(value, str) else json.dumps(value)
    return raw


SERVICE = {"name": "analytics", "replicas": 2, "cpu": "2", "memory": "8Gi", "cacheSize": "50Gi"}
LOOK_ALIKE_KEYS = [
    # (key the user wrote, changes to the dev stack)
    ("accountId", {"accountId": "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12"}),
    ("accountId", {"accountId": "\u0661\u0662\u0663456789012"}),
    ("aws:region", {"aws:region": "us-w\u0435st-2"}),
    ("aws:region", {"aws:region": "us-west-\uff12"}),
    ("deploymentId", {"deploymentId": "d\u0435v"}),
    ("deploymentId", {"deploymentId": "dev\u00b2"}),
    ("deploymentId", {"deploymentId": "de\u200dv"}),
    ("bootstrap.roleName", {"bootstrap": {"mode": "full", "roleName": "ClickHouse-\u041canagement"}}),
    ("services[0].name", {"services": [{**SERVICE, "name": "an\u0430lytics"}]}),
    ("services[0].clickhouseVersion", {"services": [{**SERVICE, "clickhouseVersion": "\uff12\uff15.3"}]}),
    ("dns.zoneName", {"dns": {"zoneName": "byoc.ex\u0430mple.com", "createZone": True}}),
    ("dns.hostedZoneId", {"dns": {"zoneName": "byoc.example.com", "hostedZoneId": "Z\uff10123456789"}}),
    ("systemNodeGroup.instanceType", {"systemNodeGroup": {"instanceType": "m\uff15.xlarge", "size": 3}}),
    ("clickhouseNodes.instanceType", {"clickhouseNodes": {"instanceType": "r6i.4\u0445large", "maxSize": 5}}),
    ("clickhouseCloud.externalId", {"clickhouseCloud": {"externalId": "byoc\u200dexternal"}}),
    (
        "clickhouseCloud.accountId",
        {"clickhouseCloud": {"externalId": "byoc-ext", "accountId": "\u0664" + "26924874929"}},
    ),
    (
        "maintenanceWindow.start",
        {"maintenanceWindow": {"day": "Sunday", "start": "\uff12\uff12:30", "durationHours": 4, "timezone": "UTC"}},
    ),
]


@pytest.mark.parametrize("key, changes", LOOK_ALIKE_KEYS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(LOOK_ALIKE_KEYS)])
def test_a_look_alike_is_one_line_under_the_key_the_user_wrote(key, changes):
    with pytest.raises(ConfigError) as exc:
        parse(_with(changes), "dev", frozenset({"clickhouseCloud", "alerting"}))
    full = key if key.startswith("aws:") else f"clickhouse-byoc:{key}"
    assert len(exc.value.problems) == 1 and exc.value.problems[0].startswith(f"{full}: "), exc.value.problems


@pytest.mark.parametrize(
    "changes",
    [{"accountId": "12345"}, {"accountId": "123456789012\n"}, {"deploymentId": "X"}, {"deploymentId": "a" * 30}],
    ids=["short account", "account with a line break", "upper-case id", "30-character id"],
)
def test_an_invalid_account_id_or_deployment_id_is_exactly_one_line(changes):
    """Before: an invalid id also failed the checks of what derives from it (the default billing
    prefix, role name lengths), under keys the user never wrote."""
    with pytest.raises(ConfigError) as exc:
        parse(_with(changes), "dev", frozenset({"clickhouseCloud", "alerting"}))
    (key,) = changes
    assert len(exc.value.problems) == 1 and exc.value.problems[0].startswith(f"clickhouse-byoc:{key}: ")


def test_these_error_lines_are_exact():
    with pytest.raises(ConfigError) as exc:
        parse(_with({"accountId": "\uff11" * 12}), "dev", frozenset({"clickhouseCloud", "alerting"}))
    assert exc.value.problems == [
        "clickhouse-byoc:accountId: \uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11: "
        "not a 12-digit AWS account id; use the id `aws sts get-caller-identity` shows"
    ]
    raw = dict(DEV.raw)
    del raw["clickhouse-byoc:deploymentId"]
    with pytest.raises(ConfigError) as exc:
        parse(raw, "t1", frozenset({"clickhouseCloud", "alerting"}))
    assert exc.value.problems == [
        "clickhouse-byoc:deploymentId: (not set): cannot be derived from stack name 't1'; set it: use 3-20 "
        "lowercase letters, digits and hyphens, starting and ending with a letter or digit"
    ]


# --- The wizard ---------------------------------------------------------------------------------


def _wizard(tmp_path: Path, argv: list[str]) -> tuple[int, list[str]]:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    out = io.StringIO()
    code = new_stack.main(["--non-interactive", *argv], read=lambda _: "", out=out, root=tmp_path)
    return code, out.getvalue().splitlines()


def test_the_wizard_blames_stack_for_a_deployment_id_derived_from_it(tmp_path):
    code, lines = _wizard(tmp_path, ["--stack", "t1", "--account", "123456789012", "--zone-name", "byoc.acme.example"])
    assert code == 2
    assert lines == ["--stack: t1: the deployment id derived from it, t1, not a deployment id; pass --deployment-id"]


def test_the_wizard_refuses_look_alike_accounts_and_stack_names(tmp_path):
    code, lines = _wizard(
        tmp_path,
        [
            "--stack",
            "acme-\u043frod",
            "--account",
            "\uff11" * 12,
            "--deployment-id",
            "acme",
            "--zone-name",
            "byoc.acme.example",
        ],
    )
    assert code == 2
    assert lines == [
        "--stack: acme-\u043frod: not a stack name; use letters, digits, hyphens, dots and underscores",
        f"--account: {chr(0xFF11) * 12}: not a 12-digit AWS account id",
    ]
