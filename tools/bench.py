"""Benchmark: offline synth time and resource count as the number of ClickHouse services grows.

    venv/bin/python -m tools.bench                      # 1, 10 and 50 services, median of 5 runs each
    venv/bin/python -m tools.bench --sizes 1 100 --runs 3

Each size is a generated stack: the dev stack's configuration with N services (and an allow list),
synthesized with the real `__main__.py` under the mocks, as `tools.synth` does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

from components.settings.cluster import MAX_CLICKHOUSE_NODES_PER_ZONE
from tools import stackconfig
from tools.synth import SynthResult, synthesize


def generated_config(services: int, base: str = "dev") -> stackconfig.StackConfig:
    """The `base` stack's configuration with `services` generated services."""
    cfg = stackconfig.load_stack(base)
    raw = dict(cfg.raw)
    ns = cfg.project
    raw[f"{ns}:services"] = json.dumps([{"name": f"svc-{i:03d}"} for i in range(services)])
    raw.setdefault(f"{ns}:ipAllowList", json.dumps(["203.0.113.0/24"]))
    # Room for every generated server: the capacity check refuses a stack whose services cannot fit.
    nodes = json.loads(raw.get(f"{ns}:clickhouseNodes") or "{}")
    raw[f"{ns}:clickhouseNodes"] = json.dumps({**nodes, "maxSize": MAX_CLICKHOUSE_NODES_PER_ZONE})
    # And pod addresses for that many nodes: under prefix delegation a /22's private subnets hold 5 a zone.
    if not raw.get(f"{ns}:podCidr"):
        raw[f"{ns}:podCidr"] = "100.64.0.0/16"
    return stackconfig.StackConfig(cfg.project, f"bench-{services}", raw, cfg.secret_keys, cfg.placeholders)


def measure(size: int, runs: int) -> tuple[int, float, list[float]]:
    """(resources registered, median seconds, every run's seconds) for one size."""
    cfg = generated_config(size)
    times: list[float] = []
    result: SynthResult | None = None
    for _ in range(runs):
        start = time.perf_counter()
        result = synthesize(cfg)
        times.append(time.perf_counter() - start)
    assert result is not None
    return len(result.resources), statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="venv/bin/python -m tools.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50], help="service counts (default 1 10 50)")
    parser.add_argument("--runs", type=int, default=5, help="runs per size; the median is reported (default 5)")
    args = parser.parse_args(argv)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'services':>8}  {'resources':>9}  {'median s':>8}  {'ms/resource':>11}  runs (s)")
    rows = []
    for size in args.sizes:
        count, median, times = measure(size, args.runs)
        rows.append((size, count, median))
        runs = " ".join(f"{t:.2f}" for t in times)
        print(f"{size:>8}  {count:>9}  {median:>8.2f}  {1000 * median / count:>11.1f}  {runs}")
    if len(rows) >= 2:
        (s0, c0, t0), (s1, c1, t1) = rows[0], rows[-1]
        per_service = (t1 - t0) / (s1 - s0)
        print(f"marginal cost: {(c1 - c0) / (s1 - s0):.1f} resources and {per_service * 1000:.0f} ms per added service")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
