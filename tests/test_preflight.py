"""Preflight against stubbed AWS clients (botocore's Stubber checks every request against the
real service models, so a misspelt parameter or a wrong response shape fails here)."""

from __future__ import annotations

import io

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber

from components.settings import parse
from tests.conftest import raw_config
from tools import preflight, stackconfig

ACCOUNT = "123456789012"
ZONES = ["us-west-2a", "us-west-2b", "us-west-2c"]
# One botocore session for every test: its loader parses each service model once (the EC2 model
# alone takes a few hundred milliseconds); every test still gets clients and stubs of its own.
_BOTOCORE = botocore.session.get_session()


class Stubs:
    """One stubbed client per service, with fake credentials and no network."""

    def __init__(self, region: str = "us-west-2"):
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=region, botocore_session=_BOTOCORE
        )
        self.clients = preflight.Clients.from_session(session)
        self.stubs = {
            name: Stubber(getattr(self.clients, name))
            for name in ("sts", "quotas", "ec2", "elbv2", "eks", "route53", "cloudtrail")
        }
        for stub in self.stubs.values():
            stub.activate()

    def __getattr__(self, name: str) -> Stubber:
        return self.__dict__["stubs"][name]

    def done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


def dev_settings(pinned: bool = True):
    """The dev stack's settings; `pinned=False` without its availabilityZones (the region's first
    three are then looked up)."""
    cfg = stackconfig.load_stack("dev")
    raw = dict(cfg.raw) if pinned else {k: v for k, v in cfg.raw.items() if not k.endswith(":availabilityZones")}
    return parse(raw, "dev", preflight.short_keys(cfg.secret_keys))


def quota(s: Stubs, service: str, code: str, value: float) -> None:
    s.quotas.add_response("get_service_quota", {"Quota": {"Value": value}}, {"ServiceCode": service, "QuotaCode": code})


def healthy(
    s: Stubs,
    *,
    account=ACCOUNT,
    vpcs=1,
    eips=0,
    vcpu_quota=1152.0,
    offered=None,
    nats=(),
    zone="create",
    sg_rules=60.0,
    trails=(),
    pinned=True,
):
    """The calls preflight makes for the dev stack, in order, with the given account state (the
    zone lookup only for a stack that does not pin its zones)."""
    s.sts.add_response(
        "get_caller_identity", {"Account": account, "Arn": f"arn:aws:iam::{account}:role/ops", "UserId": "AROA:x"}
    )
    if not pinned or account != ACCOUNT:
        s.ec2.add_response(
            "describe_availability_zones",
            {"AvailabilityZones": [{"ZoneName": z, "State": "available"} for z in ["us-west-2d", *ZONES]]},
        )
    if account != ACCOUNT:
        return
    s.ec2.add_response("describe_vpcs", {"Vpcs": [{"VpcId": f"vpc-{i:08x}"} for i in range(vpcs)]})
    quota(s, "vpc", "L-F678F1CE", 5)
    s.ec2.add_response("describe_addresses", {"Addresses": [{"PublicIp": f"198.51.100.{i}"} for i in range(eips)]})
    quota(s, "ec2", "L-0263D0A3", 5)
    s.ec2.add_response(
        "describe_nat_gateways",
        {"NatGateways": [{"NatGatewayId": f"nat-{i}", "SubnetId": f"subnet-{i}"} for i, _ in enumerate(nats)]},
    )
    if nats:
        s.ec2.add_response(
            "describe_subnets",
            {"Subnets": [{"SubnetId": f"subnet-{i}", "AvailabilityZone": z} for i, z in enumerate(nats)]},
        )
    quota(s, "vpc", "L-FE5A380F", 5)
    s.elbv2.add_response(
        "describe_load_balancers", {"LoadBalancers": [{"LoadBalancerName": "old", "Type": "application"}]}
    )
    quota(s, "elasticloadbalancing", "L-69A177A2", 50)
    s.eks.add_response("list_clusters", {"clusters": []})
    quota(s, "eks", "L-1194D53C", 100)
    quota(s, "vpc", "L-0EA8095F", sg_rules)
    s.ec2.add_response(
        "describe_instance_types",
        {"InstanceTypes": [{"InstanceType": "m5.xlarge", "VCpuInfo": {"DefaultVCpus": 4}},
                           {"InstanceType": "r6i.4xlarge", "VCpuInfo": {"DefaultVCpus": 16}}]},
        {"InstanceTypes": ["m5.xlarge", "r6i.4xlarge"]},
    )  # fmt: skip
    s.ec2.add_response(
        "describe_instances",
        {"Reservations": [{"Instances": [{"InstanceId": "i-1", "InstanceType": "m5.xlarge"}]}]},
    )
    quota(s, "ec2", "L-1216C47A", vcpu_quota)
    offered = offered if offered is not None else [(t, z) for t in ("m5.xlarge", "r6i.4xlarge") for z in ZONES]
    s.ec2.add_response(
        "describe_instance_type_offerings",
        {
            "InstanceTypeOfferings": [
                {"InstanceType": t, "Location": z, "LocationType": "availability-zone"} for t, z in offered
            ]
        },
        {
            "LocationType": "availability-zone",
            "Filters": [
                {"Name": "instance-type", "Values": ["m5.xlarge", "r6i.4xlarge"]},
                {"Name": "location", "Values": ZONES},
            ],
        },
    )
    if zone == "create":
        s.route53.add_response(
            "list_hosted_zones_by_name",
            {"HostedZones": [], "IsTruncated": False, "MaxItems": "1"},
            {"DNSName": "byoc.example.com", "MaxItems": "1"},
        )
    if zone is not None:
        s.cloudtrail.add_response("describe_trails", {"trailList": list(trails)}, {"includeShadowTrails": True})


def by_name(checks):
    return {c.name: c for c in checks}


def test_a_ready_account_passes_every_check():
    s = Stubs()
    healthy(s)
    checks = by_name(preflight.run(dev_settings(), s.clients))
    s.done()
    assert all(c.ok for c in checks.values()), [c.line() for c in checks.values() if not c.ok]
    # Needs: 3 NAT EIPs; 2 NLBs; 3 x 4 system vCPUs + 2 server pods x 16 = 44, plus 4 running.
    assert checks["quota elastic-ips"].detail.startswith("EC2-VPC Elastic IPs (L-0263D0A3): 0 used + 3 needed of 5")
    assert "0 used + 2 needed of 50" in checks["quota nlbs"].detail
    assert "4 used + 44 needed of 1152" in checks["quota vcpus L-1216C47A"].detail
    assert checks["offering r6i.4xlarge"].detail == "offered in us-west-2a, us-west-2b, us-west-2c"
    assert "will be created" in checks["hosted zone"].detail
    assert checks["trail"].detail == "ClickHouse-cloud-dev-trail will be created (multi-Region)"


ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:210987654321:trail/org-trail"


def trail(name="org-trail", arn=ORG_TRAIL, multi=True, home="us-east-1"):
    return {"Name": name, "TrailARN": arn, "IsMultiRegionTrail": multi, "HomeRegion": home, "IsOrganizationTrail": True}


def test_creating_a_trail_where_one_exists_warns_about_the_second_copy():
    s = Stubs()
    healthy(s, trails=[trail()])
    check = by_name(preflight.run(dev_settings(), s.clients))["trail"]
    s.done()
    assert check.ok and check.warning and f"mode: reuse, name: {ORG_TRAIL}" in check.detail


@pytest.mark.parametrize(
    ("found", "logging", "ok", "text"),
    [
        ([trail()], True, True, "org-trail is multi-Region and logging"),
        ([trail(multi=False)], None, False, "logs only us-east-1: the vendor access alerts need a multi-Region trail"),
        ([trail()], False, False, "is not logging"),
        ([], None, False, "org-trail not found in 123456789012; check audit.trail.name"),
    ],
)
def test_a_reused_trail_must_log_in_every_region(found, logging, ok, text):
    cfg = stackconfig.load_stack("dev")
    raw = {**cfg.raw, "clickhouse-byoc:audit": '{"trail": {"mode": "reuse", "name": "org-trail"}}'}
    settings = parse(raw, "dev", cfg.secret_keys)
    s = Stubs()
    s.cloudtrail.add_response(
        "describe_trails", {"trailList": found}, {"trailNameList": ["org-trail"], "includeShadowTrails": True}
    )
    if logging is not None:
        s.cloudtrail.add_response("get_trail_status", {"IsLogging": logging}, {"Name": ORG_TRAIL})
    (check,) = preflight.check_trail(settings, s.clients)
    s.done()
    assert check.ok is ok and text in check.detail, check.detail


def test_unpinned_zones_are_the_regions_first_three_by_name():
    s = Stubs()
    healthy(s, pinned=False)
    checks = by_name(preflight.run(dev_settings(pinned=False), s.clients))
    s.done()
    assert checks["offering r6i.4xlarge"].detail == "offered in us-west-2a, us-west-2b, us-west-2c"


def test_wrong_account_stops_before_describing_anything():
    s = Stubs()
    healthy(s, account="999999999999")
    checks = preflight.run(dev_settings(pinned=False), s.clients)
    assert [c.name for c in checks if not c.skipped] == ["account"] and not checks[0].ok
    with pytest.raises(AssertionError):  # the zone lookup queued for ec2 was never called
        s.ec2.assert_no_pending_responses()
    assert "the credentials are for 999999999999" in checks[0].detail and "123456789012" in checks[0].detail
    # What was not checked is listed, each with why.
    assert [c.line().split(":")[0] for c in checks if c.skipped] == [
        "skip quotas",
        "skip offerings",
        "skip hosted zone",
        "skip trail",
    ]
    assert all(c.detail.endswith("not checked: the credentials are for another account") for c in checks[1:])


def test_quotas_without_room_fail_and_name_the_quota_to_raise():
    s = Stubs()
    healthy(s, vpcs=5, eips=4, vcpu_quota=32)
    checks = by_name(preflight.run(dev_settings(), s.clients))
    assert not checks["quota vpcs"].ok and "5 used + 1 needed of 5" in checks["quota vpcs"].detail
    assert not checks["quota elastic-ips"].ok and "ask for 7 or more" in checks["quota elastic-ips"].detail
    assert (
        not checks["quota vcpus L-1216C47A"].ok
        and "4 used + 44 needed of 32" in checks["quota vcpus L-1216C47A"].detail
    )


def test_security_group_rules_quota_must_hold_what_the_setting_claims():
    # The dev stack's biggest group: 1 allow-list range x 3 ports on the public NLB, 1 x 2 privately.
    s = Stubs()
    healthy(s)
    check = by_name(preflight.run(dev_settings(), s.clients))["quota security-group-rules"]
    assert (
        check.ok
        and check.detail == "Inbound or outbound rules per security group (L-0EA8095F): the largest group needs 3 of 60"
    )
    # An account whose quota was lowered below the setting (60 by default): the setting is wrong.
    s = Stubs()
    healthy(s, sg_rules=2)
    check = by_name(preflight.run(dev_settings(), s.clients))["quota security-group-rules"]
    assert (
        not check.ok
        and "awsQuotas.rulesPerSecurityGroup says 60, more than the account has: set it to 2" in check.detail
    )
    # Lowered, but this stack still fits: a warning.
    s = Stubs()
    healthy(s, sg_rules=10)
    check = by_name(preflight.run(dev_settings(), s.clients))["quota security-group-rules"]
    assert check.ok and check.warning and check.line().startswith("warn quota security-group-rules: ")


def test_vcpus_enough_now_but_not_for_the_maximum_scale_is_a_warning():
    s = Stubs()
    healthy(s, vcpu_quota=64)
    checks = by_name(preflight.run(dev_settings(), s.clients))
    assert checks["quota vcpus L-1216C47A"].ok
    warn = checks["quota vcpus L-1216C47A at maximum scale"]
    assert warn.ok and warn.warning and "252 vCPUs" in warn.detail  # 12 system + 3 zones x 5 x 16
    assert warn.line().startswith("warn ")


def test_nat_gateways_per_zone_count_the_busiest_of_the_stacks_zones():
    s = Stubs()
    healthy(s, nats=["us-west-2a", "us-west-2a", "us-west-2d"])
    checks = by_name(preflight.run(dev_settings(), s.clients))
    assert "2 used + 1 needed of 5" in checks["quota nat-gateways"].detail


def test_instance_type_missing_in_a_zone_fails_naming_the_zone():
    s = Stubs()
    offered = [("m5.xlarge", z) for z in ZONES] + [("r6i.4xlarge", z) for z in ZONES[:2]]
    healthy(s, offered=offered)
    checks = by_name(preflight.run(dev_settings(), s.clients))
    assert checks["offering m5.xlarge"].ok
    assert (
        not checks["offering r6i.4xlarge"].ok and "not offered in us-west-2c" in checks["offering r6i.4xlarge"].detail
    )


def test_quota_never_applied_falls_back_to_the_aws_default():
    s = Stubs()
    s.quotas.add_client_error("get_service_quota", service_error_code="NoSuchResourceException", http_status_code=400)
    s.quotas.add_response(
        "get_aws_default_service_quota", {"Quota": {"Value": 5.0}}, {"ServiceCode": "vpc", "QuotaCode": "L-F678F1CE"}
    )
    assert preflight.quota_value(s.clients.quotas, "vpc", "L-F678F1CE") == 5.0


def existing_zone_settings():
    return parse(raw_config({"accountId": ACCOUNT}), "test")


@pytest.mark.parametrize(
    ("response", "ok", "text"),
    [
        (
            {
                "Id": "/hostedzone/Z0123456789ABCDEFGHIJ",
                "Name": "byoc.example.com.",
                "CallerReference": "r",
                "Config": {"PrivateZone": False},
            },
            True,
            "is the public zone",
        ),
        (
            {"Id": "/hostedzone/Z0123456789ABCDEFGHIJ", "Name": "other.example.com.", "CallerReference": "r"},
            False,
            "is other.example.com.",
        ),
        (
            {
                "Id": "/hostedzone/Z0123456789ABCDEFGHIJ",
                "Name": "byoc.example.com.",
                "CallerReference": "r",
                "Config": {"PrivateZone": True},
            },
            False,
            "private zone",
        ),
    ],
)
def test_existing_hosted_zone_must_be_the_public_zone_named(response, ok, text):
    s = Stubs()
    s.route53.add_response(
        "get_hosted_zone",
        {"HostedZone": response, "DelegationSet": {"NameServers": ["ns-1.awsdns-01.org"]}},
        {"Id": "Z0123456789ABCDEFGHIJ"},
    )
    check = preflight.check_zone(existing_zone_settings(), s.clients)
    assert check.ok is ok and text in check.detail


def test_missing_hosted_zone_fails():
    s = Stubs()
    s.route53.add_client_error("get_hosted_zone", service_error_code="NoSuchHostedZone", http_status_code=404)
    check = preflight.check_zone(existing_zone_settings(), s.clients)
    assert not check.ok and "does not exist" in check.detail


def test_create_zone_warns_when_the_name_exists_already():
    s = Stubs()
    s.route53.add_response(
        "list_hosted_zones_by_name",
        {"HostedZones": [{"Id": "/hostedzone/ZEXISTING1", "Name": "byoc.example.com.", "CallerReference": "r"}],
         "IsTruncated": False, "MaxItems": "1"},
    )  # fmt: skip
    check = preflight.check_zone(dev_settings(), s.clients)
    assert check.ok and check.warning and "set dns.hostedZoneId ZEXISTING1" in check.detail


def test_aws_refusing_a_call_is_a_failed_check_not_a_traceback():
    s = Stubs()
    s.sts.add_client_error("get_caller_identity", service_error_code="ExpiredToken", service_message="token expired")
    checks = preflight.run(dev_settings(), s.clients)
    assert not checks[0].ok and "ExpiredToken" in checks[0].detail


def test_main_exit_codes(tmp_path):
    s = Stubs()
    healthy(s)
    out = io.StringIO()
    assert preflight.main(["--stack", "dev"], clients=s.clients, out=out) == 0
    assert "0 failed" in out.getvalue()
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  clickhouse-byoc:accountId: '12'\n")
    assert preflight.main(["--config-file", str(bad)], clients=Stubs().clients, out=io.StringIO()) == 2


def test_family_letters():
    assert [preflight.family(t) for t in ("r6i.4xlarge", "m5.xlarge", "x2idn.16xlarge", "inf2.xlarge")] == [
        "r",
        "m",
        "x",
        "inf",
    ]


# --- Without usable credentials: one line says why and how, the rest are listed as skipped --------


@pytest.fixture
def no_aws(monkeypatch, tmp_path):
    """An environment with no AWS credentials anywhere (and no instance metadata to ask)."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    config.write_text("[profile acme-readonly]\nregion = us-west-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


SKIPPED = ["skip account", "skip quotas", "skip offerings", "skip hosted zone", "skip trail"]


def _run_main(argv):
    out = io.StringIO()
    code = preflight.main(argv, out=out)
    lines = out.getvalue().splitlines()
    return code, lines


@pytest.mark.parametrize(
    ("argv", "env", "source"),
    [
        (["--stack", "dev", "--profile", "nosuch"], {}, "--profile nosuch"),
        (["--stack", "dev"], {"AWS_PROFILE": "nosuch"}, "AWS_PROFILE=nosuch"),
    ],
)
def test_an_unknown_profile_is_named_with_the_profiles_there_and_no_traceback(no_aws, argv, env, source):
    for name, value in env.items():
        no_aws.setenv(name, value)
    code, lines = _run_main(argv)
    assert code == 1
    (failed,) = [line for line in lines if line.startswith("FAIL")]
    assert failed.startswith(f"FAIL credentials: {source}: no such profile in ~/.aws/config or ~/.aws/credentials")
    assert "(profiles there: acme-readonly)" in failed
    assert "aws configure sso --profile nosuch" in failed and "AWS_ACCESS_KEY_ID" in failed
    assert [line.split(":")[0] for line in lines if line.startswith("skip")] == SKIPPED
    assert lines[-1] == "1 passed, 1 failed, 5 skipped"  # the offline secrets line passed


def test_no_credentials_at_all_says_how_to_provide_them_and_what_was_skipped(no_aws):
    code, lines = _run_main(["--stack", "dev"])
    assert code == 1
    (failed,) = [line for line in lines if line.startswith("FAIL")]
    assert failed.startswith("FAIL credentials: no usable AWS credentials (Unable to locate credentials); give it ")
    assert "credentials for account 123456789012 (read-only suffices)" in failed
    assert "`aws configure sso --profile <profile>`" in failed and "AWS_SECRET_ACCESS_KEY" in failed
    skipped = [line for line in lines if line.startswith("skip")]
    assert [line.split(":")[0] for line in skipped] == SKIPPED
    assert skipped[2] == (
        "skip offerings: m5.xlarge, r6i.4xlarge offered in us-west-2a, us-west-2b, us-west-2c; "
        "not checked: no usable credentials"
    )


def test_expired_credentials_name_the_error_and_how_to_renew():
    s = Stubs()
    s.sts.add_client_error("get_caller_identity", service_error_code="ExpiredToken", service_message="token expired")
    checks = preflight.run(dev_settings(), s.clients, profile="acme")
    assert checks[0].name == "credentials" and not checks[0].ok
    assert "AWS refused the credentials" in checks[0].detail and "--profile acme" in checks[0].detail
    assert [c.name for c in checks[1:]] == ["account", "quotas", "offerings", "hosted zone", "trail"]
    assert all(c.skipped for c in checks[1:])


def test_a_stack_without_its_external_id_yet_is_checked_with_one_line_saying_so(tmp_path):
    # The wizard's file before `pulumi stack init`: no clickhouseCloud.externalId. Preflight notes
    # it once and runs every check (main refused such a stack with exit 2 before).
    text = (stackconfig.ROOT / "Pulumi.dev.yaml").read_text()
    start = text.index("  clickhouse-byoc:clickhouseCloud:")
    end = text.index("  clickhouse-byoc:bootstrap:")
    stack = tmp_path / "Pulumi.acme.yaml"
    stack.write_text(text[:start] + text[end:])
    s = Stubs()
    healthy(s)
    out = io.StringIO()
    assert preflight.main(["--config-file", str(stack)], clients=s.clients, out=out) == 0
    lines = out.getvalue().splitlines()
    (note,) = [line for line in lines if "externalId" in line]
    assert note.startswith("warn secrets: clickhouse-byoc:clickhouseCloud.externalId: (not set): still to be set")
    assert note.endswith(
        "pulumi stack init acme; pulumi config set --stack acme --path --secret clickhouseCloud.externalId"
    )
    assert lines[-1].endswith(" passed, 0 failed")
    s.done()
