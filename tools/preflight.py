"""Preflight: checks an AWS account can take a stack before the first `pulumi up`.

    venv/bin/python -m tools.preflight --stack acme-prod [--profile acme]

With credentials for the stack's account (the usual AWS environment, or `--profile`), read-only
calls check, one line each:
- the caller's account is the stack's `accountId`;
- service quotas leave room for what the stack creates: VPCs, Elastic IPs (one per NAT gateway),
  NAT gateways per zone, Network Load Balancers, EKS clusters, rules per security group (the
  largest group, and `awsQuotas.rulesPerSecurityGroup` against the account), and the On-Demand vCPUs of the
  instance families used (system nodes plus one ClickHouse node per server pod; the node groups'
  maximum is reported when the quota would stop the autoscaler short of it);
- every instance type is offered in every chosen zone;
- the hosted zone `dns.hostedZoneId` exists, is public and is `dns.zoneName` (or, with
  `dns.createZone`, that no zone of that name exists already);
- the trail: with `audit.trail.mode: reuse`, the named trail exists, is multi-Region and is logging
  (EventBridge receives CloudTrail's events, the vendor access alerts included, only from Regions
  where a trail logs); with `create`, a warning when the account already has a multi-Region trail
  (a second copy of management events is billed).

Without usable credentials (none, an unknown profile, an expired session) one `FAIL credentials`
line says what is wrong and how to provide them, and every check that needs the account is listed
as `skip`, with what it would have checked; no traceback. A required secret the stack does not set
yet (before `pulumi stack init`) is one `warn secrets` line; the checks run without it.

Exit 0 when every check passes, 1 when one fails, AWS refuses a call or there are no usable
credentials, 2 for invalid configuration. It needs `sts:GetCallerIdentity`, `servicequotas:GetServiceQuota`,
`servicequotas:GetAWSDefaultServiceQuota` and `ec2:Describe*`, `elasticloadbalancing:Describe*`,
`eks:ListClusters`, `route53:GetHostedZone`, `route53:ListHostedZonesByName`,
`cloudtrail:DescribeTrails`, `cloudtrail:GetTrailStatus` (`ReadOnlyAccess` covers them all).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from components.settings import NS, ConfigError, Settings, parse
from components.settings import quotas as sg_quotas
from components.settings import secrets as required_secrets
from tools import stackconfig
from tools.projectconfig import ProjectConfigError

EXIT_FAILED, EXIT_CONFIG = 1, 2

# (service code, quota code, what) of the Service Quotas API.
QUOTA_VPCS = ("vpc", "L-F678F1CE", "VPCs per Region")
QUOTA_NAT_PER_AZ = ("vpc", "L-FE5A380F", "NAT gateways per Availability Zone")
QUOTA_EIPS = ("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs")
QUOTA_NLBS = ("elasticloadbalancing", "L-69A177A2", "Network Load Balancers per Region")
QUOTA_EKS = ("eks", "L-1194D53C", "EKS clusters")
QUOTA_SG_RULES = ("vpc", "L-0EA8095F", "Inbound or outbound rules per security group")
# On-Demand vCPU quotas by instance family (the letters before the generation digit).
VCPU_QUOTAS = {
    **dict.fromkeys("acdhimrtz", ("ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) vCPUs")),
    "x": ("ec2", "L-7295265B", "Running On-Demand X vCPUs"),
    "g": ("ec2", "L-DB2E81BA", "Running On-Demand G and VT vCPUs"),
    "p": ("ec2", "L-417A185B", "Running On-Demand P vCPUs"),
}


@dataclass(frozen=True)
class Check:
    """One preflight result line."""

    name: str
    ok: bool
    detail: str
    warning: bool = False
    skipped: bool = False
    """Not run (no credentials, or another account's): `detail` says what it would have checked."""

    def line(self) -> str:
        status = "ok  " if self.ok and not self.warning else ("warn" if self.ok else "FAIL")
        status = "skip" if self.skipped else status
        return f"{status} {self.name}: {self.detail}"


@dataclass(frozen=True)
class Clients:
    """The boto3 clients preflight calls (tests pass stubbed ones)."""

    sts: Any
    quotas: Any
    ec2: Any
    elbv2: Any
    eks: Any
    route53: Any
    cloudtrail: Any = None

    @classmethod
    def from_session(cls, session: Any) -> Clients:
        return cls(
            sts=session.client("sts"),
            quotas=session.client("service-quotas"),
            ec2=session.client("ec2"),
            elbv2=session.client("elbv2"),
            eks=session.client("eks"),
            route53=session.client("route53"),
            cloudtrail=session.client("cloudtrail"),
        )


def quota_value(quotas: Any, service: str, code: str) -> float:
    """The account's applied quota, or AWS's default when none was ever applied."""
    try:
        return float(quotas.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"])
    except quotas.exceptions.NoSuchResourceException:
        return float(quotas.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"])


def _room(name: str, quota: tuple[str, str, str], limit: float, used: int, need: int) -> Check:
    ok = used + need <= limit
    detail = f"{quota[2]} ({quota[1]}): {used} used + {need} needed of {limit:g}"
    if not ok:
        detail += f"; ask for {used + need:g} or more in Service Quotas ({quota[0]} {quota[1]}) before deploying"
    return Check(name, ok, detail)


def family(instance_type: str) -> str:
    """`r6i.4xlarge` -> `r`, `inf2.xlarge` -> `inf` (the letters before the generation digit)."""
    head = instance_type.split(".")[0]
    letters = ""
    for ch in head:
        if ch in "0123456789":
            break
        letters += ch
    return letters


def zones_of(settings: Settings, ec2: Any) -> list[str]:
    """The stack's zones: configured, or the region's first three by name, whatever their current
    state (what components.providers.resolve_zones picks)."""
    if settings.network.availability_zones:
        return list(settings.network.availability_zones)
    found = ec2.describe_availability_zones(Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required"]}])[
        "AvailabilityZones"
    ]
    return sorted(z["ZoneName"] for z in found)[:3]


def check_account(settings: Settings, c: Clients) -> Check:
    identity = c.sts.get_caller_identity()
    account = identity["Account"]
    if account != settings.account_id:
        return Check(
            "account",
            False,
            f"the credentials are for {account} ({identity.get('Arn', '?')}), the stack's accountId is "
            f"{settings.account_id}; use credentials for {settings.account_id}",
        )
    return Check("account", True, f"{account} ({identity.get('Arn', '?')})")


def check_quotas(settings: Settings, c: Clients, zones: Sequence[str]) -> list[Check]:
    checks = []
    vpcs = len(c.ec2.describe_vpcs()["Vpcs"])
    checks.append(_room("quota vpcs", QUOTA_VPCS, quota_value(c.quotas, *QUOTA_VPCS[:2]), vpcs, 1))

    nats = 3 if settings.network.nat_gateways == "one-per-az" else 1
    eips = len(c.ec2.describe_addresses()["Addresses"])
    checks.append(_room("quota elastic-ips", QUOTA_EIPS, quota_value(c.quotas, *QUOTA_EIPS[:2]), eips, nats))

    live = c.ec2.describe_nat_gateways(Filters=[{"Name": "state", "Values": ["pending", "available"]}])["NatGateways"]
    subnets = sorted({n["SubnetId"] for n in live})
    zone_of = (
        {s["SubnetId"]: s["AvailabilityZone"] for s in c.ec2.describe_subnets(SubnetIds=subnets)["Subnets"]}
        if subnets
        else {}
    )
    per_zone = Counter(zone_of.get(n["SubnetId"], "?") for n in live)
    busiest = max((per_zone.get(z, 0) for z in zones), default=0)
    limit = quota_value(c.quotas, *QUOTA_NAT_PER_AZ[:2])
    checks.append(_room("quota nat-gateways", QUOTA_NAT_PER_AZ, limit, busiest, 1))

    nlbs = sum(1 for lb in c.elbv2.describe_load_balancers()["LoadBalancers"] if lb.get("Type") == "network")
    need = 2 if settings.clickhouse.public_gateway else 1
    checks.append(_room("quota nlbs", QUOTA_NLBS, quota_value(c.quotas, *QUOTA_NLBS[:2]), nlbs, need))

    clusters = len(c.eks.list_clusters()["clusters"])
    checks.append(_room("quota eks-clusters", QUOTA_EKS, quota_value(c.quotas, *QUOTA_EKS[:2]), clusters, 1))
    checks.append(check_security_group_rules(settings, quota_value(c.quotas, *QUOTA_SG_RULES[:2])))
    checks += check_vcpus(settings, c)
    return checks


def check_security_group_rules(settings: Settings, limit: float) -> Check:
    """The settings refused any group over `awsQuotas.rulesPerSecurityGroup`; that value must not be
    more than the account's quota."""
    claimed = settings.aws_quotas.rules_per_security_group
    needed = max(
        sg_quotas.largest_family(sg_quotas.public_group_rules(settings.clickhouse, settings.names)),
        len(sg_quotas.private_group_rules(settings.clickhouse, settings.network)),
    )
    detail = f"{QUOTA_SG_RULES[2]} ({QUOTA_SG_RULES[1]}): the largest group needs {needed} of {limit:g}"
    if claimed > limit:
        # Over the account's quota: a failure if this stack needs more; else a warning (the setting
        # would let a later change through that AWS then refuses).
        return Check(
            "quota security-group-rules",
            needed <= limit,
            f"{detail}; awsQuotas.rulesPerSecurityGroup says {claimed}, more than the account has: set it to "
            f"{limit:g}, or raise the quota in Service Quotas ({QUOTA_SG_RULES[0]} {QUOTA_SG_RULES[1]}) first",
            warning=True,
        )
    return Check("quota security-group-rules", needed <= limit, detail)


def check_vcpus(settings: Settings, c: Clients) -> list[Check]:
    cl = settings.cluster
    types = sorted({cl.system_instance_type, cl.clickhouse_instance_type})
    vcpus = {
        t["InstanceType"]: int(t["VCpuInfo"]["DefaultVCpus"])
        for t in c.ec2.describe_instance_types(InstanceTypes=types)["InstanceTypes"]
    }
    pods = sum(s.shards * s.replicas for s in settings.clickhouse.services if not s.stopped)
    need: Counter[tuple[str, str, str]] = Counter()
    most: Counter[tuple[str, str, str]] = Counter()
    checks = []
    for itype, now_nodes, max_nodes in (
        (cl.system_instance_type, 3 * cl.system_nodes_per_zone, 3 * cl.system_nodes_per_zone),
        (cl.clickhouse_instance_type, pods, 3 * cl.clickhouse_max_per_zone),
    ):
        quota = VCPU_QUOTAS.get(family(itype))
        if quota is None or itype not in vcpus:
            checks.append(
                Check(f"quota vcpus {itype}", False, f"no On-Demand vCPU quota known for {itype}; check it by hand")
            )
            continue
        need[quota] += now_nodes * vcpus[itype]
        most[quota] += max_nodes * vcpus[itype]
    if not need:
        return checks

    running = c.ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])
    running_types = Counter(i["InstanceType"] for r in running["Reservations"] for i in r["Instances"])
    unknown = sorted(set(running_types) - set(vcpus))
    if unknown:
        vcpus |= {
            t["InstanceType"]: int(t["VCpuInfo"]["DefaultVCpus"])
            for t in c.ec2.describe_instance_types(InstanceTypes=unknown)["InstanceTypes"]
        }
    for quota in sorted(need):
        used = sum(n * vcpus.get(t, 0) for t, n in running_types.items() if VCPU_QUOTAS.get(family(t)) == quota)
        limit = quota_value(c.quotas, quota[0], quota[1])
        check = _room(f"quota vcpus {quota[1]}", quota, limit, used, need[quota])
        checks.append(check)
        if check.ok and used + most[quota] > limit:
            checks.append(
                Check(
                    f"quota vcpus {quota[1]} at maximum scale",
                    True,
                    f"the node groups' maximum needs {most[quota]} vCPUs ({used} used, quota {limit:g}): the "
                    f"autoscaler will stop short of clickhouseNodes.maxSize; raise {quota[1]} to {used + most[quota]}",
                    warning=True,
                )
            )
    return checks


def check_offerings(settings: Settings, c: Clients, zones: Sequence[str]) -> list[Check]:
    types = sorted({settings.cluster.system_instance_type, settings.cluster.clickhouse_instance_type})
    offered = {
        (o["InstanceType"], o["Location"])
        for o in c.ec2.describe_instance_type_offerings(
            LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": types}, {"Name": "location", "Values": list(zones)}],
        )["InstanceTypeOfferings"]
    }
    checks = []
    for itype in types:
        missing = [z for z in zones if (itype, z) not in offered]
        if missing:
            checks.append(
                Check(
                    f"offering {itype}",
                    False,
                    f"not offered in {', '.join(missing)}; choose zones that offer it (availabilityZones) "
                    "or another instance type",
                )
            )
        else:
            checks.append(Check(f"offering {itype}", True, f"offered in {', '.join(zones)}"))
    return checks


def check_zone(settings: Settings, c: Clients) -> Check:
    name = settings.dns.zone_name
    if settings.dns.hosted_zone_id:
        zone_id = settings.dns.hosted_zone_id
        try:
            zone = c.route53.get_hosted_zone(Id=zone_id)["HostedZone"]
        except c.route53.exceptions.NoSuchHostedZone:
            return Check(
                "hosted zone", False, f"{zone_id} does not exist in {settings.account_id}; check dns.hostedZoneId"
            )
        if zone["Name"].rstrip(".") != name:
            return Check(
                "hosted zone", False, f"{zone_id} is {zone['Name']}, not {name}; fix dns.zoneName or dns.hostedZoneId"
            )
        if (zone.get("Config") or {}).get("PrivateZone"):
            return Check("hosted zone", False, f"{zone_id} is a private zone; certificates need a public one")
        return Check("hosted zone", True, f"{zone_id} is the public zone {name}")
    found = c.route53.list_hosted_zones_by_name(DNSName=name, MaxItems="1")["HostedZones"]
    same = [z for z in found if z["Name"].rstrip(".") == name and not (z.get("Config") or {}).get("PrivateZone")]
    if same:
        zid = same[0]["Id"].split("/")[-1]
        return Check(
            "hosted zone",
            True,
            f"a public zone {name} exists already ({zid}); set dns.hostedZoneId {zid} instead of dns.createZone, "
            "or delegate the new one",
            warning=True,
        )
    return Check("hosted zone", True, f"{name} will be created (dns.createZone); delegate it from its parent")


def check_trail(settings: Settings, c: Clients) -> list[Check]:
    """The trail the alerts rely on: the reused one must log in every Region; a created one should
    not duplicate an existing multi-Region trail."""
    audit = settings.audit
    if audit.trail_mode == "none" or c.cloudtrail is None:
        return []
    if audit.trail_mode == "reuse":
        name = audit.trail_name or ""
        found = c.cloudtrail.describe_trails(trailNameList=[name], includeShadowTrails=True)["trailList"]
        if not found:
            return [Check("trail", False, f"{name} not found in {settings.account_id}; check audit.trail.name")]
        trail = found[0]
        if not trail.get("IsMultiRegionTrail"):
            return [
                Check(
                    "trail",
                    False,
                    f"{name} logs only {trail.get('HomeRegion')}: the vendor access alerts need a multi-Region "
                    "trail; make it multi-Region, or set audit.trail.mode create",
                )
            ]
        if not c.cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"):
            return [
                Check("trail", False, f"{name} is not logging; start it (cloudtrail start-logging) or set mode create")
            ]
        return [Check("trail", True, f"{name} is multi-Region and logging")]
    ours = settings.names.aws("trail")
    trails = c.cloudtrail.describe_trails(includeShadowTrails=True)["trailList"]
    others = [t for t in trails if t.get("IsMultiRegionTrail") and t.get("Name") != ours]
    if others:
        other = others[0]
        return [
            Check(
                "trail",
                True,
                f"the account has the multi-Region trail {other['Name']} already; a second copy of management "
                f"events is billed: set audit.trail {{mode: reuse, name: {other['TrailARN']}}}",
                warning=True,
            )
        ]
    return [Check("trail", True, f"{ours} will be created (multi-Region)")]


# --- Credentials: what is wrong with them, how to provide them, what was skipped ------------------

# STS error codes that mean the credentials themselves are unusable (not a missing permission).
CREDENTIAL_ERROR_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidToken",
    }
)


def how_to_provide(account: str, profile: str | None) -> str:
    """How to give preflight credentials for `account`, in one sentence."""
    named = profile or "<profile>"
    return (
        f"give it credentials for account {account} (read-only suffices): a profile "
        f"(`aws configure sso --profile {named}`, then `--profile {named}` or AWS_PROFILE={named}), or "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment"
    )


def _profiles() -> list[str]:
    """The profiles of the AWS config and credentials files (none when they cannot be read)."""
    import botocore.session
    from botocore.exceptions import BotoCoreError

    try:
        return sorted(botocore.session.Session(profile=None).available_profiles)
    except (BotoCoreError, OSError, ValueError):
        return []


def credentials_problem(exc: Exception, account: str, profile: str | None) -> str | None:
    """One line when `exc` says the credentials are missing or unusable; None for anything else
    (a refused call, a network problem)."""
    import os

    from botocore import exceptions as bx

    named = profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    if isinstance(exc, bx.ProfileNotFound):
        source = f"--profile {profile}" if profile else f"AWS_PROFILE={named}"
        known = _profiles()
        listed = f"profiles there: {', '.join(known)}" if known else "no profile is defined there"
        return (
            f"{source}: no such profile in ~/.aws/config or ~/.aws/credentials ({listed}); "
            f"{how_to_provide(account, named)}"
        )
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return f"no usable AWS credentials ({exc}); {how_to_provide(account, named)}"
    if isinstance(exc, (bx.SSOError, bx.TokenRetrievalError)):
        login = f"aws sso login --profile {named}" if named else "aws sso login"
        return f"the SSO session cannot give credentials ({exc}); run `{login}` and try again"
    if isinstance(exc, (bx.CredentialRetrievalError, bx.InvalidConfigError)):
        return f"the AWS credentials cannot be loaded ({exc}); {how_to_provide(account, named)}"
    if isinstance(exc, bx.ClientError) and exc.response.get("Error", {}).get("Code") in CREDENTIAL_ERROR_CODES:
        return f"AWS refused the credentials ({exc}); {how_to_provide(account, named)}"
    return None


def skipped(settings: Settings, why: str, zones: Sequence[str] | None = None) -> list[Check]:
    """The checks that need the account, as `skip` lines saying what each would have checked."""
    types = sorted({settings.cluster.system_instance_type, settings.cluster.clickhouse_instance_type})
    where = ", ".join(zones or settings.network.availability_zones or ()) or "the region's first three zones"
    zone = (
        f"{settings.dns.hosted_zone_id} is the public zone {settings.dns.zone_name}"
        if settings.dns.hosted_zone_id
        else f"no public zone {settings.dns.zone_name} exists yet (dns.createZone)"
    )
    return [
        Check(name, True, f"{what}; not checked: {why}", skipped=True)
        for name, what in (
            ("account", f"the credentials are for account {settings.account_id}"),
            (
                "quotas",
                "room for a VPC, Elastic IPs, NAT gateways per zone, NLBs, an EKS cluster, rules per security group "
                "and the On-Demand vCPUs",
            ),
            ("offerings", f"{', '.join(types)} offered in {where}"),
            ("hosted zone", zone),
            *(
                [("trail", "the multi-Region trail the vendor access alerts rely on")]
                if settings.audit.trail_mode != "none"
                else []
            ),
        )
    ]


def run(settings: Settings, c: Clients, profile: str | None = None) -> list[Check]:
    """Every check, in order; AWS errors become failed checks (the rest still run). Without usable
    credentials, or with another account's, one failed check says why and the rest are `skip`."""
    from botocore.exceptions import BotoCoreError, ClientError

    checks: list[Check] = []
    try:
        checks.append(check_account(settings, c))
    except (BotoCoreError, ClientError) as exc:
        problem = credentials_problem(exc, settings.account_id, profile)
        if problem:
            return [Check("credentials", False, problem), *skipped(settings, "no usable credentials")]
        return [
            Check("account", False, f"cannot call sts:GetCallerIdentity: {exc}"),
            *skipped(settings, "the caller's account is not known")[1:],
        ]
    if not checks[0].ok:
        # The rest would describe another account.
        return [*checks, *skipped(settings, "the credentials are for another account")[1:]]
    try:
        zones = zones_of(settings, c.ec2)
    except (BotoCoreError, ClientError) as exc:
        return [*checks, Check("zones", False, f"cannot list the region's zones: {exc}")]
    for name, step in (
        ("quotas", lambda: check_quotas(settings, c, zones)),
        ("offerings", lambda: check_offerings(settings, c, zones)),
        ("hosted zone", lambda: [check_zone(settings, c)]),
        ("trail", lambda: check_trail(settings, c)),
    ):
        try:
            checks += step()
        except (BotoCoreError, ClientError) as exc:
            checks.append(Check(name, False, f"AWS refused a call: {exc}"))
    return checks


EPILOG = """\
exit codes:
  0  every check passed (warnings allowed)
  1  a check failed, AWS refused a call, or there are no usable credentials (the checks that need
     them are listed as skipped, with how to provide credentials)
  2  invalid configuration (one line per problem)

A required secret the stack does not set yet (clickhouseCloud.externalId before `pulumi stack
init`) is one `warn secrets` line; the checks run without it.

examples:
  venv/bin/python -m tools.preflight --stack acme-prod-usw2
  venv/bin/python -m tools.preflight --stack acme-prod-usw2 --profile acme-readonly
  AWS_PROFILE=acme-readonly venv/bin/python -m tools.preflight --config-file path/to/Pulumi.acme.yaml
"""


def secrets_check(still_to_set: Sequence[str]) -> Check:
    """The offline line: every required secret set, or which are still to be set."""
    if still_to_set:
        return Check("secrets", True, "; ".join(still_to_set), warning=True)
    names = ", ".join(s.path for s in required_secrets.REQUIRED_SECRETS)
    return Check("secrets", True, f"{names} set")


def main(argv: Sequence[str] | None = None, clients: Clients | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="venv/bin/python -m tools.preflight",
        description=__doc__.split("\n")[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="the stack: reads Pulumi.<stack>.yaml (this or --config-file is required)")
    source.add_argument("--config-file", type=Path, help="any stack config file instead of --stack")
    parser.add_argument(
        "--profile", help="AWS profile of ~/.aws/config (default: the environment's credentials, AWS_PROFILE)"
    )
    args = parser.parse_args(argv)
    try:
        cfg = stackconfig.load(args.config_file) if args.config_file else stackconfig.load_stack(args.stack)
        cfg, still_to_set = stackconfig.offline(cfg)
        settings = parse(cfg.raw, cfg.stack, short_keys(cfg.secret_keys))
    except (ConfigError, ProjectConfigError) as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    except OSError as exc:
        print(f"preflight: cannot read the stack configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    checks = [secrets_check(still_to_set)]
    if clients is None:
        import boto3
        from botocore.exceptions import BotoCoreError

        try:
            clients = Clients.from_session(boto3.Session(profile_name=args.profile, region_name=settings.region))
        except BotoCoreError as exc:
            problem = credentials_problem(exc, settings.account_id, args.profile) or f"cannot create clients: {exc}"
            checks += [Check("credentials", False, problem), *skipped(settings, "no usable credentials")]
    if clients is not None:
        checks += run(settings, clients, args.profile)
    out.write(f"preflight {cfg.stack}: account {settings.account_id}, {settings.region}\n")
    for check in checks:
        out.write(check.line() + "\n")
    failed = [c for c in checks if not c.ok]
    passed = [c for c in checks if c.ok and not c.skipped]
    not_run = len(checks) - len(failed) - len(passed)
    out.write(f"{len(passed)} passed, {len(failed)} failed" + (f", {not_run} skipped" if not_run else "") + "\n")
    return EXIT_FAILED if failed else 0


def short_keys(secret_keys: frozenset[str]) -> frozenset[str]:
    """`namespace:key` to `key`: the settings name secrets without the project namespace."""
    return frozenset(k.split(":", 1)[1] for k in secret_keys if k.startswith(f"{NS}:"))


if __name__ == "__main__":
    sys.exit(main())
