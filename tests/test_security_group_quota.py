"""Rules per security group: counted from what AWS will hold, refused over the account's quota.

The quota's default and bounds come from the Amazon VPC quotas page (`tests/upstream/aws-vpc-quotas/`).
The public NLB's rules are the ones the AWS Load Balancer Controller v2.14.0 writes from the public
gateway's Service (`tests/upstream/controllers/.../pkg/service/model_build_managed_sg.go`), counted
on the Service the gateway chart renders with the program's values; the private endpoint's are the
network layer's own rule resources, counted on the synth.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from components import ingress
from components.settings import ConfigError, parse
from components.settings import quotas as q
from tests import references as ref
from tests.conftest import raw_config
from tests.test_charts import VARIANTS, _variant
from tools.synth import synthesize

UPSTREAM = Path(__file__).resolve().parent / "upstream"
LBC = UPSTREAM / "controllers" / "aws-load-balancer-controller-v2.14.0"
RELEASE = "kubernetes:helm.sh/v3:Release"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


# --- the quota ----------------------------------------------------------------------------------------


def _quota_row() -> list[str]:
    text = (UPSTREAM / "aws-vpc-quotas" / "amazon-vpc-limits.md").read_text()
    (line,) = [line for line in text.splitlines() if line.startswith("| Inbound or outbound rules per security group")]
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_the_setting_is_the_amazon_vpc_quota():
    name, default, adjustable, comments = _quota_row()
    assert int(default) == q.DEFAULTS["awsQuotas"]["rulesPerSecurityGroup"] == q.AwsQuotas().rules_per_security_group
    assert adjustable.startswith("[Yes]") and "L-0EA8095F" in adjustable and "L-0EA8095F" in q.QUOTA
    assert name in q.QUOTA
    # At least one group per network interface: the quota alone may reach 1,000.
    assert "cannot exceed 1,000" in comments and q.MAX_RULES_PER_SECURITY_GROUP == 1000
    # IPv4 and IPv6 rules count separately: a dualstack group holds 60 of each.
    assert "enforced separately for IPv4 rules and IPv6 rules" in comments
    assert q.largest_family([("ipv4", "tcp", 1, "a")] * 60 + [("ipv6", "tcp", 1, "b")] * 60) == 60


@pytest.mark.parametrize(
    ("value", "words"),
    [(0, "out of range"), (1001, "out of range"), ("many", "not a whole number"), ("-5", "out of range")],
)
def test_quota_setting_rejections(value, words):
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"awsQuotas": json.dumps({"rulesPerSecurityGroup": value})}), "dev")
    (line,) = err.value.problems
    assert line.startswith("clickhouse-byoc:awsQuotas.rulesPerSecurityGroup: ") and words in line, line


# --- what the controller writes -----------------------------------------------------------------------


def test_the_counting_follows_the_controller_source():
    # The loops the Python mirror (components.ingress.controller_security_group_rules) follows.
    text = (LBC / "pkg/service/model_build_managed_sg.go").read_text()
    body = text[text.index("func (t *defaultModelBuildTask) buildManagedSecurityGroupIngressPermissions") :]
    body = body[: body.index("\n}\n")]
    assert re.search(
        r"for _, port := range t\.service\.Spec\.Ports \{\s+listenPort .*\n\s+for _, cidr := range cidrs", body
    )
    assert body.count("permissions = append(permissions") == 5  # v4, v4 ICMP, v6, v6 ICMP, prefix list
    assert 'cidrs = append(cidrs, "0.0.0.0/0")' in text and 'cidrs = append(cidrs, "::/0")' in text
    lb = (LBC / "pkg/service/model_build_load_balancer.go").read_text()
    assert "if len(sgNameOrIDs) == 0 {\n\t\tmanagedSG, err := t.buildManagedSecurityGroup(" in lb
    constants = (LBC / "pkg/annotations/constants.go").read_text()
    for suffix in (
        "load-balancer-source-ranges",
        "aws-load-balancer-security-groups",
        "aws-load-balancer-security-group-prefix-lists",
        "aws-load-balancer-enable-icmp-for-path-mtu-discovery",
        "aws-load-balancer-disable-nlb-sg",
        "aws-load-balancer-ip-address-type",
    ):
        assert f'"{suffix}"' in constants, suffix


def test_controller_rules_per_port_range_icmp_prefix_list_and_family():
    lb = "service.beta.kubernetes.io/aws-load-balancer"
    ports = [{"port": 1, "protocol": "TCP"}, {"port": 2, "protocol": "UDP"}]
    rules = ingress.controller_security_group_rules
    assert len(rules({"ports": ports, "loadBalancerSourceRanges": ["10.0.0.0/8", "10.1.0.0/16"]})) == 4
    assert rules({"ports": ports}) == [("ipv4", "tcp", 1, "0.0.0.0/0"), ("ipv4", "udp", 2, "0.0.0.0/0")]
    dual = rules({"ports": ports, "annotations": {f"{lb}-ip-address-type": "dualstack"}})
    assert sorted({r[0] for r in dual}) == ["ipv4", "ipv6"] and len(dual) == 4
    icmp = rules({"ports": ports[:1], "annotations": {f"{lb}-enable-icmp-for-path-mtu-discovery": "on"}})
    assert icmp == [("ipv4", "tcp", 1, "0.0.0.0/0"), ("ipv4", "icmp", "path-mtu", "0.0.0.0/0")]
    lists = rules({"ports": ports, "annotations": {f"{lb}-security-group-prefix-lists": "pl-1, pl-2"}})
    assert [r[3] for r in lists] == ["pl-1", "pl-2", "pl-1", "pl-2"]  # no 0.0.0.0/0 next to prefix lists
    ranges_by_annotation = {"service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8,10.1.0.0/16"}
    assert len(rules({"ports": ports, "annotations": ranges_by_annotation})) == 4
    assert rules({"ports": ports, "annotations": {f"{lb}-security-groups": "sg-1"}}) == []
    assert rules({"ports": ports, "annotations": {f"{lb}-disable-nlb-sg": "true"}}) == []


def _services(rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in rendered if o["kind"] == "Service" and o["spec"].get("type") == "LoadBalancer"]


def _as_values(service: dict[str, Any]) -> dict[str, Any]:
    """The rendered Service in the shape of the chart's `service` values."""
    return {
        "annotations": service["metadata"].get("annotations") or {},
        "loadBalancerSourceRanges": service["spec"].get("loadBalancerSourceRanges") or [],
        "ports": service["spec"]["ports"],
    }


@pytest.mark.parametrize("variant", ["dev", "mysql"])
def test_settings_count_the_rules_of_the_rendered_gateway_services(variant):
    cfg = _variant(VARIANTS[variant])
    result = synthesize(cfg)
    settings = parse(cfg.raw, cfg.stack)
    releases = {r["name"]: r["inputs"] for r in result.by_type(RELEASE) if r["inputs"]["chart"] == "gateway"}
    (public,) = _services(ref.render_release(next(v for k, v in releases.items() if k.endswith("gateway-public"))))
    (private,) = _services(ref.render_release(next(v for k, v in releases.items() if k.endswith("gateway-private"))))
    # The public Service as rendered: every port (15021 among them) times every allowed range.
    ports = {p["port"] for p in public["spec"]["ports"]}
    mysql = {port for _, port in settings.clickhouse.mysql_ports}
    # The mysql variant: two services, each with its own port (one derived, one explicit).
    assert len(mysql) == (2 if variant == "mysql" else 0)
    assert ingress.STATUS_PORT in ports and mysql <= ports
    assert {p["port"] for p in private["spec"]["ports"]} == ports
    ranges = public["spec"]["loadBalancerSourceRanges"]
    written = ingress.controller_security_group_rules(_as_values(public))
    assert len(written) == len(ports) * len(ranges) == (3 + len(mysql)) * len(ranges)
    assert q.public_group_rules(settings.clickhouse, settings.names) == written
    # The private Service names the network layer's group: the controller writes none into it; the
    # group's rules are the program's own resources.
    assert ingress.controller_security_group_rules(_as_values(private)) == []
    private_rules = [r for r in result.by_type(INGRESS_RULE) if "private-endpoint" in r["name"]]
    assert len(private_rules) == len(q.private_group_rules(settings.clickhouse, settings.network))
    assert {r["inputs"]["fromPort"] for r in private_rules} == ports - {ingress.STATUS_PORT}


# --- refused over the quota -----------------------------------------------------------------------------


def _allow_list(n: int) -> str:
    return json.dumps([f"198.51.{i}.0/24" for i in range(n)])


def _peerings(n: int) -> str:
    return json.dumps(
        [{"name": f"peer{i}", "cidr": f"10.{100 + i}.0.0/16", "vpcId": f"vpc-{i:017x}"} for i in range(n)]
    )


MYSQL = json.dumps([{"name": "analytics", "mysqlInterface": True}])
PLAIN = json.dumps([{"name": "analytics"}])

# (id, config, quota, refused key or None): each group at, just under and just over the limit.
CASES = [
    ("public-3-ports-under", {"ipAllowList": _allow_list(19), "services": PLAIN}, 60, None),
    ("public-3-ports-at", {"ipAllowList": _allow_list(20), "services": PLAIN}, 60, None),
    ("public-3-ports-over", {"ipAllowList": _allow_list(21), "services": PLAIN}, 60, "ipAllowList"),
    ("public-mysql-under", {"ipAllowList": _allow_list(14), "services": MYSQL}, 60, None),
    ("public-mysql-at", {"ipAllowList": _allow_list(15), "services": MYSQL}, 60, None),
    # The review's case: 16 ranges x 4 ports (15021 8443 9440 3306) = 64.
    ("public-mysql-over", {"ipAllowList": _allow_list(16), "services": MYSQL}, 60, "ipAllowList"),
    ("public-raised-quota", {"ipAllowList": _allow_list(30), "services": MYSQL}, 120, None),
    ("public-raised-quota-over", {"ipAllowList": _allow_list(31), "services": MYSQL}, 120, "ipAllowList"),
    ("public-any-source", {"ipAllowList": "[]", "publicEndpoint": '{"allowAnySource": true}'}, 3, None),
    ("public-any-source-over", {"ipAllowList": "[]", "publicEndpoint": '{"allowAnySource": true}'}, 2, "ipAllowList"),
    ("public-off", {"ipAllowList": _allow_list(40), "publicEndpoint": '{"enabled": false}'}, 60, None),
    ("private-under", {"peerings": _peerings(28), "services": PLAIN}, 60, None),
    ("private-at", {"peerings": _peerings(29), "services": PLAIN}, 60, None),
    ("private-over", {"peerings": _peerings(30), "services": PLAIN}, 60, "peerings"),
    ("private-pods-at", {"peerings": _peerings(28), "podCidr": "100.64.0.0/16", "services": PLAIN}, 60, None),
    (
        "private-pods-over",
        {"peerings": _peerings(29), "podCidr": "100.64.0.0/16", "services": PLAIN},
        60,
        "peerings",
    ),
    ("private-mysql-under", {"peerings": _peerings(18), "services": MYSQL}, 60, None),
    ("private-mysql-at", {"peerings": _peerings(19), "services": MYSQL}, 60, None),
    ("private-mysql-over", {"peerings": _peerings(20), "services": MYSQL}, 60, "peerings"),
]


@pytest.mark.parametrize(("config", "quota", "refused"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rules_per_group_at_the_limit(config, quota, refused):
    raw = raw_config({**config, "awsQuotas": json.dumps({"rulesPerSecurityGroup": quota})})
    if refused is None:
        settings = parse(raw, "dev")
        counts = (
            q.largest_family(q.public_group_rules(settings.clickhouse, settings.names)),
            len(q.private_group_rules(settings.clickhouse, settings.network)),
        )
        assert max(counts) <= quota
        return
    with pytest.raises(ConfigError) as err:
        parse(raw, "dev")
    (line,) = err.value.problems
    assert line.startswith(f"clickhouse-byoc:{refused}: ")
    assert 'AWS quota "Inbound or outbound rules per security group" (L-0EA8095F)' in line
    assert f"of {quota} (awsQuotas.rulesPerSecurityGroup)" in line and "raise the quota" in line


def test_the_refusal_says_how_many_fit():
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"ipAllowList": _allow_list(16), "services": MYSQL, "peerings": _peerings(20)}), "dev")
    public, private = err.value.problems
    assert public == (
        "clickhouse-byoc:ipAllowList: 16 CIDRs: the public load balancer's security group needs 16 ranges x 4 "
        "ports (15021, 8443, 9440, 13337: 1 of them the MySQL port of services with mysqlInterface) = 64 inbound "
        'rules, over the AWS quota "Inbound or outbound rules per security group" (L-0EA8095F) of 60 '
        "(awsQuotas.rulesPerSecurityGroup); list at most 15 ranges (merge neighbours), or expose fewer services "
        "over MySQL (services[].mysqlInterface), or raise the quota in Service Quotas and set "
        "awsQuotas.rulesPerSecurityGroup to the new value"
    )
    assert private.startswith(
        "clickhouse-byoc:peerings: 20 peerings: the private endpoint's security group needs 21 ranges (the VPC and "
        "20 peerings) x 3 ports (8443, 9440, 13337: 1 of them the MySQL port of services with mysqlInterface) = 63 "
        "inbound rules"
    )
    assert "peer at most 19 VPCs" in private
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"peerings": _peerings(29), "podCidr": "100.64.0.0/16"}), "dev")
    (line,) = err.value.problems
    assert "needs 31 ranges (the VPC, the pod range and 29 peerings) x 2 ports (8443, 9440) = 62" in line
    assert "peer at most 28 VPCs" in line
