"""The observability layer: metrics, alerts, logs, runtime security and vendor troubleshooting access.

Pure builders, one concern per module (values of the charts, Kubernetes object specs, SQL and
configuration files), so tests judge them with the upstream tools (promtool, amtool, chDB, the
vendored charts):

- `metrics`: kube-prometheus-stack (Prometheus x2 with the Thanos sidecar, AlertManager x3, the
  Prometheus operator, node-exporter, kube-state-metrics, optional Grafana), the scrape monitors of
  every component, and Thanos store, compactor and query.
- `alerts`: AlertManager's routing and the Prometheus rule groups.
- `dashboards`: the built-in Grafana dashboards (memory, query rate, I/O).
- `metrics_endpoint`: the per-service `/metrics_all` endpoint and its scraping user.
- `security`: Falco and the ClickHouse namespace's NetworkPolicies.
- `logs`: Fluent Bit into LogHouse.
- `tailscale`: the vendor's time-boxed troubleshooting access.
"""
