"""The ClickHouse server and Keeper pods as they run (the StatefulSets the operator makes of the
installations), judged against what their images do at the pinned version
(tests/upstream/images/images.yaml): non-root as the images' user, RuntimeDefault seccomp, no API
token, no capability, no privilege escalation, and a read-only root filesystem with a writable mount
for every directory the image writes."""

from __future__ import annotations

import functools
import posixpath
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from components import clickhouse_specs, platform, pod_security
from components.observability import metrics
from tests import operator_statefulsets
from tests import references as ref

IMAGES = yaml.safe_load((Path(__file__).parent / "upstream" / "images" / "images.yaml").read_text())
SERVICE = clickhouse_specs.ClickHouseServiceSpec("analytics", 1, 2, "25.8.29.51", "2", "8Gi", "50Gi", False, False)


def _chi() -> dict[str, Any]:
    spec = clickhouse_specs.chi_spec(
        SERVICE, bucket="b", region="us-west-2", networks=["10.0.0.0/16"], service_account="sa"
    )
    return {
        "kind": "ClickHouseInstallation",
        "metadata": {"name": "analytics", "namespace": "clickhouse"},
        "spec": spec,
    }


def _chk() -> dict[str, Any]:
    meta = {"name": clickhouse_specs.KEEPER_NAME, "namespace": "clickhouse"}
    return {"kind": "ClickHouseKeeperInstallation", "metadata": meta, "spec": clickhouse_specs.keeper_spec()}


def _pods(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [s["spec"]["template"]["spec"] for s in operator_statefulsets.statefulsets(obj)]


def _writable(pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    """The container's writable mount paths: emptyDirs and claims, not ConfigMaps or read-only mounts."""
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    claims = {"data"}  # the data claim template the operator mounts
    out = []
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount["name"], {})
        if mount.get("readOnly") or "configMap" in volume or "secret" in volume:
            continue
        assert "emptyDir" in volume or mount["name"] in claims, mount
        out.append(mount["mountPath"].rstrip("/"))
    return out


def _under(path: str, roots: list[str]) -> bool:
    path = posixpath.normpath(path)
    return any(path == r or path.startswith(r + "/") for r in roots)


@functools.cache
def _operator_config_files() -> dict[str, str]:
    values = ref.load_yaml(ref.ALTINITY / "values.yaml")["configs"]
    return {**(values["configdFiles"] or {}), **(values["keeperConfigdFiles"] or {})}


def _xml_text(xml: str, path: str) -> str | None:
    root = ElementTree.fromstring(xml)
    return root.findtext(path)


@pytest.mark.parametrize("build,image", [(_chi, "clickhouse-server"), (_chk, "clickhouse-keeper")])
def test_server_and_keeper_pods_run_as_the_images_user_without_privileges(build, image):
    facts = IMAGES[image]
    for pod in _pods(build()):
        sc = pod["securityContext"]
        assert sc["runAsNonRoot"] is True and (sc["runAsUser"], sc["runAsGroup"]) == (facts["uid"], facts["gid"])
        # The data volume is writable by the image's group (existing volumes keep their files).
        assert sc["fsGroup"] == facts["gid"] and sc["fsGroupChangePolicy"] == "OnRootMismatch"
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        # No Kubernetes API call from these pods; IRSA brings its own projected token.
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            assert container["securityContext"] == pod_security.container_security_context()
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # ClickHouse works without the capabilities it can use (the docs call them optional).
    assert set(facts.get("optional_capabilities", [])) <= {"NET_ADMIN", "IPC_LOCK", "SYS_NICE"}


def test_every_directory_the_server_writes_is_a_writable_mount():
    chi = _chi()
    files = _operator_config_files()
    logger = files["01-clickhouse-02-logger.xml"]
    config = {
        **IMAGES["clickhouse-server"]["config_defaults"],
        "logger.log": _xml_text(logger, "logger/log"),
        "logger.errorlog": _xml_text(logger, "logger/errorlog"),
    }
    storage = ElementTree.fromstring(chi["spec"]["configuration"]["files"]["config.d/storage.xml"])
    disk_paths = [e.text for e in storage.iter() if e.tag in ("path", "metadata_path")]
    assert disk_paths, "the S3 disk and its cache have paths"
    needed = [config["path"], config["tmp_path"], config["user_files_path"], config["format_schema_path"]]
    needed += [posixpath.dirname(config["logger.log"]), posixpath.dirname(config["logger.errorlog"]), *disk_paths]
    for pod in _pods(chi):
        (server,) = [c for c in pod["containers"] if c["name"] == "clickhouse"]
        writable = _writable(pod, server)
        missing = [p for p in needed if not _under(p, writable)]
        assert not missing, (missing, writable)
        # Nothing else: the data volume, the log files, /tmp.
        assert sorted(writable) == sorted([clickhouse_specs.SERVER_DATA_DIR, clickhouse_specs.SERVER_LOG_DIR, "/tmp"])


def test_every_directory_keeper_writes_is_a_writable_mount():
    facts = IMAGES["clickhouse-keeper"]["entrypoint_dirs"]
    keeper_config = _operator_config_files()["01-keeper-01-default-config.xml"]
    for pod in _pods(_chk()):
        (keeper,) = pod["containers"]
        env = {e["name"]: e.get("value") for e in keeper.get("env") or []}
        data_dir = env.get(facts["data_dir_env"], facts["data_dir_default"])
        needed = [data_dir, facts["log_dir"], *(posixpath.join(data_dir, d) for d in facts["under_data_dir"])]
        needed += [_xml_text(keeper_config, key) for key in IMAGES["clickhouse-keeper"]["writes_config_keys"]]
        writable = _writable(pod, keeper)
        missing = [p for p in needed if not _under(p, writable)]
        assert not missing, (missing, writable)
        assert sorted(writable) == sorted([clickhouse_specs.KEEPER_DATA_DIR, clickhouse_specs.KEEPER_LOG_DIR])


def test_keeper_without_the_data_dir_variable_would_need_the_images_read_only_directory():
    """The check above fails for the Keeper container of before: its entrypoint's default data
    directory is the image's own /var/lib/clickhouse, read-only now."""
    chk = _chk()
    for template in chk["spec"]["templates"]["podTemplates"]:
        template["spec"]["containers"][0].pop("env")
    pod = _pods(chk)[0]
    facts = IMAGES["clickhouse-keeper"]["entrypoint_dirs"]
    assert not _under(facts["data_dir_default"], _writable(pod, pod["containers"][0]))


def test_the_hardened_statefulsets_validate_as_kubernetes_objects():
    for obj in (_chi(), _chk()):
        for sts in operator_statefulsets.statefulsets(obj):
            assert ref.builtin_errors(sts) == [], sts["metadata"]["name"]


def test_thanos_pods_mount_no_api_token_and_run_hardened():
    for obj in metrics.thanos_objects(15, 90):
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        pod = obj["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, obj["metadata"]["name"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["securityContext"]["runAsUser"] >= 10000 and pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        assert "@sha256:" in container["image"] and container["image"].startswith("quay.io/thanos/thanos:v")
        assert container["securityContext"] == pod_security.container_security_context()


def test_operator_pods_run_hardened_through_the_chart_values():
    values = clickhouse_specs.operator_values()
    inputs = {"chart": "altinity-clickhouse-operator", "version": "0.25.6", "name": "clickhouse-operator"}
    objs = ref.render_release({**inputs, "namespace": clickhouse_specs.OPERATOR_NAMESPACE, "values": values})
    (deployment,) = [o for o in objs if o["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 65534
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert [c["securityContext"] for c in pod["containers"]] == [pod_security.container_security_context()] * 2


def test_the_operator_rolls_one_server_at_a_time_and_stops_at_one_that_fails():
    reconcile = clickhouse_specs.operator_values()["configs"]["files"]["config.yaml"]["reconcile"]
    # One shard at a time (the first shard is always alone; the others up to this many at once) ...
    assert reconcile["runtime"]["reconcileShardsThreadsNumber"] == 1
    # ... a shard's replicas one after another, each waited for until ready ...
    assert reconcile["host"]["wait"]["probes"]["readiness"] is True
    # ... and a replica that does not become ready stops the roll.
    assert reconcile["statefulSet"]["update"]["onFailure"] == "abort"


def test_the_autoscaler_runs_hardened_through_the_chart_values():
    values = platform.cluster_autoscaler_values("c", "us-west-2", "1.35", "arn:aws:iam::123456789012:role/r")
    inputs = {"chart": "cluster-autoscaler", "version": "9.59.0", "name": "cluster-autoscaler"}
    objs = ref.render_release({**inputs, "namespace": "kube-system", "values": values})
    (deployment,) = [o for o in objs if o["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert [c["securityContext"] for c in pod["containers"]] == [pod_security.container_security_context()]
