"""The real stack program and the synth command, offline."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
import yaml

from components import settings
from tests.conftest import ROOT, raw_config, run_offline
from tools import stackconfig, stackyaml, synth

PROVIDER = "pulumi:providers:aws"


@pytest.fixture(scope="module")
def prod():
    """The whole stack with defaults (and one extra tag), shared by the tests that only read it."""
    return run_offline({"tags": json.dumps({"team": "data"})}, stack="prod")


def test_provider_pins_account_region_and_mandatory_tags(prod):
    result = prod
    (provider,) = result.by_type(PROVIDER)
    assert provider["name"] == "ClickHouse-cloud-prod-aws"
    assert provider["inputs"]["allowedAccountIds"] == ["123456789012"]
    assert provider["inputs"]["region"] == "us-west-2"
    assert provider["inputs"]["defaultTags"]["tags"] == {
        "team": "data",
        "clickhouse-byoc": "true",
        "clickhouse-byoc/deployment": "prod",
        "managed-by": "pulumi",
    }


def test_every_aws_resource_uses_the_explicit_provider(prod):
    result = prod
    (provider,) = result.by_type(PROVIDER)
    aws = [r for r in result.resources if r["type"].startswith("aws:")]
    assert aws and all(r["provider"] == provider["urn"] for r in aws)


def test_default_zones_are_the_regions_first_three(prod):
    result = prod
    zones = sorted({r["inputs"]["availabilityZone"] for r in result.by_type("aws:ec2/subnet:Subnet")})
    assert zones == ["us-west-2a", "us-west-2b", "us-west-2c"]


def test_configured_zones_are_used_and_a_small_vpc_warns():
    result = run_offline(
        {
            "availabilityZones": '["us-west-2b","us-west-2c","us-west-2d"]',
            "vpcCidr": "10.0.0.0/23",
            "clickhouseNodes": '{"maxSize": 1}',
        },
        stack="prod",
    )
    zones = sorted({r["inputs"]["availabilityZone"] for r in result.by_type("aws:ec2/subnet:Subnet")})
    assert zones == ["us-west-2b", "us-west-2c", "us-west-2d"]
    assert any("a /23 leaves 369 usable private IPs" in w for w in result.warnings)


def test_a_zone_the_region_lacks_is_a_config_error():
    import pytest

    with pytest.raises(settings.ConfigError) as err:
        run_offline({"availabilityZones": '["us-west-2a","us-west-2b","us-west-2z"]'}, stack="prod")
    assert err.value.problems[0].startswith("clickhouse-byoc:availabilityZones: us-west-2z: not available")
    assert "choose 3 of us-west-2a, us-west-2b, us-west-2c, us-west-2d" in err.value.problems[0]


def _synth(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "tools.synth", *args, "--out", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_synth_cli_writes_resources_json(tmp_path, capsys):
    assert synth.main(["--stack", "dev", "--out", str(tmp_path / "out"), "--no-policy-check"]) == 0
    stdout = capsys.readouterr().out
    text = (tmp_path / "out" / "resources.json").read_text()
    records = json.loads(text)
    assert [r["urn"] for r in records] == sorted(r["urn"] for r in records)
    # Byte-identical on a second run: reviewers diff it.
    assert synth.main(["--stack", "dev", "--out", str(tmp_path / "again"), "--no-policy-check"]) == 0
    assert (tmp_path / "again" / "resources.json").read_text() == text
    keys = {
        "urn",
        "type",
        "name",
        "parent",
        "custom",
        "inputs",
        "dependencies",
        "protect",
        "retainOnDelete",
        "ignoreChanges",
        "provider",
        "aliases",
        "secretDigests",
    }
    assert records and all(set(r) == keys for r in records)
    vpc = next(r for r in records if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/22"
    assert "aws:ec2/subnet:Subnet" in stdout


def test_synth_cli_invalid_config_exits_2_one_line_per_problem(tmp_path):
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text(
        yaml.safe_dump(
            {
                "config": {
                    "aws:region": "us-west-2",
                    "clickhouse-byoc:accountId": "42",
                    "clickhouse-byoc:vpcCidr": "10.0.0.0/25",
                    "clickhouse-byoc:natGateway": "single",
                    "clickhouse-byoc:dns": {"zoneName": "byoc.example.com", "createZone": True},
                    "clickhouse-byoc:clusterEndpoint": {"public": False},
                    "clickhouse-byoc:publicEndpoint": {"enabled": False},
                    "clickhouse-byoc:clickhouseCloud": {"externalId": "byoc-test-3f9a2c71"},
                }
            }
        )
    )
    proc = _synth(tmp_path, "--config-file", str(stack))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "clickhouse-byoc:natGateway",
        "clickhouse-byoc:accountId",
        "clickhouse-byoc:vpcCidr",
    ]
    assert "did you mean natGateways?" in lines[0]
    assert not (tmp_path / "out" / "resources.json").exists()


def test_synth_replaces_encrypted_values_and_says_so(tmp_path, capsys):
    stack = tmp_path / "Pulumi.sec.yaml"
    stack.write_text(
        yaml.safe_dump(
            {
                "config": {
                    "aws:region": "us-west-2",
                    "clickhouse-byoc:accountId": "123456789012",
                    "clickhouse-byoc:tags": {"owner": {"secure": "v1:AAAA"}},
                    "clickhouse-byoc:dns": {"zoneName": "byoc.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"},
                    "clickhouse-byoc:clusterEndpoint": {"public": False},
                    "clickhouse-byoc:publicEndpoint": {"enabled": False},
                    "clickhouse-byoc:clickhouseCloud": {"externalId": "byoc-test-3f9a2c71"},
                }
            }
        )
    )
    cfg = stackconfig.load(stack)
    assert cfg.stack == "sec"
    # The key and a digest of the ciphertext, never anything decrypted: a new ciphertext (a rotated
    # secret) is a new placeholder, the same file always the same one.
    owner = json.loads(cfg.raw["clickhouse-byoc:tags"])["owner"]
    assert owner == f"{settings.SECRET_PLACEHOLDER}-tags.owner-{hashlib.sha256(b'v1:AAAA').hexdigest()[:10]}"
    assert settings.is_placeholder(owner)
    assert cfg.secret_keys == {"clickhouse-byoc:tags"}
    code = synth.main(["--config-file", str(stack), "--out", str(tmp_path / "out"), "--no-policy-check"])
    assert code == 0
    stderr = capsys.readouterr().err
    assert "clickhouse-byoc:tags.owner" in stderr and "placeholder" in stderr


# Optional keys whose default the program derives at run time (stack name, region's zones): the
# Pulumi CLI would treat a declaration without `default`/`value` as required, so they stay undeclared.
DERIVED_AT_RUN_TIME = {"deploymentId", "availabilityZones"}


def test_project_file_declares_every_key_with_the_same_defaults():
    doc = stackyaml.read_project(ROOT / "Pulumi.yaml")  # as the Pulumi CLI reads it
    assert doc["runtime"]["options"] == {"toolchain": "pip", "virtualenv": "venv"}
    declared = doc["config"]
    assert set(declared) == set(settings.KNOWN_KEYS) - DERIVED_AT_RUN_TIME
    assert set(settings.OPTIONAL) >= DERIVED_AT_RUN_TIME
    for key, decl in declared.items():
        if "type" in decl:
            assert decl["type"] in ("string", "boolean", "integer", "array", "object")
            assert decl.get("description"), key
        default = decl.get("default", decl.get("value"))
        if key == "podCidr":
            # Declared with "" so the CLI accepts its absence; the program reads "" as "no pod range".
            assert (
                default == ""
                and settings.parse(raw_config({"podCidr": ""}), "test", frozenset()).network.pod_cidr is None
            )
            continue
        if key == "accountId":
            assert default is None  # required: the CLI itself asks for it
            continue
        # Every other key is optional for the CLI (a default or value) and the same default as the program's.
        assert default is not None, key
        assert default == settings.DEFAULTS.get(key), key


def test_a_stack_with_only_the_required_keys_passes_the_cli_rules(tmp_path):
    # pkg/workspace/config.go mergeConfig: only accountId lacks a default, so a stack that sets just
    # the required keys reaches the program (the issue: deploymentId/availabilityZones/podCidr did not).
    stack = tmp_path / "Pulumi.min.yaml"
    stack.write_text(
        yaml.safe_dump(
            {
                "config": {
                    "aws:region": "us-west-2",
                    "clickhouse-byoc:accountId": "123456789012",
                    "clickhouse-byoc:dns": {"zoneName": "byoc.example.com", "createZone": True},
                    "clickhouse-byoc:clusterEndpoint": {"public": False},
                    "clickhouse-byoc:publicEndpoint": {"enabled": False},
                    "clickhouse-byoc:clickhouseCloud": {"externalId": {"secure": "v1:AAAA"}},
                }
            }
        )
    )
    cfg = stackconfig.load(stack)
    assert cfg.raw["clickhouse-byoc:vpcCidr"] == "10.0.0.0/22" and cfg.raw["clickhouse-byoc:podCidr"] == ""
    assert "clickhouse-byoc:deploymentId" not in cfg.raw
    assert settings.parse(cfg.raw, "min", cfg.secret_keys).deployment_id == "min"


def test_readme_configuration_table_lists_every_key():
    readme = (ROOT / "docs" / "configuration.md").read_text()
    for key in settings.KNOWN_KEYS:
        assert f"| `{key}" in readme, key
    for key, fields in settings.OBJECT_FIELDS.items():
        for field in fields:
            assert f"| `{key}.{field}`" in readme, f"{key}.{field}"
    assert "| `aws:region`" in readme


def test_created_zone_and_existing_zone():
    created = run_offline({"dns": '{"zoneName": "byoc.acme.io", "createZone": true}'}, stack="prod")
    (zone,) = created.by_type("aws:route53/zone:Zone")
    assert zone["inputs"]["name"] == "byoc.acme.io" and zone["inputs"]["forceDestroy"] is False


def test_existing_zone_is_not_created(prod):
    existing = prod
    assert existing.by_type("aws:route53/zone:Zone") == []


def test_dev_stack_file_is_valid():
    cfg = stackconfig.load_stack("dev")
    parsed = settings.parse(cfg.raw, "dev", frozenset())
    assert parsed.account_id.isdigit() and parsed.region == "us-west-2"


def test_readme_cidr_table_matches_the_planner():
    from components.cidr import render_layout_table

    readme = (ROOT / "docs" / "network.md").read_text()
    table = readme.split("<!-- cidr-table:start -->\n")[1].split("\n<!-- cidr-table:end -->")[0]
    sizes = ["10.0.0.0/16", "10.0.0.0/20", "10.0.0.0/22", "10.0.0.0/23"]
    assert table == render_layout_table(sizes, "100.64.0.0/16")


def test_longest_valid_names_fit_every_aws_and_kubernetes_limit():
    # Every optional feature on, with the longest deployment id and the longest service names
    # that config validation accepts: no name the program derives may exceed its service's limit.
    values = {
        "deploymentId": "a" * 20,
        "podCidr": "100.64.0.0/16",
        "natGateways": "single",
        "kms": '{"customerManagedKey": true}',
        "services": json.dumps([{"name": "s" * 15, "mysqlInterface": True}, {"name": "t" * 15}]),
        "clickhouseCloud": json.dumps(
            {
                "externalId": "byoc-test-3f9a2c71",
                "stateQueueArn": "arn:aws:sqs:us-west-2:426924874929:byoc-state",
                "billingBucketArn": "arn:aws:s3:::vendor-billing",
            }
        ),
        "troubleshootingAccess": '{"until": "2099-01-01T00:00:00Z"}',
        "vendorAccessAlerts": '{"webhook": "https://hooks.example.com/byoc/x"}',
    }
    result = run_offline(values, stack="long")
    limits = {
        "aws:iam/role:Role": ("name", 64),
        "aws:iam/policy:Policy": ("name", 128),
        "aws:eks/nodeGroup:NodeGroup": ("nodeGroupName", 63),
        "aws:s3/bucket:Bucket": ("bucket", 63),
        "aws:ec2/launchTemplate:LaunchTemplate": ("name", 128),
        "aws:kms/alias:Alias": ("name", 256),
        # EventBridge names: 1-64 of [.-_A-Za-z0-9] (terraform-provider-aws events/ validators).
        "aws:cloudwatch/eventRule:EventRule": ("name", 64),
        "aws:cloudwatch/eventConnection:EventConnection": ("name", 64),
        "aws:cloudwatch/eventApiDestination:EventApiDestination": ("name", 64),
        "aws:cloudtrail/trail:Trail": ("name", 128),
    }
    for typ, (field, limit) in limits.items():
        found = result.by_type(typ)
        assert found, typ
        for r in found:
            assert len(r["inputs"][field]) <= limit, (typ, r["inputs"][field])
    for r in result.resources:
        meta = r["inputs"].get("metadata") if r["type"].startswith("kubernetes:") else None
        if isinstance(meta, dict) and "name" in meta:
            assert len(meta["name"]) <= 63 and meta["name"] == meta["name"].lower(), meta["name"]
    # Each service's role reaches exactly the buckets the storage layer created, under its own prefix.
    buckets = {b["inputs"]["bucket"] for b in result.by_type("aws:s3/bucket:Bucket")}
    role = f"ClickHouse-cloud-{'a' * 20}-clickhouse-{'s' * 15}"
    (policy,) = [
        json.loads(p["inputs"]["policy"])
        for p in result.by_type("aws:iam/rolePolicy:RolePolicy")
        if p["inputs"]["role"] == role
    ]
    objects = next(st for st in policy["Statement"] if "s3:PutObject" in st["Action"])
    resources = objects["Resource"] if isinstance(objects["Resource"], list) else [objects["Resource"]]
    assert sorted(resources) == sorted(
        f"arn:aws:s3:::{b}/{'s' * 15}/*" for b in buckets if "-data-" in b or "-backup-" in b
    )
    gateways = [r for r in result.by_type("kubernetes:helm.sh/v3:Release") if r["inputs"]["chart"] == "gateway"]
    for g in gateways:
        lb = g["inputs"]["values"]["service"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-name"]
        assert len(lb) <= 32 and lb.startswith("ClickHouse-cloud-")
