"""EKS managed add-ons: every add-on pinned for every minor the settings accept, from the published
version tables (`tests/upstream/eks-addons/`), never resolved at deploy time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components import versions
from components.settings import ConfigError, parse
from tests.conftest import raw_config

TABLES = Path(__file__).resolve().parent / "upstream" / "eks-addons" / "addon-versions.json"


def _tables() -> dict:
    return json.loads(TABLES.read_text())


def _key(version: str) -> tuple[int, ...]:
    """`vMAJOR.MINOR.PATCH-eksbuild.BUILD` as numbers, for ordering."""
    m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)-eksbuild\.(\d+)", version)
    assert m, f"{version}: not in the documented add-on version format"
    return tuple(int(g) for g in m.groups())


def published(addon: str, minor: str) -> list[str]:
    """Every version a vendored table lists for the pair."""
    return [t["versions"][minor] for t in _tables()["tables"] if t["addon"] == addon and minor in t["versions"]]


def accepted(minor: str) -> bool:
    try:
        parse(raw_config({"kubernetesVersion": minor}), "dev")
    except ConfigError:
        return False
    return True


def test_the_tables_cover_every_addon_in_the_documented_format():
    data = _tables()
    assert "major-version.minor-version.patch-version-eksbuild.build-number" in data["format"]["text"]
    assert {t["addon"] for t in data["tables"]} == set(versions.EKS_ADDONS)
    for table in data["tables"]:
        assert table["source"].startswith("https://") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", table["read"])
        for version in table["versions"].values():
            _key(version)
    # Only the EBS CSI driver comes from outside the EKS User Guide (it publishes no table for it).
    assert {t["addon"] for t in data["tables"] if t["kind"] != "eks-user-guide"} == {"aws-ebs-csi-driver"}


@pytest.mark.parametrize("minor", versions.KUBERNETES_VERSIONS)
def test_every_accepted_minor_pins_every_addon_to_its_newest_published_version(minor):
    if versions.unpinned_addons(minor):
        assert not accepted(minor)  # why: test_a_minor_without_every_pin_is_refused
        return
    assert accepted(minor)
    for addon in versions.EKS_ADDONS:
        pin = versions.eks_addon_version(addon, minor)
        listed = published(addon, minor)
        assert pin in listed, f"{addon} {pin} on {minor}: not in a vendored table ({listed})"
        # The newest any table lists: a later revision listing an older build never moves it back.
        assert _key(pin) == max(map(_key, listed)), f"{addon} on {minor}: {pin}, tables list {listed}"
        if addon == "kube-proxy":
            assert pin.startswith(f"v{minor}."), "kube-proxy ships per minor"


def test_every_pin_is_published_even_for_a_refused_minor():
    for minor, pins in versions.EKS_ADDON_VERSIONS.items():
        for addon, pin in pins.items():
            assert pin in published(addon, minor), (addon, minor, pin)


def test_a_minor_without_every_pin_is_refused():
    refused = [m for m in versions.KUBERNETES_VERSIONS if versions.unpinned_addons(m)]
    assert refused == ["1.36"], "update this test when the tables name the missing add-ons"
    # No table names them for 1.36: that is why it is refused.
    assert [a for a in ("vpc-cni", "aws-ebs-csi-driver") if not published(a, "1.36")] == [
        "vpc-cni",
        "aws-ebs-csi-driver",
    ]
    with pytest.raises(ConfigError) as err:
        parse(raw_config({"kubernetesVersion": "1.36"}), "dev")
    (line,) = err.value.problems
    assert line.startswith("clickhouse-byoc:kubernetesVersion: 1.36: no published EKS add-on version of ")
    assert "vpc-cni, aws-ebs-csi-driver for 1.36" in line and "use 1.35" in line
    with pytest.raises(LookupError, match=r"no pinned vpc-cni version for Kubernetes 1\.36"):
        versions.eks_addon_version("vpc-cni", "1.36")
    assert all(accepted(m) for m in versions.KUBERNETES_VERSIONS if m not in refused)
