"""Keys that would do nothing in the combination given: never silently.

Each such key has one rule (docs/configuration.md, "Keys that do nothing"): an error when the
combination cannot be what the user meant (a webhook no AlertManager sends to, services a
bootstrap-only stack never builds), a one-line warning naming what is ignored and why when the
combination is legitimate (an allow list kept while the public endpoint is off). A warning names a
key only when the stack file sets it: a default is never "ignored".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.cluster import ClusterSpec
from components.iam import VendorAccessSpec
from components.private_endpoint import PrivateLinkSpec
from components.services import ServicesSpec
from components.settings.network import NetworkSettings
from components.settings.observability import ObservabilitySettings
from components.settings.reader import NS, Problems, decode_value


@dataclass(frozen=True)
class Layers:
    """The parsed settings the rules look at."""

    network: NetworkSettings
    cluster: ClusterSpec
    customer_managed_key: bool
    iam: VendorAccessSpec
    clickhouse: ServicesSpec
    private_link: PrivateLinkSpec
    observability: ObservabilitySettings


def _written(raw: Mapping[str, str], key: str) -> dict[str, Any]:
    """The fields of map-valued `key` as the stack file writes them ({} when unset or not a map)."""
    value = decode_value(raw.get(f"{NS}:{key}"))
    return value if isinstance(value, dict) else {}


ONLY_FIX = (
    "a bootstrap-only stack (bootstrap.only true) creates the bootstrap role and its boundary and nothing else; "
    "remove it, or set bootstrap.only false to build it"
)


def check(raw: Mapping[str, str], s: Layers, p: Problems) -> None:
    """The combinations that are errors."""
    if s.iam.only:
        _bootstrap_only(raw, s, p)
        return
    obs = s.observability
    if obs.log_house and obs.log_house_service:
        by_name = {svc.name: svc for svc in s.clickhouse.services}
        target = by_name.get(obs.log_house_service)
        if target is not None and target.stopped:
            key = "logs.service" if _written(raw, "logs").get("service") else "logs.logHouse"
            value = obs.log_house_service if key == "logs.service" else True
            running = [svc.name for svc in s.clickhouse.services if not svc.stopped]
            pick = f"pick a running one with logs.service ({', '.join(running)}), " if running else ""
            p.add(
                key,
                value,
                f"the loghouse database is in service {target.name}, which is stopped, so every log insert of "
                f"Fluent Bit would fail; run {target.name} (stopped false), {pick}or set logs.logHouse false",
            )


def _bootstrap_only(raw: Mapping[str, str], s: Layers, p: Problems) -> None:
    services = s.clickhouse.services
    if services:
        p.add("services", f"{len(services)} service{'s' if len(services) != 1 else ''}", f"not built: {ONLY_FIX}")
    if s.network.peerings:
        count = len(s.network.peerings)
        p.add("peerings", f"{count} peering{'s' if count != 1 else ''}", f"not built: {ONLY_FIX}")
    if s.network.pod_cidr:
        p.add("podCidr", s.network.pod_cidr, f"no VPC to add it to: {ONLY_FIX}")
    if s.private_link.enabled:
        p.add("privateLink.enabled", True, f"no endpoint service is built: {ONLY_FIX}")
    if s.observability.tailscale is not None:
        p.add("troubleshootingAccess.tailscale.enabled", True, f"no cluster for the Tailscale operator: {ONLY_FIX}")
    if s.observability.log_house:
        p.add("logs.logHouse", True, f"no cluster ships logs: {ONLY_FIX}")
    if s.customer_managed_key:
        p.add("kms.customerManagedKey", True, f"no key, bucket or volume is built: {ONLY_FIX}")


def warnings(raw: Mapping[str, str], s: Layers, secret_keys: frozenset[str]) -> list[str]:
    """The legitimate combinations: one line each, what is ignored and why."""
    w = Problems(secret_keys)
    if s.iam.only:
        return []
    endpoint = _written(raw, "clusterEndpoint")
    if not s.cluster.endpoint_public and endpoint.get("publicCidrs"):
        w.add(
            "clusterEndpoint.publicCidrs",
            endpoint["publicCidrs"],
            "ignored while clusterEndpoint.public is false (the API has no public endpoint); remove it, or set "
            "clusterEndpoint.public true",
        )
    opens_all = any(str(c).endswith("/0") for c in endpoint.get("publicCidrs") or [])
    if endpoint.get("allowAnyPublicCidr") in (True, "true") and (not s.cluster.endpoint_public or not opens_all):
        w.add(
            "clusterEndpoint.allowAnyPublicCidr",
            True,
            "ignored: it only permits 0.0.0.0/0 in clusterEndpoint.publicCidrs of a public endpoint, and there is "
            "none; remove it",
        )
    ch = s.clickhouse
    if not ch.public_endpoint and ch.ip_allow_list:
        w.add(
            "ipAllowList",
            list(ch.ip_allow_list),
            "ignored while publicEndpoint.enabled is false (no public load balancer to filter); remove it, or turn "
            "the public endpoint on",
        )
    public = _written(raw, "publicEndpoint")
    if public.get("allowAnySource") in (True, "true") and (not ch.public_endpoint or ch.ip_allow_list):
        why = "the public endpoint is off" if not ch.public_endpoint else "ipAllowList is set and still filters"
        w.add("publicEndpoint.allowAnySource", True, f"ignored: {why}; remove it")
    alerting = _written(raw, "alerting")
    if not s.observability.enabled:
        # Legitimate (a day-2 switch-off keeps the vendor's webhook for later), and loud: nobody is alerted.
        off = "ignored while observability.enabled is false: no AlertManager runs"
        if alerting.get("vendorWebhook"):
            w.add(
                "alerting.vendorWebhook",
                "(not shown)",
                f"{off}, and the vendor receives no alert; turn the layer back on to alert the vendor",
            )
        if alerting.get("receivers"):
            count = len(alerting["receivers"]) if isinstance(alerting["receivers"], list) else 1
            w.add(
                "alerting.receivers",
                f"{count} receiver{'s' if count != 1 else ''}",
                f"{off}, and none of them receives an alert; turn the layer back on, or remove them",
            )
    obs = _written(raw, "observability")
    if not s.observability.enabled:
        for field in ("grafana", "retentionDays", "downsampledRetentionDays"):
            if field in obs:
                w.add(
                    f"observability.{field}",
                    obs[field],
                    "ignored while observability.enabled is false (no metrics layer); remove it, or turn the layer on",
                )
    logs = _written(raw, "logs")
    if logs.get("service") and not s.observability.log_house:
        fix = "remove it, or set logs.logHouse true"
        w.add("logs.service", logs["service"], f"ignored while logs.logHouse is false; {fix}")
    if not ch.services:
        for i, peer in enumerate(s.network.peerings):
            if peer.private_dns:
                w.add(
                    f"peerings[{i}].privateDns",
                    True,
                    "no service yet, so no private zone to associate with the peer VPC; it takes effect with the "
                    "first service",
                )
    boot = _written(raw, "bootstrap")
    if s.iam.access.mode == "revoked":
        for field in ("vpcWrite", "iamWrite", "kms", "profile"):
            if field in boot:
                w.add(
                    f"bootstrap.{field}",
                    boot[field],
                    "ignored while bootstrap.mode is revoked (the role's one policy denies everything); it applies "
                    "again in mode full or operate",
                )
    cloud = _written(raw, "clickhouseCloud")
    if cloud.get("billingPrefix") and not s.iam.exports.billing_bucket_arn:
        w.add(
            "clickhouseCloud.billingPrefix",
            cloud["billingPrefix"],
            "ignored without clickhouseCloud.billingBucketArn (no billing-scraper role); remove it, or set the bucket",
        )
    return w.lines
