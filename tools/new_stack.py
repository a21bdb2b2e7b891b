"""New stack wizard: writes a valid `Pulumi.<stack>.yaml` for a new customer account and region.

    venv/bin/python -m tools.new_stack             # asks, with defaults and explanations
    venv/bin/python -m tools.new_stack --non-interactive --stack acme-prod-usw2 --account 111122223333 \\
        --region us-west-2 --deployment-id acme-prod --vpc-cidr 10.8.0.0/22 --zone-name byoc.acme.example

It asks for (or takes as flags) the account, the region (from the supported list), the deployment
id (refused when it equals, is a prefix of, or has as a prefix another stack's id in the same
account: names and IAM conditions match on that prefix), the VPC range (it proposes one that
overlaps no other stack of the account and no peering anywhere in the repository, and refuses a
given one that does, naming the conflict), the zones (written down, so a zone AWS adds to the
region later never moves the subnets), DNS, who may reach the Kubernetes API and the services, and
a first service. Everything else keeps the project defaults.

The answers are checked by the program's own settings validation and then by the offline synth
and the policy pack; the file is written only when all of that passes. The vendor's external id is
a secret and is never written by the wizard: it prints the `pulumi config set --secret` command.
Exit 0 written; 2 invalid answers (one line per problem); 1 the synth or policy check failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import re
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from components import cidr, naming
from components.settings import ConfigError, parse
from components.settings import secrets as required_secrets
from components.settings.patterns import ACCOUNT_RE
from tools import stackconfig, stackyaml
from tools.projectconfig import ProjectConfigError

NS = "clickhouse-byoc"
EXIT_INVALID, EXIT_CHECK = 2, 1
# AWS commercial regions with EKS, NLBs and the default instance types in at least three zones;
# the price table (tools/data/aws_prices.json) covers the first four.
SUPPORTED_REGIONS = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "us-east-2",
    "eu-west-2",
    "eu-north-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ap-south-1",
    "ca-central-1",
)
# pulumi/pulumi sdk/go/common/tokens/names.go NameRegexpPattern: what a stack name may hold.
STACK_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+\Z", re.ASCII)
PROPOSAL_PREFIX = 22  # the reference advises /22 or larger
PROPOSAL_POOL = ipaddress.ip_network("10.0.0.0/8")


@dataclass(frozen=True)
class Existing:
    """What the wizard must not clash with: one stack file of the repository."""

    stack: str
    account: str
    deployment_id: str
    ranges: tuple[tuple[str, ipaddress.IPv4Network], ...]
    """(what, network): the stack's vpcCidr and podCidr."""
    peerings: tuple[tuple[str, ipaddress.IPv4Network], ...]
    """(what, network): its peerings' ranges."""


def _decoded(raw: dict[str, str], key: str) -> Any:
    text = raw.get(f"{NS}:{key}")
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def existing_stacks(root: Path, warn: Callable[[str], None] | None = None) -> list[Existing]:
    """The repository's stacks; one the Pulumi CLI could not read is left out, with a warning
    (its account, id and ranges are then not checked against)."""
    out = []
    for path in sorted(root.glob("Pulumi.*.yaml")):
        try:
            cfg = stackconfig.load(path, project_file=root / "Pulumi.yaml")
        except (OSError, ValueError) as exc:
            problems = exc.problems if isinstance(exc, ProjectConfigError) else [f"{path.name}: {exc}"]
            if warn:
                warn(f"warning: {problems[0]} (left out of the clash checks)\n")
            continue
        raw = dict(cfg.raw)
        deployment = raw.get(f"{NS}:deploymentId") or naming.deployment_id_from_stack(cfg.stack)
        ranges = []
        for key in ("vpcCidr", "podCidr"):
            net = cidr.parse_network(raw.get(f"{NS}:{key}", "")) if raw.get(f"{NS}:{key}") else None
            if net:
                ranges.append((f"stack {cfg.stack}'s {key} {net}", net))
        peerings = []
        for item in _decoded(raw, "peerings") or []:
            net = cidr.parse_network(item.get("cidr", "")) if isinstance(item, dict) else None
            if net:
                peerings.append((f"stack {cfg.stack}'s peering {item.get('name', '?')} {net}", net))
        out.append(Existing(cfg.stack, raw.get(f"{NS}:accountId", ""), deployment, tuple(ranges), tuple(peerings)))
    return out


def deployment_id_problem(value: str, account: str, stacks: Sequence[Existing]) -> str | None:
    if not naming.DEPLOYMENT_ID_RE.match(value):
        return (
            "not a deployment id; use 3-20 lowercase letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    for other in stacks:
        if other.account != account:
            continue
        theirs = other.deployment_id
        if value == theirs:
            how = "is the id of"
        elif theirs.startswith(value):
            how = "is a prefix of the id of"
        elif value.startswith(theirs):
            how = "starts with the id of"
        else:
            continue
        return (
            f"{how} stack {other.stack} ({theirs}) in account {account}; names and IAM conditions match on this "
            "prefix, so choose an id that is neither a prefix of nor prefixed by another in the account"
        )
    return None


def taken_ranges(account: str, stacks: Sequence[Existing]) -> list[tuple[str, ipaddress.IPv4Network]]:
    """Ranges a new VPC of `account` must not overlap: the account's stacks, and every peering."""
    taken = []
    for other in stacks:
        if other.account == account:
            taken += other.ranges
        taken += other.peerings
    return taken


def vpc_cidr_problem(value: str, account: str, stacks: Sequence[Existing]) -> str | None:
    problem = cidr.vpc_cidr_problem(value)
    if problem:
        return problem
    net = ipaddress.ip_network(value)
    for what, other in taken_ranges(account, stacks):
        if net.overlaps(other):
            return f"overlaps {what}; choose a range that overlaps no other network of the account"
    return None


def propose_vpc_cidr(account: str, stacks: Sequence[Existing]) -> str:
    """The first /22 of 10.0.0.0/8 that overlaps nothing taken."""
    taken = [n for _, n in taken_ranges(account, stacks)]
    for candidate in PROPOSAL_POOL.subnets(new_prefix=PROPOSAL_PREFIX):
        if not any(candidate.overlaps(t) for t in taken):
            return str(candidate)
    raise ValueError("10.0.0.0/8 is full")


# --- The questions -------------------------------------------------------------------------------


@dataclass
class Answers:
    """Everything the wizard writes."""

    stack: str = ""
    account: str = ""
    region: str = ""
    deployment_id: str = ""
    vpc_cidr: str = ""
    zones: list[str] = dataclasses.field(default_factory=list)
    zone_name: str = ""
    hosted_zone_id: str = ""
    api_cidrs: list[str] = dataclasses.field(default_factory=list)
    allow_cidrs: list[str] = dataclasses.field(default_factory=list)
    service: str = ""

    def config(self) -> dict[str, Any]:
        """The stack file's `config:` map (secure defaults for everything not asked)."""
        c: dict[str, Any] = {
            "aws:region": self.region,
            f"{NS}:accountId": self.account,
            f"{NS}:deploymentId": self.deployment_id,
            f"{NS}:vpcCidr": self.vpc_cidr,
            f"{NS}:availabilityZones": list(self.zones),
            f"{NS}:dns": {"zoneName": self.zone_name, "hostedZoneId": self.hosted_zone_id}
            if self.hosted_zone_id
            else {"zoneName": self.zone_name, "createZone": True},
            f"{NS}:clusterEndpoint": {"public": True, "publicCidrs": list(self.api_cidrs)}
            if self.api_cidrs
            else {"public": False},
        }
        if self.allow_cidrs:
            c[f"{NS}:ipAllowList"] = list(self.allow_cidrs)
        else:
            c[f"{NS}:publicEndpoint"] = {"enabled": False}
        if self.service:
            c[f"{NS}:services"] = [{"name": self.service}]
        return c


def _cidr_list(text: str) -> list[str]:
    return [p.strip() for p in text.replace(",", " ").split() if p.strip()]


Question = tuple[str, str, str, Callable[[str, Answers], str | None], Callable[[Answers], str]]
"""(field, prompt, explanation, problem(value, answers) -> str | None, default(answers))."""


def questions(stacks: Sequence[Existing], root: Path) -> list[Question]:
    def stack_problem(v: str, a: Answers) -> str | None:
        if not STACK_NAME_RE.match(v):
            return "not a stack name; use letters, digits, hyphens, dots and underscores"
        if (root / f"Pulumi.{v}.yaml").exists():
            return f"Pulumi.{v}.yaml exists already; choose another name"
        return None

    def account_problem(v: str, a: Answers) -> str | None:
        return None if ACCOUNT_RE.match(v) else "not a 12-digit AWS account id"

    def region_problem(v: str, a: Answers) -> str | None:
        return None if v in SUPPORTED_REGIONS else f"not a supported region; use one of {', '.join(SUPPORTED_REGIONS)}"

    def zones_problem(v: str, a: Answers) -> str | None:
        zones = _cidr_list(v)
        if (
            len(zones) != 3
            or len(set(zones)) != 3
            or any(not (z.startswith(a.region) and len(z) == len(a.region) + 1) for z in zones)
        ):
            return f"give exactly 3 distinct zones of {a.region}, e.g. {a.region}a {a.region}b {a.region}c"
        return None

    def zone_name_problem(v: str, a: Answers) -> str | None:
        from components.settings import DNS_NAME_RE

        return None if DNS_NAME_RE.match(v) else "not a DNS zone name; use lowercase labels such as byoc.example.com"

    def zone_id_problem(v: str, a: Answers) -> str | None:
        from components.settings import ZONE_ID_RE

        return None if not v or ZONE_ID_RE.match(v) else "not a Route 53 hosted zone id (Z...)"

    def cidrs_problem(v: str, a: Answers) -> str | None:
        bad = [c for c in _cidr_list(v) if cidr.parse_network(c) is None]
        return f"not IPv4 CIDRs: {', '.join(bad)}" if bad else None

    def service_problem(v: str, a: Answers) -> str | None:
        from components.settings import SERVICE_NAME_RE

        return None if not v or SERVICE_NAME_RE.match(v) else "not a service name; a lowercase DNS label of 1-30 chars"

    return [
        (
            "stack",
            "Stack name",
            "One stack per (customer account, region), e.g. acme-prod-usw2.",
            stack_problem,
            lambda a: "",
        ),
        (
            "account",
            "AWS account id",
            "The customer account; pulumi refuses credentials for any other.",
            account_problem,
            lambda a: "",
        ),
        ("region", "Region", f"Supported: {', '.join(SUPPORTED_REGIONS)}.", region_problem, lambda a: "us-west-2"),
        (
            "deployment_id",
            "Deployment id",
            "In every name (ClickHouse-cloud-<id>-...); unique in the account, and no prefix of another.",
            lambda v, a: deployment_id_problem(v, a.account, stacks),
            lambda a: naming.deployment_id_from_stack(a.stack),
        ),
        (
            "vpc_cidr",
            "VPC CIDR",
            "A /16-/23 private range (/22 advised) that overlaps no other network of the account and no peering.",
            lambda v, a: vpc_cidr_problem(v, a.account, stacks),
            lambda a: propose_vpc_cidr(a.account, stacks),
        ),
        (
            "zones",
            "Availability zones",
            "Three zones, written down so the subnets never move. Check they offer your instance types (preflight).",
            zones_problem,
            lambda a: " ".join(f"{a.region}{x}" for x in "abc"),
        ),
        ("zone_name", "DNS zone", "Services are published as <service>.<zone>.", zone_name_problem, lambda a: ""),
        (
            "hosted_zone_id",
            "Existing hosted zone id",
            "Empty: the stack creates the zone (delegate it from its parent afterwards).",
            zone_id_problem,
            lambda a: "",
        ),
        (
            "api_cidrs",
            "Kubernetes API CIDRs",
            "Where pulumi runs from (CI runners, VPN). Empty: private API endpoint only.",
            cidrs_problem,
            lambda a: "",
        ),
        (
            "allow_cidrs",
            "Client CIDRs",
            "Who may reach the services' public endpoint. Empty: no public endpoint (private only).",
            cidrs_problem,
            lambda a: "",
        ),
        (
            "service",
            "First ClickHouse service",
            "A name such as analytics; empty for none yet.",
            service_problem,
            lambda a: "",
        ),
    ]


def _store(answers: Answers, name: str, value: str) -> None:
    if name in ("zones", "api_cidrs", "allow_cidrs"):
        setattr(answers, name, _cidr_list(value))
    else:
        setattr(answers, name, value.strip())


def ask(
    stacks: Sequence[Existing],
    root: Path,
    read: Callable[[str], str],
    out: TextIO,
    given: dict[str, str | None] | None = None,
) -> Answers:
    """Interactive: one question at a time, the default (or the flag given) in brackets, asked
    again until valid."""
    answers = Answers()
    for name, prompt, explanation, problem, default in questions(stacks, root):
        proposed = (given or {}).get(name) or default(answers)
        out.write(f"\n{explanation}\n")
        while True:
            value = read(f"{prompt}{f' [{proposed}]' if proposed else ''}: ").strip() or proposed
            why = problem(value, answers)
            if why is None:
                _store(answers, name, value)
                break
            out.write(f"  {value or '(empty)'}: {why}\n")
    return answers


def from_flags(args: argparse.Namespace, stacks: Sequence[Existing], root: Path) -> tuple[Answers, list[str]]:
    """Non-interactive: every flag checked, every problem reported; defaults for the rest."""
    answers = Answers()
    problems = []
    given = flag_values(args)
    flag = {k: "--" + k.replace("_", "-") for k in given} | {
        "zones": "--zones",
        "api_cidrs": "--api-cidr",
        "allow_cidrs": "--allow-cidr",
    }
    for name, _prompt, _explanation, problem, default in questions(stacks, root):
        derived = given[name] is None
        value = default(answers) if derived else given[name]
        why = problem(value, answers)
        if why is not None and name == "deployment_id" and derived:
            # Derived from --stack: name the flag the user wrote, once.
            if not any(p.startswith("--stack:") for p in problems):
                problems.append(
                    f"--stack: {answers.stack}: the deployment id derived from it, {value or '(empty)'}, "
                    f"{why.split('; ')[0]}; pass --deployment-id"
                )
        elif why is not None:
            problems.append(f"{flag[name]}: {value or '(not set)'}: {why}")
        _store(answers, name, value)
    return answers, problems


def flag_values(args: argparse.Namespace) -> dict[str, str | None]:
    """The answers given as flags, by question (None: not given)."""
    return {
        "stack": args.stack,
        "account": args.account,
        "region": args.region,
        "deployment_id": args.deployment_id,
        "vpc_cidr": args.vpc_cidr,
        "zones": " ".join(args.zones) if args.zones else None,
        "zone_name": args.zone_name,
        "hosted_zone_id": args.hosted_zone_id,
        "api_cidrs": " ".join(args.api_cidr) if args.api_cidr else None,
        "allow_cidrs": " ".join(args.allow_cidr) if args.allow_cidr else None,
        "service": args.service,
    }


# --- Validate, synth, policy check, write -----------------------------------------------------------


def check(answers: Answers, root: Path, out: TextIO) -> int:
    """The program's own validation, the offline synth and the policy pack over the file's text,
    read back through the same loader the synth uses, before it is written."""
    from tools import policy_check, synth

    path = root / f"Pulumi.{answers.stack}.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        pending = Path(tmp) / path.name
        pending.write_text(render(answers))
        try:
            cfg = stackconfig.load(pending, project_file=root / "Pulumi.yaml", stack=answers.stack)
        except ProjectConfigError as exc:
            out.write("\n".join(exc.problems) + "\n")
            return EXIT_INVALID
    # The external id is set after `pulumi stack init`, with --secret: validate with the stand-in
    # every offline tool uses until then.
    cfg, _still_to_set = stackconfig.offline(cfg)
    secret = frozenset(k.split(":", 1)[1] for k in cfg.secret_keys if k.startswith(f"{NS}:"))
    try:
        settings = parse(cfg.raw, answers.stack, secret)
        result = synth.synthesize(cfg)
    except ConfigError as exc:
        out.write("\n".join(exc.problems) + "\n")
        return EXIT_INVALID
    out.write(f"synth: {len(result.resources)} resources\n")
    if policy_check.report(result.resources, out=out) != 0:
        out.write(f"not written: {path.name} would violate a mandatory policy\n")
        return EXIT_CHECK
    for warning in settings.warnings:
        out.write(f"warning: {warning}\n")
    return 0


def render(answers: Answers) -> str:
    head = (
        f"# {answers.stack}: ClickHouse BYOC in account {answers.account}, {answers.region}.\n"
        "# Written by `venv/bin/python -m tools.new_stack`. Set the vendor's external id as a secret\n"
        "# (after `pulumi stack init`; the command asks for the value):\n"
        f"#   {EXTERNAL_ID.set_command(answers.stack)}\n"
    )
    return head + yaml.dump(
        {"config": answers.config()}, Dumper=_StackDumper, sort_keys=False, default_flow_style=False
    )


class _StackDumper(yaml.SafeDumper):
    """PyYAML's writer, quoting every string the Pulumi CLI's YAML (yaml.v3) would read as
    something else: `012345678901` unquoted is the number 12345678901 there."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None if stackyaml.resolve("", value)[0] == stackyaml.STR else "'"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_StackDumper.add_representer(str, _represent_str)


EXTERNAL_ID = next(s for s in required_secrets.REQUIRED_SECRETS if s.path == "clickhouseCloud.externalId")

EPILOG = f"""\
Without --non-interactive the wizard asks for each value, proposing the flags given as answers.
With it, --stack, --account and --zone-name are required; every other flag has the default shown.
--api-cidr and --allow-cidr repeat, one CIDR each; --zones takes exactly three zones.

exit codes:
  0  Pulumi.<stack>.yaml written; the next steps are printed
  1  the offline synth or the policy pack refused the stack (nothing written)
  2  invalid answers or flags (one line per problem; nothing written)

examples:
  venv/bin/python -m tools.new_stack
  venv/bin/python -m tools.new_stack --non-interactive --stack acme-prod-usw2 --account 111122223333 \\
      --zone-name byoc.acme.example --api-cidr 198.51.100.0/24 --allow-cidr 203.0.113.0/24 \\
      --allow-cidr 192.0.2.0/24 --service analytics

supported regions:
  {textwrap.fill(", ".join(SUPPORTED_REGIONS), 96, subsequent_indent="  ")}
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venv/bin/python -m tools.new_stack",
        description=__doc__.split("\n")[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--non-interactive", action="store_true", help="take everything from flags; ask nothing")
    parser.add_argument(
        "--stack",
        help="the stack name, one per (account, region): letters, digits, -, ., _ (required with --non-interactive)",
    )
    parser.add_argument("--account", help="the customer's 12-digit AWS account id (required with --non-interactive)")
    parser.add_argument("--region", help="one of the supported regions below (default: us-west-2)")
    parser.add_argument(
        "--deployment-id",
        help="the id in every name, unique in the account and no prefix of another (default: from the stack name)",
    )
    parser.add_argument(
        "--vpc-cidr",
        help="a /16-/23 private range overlapping no network of the account and no peering "
        "(default: the first free /22 of 10.0.0.0/8)",
    )
    parser.add_argument(
        "--zone-name",
        help="the DNS zone services are published in, e.g. byoc.acme.example (required with --non-interactive)",
    )
    parser.add_argument(
        "--hosted-zone-id", help="an existing public Route 53 zone of that name (default: the stack creates it)"
    )
    parser.add_argument(
        "--zones", nargs=3, metavar="ZONE", help="three zones of the region (default: <region>a <region>b <region>c)"
    )
    parser.add_argument(
        "--api-cidr",
        action="append",
        help="a CIDR that may reach the Kubernetes API; repeat for more (default: none, a private API endpoint)",
    )
    parser.add_argument(
        "--allow-cidr",
        action="append",
        help="a CIDR that may reach the services; repeat for more (default: none, no public endpoint)",
    )
    parser.add_argument("--service", help="the name of a first ClickHouse service (default: none)")
    return parser


def next_steps(answers: Answers) -> str:
    """What to run after the file is written, each line copy-pasteable from the repository root."""
    stack = answers.stack
    return (
        "next, from the repository root:\n"
        f"  venv/bin/python -m tools.preflight --stack {stack}   # with credentials for {answers.account}\n"
        f"  venv/bin/python -m tools.cost --stack {stack}\n"
        f"  venv/bin/python -m tools.plan --stack {stack} --first-deploy\n"
        f"  pulumi stack init {stack}\n"
        f"  {EXTERNAL_ID.set_command(stack)}   # asks for {EXTERNAL_ID.what}\n"
        f"  pulumi config set --stack {stack} --path --secret alerting.vendorWebhook   # asks for the vendor's alert "
        "webhook URL\n"
        f"then commit Pulumi.{stack}.yaml: the deploy workflow deploys it (or run `pulumi up --stack {stack}`)\n"
    )


def main(
    argv: Sequence[str] | None = None,
    read: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
    root: Path = stackconfig.ROOT,
) -> int:
    args = build_parser().parse_args(argv)

    stacks = existing_stacks(root, out.write)
    if args.non_interactive:
        answers, problems = from_flags(args, stacks, root)
        if problems:
            out.write("\n".join(problems) + "\n")
            return EXIT_INVALID
    else:
        try:
            answers = ask(stacks, root, read, out, flag_values(args))
        except EOFError:
            out.write("\nno answer; nothing written\n")
            return EXIT_INVALID
    code = check(answers, root, out)
    if code:
        return code
    path = root / f"Pulumi.{answers.stack}.yaml"
    path.write_text(render(answers))
    out.write(f"wrote {path.name}\n" + next_steps(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
