"""The offline change plan (tools/plan/): pure diff logic on hand-written records, then real synth pairs."""

from __future__ import annotations

import datetime
import json
import re

import pytest

from tests.conftest import run_offline
from tools import plan

S = "urn:pulumi:dev::clickhouse-byoc::"
VPC = "aws:ec2/vpc:Vpc"
NG = "aws:eks/nodeGroup:NodeGroup"
CHI = "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"


def rec(typ, name, inputs=None, **extra):
    record = {
        "urn": f"{S}{typ}::{name}",
        "type": typ,
        "name": name,
        "parent": None,
        "custom": True,
        "inputs": inputs or {},
        "dependencies": [],
        "protect": False,
        "retainOnDelete": False,
        "provider": None,
    }
    record.update(extra)
    return record


def actions(p):
    return {c.urn.rsplit("::", 1)[1]: c.action for c in p.changes}


def test_create_update_delete_and_unchanged_is_omitted():
    base = [
        rec("aws:iam/role:Role", "r", {"description": "a"}),
        rec("aws:iam/role:Role", "gone"),
        rec("aws:iam/role:Role", "same"),
    ]
    now = [
        rec("aws:iam/role:Role", "r", {"description": "b"}),
        rec("aws:iam/role:Role", "new"),
        rec("aws:iam/role:Role", "same"),
    ]
    p = plan.diff(base, now)
    assert actions(p) == {"new": "create", "r": "update", "gone": "delete"}
    assert p.blocked == []
    (update,) = [c for c in p.changes if c.action == "update"]
    assert update.reasons == ["description: a -> b"] and not update.stateful and not update.disruptive


def test_replace_on_change_input_replaces_and_stateful_replace_is_blocked():
    base = [rec(VPC, "vpc", {"cidrBlock": "10.0.0.0/22", "enableDnsSupport": True})]
    now = [rec(VPC, "vpc", {"cidrBlock": "10.1.0.0/22", "enableDnsSupport": True})]
    p = plan.diff(base, now)
    (c,) = p.changes
    assert c.action == "replace" and c.stateful
    assert "cidrBlock: 10.0.0.0/22 -> 10.1.0.0/22" in c.reasons[0] and "aws_vpc" in c.reasons[0]
    assert p.blocked == [c.urn]
    # --allow accepts exactly that URN.
    assert plan.diff(base, now, allow=[c.urn]).blocked == []
    assert plan.diff(base, now, allow=[c.urn + "x"]).blocked == [c.urn]


def test_update_of_a_non_replace_input_is_in_place():
    base = [rec(VPC, "vpc", {"cidrBlock": "10.0.0.0/22", "enableDnsHostnames": False})]
    now = [rec(VPC, "vpc", {"cidrBlock": "10.0.0.0/22", "enableDnsHostnames": True})]
    (c,) = plan.diff(base, now).changes
    assert c.action == "update" and c.stateful and not c.disruptive


def test_nested_replace_path_and_sibling_update():
    lt = {"id": "lt-1", "version": "1"}
    base = [rec(NG, "ng", {"launchTemplate": lt, "scalingConfig": {"maxSize": 3}})]
    rolled = [rec(NG, "ng", {"launchTemplate": {"id": "lt-1", "version": "2"}, "scalingConfig": {"maxSize": 3}})]
    (c,) = plan.diff(base, rolled).changes
    assert c.action == "update" and c.disruptive and any("rolls" in r for r in c.reasons)
    scaled = [rec(NG, "ng", {"launchTemplate": lt, "scalingConfig": {"maxSize": 6}})]
    (c,) = plan.diff(base, scaled).changes
    assert c.action == "update" and not c.disruptive
    # Scaling in drains nodes (a managed node group evicts their pods); scaling out does not.
    two = [rec(NG, "ng", {"launchTemplate": lt, "scalingConfig": {"desiredSize": 2, "maxSize": 2}})]
    one = [rec(NG, "ng", {"launchTemplate": lt, "scalingConfig": {"desiredSize": 1, "maxSize": 1}})]
    (c,) = plan.diff(two, one).changes
    assert c.disruptive and any(r.startswith("scalingConfig.desiredSize: 2 -> 1: nodes are drained") for r in c.reasons)
    (c,) = plan.diff(one, two).changes
    assert not c.disruptive
    moved = [rec(NG, "ng", {"launchTemplate": {"id": "lt-2", "version": "1"}, "scalingConfig": {"maxSize": 3}})]
    (c,) = plan.diff(base, moved).changes
    assert c.action == "replace" and c.disruptive and not c.stateful


def test_aliases_pair_a_renamed_resource_with_its_base_urn():
    old = rec(VPC, "old-name", {"cidrBlock": "10.0.0.0/22"})
    new = rec(VPC, "new-name", {"cidrBlock": "10.0.0.0/22"}, aliases=[old["urn"]])
    p = plan.diff([old], [new])
    # Renamed with no other change: Pulumi shows it unchanged, so the plan omits it and counts it.
    assert p.changes == [] and p.blocked == [] and p.renamed == [(old["urn"], new["urn"])]
    assert "1 renamed through aliases" in plan.summary_line(p)
    changed = dict(new, inputs={"cidrBlock": "10.0.0.0/22", "enableDnsHostnames": True})
    (c,) = plan.diff([old], [changed]).changes
    assert c.action == "update" and c.urn == new["urn"] and "aliased" in c.reasons[0]
    # Without the alias the same rename is a create plus a blocked delete of the VPC.
    p = plan.diff([old], [dict(new, aliases=[])])
    assert sorted(c.action for c in p.changes) == ["create", "delete"] and p.blocked == [old["urn"]]
    # A record without the field is treated as having no aliases.
    del new["aliases"]
    assert sorted(c.action for c in plan.diff([old], [new]).changes) == ["create", "delete"]


def test_retain_on_delete_only_forgets():
    kept = rec("aws:s3/bucket:Bucket", "data", {"bucket": "b"}, retainOnDelete=True)
    p = plan.diff([kept], [])
    (c,) = p.changes
    assert c.action == "forget" and c.stateful and p.blocked == []
    p = plan.diff([dict(kept, retainOnDelete=False)], [])
    assert p.changes[0].action == "delete" and p.blocked == [kept["urn"]]


def test_a_protected_resource_is_blocked_even_when_it_would_only_be_forgotten():
    # The engine checks `protect` before `retainOnDelete` (pulumi/pulumi step.go, DeleteStep.Apply):
    # removing a protected, retained key from the program stops `pulumi up` like a delete would.
    key = rec("aws:kms/key:Key", "data", {"description": "k"}, retainOnDelete=True, protect=True)
    p = plan.diff([key], [])
    (c,) = p.changes
    assert c.action == "forget" and c.stateful and not c.disruptive and p.blocked == [key["urn"]]
    assert any("pulumi state unprotect" in r for r in c.reasons)
    assert plan.diff([key], [], allow=[key["urn"]]).blocked == []
    # Unprotected (dataProtection off), the same removal only forgets the key: nothing blocks.
    assert plan.diff([dict(key, protect=False)], []).blocked == []


def test_a_new_cluster_replaces_the_kubernetes_provider_and_everything_it_manages():
    cluster = rec("eks:index:Cluster", "eks", {"name": "c", "serviceRole": "r1"}, custom=False)
    provider = rec("pulumi:providers:kubernetes", "k8s", {"kubeconfig": "[secret]"}, dependencies=[cluster["urn"]])
    chi = rec(CHI, "chi", {"metadata": {"name": "a"}}, provider=provider["urn"])
    ns = rec("kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "n"}}, provider=provider["urn"])
    base = [cluster, provider, chi, ns]
    now = [dict(cluster, inputs={"name": "c", "serviceRole": "r2"}), provider, chi, ns]
    p = plan.diff(base, now)
    assert actions(p) == {"eks": "replace", "k8s": "replace", "chi": "replace", "ns": "replace"}
    assert set(p.blocked) == {cluster["urn"], chi["urn"]}
    assert plan.diff(base, base).changes == []


ZONE = "aws:route53/zone:Zone"


def test_the_mocks_give_a_replaced_resource_a_new_id_and_keep_every_other_id():
    from tools.mocks import ByocMocks

    mocks = ByocMocks()
    zone = rec(ZONE, "zone", {"name": "a.example.com", "comment": "one"})
    zone_id, outputs = mocks.outputs_of(zone)
    assert re.fullmatch(r"Z[0-9A-F]{20}", zone_id) and outputs["arn"] == f"arn:aws:route53:::hostedzone/{zone_id}"
    # A pure function of type, name and the inputs that force a replace (the plan's table): an
    # in-place change keeps the id, a new name (replace-on-change) is a new zone with a new id.
    assert mocks.outputs_of(dict(zone, inputs={"name": "a.example.com", "comment": "two"}))[0] == zone_id
    assert mocks.outputs_of(dict(zone, inputs={"name": "b.example.com", "comment": "one"}))[0] != zone_id
    assert mocks.outputs_of(dict(zone, name="other"))[0] != zone_id
    # What AWS names after the resource stays the name: a role's id and ARN.
    role = rec("aws:iam/role:Role", "r", {"name": "ClickHouse-cloud-dev-x", "path": "/"})
    assert mocks.outputs_of(role)[0] == "ClickHouse-cloud-dev-x"
    # The id the synth saw (registration, live inputs) is the one recomputed from the record.
    import pulumi

    args = pulumi.runtime.MockResourceArgs(ZONE, "zone", {"name": "a.example.com", "comment": "one"}, "", "", True)
    assert mocks.new_resource(args)[0] == zone_id
    # A value unknown during a preview is recorded as `[unknown]`, never as an object's address, so
    # an id derived from it stays a pure function too.
    unknown = pulumi.runtime.MockResourceArgs(ZONE, "zone", {"name": pulumi.output.Unknown()}, "", "", True)
    assert mocks.new_resource(unknown)[0] == mocks.outputs_of(dict(zone, inputs={"name": "[unknown]"}))[0]


def test_a_replace_shows_every_input_naming_the_old_id_as_a_knock_on_with_its_reason():
    from tools.mocks import ByocMocks

    def zone(name):
        return rec(ZONE, "zone", {"name": name})

    def consumers(z):
        arn = ByocMocks().outputs_of(z)[1]["arn"]
        doc = json.dumps({"Statement": [{"Effect": "Allow", "Action": "route53:*", "Resource": arn}]})
        return [
            rec("aws:iam/policy:Policy", "boundary", {"name": "b", "policy": doc}, dependencies=[z["urn"]]),
            rec("aws:route53/record:Record", "alias", {"name": "x", "zoneId": arn.rsplit("/", 1)[1]}),
            rec("aws:iam/policy:Policy", "unrelated", {"name": "u", "policy": "{}"}),
        ]

    before, after = zone("a.example.com"), zone("b.example.com")
    p = plan.diff([before, *consumers(before)], [after, *consumers(after)])
    assert actions(p) == {"zone": "replace", "boundary": "update", "alias": "replace"}
    by_name = {c.urn.rsplit("::", 1)[1]: c for c in p.changes}
    assert by_name["boundary"].reasons == [
        "policy: unknown until zone is replaced (it names its id or ARN; updated in place)"
    ]
    assert by_name["alias"].reasons == [
        "zoneId: unknown until zone is replaced (replace-on-change: aws aws_route53_record zoneId)"
    ]
    assert p.blocked == [after["urn"]]


def test_protected_delete_is_blocked_even_when_not_stateful():
    role = rec("aws:iam/role:Role", "r", protect=True)
    p = plan.diff([role], [])
    assert p.blocked == [role["urn"]] and any("unprotect" in r for r in p.changes[0].reasons)


def test_pvc_and_chi_shrink_is_blocked_with_a_reason_and_growth_is_not():
    def chi(size, replicas=1):
        return rec(
            CHI,
            "chi",
            {
                "spec": {
                    "configuration": {"clusters": [{"name": "main", "layout": {"replicasCount": replicas}}]},
                    "templates": {
                        "volumeClaimTemplates": [
                            {"name": "cache", "spec": {"resources": {"requests": {"storage": size}}}}
                        ]
                    },
                }
            },
        )

    p = plan.diff([chi("100Gi")], [chi("50Gi")])
    (c,) = p.changes
    assert c.action == "update" and p.blocked == [c.urn]
    assert "100Gi -> 50Gi: Kubernetes cannot shrink a volume" in c.reasons[0]
    # --allow cannot make Kubernetes accept it.
    assert plan.diff([chi("100Gi")], [chi("50Gi")], allow=[c.urn]).blocked == [c.urn]
    p = plan.diff([chi("50Gi")], [chi("100Gi")])
    assert p.blocked == []
    # Adding replicas restarts nothing; removing them does.
    (grow,) = plan.diff([chi("50Gi", 1)], [chi("50Gi", 2)]).changes
    assert grow.action == "update" and not grow.disruptive
    (cut,) = plan.diff([chi("50Gi", 2)], [chi("50Gi", 1)]).changes
    assert cut.disruptive
    pvc = "kubernetes:core/v1:PersistentVolumeClaim"
    small = rec(pvc, "c", {"spec": {"resources": {"requests": {"storage": "10Gi"}}}})
    big = rec(pvc, "c", {"spec": {"resources": {"requests": {"storage": "20Gi"}}}})
    assert plan.diff([big], [small]).blocked == [small["urn"]]
    assert plan.diff([small], [big]).blocked == []


def test_storage_class_immutable_fields():
    sc = "kubernetes:storage.k8s.io/v1:StorageClass"
    base = rec(sc, "sc", {"parameters": {"type": "gp3"}, "reclaimPolicy": "Retain"})
    (c,) = plan.diff(
        [base], [rec(sc, "sc", {"parameters": {"type": "gp3", "kmsKeyId": "k"}, "reclaimPolicy": "Retain"})]
    ).changes
    assert c.action == "replace" and "parameters.kmsKeyId" in c.reasons[0]
    p = plan.diff([base], [rec(sc, "sc", {"parameters": {"type": "gp3"}, "reclaimPolicy": "Delete"})])
    assert p.changes[0].action == "update" and p.blocked and "API server rejects" in p.changes[0].reasons[0]


def test_operator_upgrade_is_disruptive_other_chart_upgrades_are_not():
    release = "kubernetes:helm.sh/v3:Release"
    op = rec(release, "op", {"chart": "altinity-clickhouse-operator", "version": "0.25.6"})
    (c,) = plan.diff([op], [dict(op, inputs={"chart": "altinity-clickhouse-operator", "version": "0.26.0"})]).changes
    assert c.action == "update" and c.disruptive and "may roll ClickHouse" in c.reasons[-1]
    dns = rec(release, "dns", {"chart": "external-dns", "version": "1.21.1"})
    (c,) = plan.diff([dns], [dict(dns, inputs={"chart": "external-dns", "version": "1.22.0"})]).changes
    assert c.action == "update" and not c.disruptive


def test_quantities():
    assert plan.quantity_bytes("50Gi") == 50 * 2**30
    assert plan.quantity_bytes("1G") == 10**9
    assert plan.quantity_bytes("512") == 512
    assert plan.quantity_bytes("lots") is None


def test_cli_exit_codes_json_and_markdown(tmp_path, capsys):
    base = [rec(VPC, "vpc", {"cidrBlock": "10.0.0.0/22"})]
    now = [rec(VPC, "vpc", {"cidrBlock": "10.1.0.0/22"})]
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "now.json").write_text(json.dumps(now))
    args = ["--base-resources", str(tmp_path / "base.json"), "--resources", str(tmp_path / "now.json")]
    assert plan.main([*args, "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["blocked"] == [now[0]["urn"]]
    assert out["changes"] == [
        {
            "urn": now[0]["urn"],
            "type": VPC,
            "action": "replace",
            "stateful": True,
            "disruptive": True,  # replacing the VPC takes everything in it down
            "reasons": out["changes"][0]["reasons"],
        }
    ]
    assert out["modeled_seconds"] == 15  # create 5 s + delete 10 s
    assert plan.main([*args, "--allow", now[0]["urn"]]) == 0
    assert "allowed" in capsys.readouterr().out
    assert plan.main([*args, "--markdown"]) == 3
    md = capsys.readouterr().out
    assert md.startswith("### Change plan") and "| replace (blocked) | `aws:ec2/vpc:Vpc` |" in md


def test_cli_refuses_to_compare_two_different_stacks(tmp_path, capsys):
    base = [rec(VPC, "vpc")]
    now = [dict(rec(VPC, "vpc"), urn=rec(VPC, "vpc")["urn"].replace(":dev::", ":prod::"))]
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "now.json").write_text(json.dumps(now))
    args = ["--base-resources", str(tmp_path / "base.json"), "--resources", str(tmp_path / "now.json")]
    assert plan.main(args) == 1
    assert "the base is stack dev and now is stack prod" in capsys.readouterr().err


def test_cli_config_error_exits_2(tmp_path, capsys):
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text("config:\n  aws:region: us-west-2\n  clickhouse-byoc:accountId: '42'\n")
    assert plan.main(["--config-file", str(stack), "--base-resources", str(stack)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("clickhouse-byoc:accountId: 42:") and "Traceback" not in err
    stack.write_text("- not a map\n")
    assert plan.main(["--config-file", str(stack), "--base-resources", str(stack)]) == 2


# -- real synth pairs (one synth per configuration, cached for the module) -----------------------

_CACHE: dict[str, list] = {}


def synth(**values):
    key = json.dumps(values, sort_keys=True)
    if key not in _CACHE:
        _CACHE[key] = run_offline({k: v for k, v in values.items()}, stack="prod").resources
    return _CACHE[key]


def test_vpc_cidr_change_replaces_vpc_and_subnets_and_blocks():
    p = plan.diff(synth(), synth(vpcCidr="10.1.0.0/22"))
    replaced = {c.type for c in p.changes if c.action == "replace"}
    assert {VPC, "aws:ec2/subnet:Subnet", "eks:index:Cluster", NG} <= replaced
    vpc = next(c for c in p.changes if c.type == VPC)
    assert vpc.stateful and vpc.urn in p.blocked and "cidrBlock: 10.0.0.0/22 -> 10.1.0.0/22" in vpc.reasons[0]
    subnets = [c for c in p.changes if c.type == "aws:ec2/subnet:Subnet"]
    assert len(subnets) == 6 and all(c.urn in p.blocked for c in subnets)
    # Route tables do not change their own inputs: the new VPC's id is unknown, and vpcId forces a new one.
    tables = [c for c in p.changes if c.type == "aws:ec2/routeTable:RouteTable"]
    assert tables and all(c.action == "replace" and "vpcId: unknown until" in c.reasons[0] for c in tables)


def test_adding_a_service_only_creates_and_disrupts_nothing():
    p = plan.diff(synth(), synth(services=json.dumps([{"name": "analytics"}])))
    assert {c.action for c in p.changes} <= {"create", "update"}
    assert not any(c.disruptive for c in p.changes) and p.blocked == []
    assert any(c.type == CHI and c.action == "create" for c in p.changes)
    # In place: the Gateways' host lists and the backup bucket's lifecycle (the new service's prefix).
    updated = {c.type for c in p.changes if c.action == "update"}
    assert updated <= {
        "kubernetes:networking.istio.io/v1:Gateway",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    }


def test_peering_and_backup_changes_are_not_disruptive():
    peer = {"name": "apps", "cidr": "10.20.0.0/16", "vpcId": "vpc-0123456789abcdef0", "accountId": "210987654321"}
    services = json.dumps([{"name": "analytics"}])
    base = synth(services=services)
    added = plan.diff(base, synth(services=services, peerings=json.dumps([peer])))
    removed = plan.diff(synth(services=services, peerings=json.dumps([peer])), base)
    rescheduled = plan.diff(
        base,
        synth(services=json.dumps([{"name": "analytics", "backup": {"schedule": "0 4 * * *", "retentionDays": 30}}])),
    )
    for p in (added, removed, rescheduled):
        assert p.changes and p.blocked == [] and not any(c.disruptive or c.stateful for c in p.changes)
    assert {c.action for c in added.changes} == {"create", "update"}
    assert {c.action for c in removed.changes} == {"delete", "update"}
    assert {c.type for c in rescheduled.changes} == {
        "kubernetes:batch/v1:CronJob",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    }


def test_node_type_change_rolls_node_groups_in_place_disruptively():
    # The type is in the launch template: a new template version the groups follow (an in-place
    # update that EKS rolls), never a replaced group (`instanceTypes` is replace-on-change).
    p = plan.diff(synth(), synth(clickhouseNodes='{"instanceType": "r6i.8xlarge", "maxSize": 5}'))
    ngs = [c for c in p.changes if c.type == NG]
    assert len(ngs) == 3 and all(c.action == "update" and c.disruptive for c in ngs)
    assert all(any(r.startswith("launchTemplate.version") and "rolls" in r for r in c.reasons) for c in ngs)
    assert p.blocked == []


def test_first_deploy_critical_path_runs_through_the_control_plane():
    total, chain = plan.first_deploy(synth())
    names = [u.rsplit("::", 1)[1] for u, _ in chain]
    assert any(n.endswith("cluster-eks") for n in names)
    assert total == sum(s for _, s in chain) and total >= 600 + 180


def test_a_base_with_nothing_deployed_is_a_first_deploy(tmp_path, capsys):
    # An empty base (a stack file absent at the base ref, or an empty resources.json): every
    # resource is created, nothing is disruptive or blocked, and the duration is the first-deploy
    # model, not the sum of parallel creates.
    now = synth()
    (tmp_path / "base.json").write_text("[]")
    (tmp_path / "now.json").write_text(json.dumps(now))
    files = ["--base-resources", str(tmp_path / "base.json"), "--resources", str(tmp_path / "now.json")]
    assert plan.main([*files, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["first_deploy"] is True and doc["blocked"] == []
    assert sorted(c["urn"] for c in doc["changes"]) == sorted(r["urn"] for r in now)
    assert {c["action"] for c in doc["changes"]} == {"create"} and not any(c["disruptive"] for c in doc["changes"])
    assert doc["modeled_seconds"] == plan.first_deploy(now)[0] >= 600 + 180
    assert doc["cost"]["monthly_before"] == 0 and doc["cost"]["monthly_after"] > 0
    assert plan.main(files) == 0
    text = capsys.readouterr().out
    assert f"Plan (first deploy): {len(now)} create; 0 disruptive;" in text
    assert " + create  aws:eks/nodeGroup:NodeGroup x6" in text
    assert plan.main([*files, "--markdown"]) == 0
    md = capsys.readouterr().out
    assert "First deploy: nothing is deployed at the base" in md and "| `eks:index:Cluster` | 1 | 1 |" in md
    # The fleet runs a first deploy at once, whatever its window: nothing runs yet to disrupt.
    from tools import fleet

    parsed = fleet.parse_plan(doc)
    window = fleet.mw.MaintenanceWindow(1, datetime.time(1), datetime.timedelta(hours=4), "America/Los_Angeles")
    saturday = fleet.parse_now("2026-07-11T12:00:00Z")
    decision = fleet.decide("new", parsed, window, saturday)
    assert decision.decision == "run" and decision.reason.startswith("first deploy:") and not decision.targets


VARIANTS = {
    "default": {},
    "pod range": {"podCidr": "100.64.0.0/16"},
    "cmek": {"kms": '{"customerManagedKey": true}'},
    "no public endpoint": {"publicEndpoint": '{"enabled": false}', "clusterEndpoint": '{"public": false}'},
    "services": {
        "services": json.dumps([{"name": "a", "mysqlInterface": True}, {"name": "b"}, {"name": "c", "stopped": True}])
    },
    "created zone": {"dns": '{"zoneName": "byoc.example.com", "createZone": true}'},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_table_covers_every_type_the_synth_registers(variant):
    table = plan.load_table()
    records = synth(**VARIANTS[variant])
    assert plan.uncovered_types(records, table) == set()
    assert plan.uncovered_types([*records, rec("aws:ec2/instance:Instance", "i")], table) == {
        "aws:ec2/instance:Instance"
    }


def test_the_table_names_its_sources():
    doc = json.loads(plan.TABLE_FILE.read_text())
    providers = {s["provider"] for s in doc["SOURCES"]}
    assert all(entry["source"] in providers | {"pulumi"} for entry in doc["types"].values())
    assert all(s["repository"].startswith("https://github.com/") and s["ref"] and s["license"] for s in doc["SOURCES"])
    assert "instanceTypes" in doc["types"][NG]["replaceOnChange"]


def test_base_ref_is_synthesized_by_its_own_synth_in_a_temporary_copy():
    # HEAD's own tools.synth runs in a git-archive copy, with HEAD's Pulumi.dev.yaml.
    records = plan.synth_at_ref("HEAD", "dev", None)
    (vpc,) = [r for r in records if r["type"] == VPC]
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/22" and vpc["urn"].startswith("urn:pulumi:dev::")
    assert plan.uncovered_types(records, plan.load_table()) == set()


def test_an_unknown_base_ref_exits_1(capsys):
    assert plan.main(["--stack", "dev", "--base", "no-such-ref-xyz"]) == 1
    assert "cannot read git ref 'no-such-ref-xyz'" in capsys.readouterr().err


def test_the_json_is_what_the_fleet_runner_reads(tmp_path, capsys):
    from tools import fleet

    base = [rec(NG, "ng", {"launchTemplate": {"id": "lt-1", "version": "1"}})]
    now = [rec(NG, "ng", {"launchTemplate": {"id": "lt-1", "version": "2"}})]
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "now.json").write_text(json.dumps(now))
    code = plan.main(
        ["--base-resources", str(tmp_path / "base.json"), "--resources", str(tmp_path / "now.json"), "--json"]
    )
    parsed = fleet.parse_plan(json.loads(capsys.readouterr().out))
    assert code == 0 and parsed.blocked == ()
    (change,) = parsed.disruptive
    assert change.action == "update" and change.type == NG and parsed.modeled_seconds == 300


# -- AWS replace-on-change facts, each read in terraform-provider-aws (the file and commit are in the
# table's `read`); hand-written records with the inputs this program registers ------------------------

SUBNET = "aws:ec2/subnet:Subnet"
NG_INPUTS = {
    "amiType": "AL2023_x86_64_STANDARD",
    "capacityType": "ON_DEMAND",
    "clusterName": "c",
    "diskSize": 20,
    "instanceTypes": ["r6i.4xlarge"],
    "labels": {"byoc/node-role": "clickhouse"},
    "launchTemplate": {"id": "lt-1", "version": "1"},
    "nodeGroupName": "c-clickhouse-a",
    "nodeRoleArn": "arn:aws:iam::123456789012:role/worker",
    "scalingConfig": {"desiredSize": 0, "maxSize": 5, "minSize": 0},
    "subnetIds": ["subnet-a"],
    "taints": [{"effect": "NO_SCHEDULE", "key": "byoc/clickhouse", "value": "true"}],
    "updateConfig": {"maxUnavailable": 1},
    "version": "1.33",
}
LT_INPUTS = {
    "name": "c-clickhouse",
    "description": "nodes",
    "updateDefaultVersion": True,
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100, "volumeType": "gp3"}}],
}
AWS_FACTS = [
    # aws_subnet (vpc_subnet.go): cidr_block, availability_zone ForceNew; map_public_ip_on_launch is not.
    (SUBNET, {"cidrBlock": "10.0.0.0/24", "availabilityZone": "us-west-2a"}, {"cidrBlock": "10.0.1.0/24"}, "replace"),
    (
        SUBNET,
        {"cidrBlock": "10.0.0.0/24", "availabilityZone": "us-west-2a"},
        {"availabilityZone": "us-west-2b"},
        "replace",
    ),
    (SUBNET, {"cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": False}, {"mapPublicIpOnLaunch": True}, "update"),
    # aws_eks_node_group (node_group.go).
    (NG, NG_INPUTS, {"instanceTypes": ["r6i.8xlarge"]}, "replace"),
    (NG, NG_INPUTS, {"subnetIds": ["subnet-a", "subnet-b"]}, "replace"),
    (NG, NG_INPUTS, {"nodeGroupName": "c-clickhouse-b"}, "replace"),
    (NG, NG_INPUTS, {"amiType": "BOTTLEROCKET_x86_64"}, "replace"),
    (NG, NG_INPUTS, {"capacityType": "SPOT"}, "replace"),
    (NG, NG_INPUTS, {"diskSize": 50}, "replace"),
    (NG, NG_INPUTS, {"launchTemplate": {"id": "lt-2", "version": "1"}}, "replace"),
    (NG, NG_INPUTS, {"launchTemplate": {"id": "lt-1", "version": "2"}}, "update"),
    (NG, NG_INPUTS, {"scalingConfig": {"desiredSize": 1, "maxSize": 9, "minSize": 1}}, "update"),
    (NG, NG_INPUTS, {"version": "1.34"}, "update"),
    (NG, NG_INPUTS, {"labels": {"byoc/node-role": "other"}}, "update"),
    (NG, NG_INPUTS, {"taints": []}, "update"),
    (NG, NG_INPUTS, {"updateConfig": {"maxUnavailablePercentage": 25}}, "update"),
    # aws_launch_template (ec2_launch_template.go): only name/name_prefix ForceNew; data is a new version.
    ("aws:ec2/launchTemplate:LaunchTemplate", LT_INPUTS, {"name": "c-other"}, "replace"),
    (
        "aws:ec2/launchTemplate:LaunchTemplate",
        LT_INPUTS,
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 200, "volumeType": "gp3"}}]},
        "update",
    ),
    ("aws:ec2/launchTemplate:LaunchTemplate", LT_INPUTS, {"metadataOptions": {"httpTokens": "optional"}}, "update"),
    ("aws:ec2/launchTemplate:LaunchTemplate", LT_INPUTS, {"description": "other"}, "update"),
    # aws_iam_role (role.go): name, path ForceNew; the trust policy and description update.
    ("aws:iam/role:Role", {"name": "r", "path": "/"}, {"name": "r2"}, "replace"),
    ("aws:iam/role:Role", {"name": "r", "path": "/"}, {"path": "/byoc/"}, "replace"),
    ("aws:iam/role:Role", {"name": "r", "assumeRolePolicy": "{}"}, {"assumeRolePolicy": '{"a": 1}'}, "update"),
    # aws_kms_key (key.go).
    ("aws:kms/key:Key", {"keyUsage": "ENCRYPT_DECRYPT"}, {"keyUsage": "SIGN_VERIFY"}, "replace"),
    (
        "aws:kms/key:Key",
        {"customerMasterKeySpec": "SYMMETRIC_DEFAULT"},
        {"customerMasterKeySpec": "RSA_4096"},
        "replace",
    ),
    ("aws:kms/key:Key", {"enableKeyRotation": False}, {"enableKeyRotation": True}, "update"),
    # aws_s3_bucket (bucket.go).
    ("aws:s3/bucket:Bucket", {"bucket": "a", "forceDestroy": False}, {"bucket": "b"}, "replace"),
    ("aws:s3/bucket:Bucket", {"bucket": "a", "forceDestroy": False}, {"forceDestroy": True}, "update"),
    # aws_autoscaling_group_tag (group_tag.go): tag.key ForceNew, the tag block itself is not.
    ("aws:autoscaling/tag:Tag", {"tag": {"key": "k", "value": "a"}}, {"tag": {"key": "k2", "value": "a"}}, "replace"),
    ("aws:autoscaling/tag:Tag", {"tag": {"key": "k", "value": "a"}}, {"tag": {"key": "k", "value": "b"}}, "update"),
    # aws_eip (ec2_eip.go): customer_owned_ipv4_pool has no ForceNew.
    ("aws:ec2/eip:Eip", {"domain": "vpc"}, {"customerOwnedIpv4Pool": "ipv4pool-coip-1"}, "update"),
    # aws_internet_gateway (vpc_internet_gateway.go): vpc_id detaches and re-attaches in place.
    ("aws:ec2/internetGateway:InternetGateway", {"vpcId": "vpc-1"}, {"vpcId": "vpc-2"}, "update"),
]


@pytest.mark.parametrize(("typ", "before", "change", "action"), AWS_FACTS)
def test_aws_replace_on_change_facts(typ, before, change, action):
    (c,) = plan.diff([rec(typ, "r", before)], [rec(typ, "r", {**before, **change})]).changes
    assert c.action == action, c.reasons


def test_a_launch_template_data_change_in_the_synth_is_a_new_version_not_a_new_node_group():
    base = synth()
    now = json.loads(json.dumps(base))
    template = next(r for r in now if r["type"] == "aws:ec2/launchTemplate:LaunchTemplate")
    template["inputs"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] += 50
    p = plan.diff(base, now)
    assert [(c.type, c.action) for c in p.changes] == [("aws:ec2/launchTemplate:LaunchTemplate", "update")]
    assert p.blocked == []


def test_a_node_maximum_change_updates_the_node_groups_in_place():
    p = plan.diff(synth(), synth(clickhouseNodes='{"instanceType": "r6i.4xlarge", "maxSize": 4}'))
    ngs = [c for c in p.changes if c.type == NG]
    assert len(ngs) == 3 and all(c.action == "update" and not c.disruptive for c in ngs)
    assert all(any(r.startswith("scalingConfig.maxSize: ") for r in c.reasons) for c in ngs)
    assert not any(c.action == "replace" for c in p.changes) and p.blocked == []


def _sdk_inputs(typ, block=None):
    """The camelCase inputs of a type's (or one of its nested blocks') Args class in the pinned pulumi_aws."""
    import importlib
    import inspect

    module, name = typ.split(":")[1].split("/")[0], typ.rsplit(":", 1)[1]
    # The resource's own Args lives next to the resource class (a nested block's Args may share its name).
    resource_module = inspect.getmodule(getattr(importlib.import_module(f"pulumi_aws.{module}"), name))
    if block:
        cls = getattr(
            importlib.import_module(f"pulumi_aws.{module}._inputs"), f"{name}{block[:1].upper()}{block[1:]}Args"
        )
    else:  # the SDK renames it `<Name>InitArgs` when a nested type already has the name
        candidates = [getattr(resource_module, n, None) for n in (f"{name}InitArgs", f"{name}Args")]
        cls = next(c for c in candidates if c is not None and c.__module__ == resource_module.__name__)
    snake = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "__self__")]
    return {s.split("_")[0] + "".join(w[:1].upper() + w[1:] for w in s.split("_")[1:]) for s in snake}


def test_aws_entries_name_what_was_read_and_real_pulumi_inputs():
    doc = json.loads(plan.TABLE_FILE.read_text())
    aws_types = {t: e for t, e in doc["types"].items() if t.startswith("aws:")}
    assert len(aws_types) >= 28
    for typ, entry in aws_types.items():
        assert entry["read"]["commit"] and entry["read"]["version"] and entry["read"]["fieldSet"], typ
        inputs = _sdk_inputs(typ)
        for path in entry["replaceOnChange"]:
            root, _, rest = path.partition(".")
            assert root in inputs, (typ, path)
            if rest:
                assert rest in _sdk_inputs(typ, root), (typ, path)
        # v6 adds a ForceNew `region` to every regional resource; IAM and Route 53 are global.
        assert ("region" in entry["replaceOnChange"]) == ("region" in inputs), typ
        assert set(entry.get("conditional", {})) <= set(entry["replaceOnChange"]), typ
        unverified = set(entry.get("unverifiedInputs", {}))
        assert unverified <= inputs and not unverified & set(entry["replaceOnChange"]), typ
    assert "region" not in doc["types"]["aws:iam/role:Role"]["replaceOnChange"]
    assert "tag.key" in doc["types"]["aws:autoscaling/tag:Tag"]["replaceOnChange"]
