"""Pinned versions of everything the program installs: one flat list of constants.

Bump a pin deliberately, in its own change, after reading the upstream release notes.
"""

from __future__ import annotations

# Istio: the charts `base`, `istiod` and `gateway`; chart version = Istio version.
ISTIO_CHART_REPO = "https://istio-release.storage.googleapis.com/charts"
ISTIO_VERSION = "1.30.3"

# Altinity Kubernetes operator for ClickHouse (chart `altinity-clickhouse-operator`).
ALTINITY_CHART_REPO = "https://helm.altinity.com"
ALTINITY_OPERATOR_VERSION = "0.25.6"

# ClickHouse server and Keeper images (`clickhouse/clickhouse-server`, `clickhouse/clickhouse-keeper`):
# the default for a service's `clickhouseVersion`, and the Keeper version. A full tag of the 25.8 LTS
# line, so a redeploy never picks up a new patch release by itself.
CLICKHOUSE_VERSION = "25.8.29.51"
KEEPER_VERSION = "25.8.29.51"
