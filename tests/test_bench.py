"""The benchmark command runs and reports what it measured."""

from __future__ import annotations

import json

from tools import bench


def test_generated_config_has_the_requested_services():
    cfg = bench.generated_config(3)
    names = [s["name"] for s in json.loads(cfg.raw["clickhouse-byoc:services"])]
    assert names == ["svc-000", "svc-001", "svc-002"]
    assert cfg.stack == "bench-3"


def test_bench_counts_seventeen_resources_per_service(capsys):
    # Per service: the ClickHouseService component, its service account, password (random +
    # secret), the scraping user's password (random + secret), installation and two routes (9), its
    # backup user's password (random + secret) and CronJob (3), its IRSA role (component, role,
    # policy: 3), its private zone and record (2).
    assert bench.main(["--sizes", "1", "2", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "cores, Python" in out
    assert "marginal cost: 17.0 resources" in out
