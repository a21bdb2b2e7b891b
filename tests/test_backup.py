"""Backups and restores: every statement parsed by ClickHouse's own parser (chDB), the jobs' specs,
the retention arithmetic, the restore's IAM, and what the stack registers."""

from __future__ import annotations

import json
import shlex
from xml.etree import ElementTree

import pytest

from components import backup, clickhouse_specs, storage, versions, workload_roles
from components.settings import ConfigError, parse
from tests.conftest import raw_config, run_offline

chdb = pytest.importorskip("chdb")

BUCKET, REGION = "clickhouse-cloud-dev-backup-123456789012", "us-west-2"
SPEC = backup.BackupSpec(enabled=True, schedule="0 2 * * *", retention_days=7, full_every_days=7)
RUN_VALUES = {backup.NAME_VAR: "20261126T020000Z-incr", backup.BASE_VAR: "20261122T020000Z-full"}


def format_query(sql: str) -> str:
    """ClickHouse's parser, through `formatQuery`: raises on anything it cannot parse."""
    literal = "'" + sql.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return chdb.query(f"SELECT formatQuery({literal})", "TSVRaw").bytes().decode().strip()


def run_time(sql: str) -> str:
    for var, value in RUN_VALUES.items():
        sql = sql.replace(var, value)
    return sql


def test_the_parser_rejects_a_broken_statement():
    with pytest.raises(Exception, match="Syntax error"):
        format_query("BACKUP ALL ON CLUSTER 'main' TO")


def test_full_backup_goes_to_its_own_path_segment_under_the_service_prefix():
    sql = backup.backup_sql(BUCKET, REGION, "analytics", "20261126T020000Z-full", None)
    formatted = format_query(sql)
    assert formatted.startswith("BACKUP ALL EXCEPT DATABASES")
    assert f"TO S3('https://{BUCKET}.s3.{REGION}.amazonaws.com/analytics/20261126T020000Z-full/')" in formatted
    assert "base_backup" not in formatted
    # No credentials in the statement: the servers' IRSA role signs the requests.
    assert "aws_access_key" not in sql.lower() and sql.count(",") == 3


def test_incremental_backup_names_the_full_one_as_its_base():
    sql = backup.backup_sql(BUCKET, REGION, "analytics", "20261126T020000Z-incr", "20261122T020000Z-full")
    formatted = format_query(sql)
    assert formatted.endswith(
        f"SETTINGS base_backup = S3('https://{BUCKET}.s3.{REGION}.amazonaws.com/analytics/20261122T020000Z-full/')"
    )
    for database in ("system", "information_schema", "INFORMATION_SCHEMA", backup.MARKER_DATABASE):
        assert database in formatted.split(" ON CLUSTER")[0]


def test_every_statement_of_the_backup_script_parses_as_run():
    script = backup.backup_script(BUCKET, REGION, "analytics", 7)
    statements = backup.script_statements(script)
    assert len(statements) == 3
    formatted = [format_query(run_time(s)) for s in statements]
    assert "toIntervalHour(167)" in formatted[0] and "s3_throw_on_zero_files_match = 0" in formatted[0]
    assert "base_backup" not in formatted[1] and "base_backup" in formatted[2]
    assert "/analytics/20261122T020000Z-full/" in formatted[2]


def test_every_statement_of_the_restore_script_parses_as_run():
    for choice in ("latest", "20261122T020000Z-full"):
        script = backup.restore_script(BUCKET, REGION, backup.RestoreSpec("analytics", choice), servers=4)
        statements = backup.script_statements(script)
        assert len(statements) == (6 if choice == "latest" else 5)
        for sql in statements:
            format_query(run_time(sql))
        assert '= "4" ]' in script
        assert f"FROM S3('https://{BUCKET}.s3.{REGION}.amazonaws.com/analytics/${{NAME}}/')" in script
        # The restored-marker check comes before the restore: a rerun does nothing.
        assert script.index("system.tables") < script.index("RESTORE ALL")
    assert 'NAME="20261122T020000Z-full"' in script


def test_backup_grants_parse_and_grant_nothing_but_backups():
    for grant in backup.BACKUP_GRANTS:
        format_query(f"{grant} TO {backup.BACKUP_USER}")
    privileges = {g.removeprefix("GRANT ").split(" ON ")[0] for g in backup.BACKUP_GRANTS}
    assert privileges == {"BACKUP", "CLUSTER", "S3", "CREATE TEMPORARY TABLE"}


def test_backup_names_sort_by_time_and_match_what_restoreFrom_accepts():
    from components.settings import BACKUP_NAME_RE

    names = ["20261122T020000Z-full", "20261123T020000Z-incr", "20261201T020000Z-full"]
    assert sorted(names) == names and all(BACKUP_NAME_RE.match(n) for n in names)


@pytest.mark.parametrize(("retention", "full_every", "expected"), [(7, 7, 15), (30, 1, 32), (1, 31, 33)])
def test_a_full_base_outlives_every_incremental_still_in_retention(retention, full_every, expected):
    spec = backup.BackupSpec(True, "0 2 * * *", retention, full_every)
    days = backup.lifecycle_days(spec)
    assert days == expected
    # The oldest incremental inside retention was taken up to full_every days after its base.
    assert days > retention - 1 + full_every


def test_backup_bucket_lifecycle_expires_each_service_under_its_own_prefix():
    rules = storage.lifecycle_rules("backup", {"analytics": 15, "logs": 40})
    by_id = {r["id"]: r for r in rules}
    assert by_id["expire-backups-analytics"]["filter"] == {"prefix": "analytics/"}
    assert by_id["expire-backups-analytics"]["expiration"] == {"days": 15}
    assert by_id["expire-backups-logs"]["expiration"] == {"days": 40}
    assert by_id["expire-noncurrent-versions"]["noncurrent_version_expiration"] == {"noncurrent_days": 30}
    assert by_id["remove-expired-delete-markers"]["expiration"] == {"expired_object_delete_marker": True}
    assert not any(r["id"].startswith("expire-backups") for r in storage.lifecycle_rules("data", {"analytics": 15}))


def test_cronjob_runs_on_system_nodes_in_utc_one_at_a_time():
    spec = backup.cronjob_spec(
        SPEC,
        image=versions.CLICKHOUSE_CLIENT_IMAGE,
        script="true",
        host="h",
        config_secret="s",
        stopped=False,
        labels={},
    )
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert spec["timeZone"] == "Etc/UTC" and spec["concurrencyPolicy"] == "Forbid" and spec["suspend"] is False
    assert pod["nodeSelector"] == {"byoc/node-role": "system"}
    assert pod["automountServiceAccountToken"] is False
    disabled = backup.BackupSpec(False, "0 2 * * *", 7, 7)
    for spec_, stopped in ((disabled, False), (SPEC, True)):
        assert backup.cronjob_spec(
            spec_, image="i", script="", host="h", config_secret="s", stopped=stopped, labels={}
        )["suspend"]


def _client_pods():
    cron = backup.cronjob_spec(
        SPEC, image=versions.CLICKHOUSE_CLIENT_IMAGE, script="x", host="h", config_secret="s", stopped=False, labels={}
    )
    restore = backup.restore_job_spec(
        image=versions.CLICKHOUSE_CLIENT_IMAGE, script="x", host="h", config_secret="r", labels={}
    )
    return [("s", cron["jobTemplate"]["spec"]["template"]["spec"]), ("r", restore["template"]["spec"])]


def test_the_jobs_password_is_in_the_clients_config_file_never_argv_or_env():
    scripts = [
        backup.backup_script(BUCKET, REGION, "analytics", 7),
        backup.restore_script(BUCKET, REGION, backup.RestoreSpec("analytics", "latest"), 2),
    ]
    for script in scripts:
        (client,) = [line for line in script.splitlines() if line.startswith("ch()")]
        argv = shlex.split(client.removeprefix("ch() {").removesuffix("; }"))
        assert argv[:3] == ["clickhouse-client", "--config-file", backup.CLIENT_CONFIG], argv
        assert not {"--password", "--user", "-u"} & set(argv) and "PASSWORD" not in client
    for secret, pod in _client_pods():
        (container,) = pod["containers"]
        # Nothing secret in the environment: only the host and HOME.
        assert {e["name"] for e in container["env"]} == {"CLICKHOUSE_HOST", "HOME"}
        assert all("valueFrom" not in e for e in container["env"])
        (config,) = [v for v in pod["volumes"] if v["name"] == "client-config"]
        assert config["secret"]["secretName"] == secret
        assert config["secret"]["items"] == [{"key": backup.CLIENT_CONFIG_KEY, "path": "config.xml"}]
        # Group-readable only, and the pod's group (fsGroup) is the client's user's.
        assert config["secret"]["defaultMode"] == 0o440 and pod["securityContext"]["fsGroup"] == backup.CLIENT_UID
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == "client-config"]
        assert f"{mount['mountPath']}/config.xml" == backup.CLIENT_CONFIG and mount["readOnly"] is True


def test_client_config_file_carries_user_and_password_as_clickhouse_reads_them():
    root = ElementTree.fromstring(backup.client_config_xml("backup", "p<&>'\"w"))
    # clickhouse-client's configuration keys: `user` and `password` at the top level.
    assert root.tag == "config" and root.findtext("user") == "backup" and root.findtext("password") == "p<&>'\"w"


def test_the_jobs_run_hardened_from_the_pinned_client_image():
    for _, pod in _client_pods():
        (container,) = pod["containers"]
        assert container["image"] == versions.CLICKHOUSE_CLIENT_IMAGE and "@sha256:" in container["image"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 101
        sc = container["securityContext"]
        assert sc == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        # The only writable directory: HOME (/tmp), an emptyDir.
        writable = [m for m in container["volumeMounts"] if not m.get("readOnly")]
        assert writable == [{"name": "tmp", "mountPath": "/tmp"}]


def test_chi_gets_backup_user_and_s3_endpoints_with_environment_credentials():
    svc = clickhouse_specs.ClickHouseServiceSpec(
        "fresh", 1, 2, "25.8.29.51", "2", "8Gi", "50Gi", False, False, SPEC, backup.RestoreSpec("analytics", "latest")
    )
    spec = clickhouse_specs.chi_spec(
        svc, bucket="data", region=REGION, networks=["10.0.0.0/22"], service_account="sa", backup_bucket=BUCKET
    )
    users = spec["configuration"]["users"]
    assert users["backup/grants/query"] == list(backup.BACKUP_GRANTS)
    assert users["backup/k8s_secret_password_sha256_hex"] == "clickhouse-fresh-backup/password_sha256_hex"
    assert users["backup/networks/ip"] == ["10.0.0.0/22"]
    xml = spec["configuration"]["files"]["config.d/backups.xml"]
    assert f"<endpoint>https://{BUCKET}.s3.{REGION}.amazonaws.com/fresh/</endpoint>" in xml
    assert f"<endpoint>https://{BUCKET}.s3.{REGION}.amazonaws.com/analytics/</endpoint>" in xml
    assert xml.count("<use_environment_credentials>true</use_environment_credentials>") == 2
    assert "access_key" not in xml


def test_restoring_service_may_read_only_the_source_backups():
    statements = workload_roles.restore_read_statements("arn:aws:s3:::b", "analytics")
    assert statements[0]["Condition"] == {"StringLike": {"s3:prefix": ["analytics/*", "analytics"]}}
    assert statements[1]["Action"] == ["s3:GetObject"] and statements[1]["Resource"] == ["arn:aws:s3:::b/analytics/*"]


def test_metric_rules_record_the_agreed_names_per_service():
    group = backup.metric_rule_group()
    assert [r["record"] for r in group["rules"]] == [
        "clickhouse_backup_last_success_timestamp_seconds",
        "clickhouse_backup_due_since_timestamp_seconds",
    ]
    for rule in group["rules"]:
        assert '"service", "$1", "cronjob", "backup-(.+)"' in rule["expr"]
    assert backup.cronjob_name("analytics") == "backup-analytics"


# -- settings -------------------------------------------------------------------------------------


def services(*items) -> dict[str, str]:
    return {"services": json.dumps(list(items))}


def test_backup_defaults_daily_seven_days():
    (svc,) = parse(raw_config(services({"name": "analytics"})), "dev").clickhouse.services
    assert (svc.backup.enabled, svc.backup.schedule, svc.backup.retention_days, svc.backup.full_every_days) == (
        True,
        "0 2 * * *",
        7,
        7,
    )
    assert svc.restore is None


@pytest.mark.parametrize(
    ("item", "key", "words"),
    [
        ({"backup": {"schedule": "daily"}}, "services[0].backup.schedule", "expected exactly 5 fields"),
        ({"backup": {"schedule": "0 25 * * *"}}, "services[0].backup.schedule", "above maximum (23)"),
        ({"backup": {"retentionDays": 0}}, "services[0].backup.retentionDays", "out of range"),
        ({"backup": {"fullEveryDays": 40}}, "services[0].backup.fullEveryDays", "out of range"),
        ({"backup": {"retention": 3}}, "services[0].backup.retention", "did you mean retentionDays"),
        ({"backup": "yes"}, "services[0].backup", "not a map"),
        ({"restoreFrom": {"backup": "latest"}}, "services[0].restoreFrom.service", "missing"),
        ({"restoreFrom": {"service": "x"}}, "services[0].restoreFrom.service", "this service itself"),
        ({"restoreFrom": {"service": "old", "backup": "yesterday"}}, "services[0].restoreFrom.backup", "latest"),
    ],
)
def test_backup_and_restore_rejections(item, key, words):
    with pytest.raises(ConfigError) as err:
        parse(raw_config(services({"name": "x", **item})), "dev")
    (line,) = err.value.problems
    assert line.startswith(f"clickhouse-byoc:{key}: ") and words in line


def test_restore_from_accepts_latest_and_a_backup_name():
    cfg = services(
        {"name": "old"},
        {"name": "a", "restoreFrom": {"service": "old"}},
        {"name": "b", "restoreFrom": {"service": "gone", "backup": "20261122T020000Z-full"}},
    )
    _, a, b = parse(raw_config(cfg), "dev").clickhouse.services
    assert a.restore == backup.RestoreSpec(source="old", backup="latest")
    assert b.restore == backup.RestoreSpec(source="gone", backup="20261122T020000Z-full")


# -- the stack ------------------------------------------------------------------------------------


def test_stack_registers_backup_cronjob_restore_job_and_read_access():
    result = run_offline(
        services(
            {"name": "analytics", "backup": {"schedule": "30 1 * * *", "retentionDays": 14}},
            {"name": "fresh", "restoreFrom": {"service": "analytics"}, "backup": {"enabled": False}},
        )
    )
    by_type: dict[str, list[dict]] = {}
    for r in result.resources:
        by_type.setdefault(r["type"], []).append(r)
    crons = {c["inputs"]["metadata"]["name"]: c["inputs"]["spec"] for c in by_type["kubernetes:batch/v1:CronJob"]}
    assert crons["backup-analytics"]["schedule"] == "30 1 * * *" and crons["backup-analytics"]["suspend"] is False
    assert crons["backup-fresh"]["suspend"] is True
    (job,) = by_type["kubernetes:batch/v1:Job"]
    assert job["inputs"]["metadata"]["name"] == "restore-fresh"
    assert job["inputs"]["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    chi = next(
        r
        for r in by_type["kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"]
        if r["name"].endswith("fresh-chi")
    )
    assert chi["urn"] in job["dependencies"]
    lifecycle = next(
        r for r in by_type["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"] if "backup" in r["name"]
    )
    expiry = {r["id"]: r.get("expiration") for r in lifecycle["inputs"]["rules"]}
    assert expiry["expire-backups-analytics"] == {"days": 14 + 7 + 1}
    policy = next(r for r in by_type["aws:iam/rolePolicy:RolePolicy"] if r["inputs"]["name"] == "clickhouse-fresh")
    doc = json.loads(policy["inputs"]["policy"])
    read = next(s for s in doc["Statement"] if s["Sid"] == "RestoreReadSourceBackups")
    assert read["Resource"] == ["arn:aws:s3:::clickhouse-cloud-test-backup-123456789012/analytics/*"]


def test_a_backup_change_touches_only_the_cronjob_and_the_lifecycle_rule():
    before = run_offline(services({"name": "analytics"}))
    after = run_offline(
        services({"name": "analytics", "backup": {"schedule": "0 5 * * 1", "retentionDays": 30, "fullEveryDays": 3}})
    )
    old, new = {r["urn"]: r for r in before.resources}, {r["urn"]: r for r in after.resources}
    assert old.keys() == new.keys()
    changed = sorted(new[u]["type"] for u in new if new[u]["inputs"] != old[u]["inputs"])
    assert changed == [
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "kubernetes:batch/v1:CronJob",
    ]
    disabled = run_offline(services({"name": "analytics", "backup": {"enabled": False}}))
    new = {r["urn"]: r for r in disabled.resources}
    assert sorted(new[u]["type"] for u in new if new[u]["inputs"] != old[u]["inputs"]) == [
        "kubernetes:batch/v1:CronJob"
    ]


def run_listing(sql: str, root) -> str:
    """Runs a listing statement in chDB with `file()` over a local copy of the bucket layout in place of
    `s3()`: the same glob, virtual column and `One` format, so the selection logic runs for real."""
    url = f"https://{BUCKET}.s3.{REGION}.amazonaws.com/"
    local = sql.replace(f"s3('{url}", f"file('{root}/").replace(backup._NO_MATCH_IS_EMPTY, "")
    assert "file(" in local and "s3(" not in local
    return chdb.query(local, "TSVRaw").bytes().decode().strip()


def test_the_listing_picks_the_newest_young_full_backup_and_the_newest_backup(tmp_path):
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    names = {}
    for days, kind in [(10, "full"), (3, "full"), (2, "incr"), (1, "incr")]:
        name = (now - datetime.timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ") + f"-{kind}"
        (tmp_path / "analytics" / name).mkdir(parents=True)
        (tmp_path / "analytics" / name / ".backup").write_text("<backup/>")
        names[days] = name
    assert run_listing(backup.base_full_sql(BUCKET, REGION, "analytics", 7), tmp_path) == names[3]
    # The 3-day-old full is too old to build on with fullEveryDays 2: the next backup is a full one.
    assert run_listing(backup.base_full_sql(BUCKET, REGION, "analytics", 2), tmp_path) == ""
    assert run_listing(backup.latest_backup_sql(BUCKET, REGION, "analytics"), tmp_path) == names[1]


def test_the_cronjobs_last_success_becomes_the_backup_age_alert(tmp_path):
    """promtool runs the recording rule and the alerting layer's BackupTooOld on a CronJob series
    as kube-state-metrics reports it: the metric carries the service, and the alert fires for it."""
    import shutil
    import subprocess

    import yaml

    from components.observability import alerts

    promtool = shutil.which("promtool") or "promtool"
    groups = [backup.metric_rule_group(), *alerts.rule_groups()]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": groups}))
    series = 'kube_cronjob_status_last_successful_time{namespace="clickhouse", cronjob="backup-analytics"}'
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "5m",
                "input_series": [{"series": series, "values": "0x400"}],
                "promql_expr_test": [
                    {
                        "expr": backup.METRIC,
                        "eval_time": "10m",
                        "exp_samples": [
                            {
                                "labels": f'{backup.METRIC}{{namespace="clickhouse", cronjob="backup-analytics", '
                                'service="analytics"}',
                                "value": 0,
                            }
                        ],
                    }
                ],
                "alert_rule_test": [
                    {"eval_time": "25h", "alertname": "BackupTooOld", "exp_alerts": []},
                    {
                        "eval_time": "28h",
                        "alertname": "BackupTooOld",
                        "exp_alerts": [
                            {
                                "exp_labels": {"severity": "critical", "service": "analytics"},
                                "exp_annotations": {
                                    "summary": "No recent backup",
                                    "description": "Service analytics has had no successful backup for 1d 4h 0m 0s"
                                    " (limit 26h), counted from its last success or, if none succeeded yet, from"
                                    " when its backups were set up.",
                                },
                            }
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        [promtool, "test", "rules", "tests.yml"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert alerts.BACKUP_METRIC == backup.METRIC == "clickhouse_backup_last_success_timestamp_seconds"
