"""Monthly cost estimate of a stack from what it registers, by layer, from a vendored price table.

    venv/bin/python -m tools.cost --stack dev
    venv/bin/python -m tools.cost --resources build/synth/resources.json --json

Reads a `resources.json` (`--resources`), or runs the offline synth of the stack first (`--stack`),
and prices what runs whether or not anyone queries ClickHouse:
- the idle baseline: the EKS control plane, the system node groups (and their root volumes), NAT
  gateways and their public IPv4 addresses, the NLBs the Istio gateways ask the load balancer
  controller for (and the internet-facing one's addresses, one per zone), Keeper's volumes, KMS
  keys and the hosted zone;
- each ClickHouse service at its minimum size: one node of the ClickHouse node type per server pod
  (shards x replicas; the pods' anti-affinity allows one per node), its root volume, and the
  pod's data volume. A stopped service keeps its volumes and no nodes.

Audit and the vendor access alerts: their fixed parts are in the total (the audit KMS key, the
secret of the webhook's EventBridge connection); the rest grows with use (flow log delivery, log
storage, trail copies, cross-Region event delivery, email notifications), so each such resource gets
a usage line with its rates instead of an amount (`usage` in the JSON).

Prices come from `tools/data/aws_prices.json` (regions covered, date and source stated there);
a month is 730 hours. Usage-dependent charges (data processing, transfer, S3 storage) are not
included: they grow with use and are listed in the table's notes.

`--json` prints `{"currency": "USD", "monthly_total": n, "items": [{"layer", "urn", "what",
"monthly"}], "usage": [{"layer", "urn", "what", "rates"}], ...}`. Exit 0; 2 when the stack's
configuration is invalid or the region or an instance type is not in the price table; 1 on any
other failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components import quantity, versions

PRICES_FILE = Path(__file__).resolve().parent / "data" / "aws_prices.json"
EXIT_UNPRICED = 2

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
CLUSTER = "eks:index:Cluster"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
KMS_KEY = "aws:kms/key:Key"
ZONE = "aws:route53/zone:Zone"
HELM = "kubernetes:helm.sh/v3:Release"
CHI = "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"
CHK = "kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
TRAIL = "aws:cloudtrail/trail:Trail"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
EVENT_CONNECTION = "aws:cloudwatch/eventConnection:EventConnection"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
AWS_PROVIDER = "pulumi:providers:aws"
ZONES = 3  # the program always spreads over three availability zones
LB_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type"
LB_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"


class Unpriced(Exception):
    """The price table has no price for something the stack runs (region or instance type)."""


@dataclass(frozen=True)
class Item:
    """One priced line: what it is and what it costs per month."""

    layer: str
    urn: str
    what: str
    monthly: float


@dataclass(frozen=True)
class Usage:
    """A usage-priced line: what grows with use, and at which rates."""

    layer: str
    urn: str
    what: str
    rates: str


@dataclass(frozen=True)
class Estimate:
    """A stack's monthly estimate."""

    region: str
    items: tuple[Item, ...]
    currency: str = "USD"
    usage: tuple[Usage, ...] = ()

    @property
    def monthly_total(self) -> float:
        return round(sum(i.monthly for i in self.items), 2)

    @property
    def idle_baseline(self) -> float:
        """Everything but the ClickHouse services: what the installation costs with no service."""
        return round(sum(i.monthly for i in self.items if not i.layer.startswith("service:")), 2)

    def by_layer(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for item in self.items:
            out[item.layer] += item.monthly
        return {k: round(v, 2) for k, v in sorted(out.items())}

    def as_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "monthly_total": self.monthly_total,
            "idle_baseline": self.idle_baseline,
            "region": self.region,
            "by_layer": self.by_layer(),
            "items": [
                {"layer": i.layer, "urn": i.urn, "what": i.what, "monthly": round(i.monthly, 2)} for i in self.items
            ],
            "usage": [{"layer": u.layer, "urn": u.urn, "what": u.what, "rates": u.rates} for u in self.usage],
        }


def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


class PriceTable:
    """Prices of one region (hourly prices turned monthly at the table's hours per month)."""

    def __init__(self, table: Mapping[str, Any], region: str):
        if region not in table["regions"]:
            raise Unpriced(f"region {region} is not in the price table (covers {', '.join(table['regions'])})")
        self.table, self.region = table, region
        self.hours = float(table["hours_per_month"])
        self.regional: Mapping[str, Any] = table["regions"][region]
        self.globals: Mapping[str, float] = table["global"]

    def instance_month(self, instance_type: str) -> float:
        hourly = self.regional["ec2"].get(instance_type)
        if hourly is None:
            raise Unpriced(f"instance type {instance_type} has no {self.region} price in the price table")
        return hourly * self.hours

    def gp3_month(self, gib: float) -> float:
        # EBS bills GB-months of provisioned size; volumes are sized in GiB and AWS's "GB" is a GiB.
        return gib * self.regional["ebs_gp3_gb_month"]

    def hourly(self, key: str) -> float:
        value = self.regional.get(key, self.globals.get(key))
        if value is None:
            raise Unpriced(f"{key} has no price in the price table")
        return float(value) * self.hours

    def monthly(self, key: str) -> float:
        return float(self.globals[key])

    def rate(self, key: str) -> str:
        """A global unit price as the usage lines print it (`0.25`, `2.00`)."""
        value = float(self.globals[key])
        return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"


def layer_of(urn: str) -> str:
    """The program's layer a resource belongs to: the module of its first clickhouse-byoc parent."""
    types = urn.split("::")[2] if urn.count("::") >= 3 else ""
    for part in types.split("$"):
        if part.startswith("clickhouse-byoc:"):
            return part.split(":")[1]
    return "stack"


def _gib(value: Any) -> float:
    return float(quantity.parse(str(value)) / (1 << 30))


def _region(records: Sequence[Mapping[str, Any]]) -> str | None:
    for r in records:
        if r["type"] == AWS_PROVIDER and r.get("inputs", {}).get("region"):
            return str(r["inputs"]["region"])
    return None


def _launch_template(records: Sequence[Mapping[str, Any]], group_name: str) -> Mapping[str, Any]:
    """Inputs of a node group's launch template (named like the group without its zone), or {}."""
    for r in records:
        if r["type"] != LAUNCH_TEMPLATE:
            continue
        name = str(r["inputs"].get("name", ""))
        if name and group_name.startswith(name + "-"):
            return r["inputs"]
    return {}


def _launch_template_gib(records: Sequence[Mapping[str, Any]], group_name: str) -> float:
    """Root volume size of a node group's launch template."""
    for mapping in _launch_template(records, group_name).get("blockDeviceMappings") or []:
        size = (mapping.get("ebs") or {}).get("volumeSize")
        if size:
            return float(size)
    return 20.0  # the EKS managed node group default disk size


def _instance_type(records: Sequence[Mapping[str, Any]], group: Mapping[str, Any]) -> str:
    """A node group's instance type: its launch template's (where the program sets it, so a change
    rolls the group in place) or, for groups that name it themselves, their `instanceTypes`."""
    name = str(group.get("nodeGroupName", ""))
    return str(_launch_template(records, name).get("instanceType") or (group.get("instanceTypes") or ["?"])[0])


def _volume_claims(spec: Mapping[str, Any]) -> float:
    total = 0.0
    for claim in (spec.get("templates") or {}).get("volumeClaimTemplates") or []:
        storage = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
        if storage:
            total += _gib(storage)
    return total


def _stopped(spec: Mapping[str, Any]) -> bool:
    return str(spec.get("stop", "")).lower() in ("yes", "true", "1")


def estimate(records: Sequence[Mapping[str, Any]], table: Mapping[str, Any], region: str | None = None) -> Estimate:
    """Prices a synth's resources (see the module docstring for what is counted)."""
    region = region or _region(records)
    if not region:
        raise Unpriced("no aws:region: the resources hold no AWS provider with a region; pass --region")
    prices = PriceTable(table, region)
    items: list[Item] = []

    def add(record: Mapping[str, Any], what: str, monthly: float, layer: str | None = None) -> None:
        items.append(Item(layer or layer_of(record["urn"]), record["urn"], what, monthly))

    usage: list[Usage] = []

    def rates(record: Mapping[str, Any], what: str, text: str) -> None:
        usage.append(Usage(layer_of(record["urn"]), record["urn"], what, text))

    clickhouse_type = None
    clickhouse_root_gib = 0.0
    forwards: list[Mapping[str, Any]] = []
    for r in records:
        inputs = r.get("inputs") or {}
        typ = r["type"]
        if typ == CLUSTER:
            version = str(inputs.get("version", ""))
            key = "eks_extended_cluster_hour" if version in versions.KUBERNETES_EXTENDED_SUPPORT else "eks_cluster_hour"
            add(
                r,
                f"EKS control plane ({'extended' if 'extended' in key else 'standard'} support, {version})",
                prices.hourly(key),
            )
        elif typ == NODE_GROUP:
            itype = _instance_type(records, inputs)
            scaling = inputs.get("scalingConfig") or {}
            nodes = int(scaling.get("desiredSize", scaling.get("minSize", 0)) or 0)
            root = _launch_template_gib(records, str(inputs.get("nodeGroupName", r["name"])))
            role = (inputs.get("labels") or {}).get("byoc/node-role", "")
            if role == "clickhouse":
                clickhouse_type, clickhouse_root_gib = itype, root
            if nodes:
                add(r, f"{nodes} x {itype} node(s)", nodes * prices.instance_month(itype))
                add(r, f"{nodes} x {root:g} GiB gp3 root volume(s)", nodes * prices.gp3_month(root))
        elif typ == NAT:
            add(r, "NAT gateway", prices.hourly("nat_gateway_hour"))
        elif typ == EIP:
            add(r, "public IPv4 address (Elastic IP)", prices.hourly("public_ipv4_hour"))
        elif typ == KMS_KEY:
            add(r, "KMS customer-managed key", prices.monthly("kms_key_month"))
        elif typ == ZONE:
            add(r, "Route 53 hosted zone", prices.monthly("route53_zone_month"))
        elif typ == HELM:
            service = (inputs.get("values") or {}).get("service") or {}
            annotations = service.get("annotations") or {}
            if service.get("type") == "LoadBalancer" and annotations.get(LB_TYPE) == "external":
                scheme = annotations.get(LB_SCHEME, "internal")
                add(r, f"Network Load Balancer ({scheme})", prices.hourly("nlb_hour"))
                if scheme == "internet-facing":
                    add(r, f"{ZONES} public IPv4 addresses of the NLB", ZONES * prices.hourly("public_ipv4_hour"))
        elif typ == FLOW_LOG:
            rates(
                r,
                "VPC flow logs into S3",
                f"{prices.rate('vended_logs_s3_gb')} USD per GB delivered, then S3 storage at "
                f"{prices.rate('s3_standard_gb_month')} USD per GB-month while kept",
            )
        elif typ == BUCKET_LOGGING:
            rates(
                r,
                f"S3 server access logs of {inputs.get('bucket', r['name'])}",
                f"delivery free; S3 storage at {prices.rate('s3_standard_gb_month')} USD per GB-month while kept "
                "(one record per request to the bucket)",
            )
        elif typ == TRAIL:
            add(r, "CloudTrail trail: the first copy of management events", 0.0)
            rates(
                r,
                "CloudTrail trail",
                f"S3 storage of its files at {prices.rate('s3_standard_gb_month')} USD per GB-month; "
                f"{prices.rate('cloudtrail_extra_management_copy_100k')} USD per 100,000 events if the account "
                f"already has a trail (audit.trail.mode reuse avoids it); data events, not enabled, would be "
                f"{prices.rate('cloudtrail_data_events_100k')} USD per 100,000",
            )
        elif typ == EVENT_TARGET and inputs.get("roleArn") and ":event-bus/" in str(inputs.get("arn", "")):
            forwards.append(r)
        elif typ == EVENT_CONNECTION:
            add(r, "EventBridge connection's secret (Secrets Manager)", prices.monthly("secrets_manager_secret_month"))
            rates(
                r,
                "alert webhook (API destination)",
                f"{prices.rate('eventbridge_api_destination_million')} USD per million invocations",
            )
        elif typ == SUBSCRIPTION and inputs.get("protocol") == "email":
            rates(
                r,
                f"email alerts to {inputs.get('endpoint')}",
                f"first 1,000 a month free, then {prices.rate('sns_email_100k')} USD per 100,000",
            )
        elif typ == CHK:
            spec = inputs.get("spec") or {}
            replicas = sum(
                int((c.get("layout") or {}).get("replicasCount", 1))
                for c in (spec.get("configuration") or {}).get("clusters") or []
            )
            gib = _volume_claims(spec)
            add(r, f"Keeper: {replicas} x {gib:g} GiB gp3 volume(s)", replicas * prices.gp3_month(gib))

    if forwards:
        rates(
            forwards[0],
            f"{len(forwards)} cross-Region forwards of vendor role assumptions",
            f"{prices.rate('eventbridge_cross_region_million')} USD per million events (one per assumption "
            "recorded outside the stack Region); the rules and AWS events on the default bus are free",
        )

    for r in records:
        if r["type"] != CHI:
            continue
        spec = r["inputs"].get("spec") or {}
        name = (r["inputs"].get("metadata") or {}).get("name", r["name"])
        pods = 0
        for c in (spec.get("configuration") or {}).get("clusters") or []:
            layout = c.get("layout") or {}
            pods += int(layout.get("shardsCount", 1)) * int(layout.get("replicasCount", 1))
        gib = _volume_claims(spec)
        layer = f"service:{name}"
        add(r, f"{name}: {pods} x {gib:g} GiB gp3 data volume(s)", pods * prices.gp3_month(gib), layer)
        if _stopped(spec):
            add(r, f"{name}: stopped, no server nodes", 0.0, layer)
            continue
        if clickhouse_type is None:
            raise Unpriced("a ClickHouse service but no ClickHouse node group to price its nodes")
        add(
            r,
            f"{name}: {pods} x {clickhouse_type} node(s), one per server pod",
            pods * prices.instance_month(clickhouse_type),
            layer,
        )
        add(
            r,
            f"{name}: {pods} x {clickhouse_root_gib:g} GiB gp3 root volume(s)",
            pods * prices.gp3_month(clickhouse_root_gib),
            layer,
        )
    return Estimate(region, tuple(items), table.get("currency", "USD"), tuple(usage))


def delta(before: Estimate, after: Estimate) -> float:
    """What a change adds to (positive) or saves from (negative) the monthly total."""
    return round(after.monthly_total - before.monthly_total, 2)


def render(est: Estimate, table: Mapping[str, Any]) -> str:
    lines = [f"Monthly estimate, {est.region}, {est.currency} (prices as of {table['as_of']}; 730 h a month)"]
    width = max((len(i.what) for i in est.items), default=10)
    for layer, total in est.by_layer().items():
        lines.append(f"\n{layer}: {total:,.2f}")
        lines += [f"  {i.what:<{width}}  {i.monthly:>10,.2f}" for i in est.items if i.layer == layer]
    if est.usage:
        lines.append("\ngrowing with use (rates, not in the total):")
        lines += [f"  {u.layer}: {u.what}: {u.rates}" for u in est.usage]
    lines.append(f"\nidle baseline (no service): {est.idle_baseline:,.2f}")
    lines.append(f"total: {est.monthly_total:,.2f} {est.currency} a month")
    lines.append(f"not included: {table['notes']['not_included']}")
    return "\n".join(lines)


def _records_of(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.resources:
        return json.loads(args.resources.read_text())
    from tools import stackconfig, synth

    cfg = stackconfig.load(args.config_file) if args.config_file else stackconfig.load_stack(args.stack)
    cfg, still_to_set = stackconfig.offline(cfg)
    records = synth.synthesize(cfg).resources
    for line in still_to_set:  # on a valid stack only: a broken one is its problems alone
        print(f"cost: note: {line}", file=sys.stderr)
    return records


EPILOG = """\
exit codes:
  0  estimate printed
  1  any other failure (a file that cannot be read)
  2  invalid configuration (one line per problem), or a region or instance type the price table
     does not have

A required secret the stack does not set yet (clickhouseCloud.externalId before `pulumi stack
init`) is noted in one line; the estimate does not depend on it.

examples:
  venv/bin/python -m tools.cost --stack acme-prod-usw2
  venv/bin/python -m tools.cost --stack dev --json
  venv/bin/python -m tools.cost --resources build/synth/resources.json --region eu-west-1
"""


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="venv/bin/python -m tools.cost",
        description=__doc__.split("\n")[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="synth this stack (Pulumi.<stack>.yaml) first (default: dev)")
    source.add_argument("--config-file", type=Path, help="synth this stack config file first, instead of --stack")
    source.add_argument(
        "--resources", type=Path, help="price a resources.json written by tools.synth, instead of synthesizing"
    )
    parser.add_argument("--region", help="price in this region (default: the stack's aws:region)")
    parser.add_argument("--prices", type=Path, default=PRICES_FILE, help="price table (default: the vendored one)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = parser.parse_args(list(argv) if argv is not None else None)

    from components.settings import ConfigError
    from tools.projectconfig import ProjectConfigError

    try:
        table = load_prices(args.prices)
        est = estimate(_records_of(args), table, args.region)
    except (ConfigError, ProjectConfigError) as exc:
        # The stack's configuration (or its file) is the user's: one line per problem, exit 2.
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_UNPRICED
    except Unpriced as exc:
        print(f"cost: {exc}; add it to {args.prices}", file=sys.stderr)
        return EXIT_UNPRICED
    except (OSError, ValueError, KeyError) as exc:
        print(f"cost: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(est.as_json(), indent=2) if args.json else render(est, table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
