"""The controllers' features that need permissions their roles do not grant are off, as the
controllers will run: flag defaults read from their sources at the pinned versions
(`tests/controller_flags.py`, `tests/upstream/controllers/`), arguments from the Deployments their
charts render with the values the program registers (the dev stack)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests import controller_flags as cf
from tests import references as ref
from tests.iam_eval import _glob
from tests.test_iam_parity import REFERENCES, load, shortfalls, world
from tools import stackconfig
from tools.synth import synthesize

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Chart name -> the objects its release renders, for the dev stack's platform releases."""
    result = synthesize(stackconfig.load_stack("dev"))
    out = {}
    for release in result.by_type(RELEASE):
        inputs = release["inputs"]
        if inputs["chart"] in ("aws-load-balancer-controller", "external-dns", "cert-manager"):
            out[inputs["chart"]] = ref.render_release(inputs)
    return out


def mentions(doc: dict, action: str) -> bool:
    """Whether any Allow statement of the document names the action (IAM action names ignore case)."""
    for st in doc["Statement"]:
        actions = st.get("Action", [])
        for pattern in actions if isinstance(actions, list) else [actions]:
            if st["Effect"] == "Allow" and _glob(pattern, action, ignore_case=True):
                return True
    return False


# --- the vendored defaults ---------------------------------------------------------------------------


def test_lbc_waf_and_shield_default_to_on_at_v2_14_0():
    # The finding: absent flags mean on (code and documentation agree).
    assert cf.lbc_addon_flags() == {
        "WAFEnabled": ("enable-waf", True),
        "WAFV2Enabled": ("enable-wafv2", True),
        "ShieldEnabled": ("enable-shield", True),
    }
    documented = cf.lbc_documented_defaults()
    for flag, default in cf.lbc_addon_flags().values():
        assert documented[flag] == str(default).lower(), flag
    # Feature gates: the code's defaults are the documented ones wherever the names match.
    gates = cf.lbc_feature_gates()
    common = set(gates) & set(documented)
    assert {"EnableRGTAPI", "NLBSecurityGroup", "LBCapacityReservation"} <= common
    assert {g: str(gates[g]).lower() for g in common} == {g: documented[g] for g in common}


def test_lbc_addon_packages_and_their_calls_come_from_the_source():
    assert cf.lbc_gated_packages() == {"WAFV2Enabled": "wafv2", "WAFEnabled": "wafregional", "ShieldEnabled": "shield"}
    assert cf.lbc_package_actions("shield") == {
        "shield:CreateProtection",
        "shield:DeleteProtection",
        "shield:DescribeProtection",
        "shield:GetSubscriptionState",
    }
    assert "wafv2:AssociateWebACL" in cf.lbc_package_actions("wafv2")
    assert cf.lbc_documented_gate_permissions() == {"EnableRGTAPI": {"tag:GetResources"}}


def test_every_permission_left_out_of_the_lbc_role_belongs_to_an_addon_flag():
    missing = shortfalls("load-balancer-controller", load(REFERENCES["load-balancer-controller"]), _lbc_policy())
    assert missing, "the role grants all of upstream: nothing to turn off"
    features = {action: cf.lbc_feature_of(action) for action in missing}
    assert {f.flag for f in features.values()} == {"enable-waf", "enable-wafv2", "enable-shield"}
    assert features["elasticloadbalancing:SetWebAcl"].flag == "enable-waf"
    with pytest.raises(LookupError, match=r"no v2\.14\.0 add-on makes this call"):
        cf.lbc_feature_of("elasticloadbalancing:CreateLoadBalancer")


def test_flag_reading_follows_pflag():
    assert cf.flags(["--a=1", "--b", "x", "--a=false"]) == {"a": "false", "b": "true"}
    waf = cf.Feature("enable-waf", True)
    assert waf.effective([]) is True
    assert waf.effective(["--enable-waf=false"]) is False
    assert waf.effective(["--enable-waf=F", "--enable-waf=1"]) is True
    with pytest.raises(ValueError):
        waf.effective(["--enable-waf=no"])
    gate = cf.Feature("feature-gates:EnableRGTAPI", False)
    assert gate.effective(["--feature-gates=ALBSingleSubnet=true"]) is False
    assert gate.effective(["--feature-gates=ALBSingleSubnet=true, EnableRGTAPI=true"]) is True


def _lbc_policy() -> dict:
    return world().workload_documents()["load-balancer-controller"]


# --- as rendered -------------------------------------------------------------------------------------


def test_lbc_features_whose_permissions_are_left_out_are_off(rendered):
    args = cf.container_args(rendered["aws-load-balancer-controller"], "aws-load-balancer-controller")
    policy = _lbc_policy()
    missing = shortfalls("load-balancer-controller", load(REFERENCES["load-balancer-controller"]), policy)
    on = sorted({f"{a} (--{cf.lbc_feature_of(a).flag})" for a in missing if cf.lbc_feature_of(a).effective(args)})
    assert on == [], f"features on whose permissions the role leaves out: {on}"
    # Feature gates whose documented permissions the role does not grant are off too.
    for gate, (feature, actions) in cf.lbc_gate_features().items():
        ungranted = [a for a in actions if not mentions(policy, a)]
        assert not (ungranted and feature.effective(args)), f"{gate} needs {ungranted}"
    # The switch is the chart's, rendered as the flags themselves.
    assert {"--enable-waf=false", "--enable-wafv2=false", "--enable-shield=false"} <= set(args)


def test_external_dns_registry_and_role_need_nothing_more(rendered):
    args = cf.flags(cf.container_args(rendered["external-dns"], "external-dns"))
    defaults, fields = cf.external_dns_defaults(), cf.external_dns_flag_fields()
    policy = world().workload_documents()["external-dns"]
    registry = args.get("registry", defaults[fields["registry"]])
    # The DynamoDB registry needs table actions the role does not have; the TXT one only records.
    assert not any(mentions(policy, a) for a in cf.external_dns_dynamodb_actions())
    assert registry == "txt" and defaults["Registry"] == "txt"
    # Assuming another role needs sts:AssumeRole, which the role does not have: none is assumed.
    assert not mentions(policy, "sts:AssumeRole")
    assert args.get("aws-assume-role", defaults[fields["aws-assume-role"]]) == ""


def test_cert_manager_cluster_issuers_use_ambient_credentials(rendered):
    # The ClusterIssuers' Route 53 solver names no credentials: cert-manager uses its IRSA role only
    # because ClusterIssuers may use ambient credentials, on by default at v1.19.1.
    flag = "cluster-issuer-ambient-credentials"
    assert cf.cert_manager_flag_fields()[flag] == "ClusterIssuerAmbientCredentials"
    assert cf.cert_manager_defaults()["ClusterIssuerAmbientCredentials"] is True
    args = cf.flags(cf.container_args(rendered["cert-manager"], "cert-manager-controller"))
    assert cf.parse_bool(args.get(flag, "true")) is True
    assert "config" not in args  # no configuration file that could turn it off either
    result = synthesize(stackconfig.load_stack("dev"))
    issuers = result.by_type("kubernetes:cert-manager.io/v1:ClusterIssuer")
    assert len(issuers) == 2
    for issuer in issuers:
        (solver,) = issuer["inputs"]["spec"]["acme"]["solvers"]
        assert set(solver["dns01"]["route53"]) == {"region", "hostedZoneID"}


def test_cert_manager_checks_dns01_records_through_public_resolvers_only(rendered):
    # A MySQL certificate names `<service>-private.<zone>`, a private hosted zone inside the VPC: the
    # self-check must ask resolvers that see the public zone, as Let's Encrypt does, and nothing else.
    text = (cf.CERT_MANAGER / "cmd/controller/app/options/options.go").read_text()
    assert 'fs.BoolVar(&c.ACMEDNS01Config.RecursiveNameserversOnly, "dns01-recursive-nameservers-only"' in text
    assert 'fs.StringSliceVar(&c.ACMEDNS01Config.RecursiveNameservers, "dns01-recursive-nameservers"' in text
    # Off by default at v1.19.1: without the flags the check would use the cluster's resolver.
    assert cf.cert_manager_defaults()["DNS01RecursiveNameserversOnly"] is False
    args = cf.flags(cf.container_args(rendered["cert-manager"], "cert-manager-controller"))
    assert cf.parse_bool(args["dns01-recursive-nameservers-only"]) is True
    servers = args["dns01-recursive-nameservers"].split(",")
    assert servers == ["1.1.1.1:53", "8.8.8.8:53"]
    for server in servers:
        host, port = server.rsplit(":", 1)
        assert ipaddress.ip_address(host).is_global and port == "53"


def test_cert_manager_deletes_a_certificates_secret_with_it(rendered):
    # Turning a service's MySQL interface off deletes its Certificate: the Secret with the private key
    # must go too, which cert-manager v1.19.1 does only with this flag (off by default).
    fields = cf.cert_manager_flag_fields()
    assert fields["enable-certificate-owner-ref"] == "EnableCertificateOwnerRef"
    assert cf.cert_manager_defaults()["EnableCertificateOwnerRef"] is False
    args = cf.flags(cf.container_args(rendered["cert-manager"], "cert-manager-controller"))
    assert cf.parse_bool(args["enable-certificate-owner-ref"]) is True
