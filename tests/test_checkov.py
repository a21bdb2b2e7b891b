"""checkov, the common infrastructure-as-code scanner, over what the program creates: every
Kubernetes object it registers (the ClickHouse and Keeper installations as the StatefulSets the
operator makes of them, `tests/operator_statefulsets.py`), every object its Helm releases install
(third-party charts), the bootstrap role's CloudFormation template, and its AWS resources as the
Terraform plan checkov reads (`tests/checkov_plan.py`).

A finding on the program's own objects or template fails unless `EXCEPTIONS` accepts it, with its
reason; the charts' findings are written to `build/checkov/third-party.md` (what their values cannot
change is their design). checkov runs once per session, in its own virtualenv (`venv-checkov`,
`requirements-checkov.txt`: its pins clash with the project's), over one folder of every object.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import checkov_plan, iam_sar, operator_statefulsets
from tests import day2_cases as day2
from tests import references as ref
from tests.conftest import ROOT
from tests.test_charts import VARIANTS, _variant
from tools import bootstrap_template
from tools.synth import synthesize

CHECKOV = Path(os.environ.get("CHECKOV", ROOT / "venv-checkov" / "bin" / "checkov"))
REPORT = ROOT / "build" / "checkov"
RELEASE = "kubernetes:helm.sh/v3:Release"
# JSON out; nothing downloaded (guidelines, custom policies): the run is offline.
CHECKOV_ARGS = ("-o", "json", "--skip-download", "--compact")
# The dev stack, and the variant with a restored service (the restore Job).
STACKS = ("dev", "mysql")

# The accepted findings on the program's own objects: (check, resource regex) -> reason. Nothing here
# may be one of the gaps issue 19 lists (`ISSUE_19_GAPS`).
CLICKHOUSE_PODS = r"StatefulSet\.clickhouse\.ch[ik]-.+|CronJob\.clickhouse\.backup-.+|Job\.clickhouse\.restore-.+"
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("CKV_K8S_11", CLICKHOUSE_PODS + r"|(Deployment|StatefulSet)\.monitoring\.thanos-.+"): (
        "CPU limits: every container requests its CPU and has a memory limit; a CPU limit would only "
        "throttle ClickHouse, Keeper and Thanos below what the node has free (CFS quota), never protect "
        "another pod, which its request already does"
    ),
    ("CKV_K8S_40", CLICKHOUSE_PODS): (
        "UID 101: the user the ClickHouse server, Keeper and client images are built for (their "
        "Dockerfiles' `clickhouse` user, 101:101) and that owns the files on the existing data volumes; "
        "it is not root, and the pods drop every capability"
    ),
    ("CKV_K8S_43", r"StatefulSet\.clickhouse\.ch[ik]-.+"): (
        "OPEN (issue 19): the server and Keeper images are pinned by tag. No public record of the "
        "digests of clickhouse/clickhouse-server and clickhouse/clickhouse-keeper 25.8.29.51 could be "
        "read, and operator 0.25.6 reads the server version from the image tag, which a digest "
        "reference hides (tests/upstream/images/SOURCES.md)"
    ),
    ("CKV_K8S_15", r"StatefulSet\.clickhouse\.ch[ik]-.+"): (
        "OPEN with the tag pin above: checkov asks for `imagePullPolicy: Always` of an image not pinned "
        "by digest; the tags pinned are full release tags, and a kubelet re-resolving them at every "
        "server restart would only add a registry dependency"
    ),
}
# The program's AWS resources (the dev stack's plan, `tests/checkov_plan.py`).
AWS = "ClickHouse-cloud-dev-"
STORAGE_BUCKETS = rf"aws_s3_bucket\.{AWS}storage-(data|backup|monitoring)"
AUDIT_BUCKET = rf"aws_s3_bucket\.{AWS}audit-bucket"
ALL_BUCKETS = rf"{STORAGE_BUCKETS}|{AUDIT_BUCKET}"
EXCEPTIONS |= {
    ("CKV_AWS_355", rf"aws_iam_(policy|role_policy)\.{AWS}.+"): (
        "account-wide reads: every statement on `*` without a condition allows only actions of the List "
        "and Read access levels (describe, list, get; the controllers' own upstream policies grant them "
        "so), which the controllers and the vendor use to find resources; every write is scoped by ARN "
        "or tag (`test_the_star_resource_exception_covers_only_reads`, docs/iam.md)"
    ),
    ("CKV_AWS_37", rf"aws_eks_cluster\.{AWS}cluster-eks"): (
        "the control plane logs who called the API, what it decided and who authenticated (`api`, "
        "`audit`, `authenticator`, required by the policy pack); `controllerManager` and `scheduler` "
        "are the control plane's own diagnostics, verbose and billed per GB, with no caller in them"
    ),
    ("CKV_AWS_39", rf"aws_eks_cluster\.{AWS}cluster-eks"): (
        "`pulumi up` deploys the releases and objects through the API, from a runner usually outside "
        "the VPC: the public endpoint is on by default, reachable only from `clusterEndpoint.publicCidrs` "
        "(required; 0.0.0.0/0 refused without `allowAnyPublicCidr`; CKV_AWS_38 passes); "
        "`clusterEndpoint.public: false` makes it private only"
    ),
    ("CKV_AWS_145", AUDIT_BUCKET): (
        "S3 server access logging delivers only into buckets whose default encryption is SSE-S3 (S3 "
        "user guide, 'Enabling Amazon S3 server access logging'); the trail's own files are "
        "SSE-KMS with the audit key (CKV_AWS_35 passes)"
    ),
    ("CKV_AWS_145", STORAGE_BUCKETS): (
        "SSE-S3 by default; `kms.customerManagedKey: true` encrypts the buckets with SSE-KMS under the "
        "program's customer-managed key (rotation on, bucket keys), at KMS request charges for "
        "ClickHouse's S3 traffic (docs/data-protection.md)"
    ),
    ("CKV_AWS_144", ALL_BUCKETS): (
        "no cross-region replication: the customer chose the stack's Region for its data (residency), "
        "and a replica doubles storage and transfer; backups go to their own versioned bucket, and "
        "every bucket is protected and retained on delete"
    ),
    ("CKV2_AWS_62", ALL_BUCKETS): (
        "nothing consumes object events; who reads and writes the buckets is recorded by their server "
        "access logs and the trail"
    ),
    ("CKV_AWS_21", rf"aws_s3_bucket\.{AWS}storage-monitoring"): (
        "the monitoring bucket holds Thanos' metric blocks, which the compactor rewrites and deletes by "
        "design (compaction, downsampling, retention); versions would keep every replaced block and "
        "protect no customer data (the data and backup buckets are versioned)"
    ),
    ("CKV2_AWS_38", rf"aws_route53_zone\.{AWS}dns-zone"): (
        "DNSSEC signing takes effect only with a DS record in the parent zone, which the customer's "
        "registrar or parent zone holds, and a KMS key in us-east-1; the zone publishes only the "
        "service endpoints' names, whose TLS certificates authenticate them"
    ),
    ("CKV2_AWS_39", rf"aws_route53_zone\.{AWS}dns-zone"): (
        "query logs of the public zone record who on the internet resolves the public endpoints' names; "
        "connections to the endpoints are in the VPC flow logs"
    ),
    ("CKV2_AWS_5", rf"aws_security_group\.{AWS}network-private-endpoint-sg"): (
        "the load balancer controller attaches it to the private NLB it creates (the private gateway "
        "Service's `aws-load-balancer-security-groups` annotation), outside the program's resources "
        "(`test_the_private_endpoint_group_is_the_private_gateway_s_group`)"
    ),
    ("CKV2_AWS_23", rf"aws_route53_record\.{AWS}private-endpoint-.+-alias"): (
        "the alias points at the private NLB the load balancer controller creates, which the program "
        "looks up by name (`aws.lb.get_load_balancer`) and does not own"
    ),
    ("CKV_AWS_252", rf"aws_cloudtrail\.{AWS}audit-trail"): (
        "an SNS notice per delivered log file (every few minutes in every Region) tells nobody anything; "
        "what the customer must hear of, a vendor session, goes through EventBridge to the alert topic"
    ),
    ("CKV2_AWS_10", rf"aws_cloudtrail\.{AWS}audit-trail"): (
        "the trail writes to the log bucket (KMS, validated, retained `audit.logRetentionDays`); "
        "EventBridge receives its management events without CloudWatch Logs, which would bill every "
        "event a second time"
    ),
}
# The AWS gaps issue 19 lists (no flow log on the VPC, no access logs on the data, backup and
# monitoring buckets): the checks that find them and the resources no exception may cover.
ISSUE_19_AWS_GAPS = {
    ("CKV2_AWS_11", rf"aws_vpc\.{AWS}network-vpc"): "VPC flow log",
    ("CKV_AWS_18", STORAGE_BUCKETS): "bucket access logging",
}
# The checks behind the gaps issue 19 lists on the program's objects: digests, seccomp, the API
# token, the password in the environment, privilege escalation, the root filesystem, capabilities,
# root users.
ISSUE_19_GAPS = {
    "CKV_K8S_43": "image by digest",
    "CKV_K8S_31": "seccomp profile",
    "CKV_K8S_38": "service account token only where needed",
    "CKV_K8S_35": "secrets as files, not environment variables",
    "CKV_K8S_20": "no privilege escalation",
    "CKV_K8S_22": "read-only root filesystem",
    "CKV_K8S_28": "NET_RAW dropped",
    "CKV_K8S_37": "capabilities dropped",
    "CKV_K8S_23": "no root containers",
    "CKV_K8S_29": "pod securityContext",
    "CKV_K8S_30": "container securityContext",
}


def _namespaced(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    if obj.get("kind") not in {"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass"} and not obj.get(
        "metadata", {}
    ).get("namespace"):
        obj = {**obj, "metadata": {**obj.get("metadata", {}), "namespace": namespace}}
    return obj


def program_objects(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Kubernetes objects the program registers itself, the installations replaced by the
    StatefulSets the operator makes of them."""
    out = []
    for record in records:
        if not record["type"].startswith("kubernetes:") or record["type"] == RELEASE or not record["custom"]:
            continue
        obj = record["inputs"]
        if obj.get("kind") in operator_statefulsets.KINDS:
            out += operator_statefulsets.statefulsets(obj)
        else:
            out.append(obj)
    return out


def chart_objects(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Release name -> the objects its chart installs with the program's values (CRDs left out)."""
    out = {}
    for record in records:
        if record["type"] == RELEASE:
            inputs = record["inputs"]
            objs = [o for o in ref.render_release(inputs) if o["kind"] != "CustomResourceDefinition"]
            out[record["name"]] = [_namespaced(o, inputs["namespace"]) for o in objs]
    return out


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return obj["kind"], meta.get("namespace", ""), meta["name"]


def _write(folder: Path, name: str, objects: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(yaml.safe_dump_all(objects, sort_keys=False))


def run_checkov(folder: Path) -> list[dict[str, Any]]:
    """One checkov run over a folder (Kubernetes objects, CloudFormation templates, Terraform plans):
    its reports."""
    assert CHECKOV.exists(), (
        f"checkov is not installed at {CHECKOV}: python3 -m venv venv-checkov && "
        "venv-checkov/bin/pip install -r requirements-checkov.txt (tools/check.sh does this)"
    )
    proc = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(folder),
            "--framework",
            "kubernetes",
            "cloudformation",
            "terraform_plan",
            *CHECKOV_ARGS,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        # No network: no guideline download, no version check.
        env={**os.environ, "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "BC_SKIP_MAPPING": "TRUE"},
    )
    # 1: findings; anything else is checkov failing.
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    reports = json.loads(proc.stdout)
    return reports if isinstance(reports, list) else [reports]


class Scan:
    """The findings of one checkov run, by where the scanned object came from."""

    def __init__(self, reports: list[dict[str, Any]], seconds: float):
        self.seconds = seconds
        self.reports = {r["check_type"]: r for r in reports}
        self.failed: list[dict[str, Any]] = []
        self.passed: list[dict[str, Any]] = []
        for report in reports:
            self.failed += [{**c, "check_type": report["check_type"]} for c in report["results"]["failed_checks"]]
            self.passed += [{**c, "check_type": report["check_type"]} for c in report["results"]["passed_checks"]]

    def own(self, checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [c for c in checks if c["file_path"].startswith(("/program/", "/cloudformation/", "/aws/"))]

    def control(self, name: str, checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The findings on a negative control's plan (`controls/<name>/`)."""
        return [c for c in checks if c["file_path"].startswith(f"/controls/{name}/")]

    def third_party(self) -> list[dict[str, Any]]:
        return [c for c in self.failed if c["file_path"].startswith("/charts/")]


def accepted(check: dict[str, Any]) -> str | None:
    """The reason a finding on the program's objects is accepted, or None."""
    for (check_id, pattern), reason in EXCEPTIONS.items():
        if check["check_id"] == check_id and re.fullmatch(pattern, check["resource"]):
            return reason
    return None


def _third_party_report(scan: Scan) -> str:
    lines = ["# checkov findings on the third-party charts (reported, not failed)", ""]
    by_file: dict[str, list[dict[str, Any]]] = {}
    for check in scan.third_party():
        by_file.setdefault(check["file_path"].removeprefix("/charts/").removesuffix(".yaml"), []).append(check)
    for release, checks in sorted(by_file.items()):
        lines.append(f"## {release} ({len(checks)})")
        for check in sorted(checks, key=lambda c: (c["resource"], c["check_id"])):
            lines.append(f"- {check['check_id']} {check['resource']}: {check['check_name']}")
        lines.append("")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def aws_plans() -> dict[str, dict[str, Any]]:
    """Folder -> plan: the dev stack's AWS resources, and the negative control: the network and
    storage resources (VPC, buckets and what configures them) of the same stack with every audit
    setting off (`day2.AUDIT_OFF`, the day-2 cases' shared run; the rest would only cost time)."""
    from tests.test_day2_plan import synth as day2_synth

    control = ("pulumi:providers:aws", "aws:ec2/", "aws:s3/")
    return {
        "aws/dev": checkov_plan.to_plan(synthesize(_variant(VARIANTS["dev"])).resources),
        "controls/audit-off": checkov_plan.to_plan(
            [r for r in day2_synth(day2.AUDIT_OFF) if r["type"].startswith(control)]
        ),
    }


@pytest.fixture(scope="module")
def scan(tmp_path_factory, aws_plans) -> Scan:
    folder = tmp_path_factory.mktemp("checkov")
    program: dict[tuple[str, str, str], dict[str, Any]] = {}
    charts: dict[str, list[dict[str, Any]]] = {}
    for stack in STACKS:
        records = synthesize(_variant(VARIANTS[stack])).resources
        program |= {_key(o): o for o in program_objects(records)}
        for name, objs in chart_objects(records).items():
            charts.setdefault(name, objs)
    _write(folder / "program", "objects.yaml", list(program.values()))
    for name, objs in charts.items():
        _write(folder / "charts", f"{name}.yaml", objs)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert bootstrap_template.main(["--stack", "dev", "--format", "json"]) == 0
    (folder / "cloudformation").mkdir()
    (folder / "cloudformation" / "bootstrap-role.json").write_text(out.getvalue())
    for where, plan in aws_plans.items():
        (folder / where).mkdir(parents=True)
        (folder / where / "plan.json").write_text(json.dumps(plan))
    started = time.monotonic()
    result = Scan(run_checkov(folder), time.monotonic() - started)
    REPORT.mkdir(parents=True, exist_ok=True)
    (REPORT / "third-party.md").write_text(_third_party_report(result))
    return result


def test_checkov_scanned_the_program_objects_the_operator_statefulsets_and_the_template(scan):
    own = {c["resource"] for c in scan.own(scan.passed + scan.failed)}
    expected = {
        "StatefulSet.clickhouse.chi-analytics-main-0-0",
        "StatefulSet.clickhouse.chk-shared-keeper-0-2",
        "CronJob.clickhouse.backup-analytics",
        "Job.clickhouse.restore-restored",
        "StatefulSet.monitoring.thanos-compact",
        "AWS::IAM::Role.ManagementRole",
        "AWS::IAM::ManagedPolicy.PermissionsBoundary",
    }
    assert expected <= own, sorted(expected - own)
    assert scan.reports["kubernetes"]["summary"]["parsing_errors"] == 0
    assert scan.third_party(), "the charts were scanned too"


def test_no_finding_on_the_program_objects_outside_the_exceptions(scan):
    problems = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for c in scan.own(scan.failed)
        if accepted(c) is None
    ]
    assert not problems, "\n".join(problems)


def test_every_exception_is_still_needed(scan):
    used = Counter()
    for check in scan.own(scan.failed):
        for (check_id, pattern), _ in EXCEPTIONS.items():
            if check["check_id"] == check_id and re.fullmatch(pattern, check["resource"]):
                used[(check_id, pattern)] += 1
    assert set(EXCEPTIONS) == set(used), set(EXCEPTIONS) - set(used)


@pytest.mark.xfail(
    strict=True,
    reason="issue 19, open: ClickHouse server and Keeper images pinned by tag (CKV_K8S_43, see EXCEPTIONS)",
)
def test_the_exceptions_hold_none_of_the_gaps_issue_19_lists():
    gaps = [f"{check_id} {pattern}" for check_id, pattern in EXCEPTIONS if check_id in ISSUE_19_GAPS]
    assert not gaps, gaps


def test_each_hardening_gap_of_issue_19_passes_on_every_program_workload(scan):
    """The checks behind the listed gaps ran on every workload of the program and passed (except the
    open digest pin of the ClickHouse and Keeper images)."""
    workloads = {
        c["resource"] for c in scan.own(scan.passed + scan.failed) if c["resource"].split(".")[0] in {
            "StatefulSet", "Deployment", "CronJob", "Job"
        }
    }  # fmt: skip
    assert len(workloads) >= 11, sorted(workloads)
    for gap in set(ISSUE_19_GAPS) - {"CKV_K8S_43"}:
        passed = {c["resource"] for c in scan.own(scan.passed) if c["check_id"] == gap}
        assert passed == workloads, (gap, sorted(workloads - passed))


def test_the_cloudformation_template_has_no_finding(scan):
    assert scan.reports["cloudformation"]["summary"]["failed"] == 0
    assert scan.reports["cloudformation"]["summary"]["passed"] > 0


def test_a_finding_outside_the_exceptions_is_caught(scan):
    """The judge is real: a pod as it was before the hardening gets the findings the issue lists."""
    finding = {"check_id": "CKV_K8S_31", "resource": "StatefulSet.clickhouse.chk-shared-keeper-0-0"}
    assert accepted(finding) is None
    assert accepted({"check_id": "CKV_K8S_11", "resource": "Deployment.monitoring.thanos-query"}) is not None


def test_the_scan_stays_cheap(scan):
    # Measured here: about 5 s for the whole folder (two stacks' objects, every chart, the template).
    assert scan.seconds < 30, scan.seconds


# -- the AWS resources ------------------------------------------------------------------------------


def _plan_resources(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in plan["planned_values"]["root_module"]["resources"]}


def _expressions(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r["expressions"] for r in plan["configuration"]["root_module"]["resources"]}


def test_the_type_rule_names_every_aws_type_as_terraform_does():
    """The rule (module prefix, snake_case member, four exceptions) gives the Terraform type the change
    plan's table read upstream for every pulumi-aws type, and every AWS type the dev stack registers is
    in that table."""
    table = checkov_plan.recorded_types()
    assert len(table) > 40
    wrong = {
        token: (checkov_plan.tf_type(token), tf) for token, tf in table.items() if checkov_plan.tf_type(token) != tf
    }
    assert not wrong, wrong
    records = synthesize(_variant(VARIANTS["dev"])).resources
    used = {r["type"] for r in checkov_plan.aws_records(records)} - {checkov_plan.EKS_CLUSTER}
    assert used and used <= set(table), sorted(used - set(table))
    assert checkov_plan.snake("cidrIpv4") == "cidr_ipv4" and checkov_plan.snake("s3KeyPrefix") == "s3_key_prefix"


def test_the_plan_holds_blocks_maps_and_references_as_terraform_writes_them(aws_plans):
    plan = aws_plans["aws/dev"]
    res, exprs = _plan_resources(plan), _expressions(plan)
    vpc = f"aws_vpc.{AWS}network-vpc"
    flow = res[f"aws_flow_log.{AWS}network-flow-log"]
    # The flow log names the VPC: unknown until apply, a reference in the configuration.
    assert "vpc_id" not in flow["values"]
    assert exprs[flow["address"]]["vpc_id"] == {"references": [f"{vpc}.id", vpc]}
    assert flow["values"]["traffic_type"] == "ALL" and flow["values"]["log_destination_type"] == "s3"
    # A block Terraform caps at one item is a list of one.
    (options,) = flow["values"]["destination_options"]
    assert options["file_format"] == "plain-text" and options["per_hour_partition"] is False
    for purpose in ("data", "backup", "monitoring"):
        logging = exprs[f"aws_s3_bucket_logging.{AWS}storage-{purpose}-access-logs"]
        assert logging["bucket"]["references"][1] == f"aws_s3_bucket.{AWS}storage-{purpose}"
        assert logging["target_bucket"]["references"][1] == f"aws_s3_bucket.{AWS}audit-bucket"
        # A repeatable block Pulumi names in the plural is Terraform's singular.
        lifecycle = res[f"aws_s3_bucket_lifecycle_configuration.{AWS}storage-{purpose}-lifecycle"]["values"]
        assert "rules" not in lifecycle and all(isinstance(r["filter"], list) for r in lifecycle["rule"])
    targets = [r["values"] for r in res.values() if r["type"] == "aws_cloudwatch_event_target"]
    (transformer,) = next(t["input_transformer"] for t in targets if "input_transformer" in t)
    assert isinstance(transformer["input_paths"], dict) and "caller" in transformer["input_paths"]
    trail = exprs[f"aws_cloudtrail.{AWS}audit-trail"]
    assert trail["kms_key_id"]["references"][0] == f"aws_kms_key.{AWS}audit-key.arn"
    # Map attributes stay maps, their keys as written.
    group = next(r for r in res.values() if r["type"] == "aws_eks_node_group")
    assert isinstance(group["values"]["labels"], dict) and "byoc/node-role" in group["values"]["labels"]
    assert isinstance(group["values"]["taint"], list) and isinstance(group["values"]["scaling_config"], list)
    # pulumi-eks' cluster as the aws_eks_cluster it creates.
    cluster = res[f"aws_eks_cluster.{AWS}cluster-eks"]["values"]
    assert cluster["encryption_config"][0]["resources"] == ["secrets"]
    assert cluster["vpc_config"][0]["public_access_cidrs"] == ["203.0.113.0/24"]
    assert exprs[f"aws_eks_cluster.{AWS}cluster-eks"]["role_arn"]["references"][0].endswith("control-plane.arn")


def test_checkov_read_the_plan_and_judged_the_audit(scan):
    assert scan.reports["terraform_plan"]["summary"]["parsing_errors"] == 0
    passed = {(c["check_id"], c["resource"]) for c in scan.own(scan.passed)}
    assert ("CKV2_AWS_11", f"aws_vpc.{AWS}network-vpc") in passed
    for purpose in ("data", "backup", "monitoring"):
        assert ("CKV_AWS_18", f"aws_s3_bucket.{AWS}storage-{purpose}") in passed
    # The trail: every Region, validated, encrypted with the audit key.
    for check in ("CKV_AWS_67", "CKV_AWS_36", "CKV_AWS_35"):
        assert (check, f"aws_cloudtrail.{AWS}audit-trail") in passed


def test_without_audit_the_same_plan_gets_the_findings_issue_19_lists(scan):
    """The negative control: the dev stack with `audit.flowLogs` and `audit.accessLogs` off gets the
    VPC's flow-log finding and the three buckets' access-log findings, so the converter does show
    checkov the flow log and the logging when they exist."""
    failed = {(c["check_id"], c["resource"]) for c in scan.control("audit-off", scan.failed)}
    assert ("CKV2_AWS_11", f"aws_vpc.{AWS}network-vpc") in failed
    for purpose in ("data", "backup", "monitoring"):
        assert ("CKV_AWS_18", f"aws_s3_bucket.{AWS}storage-{purpose}") in failed
    # The control is not the program's: its findings are never judged against the exceptions.
    assert not scan.own(scan.control("audit-off", scan.failed))


def test_no_exception_covers_the_aws_gaps_issue_19_lists(scan):
    gap_resources = {
        (check, c["resource"])
        for (check, pattern) in ISSUE_19_AWS_GAPS
        for c in scan.control("audit-off", scan.failed)
        if c["check_id"] == check and re.fullmatch(pattern, c["resource"])
    }
    assert len(gap_resources) == 4, gap_resources
    covered = [
        (check, resource) for check, resource in gap_resources if accepted({"check_id": check, "resource": resource})
    ]
    assert not covered, covered


def test_the_star_resource_exception_covers_only_reads(aws_plans):
    """What the CKV_AWS_355 exception accepts: every statement of the program's IAM policies that
    allows on `*` with no condition allows only List and Read actions (AWS's service authorization
    reference, `tests/upstream/iam/service-authorization.json`)."""
    writes, seen = [], 0
    for resource in _plan_resources(aws_plans["aws/dev"]).values():
        if resource["type"] not in ("aws_iam_policy", "aws_iam_role_policy") or "policy" not in resource["values"]:
            continue
        for statement in json.loads(resource["values"]["policy"])["Statement"]:
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            if statement["Effect"] != "Allow" or "*" not in resources or statement.get("Condition"):
                continue
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in (a for pattern in actions for a in iam_sar.expand(pattern)):
                seen += 1
                if iam_sar.access_level(action) not in ("List", "Read"):
                    writes.append(f"{resource['name']} {statement.get('Sid')}: {action}")
    assert seen > 50
    assert not writes, writes


def test_the_private_endpoint_group_is_the_private_gateway_s_group():
    """What the CKV2_AWS_5 exception accepts: the security group checkov sees unattached is the one
    the private gateway's Service asks the load balancer controller to put on its NLB."""
    from tools.mocks import ByocMocks

    records = synthesize(_variant(VARIANTS["dev"])).resources
    (group,) = [r for r in records if r["name"] == f"{AWS}network-private-endpoint-sg"]
    group_id = ByocMocks().outputs_of(group)[0]
    (release,) = [r for r in records if r["type"] == RELEASE and r["name"].endswith("ingress-gateway-private")]
    annotation = "service.beta.kubernetes.io/aws-load-balancer-security-groups"
    assert f'"{annotation}": "{group_id}"' in json.dumps(release["inputs"])
